-- The example registrar keeps its employees and its outbox in a database of its own.
create database registrar;

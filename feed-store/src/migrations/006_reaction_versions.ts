/**
 * Reactions ordered by a version, not by the clock. A reader who clicks twice, or whose two
 * changes go through two service replicas with clocks apart, must see the later change win;
 * event times cannot promise that (the same millisecond, a clock behind). The service takes
 * each change's version from `feed_reaction_versions`, one sequence in the feed database that
 * every replica shares, so a change asked later has a higher version. `version` is null for
 * reactions that came without one (AMQP publishers): those still go by event time.
 */
export const sql = `
create sequence feed_reaction_versions;
alter table feed_reactions add column version bigint;
`;

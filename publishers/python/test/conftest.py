"""Fixtures for the tests that need the broker and the worker.

``npm test`` runs these through ``pytest.int.test.ts`` beside this file, which creates a vhost
and a database of the run's own, starts the compiled worker on them, installs the package into
a fresh virtual environment and passes the URLs in FEED_TEST_AMQP_URL and FEED_TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any, Callable, Iterator, TypeVar

import pika
import pytest

T = TypeVar("T")


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: run these tests through npm test (publishers/python/test/"
            "pytest.int.test.ts), which creates the vhost, the database and the worker"
        )
    return value


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return _env("FEED_TEST_AMQP_URL")


@pytest.fixture(scope="session")
def database_url() -> str:
    return _env("FEED_TEST_DATABASE_URL")


def wait_for(description: str, condition: Callable[[], T | None], timeout: float = 15.0) -> T:
    """Polls ``condition`` until it returns something other than None/False, or fails."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = condition()
        if last is not None and last is not False:
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {description}; last: {last!r}")
        time.sleep(0.05)


class Feed:
    """What the worker stored, read with psql (the PostgreSQL client beside the server)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def query(self, sql: str, **variables: str) -> list[list[str]]:
        args = ["psql", self.database_url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-F", "\t"]
        for name, value in variables.items():
            args += ["-v", f"{name}={value}"]
        result = subprocess.run(args, input=sql, capture_output=True, text=True, check=True)
        return [line.split("\t") for line in result.stdout.splitlines() if line != ""]

    def stored(self, source: str, event_id: str) -> list[list[str]]:
        return self.query(
            "select type, to_char(time at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
            " data::text from feed_events where source = :'source' and event_id = :'id'",
            source=source,
            id=event_id,
        )


@pytest.fixture(scope="session")
def feed(database_url: str) -> Feed:
    return Feed(database_url)


@pytest.fixture()
def amqp(amqp_url: str) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    """A channel of the test's own, for what the test sends or reads past the publisher."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        yield connection.channel()
    finally:
        connection.close()

"""The publisher against the real broker, with the real worker storing what it confirmed."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from typing import Any

import pika
import pytest

import feed_publisher
from feed_publisher import FeedPublisher, InvalidEvent, PublishError, contract
from conftest import Feed, wait_for


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_the_installed_package_is_the_one_tested() -> None:
    # The package comes from `pip install` of the folder, not from the source tree.
    assert "site-packages" in feed_publisher.__file__


def tap(channel: Any) -> str:
    """A queue of the test's own bound like feed.events: it sees every message published."""
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, contract.EXCHANGE, contract.BINDING_KEY)
    return queue


def get_all(channel: Any, queue: str, count: int) -> list[tuple[Any, bytes]]:
    messages: list[tuple[Any, bytes]] = []

    def more() -> bool:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            messages.append((properties, body))
        return len(messages) >= count

    wait_for(f"{count} message(s) on {queue}", more)
    return messages


def test_publishes_a_confirmed_persistent_cloud_event_that_the_worker_stores(
    amqp_url: str, amqp: Any, feed: Feed
) -> None:
    source = unique("payroll")
    # The exchange exists before the tap binds to it: the publisher declares the topology.
    with FeedPublisher(amqp_url, source) as publisher:
        publisher.publish("lunch.served", {"menu": "warmup"})
        queue = tap(amqp)
        event = publisher.publish(
            "employee.position_changed",
            {"employeeId": "e-42", "name": "Ada Lovelace", "position": "Lead Analyst"},
            id="e-42-position-1",
            subject="e-42",
        )
    assert event["id"] == "e-42-position-1" and event["source"] == source
    [(properties, body)] = get_all(amqp, queue, 1)
    assert properties.delivery_mode == 2
    assert properties.content_type == "application/cloudevents+json"
    assert properties.message_id == "e-42-position-1"
    assert properties.app_id == source
    assert properties.type == "employee.position_changed"
    assert properties.timestamp == contract.epoch_seconds(event["time"])
    assert json.loads(body) == event

    [row] = wait_for("the event stored", lambda: feed.stored(source, "e-42-position-1") or None)
    assert row[0] == "employee.position_changed"
    assert row[1] == event["time"]
    assert json.loads(row[2]) == event["data"]


def test_a_stable_id_makes_a_second_publish_harmless(
    amqp_url: str, amqp: Any, feed: Feed
) -> None:
    source = unique("retrying")
    with FeedPublisher(amqp_url, source) as publisher:
        publisher.publish("lunch.served", {"menu": "warmup"})
        queue = tap(amqp)
        first = publisher.publish("lunch.served", {"menu": "soup"}, id="lunch-1")
        publisher.publish("lunch.served", {"menu": "soup"}, id="lunch-1", time=first["time"])
        publisher.publish("lunch.served", {"menu": "stew"}, id="lunch-2")
    assert len(get_all(amqp, queue, 3)) == 3  # the broker took the message twice
    wait_for("both events stored", lambda: feed.stored(source, "lunch-2") or None)
    [[count]] = feed.query(
        "select count(*) from feed_events where source = :'source'", source=source
    )
    assert count == "3"  # the warm-up, lunch-1 once, lunch-2


def close_connection_named(name: str) -> None:
    listing = subprocess.run(
        ["rabbitmqctl", "list_connections", "pid", "client_properties", "-q", "--no-table-headers"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [pid] = [line.split("\t")[0] for line in listing.splitlines() if name in line]
    subprocess.run(
        ["rabbitmqctl", "close_connection", pid, "closed by the test"],
        capture_output=True,
        check=True,
    )


def test_a_lost_connection_is_retried_with_the_same_message(
    amqp_url: str, amqp: Any, feed: Feed
) -> None:
    source = unique("lost")
    name = unique("feed-publisher-test")
    with FeedPublisher(amqp_url, source, connection_name=name) as publisher:
        publisher.publish("lunch.served", {"menu": "before"}, id="before")
        queue = tap(amqp)
        close_connection_named(name)
        event = publisher.publish("lunch.served", {"menu": "after"}, id="after")
        assert publisher.reconnects == 1
    [(properties, body)] = get_all(amqp, queue, 1)
    assert properties.message_id == "after" and json.loads(body) == event
    wait_for("the event stored", lambda: feed.stored(source, "after") or None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def never_retried(seconds: float) -> None:
    pytest.fail(f"retried after {seconds} s")


def test_retries_are_bounded() -> None:
    waits: list[float] = []
    publisher = FeedPublisher(
        f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
        "unreachable",
        attempts=4,
        retry_min_s=0.25,
        retry_max_s=0.3,
        sleep=waits.append,
    )
    with pytest.raises(PublishError) as caught:
        publisher.publish("lunch.served", {}, id="never")
    assert caught.value.code == "FEED_ERR_BROKER_UNAVAILABLE"
    assert caught.value.attempts == 4 and caught.value.event_id == "never"
    assert "publish it again with the same id" in str(caught.value)
    # Full jitter under a doubling ceiling, capped: up to 0.25 s, then up to 0.3 s.
    assert len(waits) == 3 and 0 <= waits[0] <= 0.25
    assert all(0 <= wait <= 0.3 for wait in waits[1:])


def test_an_invalid_event_fails_before_anything_is_sent() -> None:
    publisher = FeedPublisher(f"amqp://127.0.0.1:{free_port()}", "s", sleep=never_retried)
    with pytest.raises(InvalidEvent) as caught:
        publisher.publish("not a type", {})
    assert caught.value.code == "FEED_ERR_BAD_FIELD"


def test_an_unroutable_message_is_an_error(amqp_url: str, amqp: Any) -> None:
    with FeedPublisher(amqp_url, unique("unroutable")) as publisher:
        publisher.publish("lunch.served", {}, id="routed")
        amqp.queue_unbind(contract.QUEUE, contract.EXCHANGE, contract.BINDING_KEY)
        try:
            with pytest.raises(PublishError) as caught:
                publisher.publish("lunch.served", {}, id="returned")
        finally:
            amqp.queue_bind(contract.QUEUE, contract.EXCHANGE, contract.BINDING_KEY)
    assert caught.value.code == "FEED_PUBLISH_UNROUTABLE"


def test_a_topology_mismatch_stops_at_once(amqp_url: str) -> None:
    publisher = FeedPublisher(amqp_url, "classic", queue_type="classic", sleep=never_retried)
    with pytest.raises(PublishError) as caught:
        publisher.publish("lunch.served", {})
    assert caught.value.code == "FEED_ERR_TOPOLOGY_MISMATCH" and caught.value.attempts == 1
    assert "x-queue-type" in str(caught.value)

"""The package's rules agree with the worker's: each case at a limit, checked here and then
sent past the checks, straight to the broker, for the worker to store or park."""

from __future__ import annotations

import json
import uuid
from typing import Any, Callable

import pika

from feed_publisher import InvalidEvent, build_event, encode_event, contract
from conftest import Feed, wait_for

Event = dict[str, Any]


def nested(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def with_data(data: Any) -> Callable[[Event], None]:
    return lambda event: event.update(data=data)


def setting(name: str, value: Any) -> Callable[[Event], None]:
    return lambda event: event.update({name: value})


def oversized(event: Event) -> None:
    event["data"] = ""
    overhead = len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode())
    event["data"] = "x" * (contract.MAX_BODY_BYTES - overhead + 1)


CASES: dict[str, Callable[[Event], None]] = {
    "plain": lambda event: None,
    "id-at-limit": lambda event: event.update(id=event["id"].ljust(contract.MAX_ID_LENGTH, ".")),
    "id-too-long": lambda event: event.update(id="x" * (contract.MAX_ID_LENGTH + 1)),
    "id-empty": setting("id", ""),
    "source-too-long": setting("source", "s" * (contract.MAX_SOURCE_LENGTH + 1)),
    "type-at-limit": setting("type", "t" * contract.MAX_TYPE_LENGTH),
    "type-too-long": setting("type", "t" * (contract.MAX_TYPE_LENGTH + 1)),
    "type-pattern": setting("type", "lunch..served"),
    "time-offset": setting("time", "2024-05-01T12:30:00.250+02:00"),
    "time-no-offset": setting("time", "2024-05-01T12:30:00"),
    "time-not-a-date": setting("time", "2024-13-01T00:00:00Z"),
    "subject-empty": setting("subject", ""),
    "actor-too-long": setting("actor", "a" * (contract.MAX_SUBJECT_LENGTH + 1)),
    "key-proto": with_data({"a": {"__proto__": {"admin": True}}}),
    "key-constructor": with_data([{"constructor": 1}]),
    "key-prototype": with_data({"prototype": 1}),
    "depth-at-limit": with_data(nested(contract.MAX_DEPTH - 1)),
    "depth-over": with_data(nested(contract.MAX_DEPTH)),
    "nan": with_data({"x": float("nan")}),
    "infinity": with_data({"x": float("inf")}),
    "too-large": oversized,
}


def test_the_worker_agrees_with_every_rule(amqp: Any, feed: Feed) -> None:
    run = uuid.uuid4().hex[:8]
    expected: dict[str, str] = {}
    ids: dict[str, str] = {}
    for name, change in CASES.items():
        event = build_event("lunch.served", {"menu": "soup"}, source="parity", id=f"{run}-{name}")
        change(event)
        ids[str(event.get("id"))] = name
        try:
            encode_event(event)
            expected[name] = "stored"
        except InvalidEvent as error:
            expected[name] = error.code
        # Past the package's checks: the worker alone decides. No message_id, app_id, type
        # or timestamp, so the body is all it has.
        amqp.basic_publish(
            exchange=contract.EXCHANGE,
            routing_key="parity",
            body=json.dumps(event, ensure_ascii=False).encode("utf-8"),
            properties=pika.BasicProperties(
                delivery_mode=2, content_type=contract.CONTENT_TYPE, correlation_id=name
            ),
        )

    parked: dict[str, str] = {}

    def verdicts() -> dict[str, str] | None:
        while True:
            method, properties, _ = amqp.basic_get(contract.DEAD_LETTER_QUEUE, auto_ack=True)
            if method is None:
                break
            if properties.correlation_id in CASES:
                parked[properties.correlation_id] = properties.headers["x-feed-error-code"]
        seen = dict(parked)
        for [event_id] in feed.query(
            "select event_id from feed_events where event_id like :'run'", run=f"{run}-%"
        ):
            seen[ids[event_id]] = "stored"
        return seen if len(seen) == len(CASES) else None

    assert wait_for("the worker's verdict on every case", verdicts) == expected

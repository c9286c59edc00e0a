"""The rules the package checks before sending, each at its boundary."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from feed_publisher import InvalidEvent, build_event, encode_event
from feed_publisher import contract


def event(**changes: Any) -> dict[str, Any]:
    base = build_event("lunch.served", {"menu": "soup"}, source="canteen", id="e-1")
    base.update(changes)
    return base


def nested(levels: int) -> Any:
    """Containers ``levels`` deep: ``[[...]]``."""
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value


def code_of(value: dict[str, Any]) -> str:
    with pytest.raises(InvalidEvent) as caught:
        encode_event(value)
    return caught.value.code


def test_build_event_fills_a_cloud_event() -> None:
    built = build_event("lunch.served", {"menu": "soup"}, source="canteen")
    assert built["specversion"] == "1.0"
    assert re.fullmatch(r"[0-9a-f-]{36}", built["id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", built["time"])
    assert "subject" not in built and "actor" not in built
    assert json.loads(encode_event(built)) == built


def test_times_are_rfc3339_and_datetimes_are_converted_to_utc() -> None:
    paris = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert build_event("a.b", {}, source="s", time=paris)["time"] == "2024-05-01T10:30:00.000Z"
    for good in (
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00.5+02:00",
        "2024-01-01 10:00:00z",
        "2024-01-01T12:00:00+0200",
        "2024-01-01T10:00:00",
    ):
        encode_event(event(time=good))
    # Without an offset it is UTC, as the worker reads it (datetime.utcnow().isoformat()).
    assert contract.epoch_seconds("2024-01-01T10:00:00.123456") == 1704103200
    assert contract.epoch_seconds("2024-01-01T12:00:00+0200") == 1704103200
    for bad in ("2024-01-01", "2024-01-01T10:00:00Z\n", "soon", 1704103200):
        assert code_of(event(time=bad)) == "FEED_ERR_BAD_TIME"
    assert code_of(event(time="2024-13-01T00:00:00Z")) == "FEED_ERR_BAD_TIME"
    with pytest.raises(InvalidEvent, match="naive datetime"):
        build_event("a.b", {}, source="s", time=datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("name", "limit"),
    [("id", contract.MAX_ID_LENGTH), ("source", contract.MAX_SOURCE_LENGTH)],
)
def test_id_and_source_lengths(name: str, limit: int) -> None:
    encode_event(event(**{name: "x" * limit}))
    assert code_of(event(**{name: "x" * (limit + 1)})) == "FEED_ERR_BAD_FIELD"
    assert code_of(event(**{name: ""})) == "FEED_ERR_MISSING_FIELD"
    assert code_of(event(**{name: 42})) == "FEED_ERR_BAD_FIELD"


def test_type_length_and_pattern() -> None:
    encode_event(event(type="a" * contract.MAX_TYPE_LENGTH))
    assert code_of(event(type="a" * (contract.MAX_TYPE_LENGTH + 1))) == "FEED_ERR_BAD_FIELD"
    for good in ("employee.registered", "hr-service.leave_request.v2", "A1"):
        encode_event(event(type=good))
    for bad in ("a..b", ".a", "a.", "a b", "-a", "ü.x", "a.b\n"):
        assert code_of(event(type=bad)) == "FEED_ERR_BAD_FIELD", bad


@pytest.mark.parametrize("name", ["subject", "actor"])
def test_subject_and_actor(name: str) -> None:
    encode_event(event(**{name: "x" * contract.MAX_SUBJECT_LENGTH}))
    for bad in ("", "x" * (contract.MAX_SUBJECT_LENGTH + 1), 7):
        assert code_of(event(**{name: bad})) == "FEED_ERR_BAD_FIELD"


@pytest.mark.parametrize("key", sorted(contract.FORBIDDEN_KEYS))
def test_forbidden_keys_anywhere(key: str) -> None:
    assert code_of(event(data={key: 1})) == "FEED_ERR_FORBIDDEN_KEY"
    assert code_of(event(data={"a": [{"b": {key: {}}}]})) == "FEED_ERR_FORBIDDEN_KEY"
    encode_event(event(data={"a": key}))  # a value, not a key: fine


def test_depth_counts_from_the_body() -> None:
    # The body (the event) is level 1, so its data may nest MAX_DEPTH - 1 levels.
    encode_event(event(data=nested(contract.MAX_DEPTH - 1)))
    assert code_of(event(data=nested(contract.MAX_DEPTH))) == "FEED_ERR_TOO_DEEP"
    # Far deeper than the recursion limit: the walk is iterative.
    assert code_of(event(data=nested(100_000))) == "FEED_ERR_TOO_DEEP"


def test_body_size() -> None:
    overhead = len(encode_event(event(data="")))
    encode_event(event(data="x" * (contract.MAX_BODY_BYTES - overhead)))
    assert code_of(event(data="x" * (contract.MAX_BODY_BYTES - overhead + 1))) == (
        "FEED_ERR_TOO_LARGE"
    )
    # Bytes, not characters: "é" is two bytes of UTF-8.
    assert code_of(event(data="é" * (contract.MAX_BODY_BYTES // 2))) == "FEED_ERR_TOO_LARGE"


def test_only_json() -> None:
    for value in (float("nan"), float("inf"), -float("inf")):
        assert code_of(event(data={"x": value})) == "FEED_ERR_NOT_JSON"
    assert code_of(event(data={"when": datetime.now(timezone.utc)})) == "FEED_ERR_NOT_JSON"
    assert code_of(event(data={1, 2})) == "FEED_ERR_NOT_JSON"

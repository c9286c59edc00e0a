"""The feed's wire contract, as far as a publisher checks it before sending.

Mirrors ``feed-contracts/src/envelope.ts``, ``parseMessage.ts`` and ``topology.ts`` of the feed
repository: every rule the worker applies that is cheap to apply here, with the code the worker
would park the message with. The ``data`` schemas of catalogue types are not repeated: the
worker checks them, and parks a mismatch with ``FEED_ERR_SCHEMA``. When the contract changes,
this module is the one place to change.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import datetime, timezone
from typing import Any, Literal, Mapping

QueueType = Literal["quorum", "classic"]

# Names (topology.ts).
EXCHANGE = "feed"
EXCHANGE_TYPE = "topic"
QUEUE = "feed.events"
BINDING_KEY = "#"
DEAD_LETTER_EXCHANGE = "feed.dlx"
DEAD_LETTER_QUEUE = "feed.dead"
CONTENT_TYPE = "application/cloudevents+json"

# Limits (envelope.ts `limits`): each one is a product decision stated in the feed's README.
MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ID_LENGTH = 200
MAX_SOURCE_LENGTH = 200
MAX_TYPE_LENGTH = 120
MAX_SUBJECT_LENGTH = 200

EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)*$")
"""Dotted words of letters, digits, '_' and '-' (envelope.ts `EventTypePattern`)."""

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$"
)
"""What parseMessage.ts accepts as an event's time (eventTime.ts `TimePattern`): without an
offset, as ``datetime.utcnow().isoformat()`` writes it, it is read as UTC."""

FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})
"""Keys that, merged into an object downstream, would reach its prototype."""


def queue_arguments(queue_type: QueueType = "quorum") -> dict[str, Any]:
    """The arguments ``feed.events`` is declared with; a broker holding others refuses them."""
    return {"x-queue-type": queue_type, "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}


class InvalidEvent(ValueError):
    """An event the feed would never store; ``code`` is the one the worker would park it with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code


def build_event(
    type: str,
    data: Any,
    *,
    source: str,
    id: str | None = None,
    time: str | datetime | None = None,
    subject: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """The CloudEvent for ``data``: a fresh UUID and now unless ``id`` and ``time`` are given."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()) if id is None else id,
        "source": source,
        "type": type,
        "time": _time(time),
        "data": data,
    }
    if subject is not None:
        event["subject"] = subject
    if actor is not None:
        event["actor"] = actor
    return event


def encode_event(event: Mapping[str, Any]) -> bytes:
    """Checks ``event`` as the worker will and returns the message body, or raises InvalidEvent."""
    _string(event, "id", MAX_ID_LENGTH)
    _string(event, "source", MAX_SOURCE_LENGTH)
    event_type = _string(event, "type", MAX_TYPE_LENGTH)
    if not EVENT_TYPE_PATTERN.fullmatch(event_type):
        raise InvalidEvent(
            "FEED_ERR_BAD_FIELD",
            f"type {event_type!r} is not dotted words of letters, digits, '_' and '-'",
        )
    time = event.get("time")
    if not isinstance(time, str) or not RFC3339.fullmatch(time):
        raise InvalidEvent("FEED_ERR_BAD_TIME", f"time must be an RFC 3339 timestamp, got {time!r}")
    try:
        datetime.fromisoformat(time.replace("z", "Z"))
    except ValueError:
        raise InvalidEvent("FEED_ERR_BAD_TIME", f"time {time!r} is not a real date") from None
    for name in ("subject", "actor"):
        value = event.get(name)
        if value is not None and (
            not isinstance(value, str) or value == "" or len(value) > MAX_SUBJECT_LENGTH
        ):
            raise InvalidEvent(
                "FEED_ERR_BAD_FIELD",
                f"{name} must be a non-empty string of at most {MAX_SUBJECT_LENGTH} characters",
            )
    _check_shape(event)
    try:
        # allow_nan=False: NaN and Infinity are not JSON, and the worker's parser refuses them.
        text = json.dumps(event, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise InvalidEvent("FEED_ERR_NOT_JSON", f"the event is not JSON: {error}") from None
    body = text.encode("utf-8")
    if len(body) > MAX_BODY_BYTES:
        raise InvalidEvent(
            "FEED_ERR_TOO_LARGE", f"body is {len(body)} bytes, over the limit of {MAX_BODY_BYTES}"
        )
    return body


def epoch_seconds(time: str) -> int:
    """The AMQP ``timestamp`` property of an event's time: whole seconds since the epoch."""
    moment = datetime.fromisoformat(time.replace("z", "Z"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # no offset: UTC, as the worker reads it
    return math.floor(moment.timestamp())


def _time(value: str | datetime | None) -> str:
    if value is None:
        value = datetime.now(timezone.utc)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidEvent(
                "FEED_ERR_BAD_TIME",
                "time is a naive datetime: give one with a timezone, "
                "e.g. datetime.now(timezone.utc)",
            )
        utc = value.astimezone(timezone.utc)
        return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value


def _string(event: Mapping[str, Any], name: str, max_length: int) -> str:
    value = event.get(name)
    if value is None or value == "":
        raise InvalidEvent("FEED_ERR_MISSING_FIELD", f"missing {name}")
    if not isinstance(value, str):
        raise InvalidEvent(
            "FEED_ERR_BAD_FIELD", f"{name} must be a string, got {type(value).__name__}"
        )
    if len(value) > max_length:
        raise InvalidEvent("FEED_ERR_BAD_FIELD", f"{name} is longer than {max_length} characters")
    return value


def _check_shape(body: Any) -> None:
    """Depth and forbidden keys, in one iterative walk (a deep body must not exhaust the stack)."""
    stack: list[tuple[Any, int, str]] = [(body, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if not isinstance(value, (dict, list, tuple)):
            continue
        if depth > MAX_DEPTH:
            raise InvalidEvent(
                "FEED_ERR_TOO_DEEP", f"body nests deeper than {MAX_DEPTH} levels at {path or '/'}"
            )
        if isinstance(value, dict):
            for key, item in value.items():
                if key in FORBIDDEN_KEYS:
                    raise InvalidEvent(
                        "FEED_ERR_FORBIDDEN_KEY", f"key {key!r} is not allowed (at {path or '/'})"
                    )
                stack.append((item, depth + 1, f"{path}/{key}"))
        else:
            stack.extend((item, depth + 1, f"{path}/{index}") for index, item in enumerate(value))

"""Publishes a corpus of hostile messages, then a sentinel event, the way a plain pika
service publishes: BlockingConnection, confirms, persistent, straight to feed.events.

usage: hostile_corpus.py AMQP_URL SENTINEL_ID
Prints one JSON object: {"sent": [{"name": ..., "message_id": ...}, ...]}.
"""

import json
import os
import sys

import pika

LONG = 70_000


def corpus():
    """(name, body bytes, extra properties) for every hostile message."""
    event = {
        "type": "kudos.sent",
        "time": "2026-11-22T10:00:00Z",
        "data": {"text": "thanks"},
    }

    def body(value):
        return json.dumps(value).encode()

    def with_attr(name, value):
        return body({"specversion": "1.0", "id": "h-" + name, "source": "hostile",
                     "type": "kudos.sent", "time": "2026-11-22T10:00:00Z",
                     "data": {}, name: value})

    ids = iter(range(1_000_000))

    def cloud(**fields):
        return body({"specversion": "1.0", "id": f"h-{next(ids)}", "source": "hostile",
                     "type": "kudos.sent", "time": "2026-11-22T10:00:00Z", **fields})

    # Always refused (a catalogue type whose data fails its schema), so that the messages
    # that carry odd headers are parked, headers and all.
    poison = body({"type": "employee.registered", "data": {"name": 5}})
    long = "x" * LONG
    yield "long time", with_attr("time", long), {}
    yield "long specversion", with_attr("specversion", long), {}
    yield "long id", with_attr("id", long), {}
    yield "long source", with_attr("source", long), {}
    yield "long type", with_attr("type", long), {}
    yield "long subject", with_attr("subject", long), {}
    yield "long actor", with_attr("actor", long), {}
    yield "long key in data", body({**event, "data": {long: 1}}), {}
    yield "long key at the top", body({**event, long: 1}), {}
    yield "many keys", body({**event, "data": {f"k{i}": i for i in range(60_000)}}), {}
    yield "headers near 64 KB", poison, {"headers": {"x-big": "h" * 65_000}}
    yield "headers over 64 KB", poison, {"headers": {"x-big": "h" * 100_000}}
    yield "many headers", poison, {"headers": {f"x-{i}": i for i in range(6_000)}}
    yield "nested headers", poison, {
        "headers": {"x-nest": {"a": [1, 2, {"b": b"\x00\xff"}], "t": True}}}
    yield "deep arrays", b"[" * 100_000 + b"]" * 100_000, {}
    yield "deep objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, {}
    yield "huge array of numbers", body(list(range(100_000))), {}
    yield "huge array of events", body([{"type": "bulk.item", "data": {"n": i}}
                                        for i in range(20_000)]), {}
    yield "over the size limit", body({**event, "data": {"pad": "p" * (2 * 1024 * 1024)}}), {}
    yield "binary", os.urandom(4096), {"content_type": "application/octet-stream"}
    yield "gzip encoding", b"\x1f\x8b\x08\x00", {"content_encoding": "gzip"}
    yield "not utf-8", b'{"type": "x.y", "data": "\xff\xfe"}', {}
    yield "NaN", b'{"type": "x.y", "data": {"v": NaN}}', {}
    yield "NUL in data", cloud(data={"text": "a\u0000b"}), {}
    yield "NUL in a subject", cloud(subject="a\u0000b", data={}), {}
    yield "lone surrogate", cloud(data={"text": "\ud800"}), {}
    yield "__proto__", b'{"type": "x.y", "data": {"__proto__": {"admin": true}}}', {}
    yield "empty body", b"", {}
    yield "null", b"null", {}
    yield "empty array", b"[]", {}
    yield "a number", b"42", {}
    yield "schema failure", body({"type": "employee.registered", "data": {"name": 5}}), {}
    yield "no type anywhere", body({"data": {"text": "x"}}), {}
    yield "bad time", cloud(time="yesterday", data={}), {}
    yield "huge timestamp", body({"text": "x"}), {"type": "x.y", "timestamp": 2**62}
    yield "long properties", body({"text": "x"}), {
        "type": "t" * 255, "app_id": "a" * 255, "correlation_id": "c" * 255}
    yield "spoofed feed headers", poison, {
        "headers": {"x-feed-error": "e" * 60_000, "x-feed-error-code": 1}}


def main():
    url, sentinel = sys.argv[1], sys.argv[2]
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()
    sent = []
    for index, (name, content, extra) in enumerate(corpus()):
        message_id = f"hostile-{index}"
        properties = {
            "delivery_mode": 2,
            "content_type": "application/json",
            "content_encoding": "utf-8",
            "message_id": message_id,
            "app_id": "hostile",
            **extra,
        }
        channel.basic_publish(exchange="", routing_key="feed.events", body=content,
                              properties=pika.BasicProperties(**properties))
        sent.append({"name": name, "message_id": message_id})
    channel.basic_publish(
        exchange="", routing_key="feed.events",
        body=json.dumps({"type": "kudos.sent", "data": {"text": "sentinel"}}).encode(),
        properties=pika.BasicProperties(delivery_mode=2, content_type="application/json",
                                        message_id=sentinel, app_id="hostile", type="kudos.sent"))
    connection.close()
    print(json.dumps({"sent": sent}))


if __name__ == "__main__":
    main()

"""One message of each shape the feed's wire contract reads, as services publish them today.

Each message is a dict: `body` (what the service passes to json.dumps), `message_id`,
`routing_key` (for the `feed` exchange) and, for some, the AMQP `type` and `timestamp`
properties. `app_id` is the publishing service's name, given by the caller. The feed-worker
test `pythonPublishers.int.test.ts` checks what the feed stores from each one.
"""

from datetime import datetime


def messages(source):
    yield {
        # A plain object naming its own attributes (no specversion, no type property).
        "message_id": f"{source}-kudos",
        "routing_key": "kudos.sent",
        "body": {"type": "kudos.sent", "time": "2026-11-22T10:00:00Z", "data": {"text": "thanks"}},
    }
    yield {
        # No data key: the keys other than the attributes are the data. A naive UTC time.
        "message_id": f"{source}-plain",
        "routing_key": "kudos.sent",
        "body": {
            "type": "kudos.sent",
            "text": "well done",
            "actor": "u-17",
            "time": datetime(2026, 11, 22, 10, 0, 0, 123456).isoformat(),
        },
    }
    yield {
        # An actor object (Activity Streams style) and an extension attribute beside the data.
        "message_id": f"{source}-actor",
        "routing_key": "team.kudos",
        "body": {
            "type": "team.kudos",
            "actor": {"id": "hr-7", "name": "HR bot", "kind": "service"},
            "summary": "HR bot thanked Platform",
            "data": {"team": "Platform"},
        },
    }
    yield {
        # GitHub style: a numeric id, a login, a null name; a subject object.
        "message_id": f"{source}-github",
        "routing_key": "repo.starred",
        "body": {
            "type": "repo.starred",
            "actor": {"id": 42, "login": "octocat", "name": None},
            "subject": {"id": "feed", "name": "The feed"},
            "data": {"stars": 3},
        },
    }
    yield {
        # A CloudEvent with an extension attribute and an offset.
        "message_id": f"{source}-ce-message",
        "routing_key": "department.renamed",
        "body": {
            "specversion": "1.0",
            "id": f"{source}-ce",
            "source": source,
            "type": "department.renamed",
            "time": "2026-11-22T11:00:00+01:00",
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "data": {"departmentId": "d-1", "from": "Sales", "to": "Revenue"},
        },
    }
    yield {
        # The data as the body, the rest in properties (the publishers README's pika example);
        # the data's own `type` key stays data.
        "message_id": f"{source}-data",
        "routing_key": "employee.position_changed",
        "type": "employee.position_changed",
        "timestamp": 1795341600,
        "body": {
            "employeeId": "e-42",
            "name": "Ada Lovelace",
            "position": "Lead Analyst",
            "type": "promotion",
        },
    }
    yield {
        # A bulk import: 10,000 small events in one message, under the 1 MiB limit.
        "message_id": f"{source}-bulk",
        "routing_key": "employee.imported",
        "body": [
            {
                "type": "employee.imported",
                "id": f"imp-{i}",
                "data": {"employeeId": f"e-{i}", "team": "Sales"},
            }
            for i in range(10_000)
        ],
    }
    yield {
        # json.dumps writes NaN, which is not JSON: parked with a reason naming the fix.
        "message_id": f"{source}-nan",
        "routing_key": "meter.read",
        "body": {"type": "meter.read", "value": float("nan")},
    }

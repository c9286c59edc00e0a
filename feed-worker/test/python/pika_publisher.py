"""Publishes the shapes of shapes.py the way a service with pika does: a BlockingConnection,
basic_publish to the default exchange with routing key feed.events, persistent JSON.

Usage: /usr/bin/python3 pika_publisher.py AMQP_URL APP_ID  (or AMQP_URL in the environment)
"""

import json
import os
import sys

import pika

from shapes import messages


def main(url, app_id):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for message in messages(app_id):
        channel.basic_publish(
            exchange="",
            routing_key="feed.events",
            body=json.dumps(message["body"]),
            properties=pika.BasicProperties(
                delivery_mode=2,
                content_type="application/json",
                content_encoding="utf-8",
                message_id=message["message_id"],
                app_id=app_id,
                type=message.get("type"),
                timestamp=message.get("timestamp"),
            ),
        )
    connection.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.environ["AMQP_URL"], sys.argv[2])

"""Publishes the shapes of shapes.py the way a service with aio-pika does: a robust
connection, a channel with publisher confirms (aio-pika's default), persistent JSON to the
`feed` exchange with the event type as routing key.

Usage: /usr/bin/python3 aio_pika_publisher.py AMQP_URL APP_ID  (or AMQP_URL in the environment)
"""

import asyncio
import json
import os
import sys

import aio_pika

from shapes import messages


async def main(url, app_id):
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("feed")
        for message in messages(app_id):
            await exchange.publish(
                aio_pika.Message(
                    body=json.dumps(message["body"]).encode("utf-8"),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    content_type="application/json",
                    content_encoding="utf-8",
                    message_id=message["message_id"],
                    app_id=app_id,
                    type=message.get("type"),
                    timestamp=message.get("timestamp"),
                ),
                routing_key=message["routing_key"],
            )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else os.environ["AMQP_URL"], sys.argv[2]))

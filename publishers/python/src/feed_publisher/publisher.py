"""Publishing to the feed with pika: confirmed, persistent, retried on a lost connection."""

from __future__ import annotations

import logging
import random
import time as clock
from datetime import datetime
from types import TracebackType
from typing import Any, Callable

import pika
import pika.exceptions
import pika.spec
from pika.adapters.blocking_connection import BlockingChannel

from . import contract
from .contract import InvalidEvent, QueueType

log = logging.getLogger("feed_publisher")

# Closes after which connecting again cannot help: wrong credentials, no access to the vhost.
_FATAL_CONNECTION_ERRORS = (
    pika.exceptions.AuthenticationError,
    pika.exceptions.ProbableAuthenticationError,
    pika.exceptions.ProbableAccessDeniedError,
)
_ACCESS_REFUSED = 403
_PRECONDITION_FAILED = 406
_NOT_ALLOWED = 530


class PublishError(Exception):
    """A publish that did not reach the feed; ``code`` is stable (the SDK's codes)."""

    def __init__(self, code: str, message: str, *, event_id: str, attempts: int = 1) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.event_id = event_id
        self.attempts = attempts


class FeedPublisher:
    """Publishes CloudEvents to the feed exchange with publisher confirms.

    ``publish`` returns only once the broker confirmed the message, and raises otherwise: a
    message is never dropped silently. On a lost connection it connects again and sends the same
    message, with the same ``message_id``, up to ``attempts`` times in all, with capped
    exponential backoff and jitter between tries. The feed stores each ``(source, id)`` once, so
    a message the broker got twice is stored once. Not thread-safe, like pika's
    BlockingConnection: one publisher per thread.
    """

    def __init__(
        self,
        url: str,
        source: str,
        *,
        queue_type: QueueType = "quorum",
        attempts: int = 5,
        retry_min_s: float = 0.25,
        retry_max_s: float = 5.0,
        blocked_timeout_s: float = 30.0,
        connection_name: str | None = None,
        sleep: Callable[[float], None] = clock.sleep,
    ) -> None:
        """
        :param url: ``AMQP_URL``; several cluster nodes separated by commas, tried in turn.
        :param source: your service: the ``app_id`` and the events' default CloudEvents source.
        :param queue_type: how ``feed.events`` is declared; must match the broker.
        :param attempts: tries per publish, connecting included. Default 5.
        :param blocked_timeout_s: a connection blocked by a broker alarm this long is dropped
            and retried, so a publish never hangs on an alarm.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.source = source
        self.queue_type: QueueType = queue_type
        self.attempts = attempts
        self.retry_min_s = retry_min_s
        self.retry_max_s = retry_max_s
        self.reconnects = 0
        self._sleep = sleep
        name = connection_name or f"feed-publisher-python {source}"
        self._parameters = [
            self._parameters_for(part.strip(), name, blocked_timeout_s)
            for part in url.split(",")
            if part.strip() != ""
        ]
        if not self._parameters:
            raise ValueError("url names no broker")
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._connected_before = False

    @staticmethod
    def _parameters_for(url: str, name: str, blocked_timeout_s: float) -> pika.URLParameters:
        parameters = pika.URLParameters(url)
        if "blocked_connection_timeout" not in url:
            parameters.blocked_connection_timeout = blocked_timeout_s
        if "heartbeat" not in url:
            parameters.heartbeat = 10
        parameters.client_properties = {"connection_name": name}
        return parameters

    def publish(
        self,
        type: str,
        data: Any,
        *,
        id: str | None = None,
        source: str | None = None,
        time: str | datetime | None = None,
        subject: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Publishes one event; returns it as sent once the broker confirmed it.

        Give a stable ``id`` when you may publish the same fact again (a retry of your own, a
        replay): the feed stores it once. Raises ``InvalidEvent`` before sending anything when
        the feed would refuse the event, ``PublishError`` when the broker did not confirm it.
        """
        event = contract.build_event(
            type,
            data,
            source=self.source if source is None else source,
            id=id,
            time=time,
            subject=subject,
            actor=actor,
        )
        self.publish_event(event)
        return event

    def publish_event(self, event: dict[str, Any]) -> None:
        """Publishes a CloudEvent built elsewhere (``contract.build_event``), checked first."""
        body = contract.encode_event(event)
        properties = pika.BasicProperties(
            delivery_mode=pika.spec.PERSISTENT_DELIVERY_MODE,  # 2: survives a broker restart
            content_type=contract.CONTENT_TYPE,
            message_id=event["id"],
            app_id=event["source"],
            type=event["type"],
            timestamp=contract.epoch_seconds(event["time"]),
        )
        self._send(event["type"], body, properties, event["id"])

    def _send(
        self, routing_key: str, body: bytes, properties: pika.BasicProperties, event_id: str
    ) -> None:
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                self._sleep(self._backoff(attempt - 1))
            try:
                channel = self._open_channel()
                channel.basic_publish(
                    exchange=contract.EXCHANGE,
                    routing_key=routing_key,
                    body=body,
                    properties=properties,
                    mandatory=True,
                )
                return
            except pika.exceptions.UnroutableError:
                raise PublishError(
                    "FEED_PUBLISH_UNROUTABLE",
                    f"event {event_id} was returned: no queue is bound for {routing_key}",
                    event_id=event_id,
                    attempts=attempt,
                ) from None
            except pika.exceptions.NackError:
                raise PublishError(
                    "FEED_PUBLISH_NACKED",
                    f"the broker refused event {event_id}; publish it again with the same id",
                    event_id=event_id,
                    attempts=attempt,
                ) from None
            except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError) as error:
                self._drop_connection()
                fatal = self._fatal(error, event_id, attempt)
                if fatal is not None:
                    raise fatal from error
                last = error
                log.warning(
                    "publish of %s failed on attempt %d of %d: %r",
                    event_id,
                    attempt,
                    self.attempts,
                    error,
                )
        raise PublishError(
            "FEED_ERR_BROKER_UNAVAILABLE",
            f"event {event_id} was not confirmed after {self.attempts} attempts (last: {last!r}); "
            "it may or may not have reached the broker: publish it again with the same id",
            event_id=event_id,
            attempts=self.attempts,
        ) from last

    def _fatal(self, error: Exception, event_id: str, attempt: int) -> PublishError | None:
        """A PublishError when trying again cannot help, else None."""
        code = getattr(error, "reply_code", None)
        closed_by_broker = isinstance(error, pika.exceptions.ChannelClosedByBroker)
        if closed_by_broker and code == _PRECONDITION_FAILED:
            return PublishError(
                "FEED_ERR_TOPOLOGY_MISMATCH",
                f"the broker holds the feed topology with other arguments: {error.reply_text}; "
                f"set queue_type to what the broker has (now {self.queue_type!r})",
                event_id=event_id,
                attempts=attempt,
            )
        if isinstance(error, _FATAL_CONNECTION_ERRORS) or code in (_ACCESS_REFUSED, _NOT_ALLOWED):
            return PublishError(
                "FEED_ERR_CONFIG",
                f"the broker refused this publisher: {error!r}; check AMQP_URL (user, vhost)",
                event_id=event_id,
                attempts=attempt,
            )
        return None

    def _backoff(self, retry: int) -> float:
        """Capped exponential backoff with full jitter, as the feed's other clients wait
        (feed-contracts `backoffDelay`): retry n waits up to min(max, min * 2^(n-1))."""
        return random.uniform(0, min(self.retry_max_s, self.retry_min_s * 2 ** (retry - 1)))

    def _open_channel(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._drop_connection()
        connection = pika.BlockingConnection(self._parameters)
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            self._declare_topology(channel)
        except BaseException:
            _close_quietly(connection)
            raise
        if self._connected_before:
            self.reconnects += 1
        self._connected_before = True
        self._connection, self._channel = connection, channel
        return channel

    def _declare_topology(self, channel: BlockingChannel) -> None:
        """The whole topology, as every client of the feed declares it (idempotent)."""
        channel.exchange_declare(contract.EXCHANGE, contract.EXCHANGE_TYPE, durable=True)
        channel.exchange_declare(contract.DEAD_LETTER_EXCHANGE, "fanout", durable=True)
        channel.queue_declare(
            contract.QUEUE, durable=True, arguments=contract.queue_arguments(self.queue_type)
        )
        channel.queue_bind(contract.QUEUE, contract.EXCHANGE, contract.BINDING_KEY)
        channel.queue_declare(
            contract.DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": self.queue_type}
        )
        channel.queue_bind(contract.DEAD_LETTER_QUEUE, contract.DEAD_LETTER_EXCHANGE, "")

    def _drop_connection(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            _close_quietly(connection)

    def close(self) -> None:
        """Closes the connection; every publish that returned was confirmed already."""
        self._drop_connection()

    def __enter__(self) -> FeedPublisher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _close_quietly(connection: pika.BlockingConnection) -> None:
    try:
        if connection.is_open:
            connection.close()
    except pika.exceptions.AMQPError:
        pass  # already gone: nothing left to close



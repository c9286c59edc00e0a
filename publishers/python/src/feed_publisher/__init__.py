"""Publish events to the company feed from Python (pika): confirmed, persistent CloudEvents."""

from .contract import InvalidEvent, build_event, encode_event
from .publisher import FeedPublisher, PublishError

__all__ = ["FeedPublisher", "PublishError", "InvalidEvent", "build_event", "encode_event"]
__version__ = "1.0.0"

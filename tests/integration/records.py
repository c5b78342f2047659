"""What a topic holds, read back to its end and decoded (the tests' view of a stage's output)."""

from __future__ import annotations

import uuid
from typing import Any

from streams.codec import Codec
from streams.kafka import read_to_end
from streams.settings import Settings


def records(settings: Settings, codec: Codec, name: str, schema: str) -> list[dict[str, Any]]:
    """Every record of the catalogue topic ``name`` (prefix applied), decoded as ``schema``."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": settings.bootstrap,
                         "group.id": f"read-{uuid.uuid4().hex}", "enable.auto.commit": False})
    out: list[dict[str, Any]] = []
    try:
        read_to_end(consumer, [settings.topic(name)],
                    lambda m: out.append(codec.decode(m.value() or b"", schema)), 30)
    finally:
        consumer.close()
    return out

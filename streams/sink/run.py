"""Start-up of the ClickHouse sink process (``hireview sink``)."""

from __future__ import annotations

from streams.codec import Codec
from streams.kafka import create_topics, topic_schemas
from streams.settings import Settings


def run_sink_process(settings: Settings) -> None:
    from streams.sink.consumer import run_sink

    create_topics(settings)
    codec = Codec.from_settings(settings)
    schemas = topic_schemas(settings)  # hi.claims -> claim, hi.decisions -> decision
    run_sink(settings, lambda topic, data: codec.decode(data, schemas[topic]), serve_metrics=True)

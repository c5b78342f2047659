"""Start-up of the ClickHouse sink process (``hireview sink``)."""

from __future__ import annotations

from streams.codec import Codec
from streams.kafka import create_topics
from streams.settings import Settings


def run_sink_process(settings: Settings) -> None:
    from streams.metrics import Metrics
    from streams.sink.consumer import run_sink
    from streams.sink.undecided import UndecidedGauge

    create_topics(settings)
    codec = Codec.from_settings(settings)
    metrics = Metrics.create()
    gauge = UndecidedGauge(settings, metrics).start()
    try:
        run_sink(settings, lambda topic, data: codec.decode(data, _reader_for(settings, topic)),
                 metrics=metrics, serve_metrics=True)
    finally:
        gauge.stop()


def _reader_for(settings: Settings, topic: str) -> str:
    return "claim" if topic == settings.topic("hi.claims") else "decision"

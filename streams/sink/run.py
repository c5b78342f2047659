"""Start-up of the ClickHouse sink process (``hireview sink``)."""

from __future__ import annotations

from streams.codec import Codec
from streams.kafka import create_topics, topic_schemas
from streams.lag import LagMonitor
from streams.settings import Settings


def run_sink_process(settings: Settings) -> None:
    from streams.metrics import Metrics
    from streams.sink.consumer import run_sink
    from streams.sink.undecided import UndecidedGauge

    create_topics(settings)
    codec = Codec.from_settings(settings)
    schemas = topic_schemas(settings)  # hi.claims -> claim, hi.decisions -> decision
    metrics = Metrics.sink()
    gauge = UndecidedGauge(settings, metrics).start()
    lag = LagMonitor(settings, metrics).start()
    try:
        run_sink(settings, lambda topic, data: codec.decode(data, schemas[topic]),
                 metrics=metrics, serve_metrics=True)
    finally:
        lag.stop()
        gauge.stop()

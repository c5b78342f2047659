"""Start-up of the appraisal worker process (``hireview worker``)."""

from __future__ import annotations

import time

from streams.codec import Codec
from streams.kafka import create_topics
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.ruleset import current_engine
from streams.settings import Settings


def run_worker(settings: Settings) -> None:
    """Load reference data to the end of its topics, then run the Faust worker until stopped."""
    import faust

    from streams.metrics import Metrics
    from streams.reference.feed import ReferenceFeed
    from streams.worker.app import create_app
    from streams.worker.processor import Enrichment

    create_topics(settings)
    codec = Codec.from_settings(settings)
    metrics = Metrics.worker()
    feed = ReferenceFeed(settings, codec.decode, CatalogSnapshot(), CardRegistry())
    started = time.monotonic()
    applied = feed.load()
    print(f"reference data: {applied} records ({len(feed.catalog)} catalog rows, "
          f"{len(feed.cards)} cards) in {time.monotonic() - started:.1f}s", flush=True)
    metrics.catalog_entries.labels("catalog").set_function(lambda: len(feed.catalog))
    metrics.catalog_entries.labels("cards").set_function(lambda: len(feed.cards))
    feed.follow()
    ref = Enrichment(current_engine(settings), feed.catalog, feed.cards, settings.history_keep_days,
                     settings.history_min_visits)
    worker = create_app(settings, codec, ref, metrics)
    runner = faust.Worker(worker.app, loglevel="WARNING")
    # Faust's console spinner sets the root logger to DEBUG so it can spin on every record:
    # that builds a log record per produced message (~8 % of the worker's CPU). No spinner.
    runner.spinner = None
    try:
        runner.execute_from_commandline()
    finally:
        feed.close()

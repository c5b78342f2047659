"""Start-up of the appraisal worker process (``hireview worker``).

``hireview worker`` supervises: it runs the worker in a child process and starts it again at
once when the offset guard stopped it (exit code ``EXIT_GAP``: records of a partition were not
delivered, and the restart reads them again from the committed offset). Any other exit ends the
command with the child's code. ``hireview worker --in-process`` is the worker itself.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from functools import partial
from types import FrameType
from typing import Any

from streams.codec import Codec
from streams.kafka import create_topics, ensure_compacted
from streams.lag import LagMonitor
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.ruleset import current_engine
from streams.scrape import announce, withdraw
from streams.settings import Settings
from streams.worker.guard import EXIT_GAP


def supervise(settings: Settings) -> int:
    """Run ``hireview worker --in-process`` until it ends other than at an offset gap."""
    child: subprocess.Popen[bytes] | None = None
    stopping = False

    def forward(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            child = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker",
                                      "--in-process"])
            code = child.wait()
            if code != EXIT_GAP or stopping:
                return code
            print("worker stopped at an offset gap; starting it again", flush=True)
            time.sleep(0.5)  # a hole that keeps coming back must not spin the machine
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_worker(settings: Settings) -> None:
    """Load reference data to the end of its topics, then run the Faust worker until stopped."""
    import faust

    from streams.metrics import Metrics
    from streams.reference.feed import ReferenceFeed
    from streams.worker import faust_fixes
    from streams.worker.app import changelog_topics, create_app
    from streams.worker.processor import Enrichment
    from streams.worker.reference import add_reference_page, reference_watch

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
    for kind in ("catalog", "cards"):
        metrics.reference_age_seconds.labels(kind).set_function(partial(feed.age, kind))
    feed.follow()
    watch = reference_watch(settings, feed, metrics)
    ref = Enrichment(current_engine(settings), feed.catalog, feed.cards, settings.history_keep_days,
                     settings.history_min_visits)
    if settings.worker_faust_fixes:
        faust_fixes.install(settings.topic(t)
                            for t in ("hi.claims", "hi.practice", "hi.amendments", "hi.reviews"))
    worker = create_app(settings, codec, ref, metrics)
    add_reference_page(worker.app, watch)
    # faust creates missing changelogs itself, but right after creation the metadata can still
    # show 0 partitions and the agent then crashes with PartitionsMismatch: create them first.
    ensure_compacted(settings, changelog_topics(settings, worker.tables), settings.partitions)
    runner = faust.Worker(worker.app, loglevel="WARNING")
    # Faust's console spinner sets the root logger to DEBUG so it can spin on every record:
    # that builds a log record per produced message (~8 % of the worker's CPU). No spinner.
    runner.spinner = None
    def rebalanced(_sender: Any, /, *_args: Any, signal: Any, **_kwargs: Any) -> None:
        metrics.rebalances_total.labels(settings.app_id).inc()

    worker.app.on_partitions_assigned.connect(rebalanced)  # once per completed rebalance

    lag = LagMonitor(settings, metrics).start()
    target = announce(settings, "worker", settings.worker_web_port,
                      labels={"worker_id": settings.worker_id})
    try:
        runner.execute_from_commandline()
    finally:
        withdraw(target)
        lag.stop()
        feed.close()

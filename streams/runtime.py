"""Wiring of the long-running processes (worker, sink) and the simulator's publisher."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from streams.catalogs import CardRegistry, CatalogSnapshot, entry_key
from streams.codec import Codec
from streams.kafka import create_topics, producer
from streams.settings import Settings

if TYPE_CHECKING:
    from rules.engine import Engine

CATALOG_TOPIC = {"DRUG": "hi.catalog.drugs", "SERVICE": "hi.catalog.services",
                 "SUPPLY": "hi.catalog.supplies", "STAFF": "hi.catalog.staff",
                 "EQUIPMENT": "hi.catalog.equipment"}


def make_codec(settings: Settings) -> Codec:
    return Codec.from_settings(settings)


def current_engine(settings: Settings) -> Engine:
    """The rules the worker runs: ``settings.rules_params``, else rules/params.yaml."""
    from rules.engine import Engine

    if settings.rules_params is None:
        return Engine.load()
    return Engine.load(params_path=settings.rules_params)


def run_worker(settings: Settings) -> None:
    """Load reference data to the end of its topics, then run the Faust worker until stopped."""
    import faust

    from streams.app import create_app
    from streams.feed import ReferenceFeed
    from streams.metrics import Metrics
    from streams.processor import Enrichment

    create_topics(settings)
    codec = make_codec(settings)
    metrics = Metrics.create()
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


def run_sink_process(settings: Settings) -> None:
    from streams.metrics import Metrics
    from streams.sink import run_sink

    create_topics(settings)
    codec = make_codec(settings)
    run_sink(settings, lambda topic, data: codec.decode(data, _reader_for(settings, topic)),
             metrics=Metrics.create(), serve_metrics=True)


def _reader_for(settings: Settings, topic: str) -> str:
    return "claim" if topic == settings.topic("hi.claims") else "decision"


def publish(
    settings: Settings,
    topic: str,
    items: Iterable[tuple[bytes, bytes]],
    rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Produce (key, value) pairs with acks=all; waits until every one is acknowledged."""
    prod = producer(settings)
    failures: list[str] = []

    def on_delivery(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    sent, started = 0, time.monotonic()
    for key, value in items:
        while True:
            try:
                prod.produce(topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: let deliveries drain
                prod.poll(0.05)
        sent += 1
        prod.poll(0)
        if rate > 0:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        if progress and sent % 1000 == 0:
            progress(sent)
    if prod.flush(60) != 0:
        raise RuntimeError(f"{topic}: messages still unacknowledged after 60s")
    if failures:
        raise RuntimeError(f"{topic}: {len(failures)} deliveries failed, first: {failures[0]}")
    return sent


def publish_reference(settings: Settings, codec: Codec, entries: list[dict[str, Any]],
                      cards: list[dict[str, Any]]) -> None:
    enc_entry, enc_card = codec.encoder("catalog_entry"), codec.encoder("card")
    for kind, name in CATALOG_TOPIC.items():
        rows = [(entry_key(e).encode(), enc_entry(e)) for e in entries if e["kind"] == kind]
        publish(settings, settings.topic(name), rows)
    publish(settings, settings.topic("hi.cards"),
            ((c["card_no"].encode(), enc_card(c)) for c in cards))


def simulate_and_publish(settings: Settings, claims: int, rate: float, violations: float,
                         seed: int, labels_path: str | None = None,
                         out: Callable[[str], None] = print) -> Any:
    """Generate a simulation, publish its reference data then its claims; returns it."""
    from streams.simulate import generate

    create_topics(settings)
    codec = make_codec(settings)
    started = time.monotonic()
    sim = generate(claims, seed=seed, violations=violations)
    out(f"simulated {len(sim.claims)} claim versions in {time.monotonic() - started:.1f}s")
    publish_reference(settings, codec, sim.catalog_entries, sim.cards)
    out(f"published {len(sim.catalog_entries)} catalog rows and {len(sim.cards)} cards")
    if labels_path:
        write_labels(Path(labels_path), sim.claims)
    enc = codec.encoder("claim")
    total = len(sim.claims)

    def report(n: int) -> None:
        sys.stdout.write(f"\rclaims published: {n}/{total}")
        sys.stdout.flush()

    sent = publish(settings, settings.topic("hi.claims"),
                   ((c.claim["person_key"].encode(), enc(c.claim)) for c in sim.claims),
                   rate=rate, progress=report)
    out(f"\rclaims published: {sent}/{total} (acknowledged by Kafka)")
    return sim


def write_labels(path: Path, sim_claims: Iterable[Any]) -> None:
    with path.open("wb") as f:
        for c in sim_claims:
            f.write(orjson.dumps({"facility": c.claim["facility"], "claim_id": c.claim["claim_id"],
                                  "version": c.claim["version"], "labels": sorted(c.labels)}))
            f.write(b"\n")

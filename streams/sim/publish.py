"""Publish a simulation: its reference data (catalogs, cards), then its claims."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from streams.codec import Codec
from streams.kafka import catalog_topics, create_topics, deliver, producer, publish
from streams.reference.catalog import entry_key
from streams.settings import Settings


def publish_reference(settings: Settings, codec: Codec, entries: list[dict[str, Any]],
                      cards: list[dict[str, Any]]) -> None:
    enc_entry, enc_card = codec.encoder("catalog_entry"), codec.encoder("card")
    prod = producer(settings)
    for kind, topic in catalog_topics(settings).items():
        rows = [(entry_key(e).encode(), enc_entry(e)) for e in entries if e["kind"] == kind]
        deliver(prod, topic, rows)
    deliver(prod, settings.topic("hi.cards"),
            ((c["card_no"].encode(), enc_card(c)) for c in cards))


def simulate_and_publish(settings: Settings, claims: int, rate: float, violations: float,
                         seed: int, labels_path: str | None = None,
                         out: Callable[[str], None] = print) -> Any:
    """Generate a simulation, publish its reference data then its claims; returns it."""
    from streams.sim.generate import generate

    create_topics(settings)
    codec = Codec.from_settings(settings)
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

"""``hireview simulate``: a synthetic world, its catalogs and cards, and labelled claims.

Pure and deterministic: the same arguments give the same output (``random.Random`` seeded from
``seed``; nothing global, no clock). No Kafka here: ``streams.sim.publish`` publishes the result.

- ``generate(n, seed, violations, start)`` → :class:`Simulation`: ``n`` claim versions in send
  order (``submitted_at`` ascending), each with ``labels``, the rule codes that must fire for it.
  A share ``violations`` of the claims carries exactly one injected violation, spread evenly over
  every rule code (``CODES``, kept equal to rules.registry by a test; XC02 labels both
  overlapping claims, the earlier one gets it through an amended decision). Everything else about
  an injected claim is consistent: only the labelled rule fires.
- ``iter_claims`` streams the same claims without holding them all (memory stays flat).
- ``content_hash(claim)`` is the hash put in every claim's ``content_hash``.

Visits fall in the 30 days before ``start`` (naive = Vietnam local time; default 2026-06-01 so
output never depends on today's date); catalogs and cards are valid over that window. Hospitals
(central, provincial, district) also send STAFF and EQUIPMENT lists covering their clean claims;
about one person in ten has a replaced card in the registry (used only by CB08 injections).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.claim import content_hash
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.sim.catalog import Catalog, build_catalog
from streams.sim.stream import (
    UTC_OFFSET,
    WINDOW_DAYS,
    Scheduler,
    SimClaim,
    plan_jobs,
)
from streams.sim.violations import CODES
from streams.sim.world import Facility, Person, World, build_world

__all__ = [
    "CODES", "DEFAULT_START", "Facility", "Person", "Reference", "SimClaim", "Simulation",
    "World", "content_hash", "expected_hits", "generate", "iter_claims", "reference",
]

DEFAULT_START = datetime(2026, 6, 1)
Identity = tuple[str, str, int]


@dataclass
class Reference:
    """Reference data of a simulation: publish it before the claims."""

    world: World
    catalog: Catalog
    start: datetime  # local naive; visits fall in the WINDOW_DAYS before it

    @property
    def catalog_entries(self) -> list[dict[str, Any]]:
        return self.catalog.entries

    @property
    def cards(self) -> list[dict[str, Any]]:
        return world_cards(self.world)


@dataclass
class Simulation:
    world: World
    catalog_entries: list[dict[str, Any]]  # catalog_entry.avsc records
    cards: list[dict[str, Any]]  # card.avsc records
    claims: list[SimClaim]  # send order

    def indexes(self) -> tuple[CatalogSnapshot, CardRegistry]:
        """The in-memory catalog and card indexes a worker would build from this reference."""
        catalog, cards = CatalogSnapshot(), CardRegistry()
        for entry in self.catalog_entries:
            catalog.put(entry)
        for card in self.cards:
            cards.put(card)
        return catalog, cards


def world_cards(world: World) -> list[dict[str, Any]]:
    """Every registry card: each person's current card, and the cards it replaced."""
    out = [p.card for p in world.persons]
    out += [p.old_card for p in world.persons if p.old_card is not None]
    return out


def _local(start: datetime | None) -> datetime:
    if start is None:
        return DEFAULT_START
    if not isinstance(start, datetime):
        raise TypeError(f"start: expected a datetime, got {type(start).__name__}")
    if start.tzinfo is not None:
        start = (start.astimezone(UTC) + UTC_OFFSET).replace(tzinfo=None)
    return start.replace(second=0, microsecond=0)


def _check(n: int, violations: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n: expected a whole number of claims >= 0, got {n!r}")
    if not 0.0 <= violations <= 1.0:
        raise ValueError(f"violations: expected a share between 0 and 1, got {violations!r}")


def reference(n: int, seed: int, start: datetime | None = None) -> Reference:
    """Facilities, persons (about one per three claims, at least 50), catalogs and cards."""
    _check(n, 0.0)
    local = _local(start)
    period_start = (local - timedelta(days=WINDOW_DAYS)).date()
    rng = random.Random(seed)
    world = build_world(rng, max(50, n // 3), period_start)
    return Reference(world, build_catalog(rng, world.facilities, period_start), local)


def iter_claims(n: int, seed: int, violations: float, start: datetime | None = None,
                ref: Reference | None = None) -> Iterator[SimClaim]:
    """The claims of ``generate`` one by one, in send order. ``ref`` must be
    ``reference(n, seed, start)`` when given (it is rebuilt otherwise)."""
    _check(n, violations)
    if ref is None:
        ref = reference(n, seed, start)
    rng = random.Random(f"{seed}/claims")
    jobs = plan_jobs(rng, n, violations, ref.start - timedelta(days=WINDOW_DAYS))
    return Scheduler(rng, ref.world, ref.catalog, run=run_tag(seed)).run(jobs)


def run_tag(seed: int) -> str:
    """4 base-36 characters from the seed, in every MA_LK of the run: two simulations (two
    demo runs into one database) never give different claims the same identity."""
    n, out = seed % 36**4, ""
    for _ in range(4):
        n, d = divmod(n, 36)
        out = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[d] + out
    return out


def generate(n: int, seed: int, violations: float, start: datetime | None = None) -> Simulation:
    """``n`` labelled claim versions with the world, catalog entries and cards they need."""
    ref = reference(n, seed, start)
    claims = list(iter_claims(n, seed, violations, start, ref))
    return Simulation(ref.world, ref.catalog_entries, ref.cards, claims)


def expected_hits(sim: Simulation) -> dict[Identity, frozenset[str]]:
    """Ground truth per claim version: the codes its final (possibly amended) decision has."""
    return {(c.claim["facility"], c.claim["claim_id"], c.claim["version"]): c.labels
            for c in sim.claims}

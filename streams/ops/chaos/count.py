"""The figures of a chaos run, from what Kafka and ClickHouse hold once it is quiet (pure).

Definitions (per claim version, identity = (facility, MA_LK, version)):

- **acknowledged**: the producer got Kafka's ack for its hi.claims record; its *position* is the
  (partition, offset) of that record.
- **decided**: ``decisions FINAL`` in ClickHouse has a row for it.
- **lost**: acknowledged, not decided, and a stage committed past it: either no decision of it
  is on hi.decisions and the worker group's committed offset on its hi.claims partition is past
  its offset, or a decision of it is on hi.decisions below the sink group's committed offset on
  that partition. Nothing will decide it without a re-send.
- **stuck**: acknowledged, not decided, not lost: it sits in a stage's backlog (behind a
  committed offset that does not move), where only a restart would reach it.
- **duplicated**: ``decisions FINAL`` returns more than one row for it (copies FINAL does not
  merge), or hi.decisions holds two decisions of the same revision with different verdicts
  (outcome, approved, rejected, hits): two lineages of one revision, of which ClickHouse keeps
  an arbitrary one. A re-emitted identical decision (at-least-once replay) is not a duplicate.
- **out of order**: its first decision on hi.decisions comes after the first decision of a
  claim with a later offset in the same hi.claims partition. Decisions are keyed by person like
  the claims, so a claim partition's decisions all land in the same-numbered hi.decisions
  partition, where offsets give the order they were produced in.
- **incomplete history** and **wrong**: the current decision (highest revision, the last such
  event) differs from an expected one: a clean sequential replay for the first (see
  streams.ops.chaos.history), the simulator's ground-truth labels for the second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Identity = tuple[str, str, int]
Position = tuple[int, int]  # (partition, offset)
Hits = tuple[tuple[str, str, int, int], ...]  # (code, table, line or -1, amount in cents)
Verdict = tuple[str, int, int, Hits]  # outcome, approved and rejected in cents, hits


def cents(value: float) -> int:
    return round(float(value) * 100)


def hits_of(decision: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> Hits:
    """The decision's hits as comparable values, sorted, without the codes in ``ignore``."""
    return tuple(sorted((h["code"], h["table"], -1 if h["line"] is None else int(h["line"]),
                         cents(h["amount"])) for h in decision["hits"]
                        if h["code"] not in ignore))


def verdict(decision: Mapping[str, Any]) -> Verdict:
    return (decision["outcome"], cents(decision["approved"]), cents(decision["rejected"]),
            hits_of(decision))


@dataclass(frozen=True)
class DecisionEvent:
    """One hi.decisions record, reduced to what the counting needs."""

    partition: int
    offset: int
    identity: Identity
    revision: int
    verdict: Verdict


@dataclass(frozen=True)
class Evidence:
    acked: Mapping[Identity, Position]  # first acknowledged position of each claim version
    decisions: Sequence[DecisionEvent]  # every hi.decisions record
    stored: Mapping[Identity, int]  # rows per claim version in decisions FINAL
    worker_committed: Mapping[int, int]  # worker group, hi.claims partition -> next offset
    sink_committed: Mapping[int, int]  # sink group, hi.decisions partition -> next offset


def lost_and_stuck(ev: Evidence) -> tuple[list[Identity], list[Identity]]:
    """Acknowledged claim versions without a decision in ClickHouse, split as defined above."""
    events: dict[Identity, list[DecisionEvent]] = {}
    for d in ev.decisions:
        events.setdefault(d.identity, []).append(d)
    lost: list[Identity] = []
    stuck: list[Identity] = []
    for ident, (partition, offset) in sorted(ev.acked.items(), key=lambda kv: kv[1]):
        if ev.stored.get(ident, 0) > 0:
            continue
        mine = events.get(ident)
        if mine:
            passed = any(d.offset < ev.sink_committed.get(d.partition, -1) for d in mine)
        else:
            passed = ev.worker_committed.get(partition, -1) > offset
        (lost if passed else stuck).append(ident)
    return lost, stuck


def duplicated(ev: Evidence) -> list[Identity]:
    verdicts: dict[tuple[Identity, int], set[Verdict]] = {}
    for d in ev.decisions:
        verdicts.setdefault((d.identity, d.revision), set()).add(d.verdict)
    out = {ident for ident, rows in ev.stored.items() if rows > 1}
    out.update(ident for (ident, _), seen in verdicts.items() if len(seen) > 1)
    return sorted(out)


def out_of_order(ev: Evidence) -> list[Identity]:
    first: dict[Identity, Position] = {}
    for d in ev.decisions:
        pos = (d.partition, d.offset)
        if d.identity not in first or pos < first[d.identity]:
            first[d.identity] = pos
    by_partition: dict[int, list[tuple[int, Identity]]] = {}
    for ident, (partition, offset) in ev.acked.items():
        if ident in first:
            by_partition.setdefault(partition, []).append((offset, ident))
    out = []
    for claims in by_partition.values():
        earliest_later: Position | None = None  # first-decision position of any later claim
        for _, ident in sorted(claims, reverse=True):
            pos = first[ident]
            if earliest_later is not None and pos > earliest_later:
                out.append(ident)
            earliest_later = pos if earliest_later is None else min(earliest_later, pos)
    return sorted(out)


def current(decisions: Iterable[DecisionEvent]) -> dict[Identity, DecisionEvent]:
    """Each claim version's current decision: its highest revision, the last one in the log
    (``decisions`` in log order per partition; a version's decisions share one partition)."""
    out: dict[Identity, DecisionEvent] = {}
    for d in decisions:
        seen = out.get(d.identity)
        if seen is None or d.revision >= seen.revision:
            out[d.identity] = d
    return out


def differing(actual: Mapping[Identity, Any], expected: Mapping[Identity, Any]) -> list[Identity]:
    """Claim versions present in both whose values differ."""
    return sorted(i for i, value in actual.items() if i in expected and expected[i] != value)

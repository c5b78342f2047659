"""What Kafka acknowledged against what ClickHouse decided, and how far each stage lags (pure).

An *acknowledged* claim version is one whose event Kafka holds on ``hi.claims`` (the portal
answers only after that ack, and writes the receipt after it, see streams/portal/receipts.py),
or one the portal gave a receipt for. It is *decided* when ClickHouse has a decision row for its
identity. Whatever is acknowledged and not decided is *undecided*; it is reported once its age
(now − the Kafka timestamp of its first event, or of its receipt) reaches the bound.

Each undecided claim gets a state, from the worker group's committed offset on its partition:

- ``pending``: the group has not committed past it, it is still in the backlog (normal for a
  young claim; for an old one it means the worker stalls or skipped it without committing);
- ``passed``: the group committed past it and no decision came: nothing will ever decide it
  unless it is re-sent (``hireview audit --redrive``);
- ``no event``: a receipt whose claim event is not in the range read (cannot be re-sent).

Events the worker dead-lettered (``hi.claims.dlq`` names their partition and offset) have no
decision by design and are counted apart, as are events that cannot be decoded at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Identity = tuple[str, str, int]  # (facility, MA_LK, version): streams.claim.identity

PENDING, PASSED, NO_EVENT = "pending", "passed", "no event"


@dataclass(frozen=True)
class ClaimEvent:
    """One ``hi.claims`` record: where it is, when Kafka took it, which claim version it is."""

    partition: int
    offset: int
    timestamp: float  # epoch seconds, the record's Kafka timestamp
    identity: Identity | None  # None: the value cannot be decoded


@dataclass(frozen=True)
class ReceiptRef:
    """The claim version a portal receipt acknowledged, and when the receipt was written."""

    identity: Identity
    timestamp: float


@dataclass(frozen=True)
class Undecided:
    identity: Identity
    partition: int | None
    offset: int | None
    age: float  # seconds
    state: str  # PENDING, PASSED or NO_EVENT


@dataclass(frozen=True)
class Lag:
    """One partition of a consumer group: committed offset against the log's end."""

    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed on this partition
    low: int
    high: int

    @property
    def behind(self) -> int:
        """Records not yet committed (from the log start when nothing was committed)."""
        start = self.low if self.committed is None else max(self.committed, self.low)
        return max(0, self.high - start)


@dataclass(frozen=True)
class Outcome:
    """The comparison: every undecided claim (any age), and the counts beside it."""

    claims: int  # distinct claim versions acknowledged (events and receipts)
    events: int  # hi.claims records read
    dead_lettered: int  # records the worker dead-lettered
    undecodable: int  # records that are not a decodable claim (and not dead-lettered yet)
    undecided: tuple[Undecided, ...]  # oldest first

    def past(self, older_than: float) -> list[Undecided]:
        """The undecided claims at least ``older_than`` seconds old."""
        return [u for u in self.undecided if u.age >= older_than]


def compare(events: Iterable[ClaimEvent], receipts: Iterable[ReceiptRef],
            decided: set[Identity], dead_lettered: set[tuple[int, int]],
            committed: Mapping[int, int], now: float) -> Outcome:
    """Undecided claim versions among ``events`` and ``receipts``.

    ``decided``: identities with a decision in ClickHouse; ``dead_lettered``: (partition,
    offset) of hi.claims records in the worker's DLQ; ``committed``: the worker group's
    committed offset (next to read) per hi.claims partition. A claim version sent more than
    once (a portal retry, a redrive) is judged by its first event.
    """
    first: dict[Identity, ClaimEvent] = {}
    n_events = n_dead = n_bad = 0
    for e in events:
        n_events += 1
        if (e.partition, e.offset) in dead_lettered:
            n_dead += 1
            continue
        if e.identity is None:
            n_bad += 1
            continue
        seen = first.get(e.identity)
        if seen is None or e.timestamp < seen.timestamp:
            first[e.identity] = e
    out: list[Undecided] = []
    for ident, e in first.items():
        if ident in decided:
            continue
        state = PASSED if committed.get(e.partition, -1) > e.offset else PENDING
        out.append(Undecided(ident, e.partition, e.offset, now - e.timestamp, state))
    claims = set(first)
    for r in receipts:
        if r.identity in claims:
            continue
        claims.add(r.identity)
        if r.identity not in decided:
            out.append(Undecided(r.identity, None, None, now - r.timestamp, NO_EVENT))
    out.sort(key=lambda u: (-u.age, u.partition or 0, u.offset or 0))
    return Outcome(len(claims), n_events, n_dead, n_bad, tuple(out))


@dataclass(frozen=True)
class Stage:
    """A stage of the pipeline: a consumer group on some topics."""

    name: str
    group: str
    topics: tuple[str, ...]


def stage_lag(stage: Stage, lags: Sequence[Lag]) -> int:
    """Records the stage has not committed yet, over its topics' partitions."""
    return sum(x.behind for x in lags if x.group == stage.group and x.topic in stage.topics)


def caught_up(stages: Sequence[Stage], lags: Sequence[Lag]) -> dict[str, bool]:
    return {s.name: stage_lag(s, lags) == 0 for s in stages}

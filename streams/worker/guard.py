"""The offset guard: every partition of the worker's inputs must arrive without holes.

hi.claims, hi.practice, hi.amendments and hi.reviews are neither compacted nor transactional, so
their offsets are dense: after offset N of a partition the next record is N + 1. A larger offset
means records were lost between Kafka and the agent (the faust bug in streams/worker/faust_fixes.py
was one such path; the guard does not trust that it was the only one). A smaller offset is a replay
(at-least-once redelivery after a seek to the committed offset) and is fine.

The first record of a partition in a consumer generation is compared with where consumption must
start: the committed offset, or the partition's earliest offset when nothing is committed.

On a gap the worker records it (``GapLog``, in its data dir, so the count survives the restart
and the metric shows it) and stops at once, without a graceful shutdown: the unprocessed records
were never acknowledged, so the committed offset is still at or before the first missing one,
and the restart (streams/worker/run.py restarts the worker by itself) reads them again in order.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

EXIT_GAP = 75  # EX_TEMPFAIL: "try again" — the supervisor restarts at once

Partition = tuple[str, int]


@dataclass(frozen=True)
class Gap:
    topic: str
    partition: int
    expected: int  # the first offset that never arrived
    got: int  # the offset that arrived instead

    def __str__(self) -> str:
        return (f"{self.topic}[{self.partition}]: expected offset {self.expected}, got "
                f"{self.got} ({self.got - self.expected} records never delivered)")


class OffsetGuard:
    """Pure bookkeeping of the next expected offset per partition and consumer generation."""

    def __init__(self) -> None:
        self._next: dict[Partition, int] = {}
        self._generation: dict[Partition, int | None] = {}

    def knows(self, topic: str, partition: int, generation: int | None) -> bool:
        """Whether the next offset of this partition in this generation is known (if not, the
        caller passes where consumption must start to ``check``)."""
        key = (topic, partition)
        return key in self._next and self._generation.get(key) == generation

    def check(self, topic: str, partition: int, offset: int, generation: int | None,
              start: int | None = None) -> Gap | None:
        """Record that ``offset`` arrived; a ``Gap`` when records before it are missing."""
        key = (topic, partition)
        if self._generation.get(key) != generation:  # a rebalance: consumption starts anew
            self._generation[key] = generation
            self._next.pop(key, None)
        expected = self._next.get(key, start)
        if expected is not None and offset > expected:
            return Gap(topic, partition, expected, offset)
        self._next[key] = offset + 1
        return None


class GapLog:
    """Gaps seen by this worker (its data dir), one JSON line each: read back at start-up."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, gap: Gap) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            f.write(orjson.dumps({**asdict(gap), "at": time.time()}) + b"\n")
            f.flush()

    def counts(self) -> dict[Partition, int]:
        out: dict[Partition, int] = {}
        if not self.path.exists():
            return out
        for line in self.path.read_bytes().splitlines():
            if line.strip():
                g = orjson.loads(line)
                key = (str(g["topic"]), int(g["partition"]))
                out[key] = out.get(key, 0) + 1
        return out


StartOffset = Callable[[Any], Awaitable[int | None]]


async def contiguous(events: AsyncIterator[Any], guard: OffsetGuard, start_offset: StartOffset,
                     on_gap: Callable[[Gap], Awaitable[None]]) -> AsyncIterator[Any]:
    """Pass a Faust stream's events through the guard; ``on_gap`` must not return normally
    (the worker stops there); if it does, the event is withheld."""
    async for event in events:
        msg = event.message
        start = None
        if not guard.knows(msg.topic, msg.partition, msg.generation_id):
            start = await start_offset(msg.tp)
        gap = guard.check(msg.topic, msg.partition, msg.offset, msg.generation_id, start)
        if gap is not None:
            await on_gap(gap)
            continue
        yield event


def faust_start_offset(consumer: Any) -> StartOffset:
    """Where a partition's consumption starts: faust's committed offset (it keeps offset 0 as
    None), but never before the partition's earliest offset (records that retention deleted
    unread cannot be read again, so they are not a hole the guard can mend)."""

    async def start(tp: Any) -> int | None:
        committed = consumer._committed_offset.get(tp)
        earliest = (await consumer.earliest_offsets(tp)).get(tp)
        known = [int(o) for o in (committed, earliest) if o is not None]
        return max(known) if known else None

    return start

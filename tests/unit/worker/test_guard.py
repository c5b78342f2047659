"""The offset guard's bookkeeping, its stream wrapper, and the gap log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streams.worker.guard import Gap, GapLog, OffsetGuard, contiguous


def test_dense_offsets_pass_and_a_hole_is_a_gap() -> None:
    g = OffsetGuard()
    assert g.check("t", 0, 10, 1, start=10) is None
    assert g.check("t", 0, 11, 1) is None
    assert g.check("t", 1, 0, 1, start=0) is None  # partitions are independent
    gap = g.check("t", 0, 15, 1)
    assert gap == Gap("t", 0, 12, 15)
    assert "expected offset 12, got 15 (3 records never delivered)" in str(gap)


def test_a_replay_is_not_a_gap_and_resets_the_expectation() -> None:
    g = OffsetGuard()
    for offset in (5, 6, 7):
        assert g.check("t", 0, offset, 1, start=5 if offset == 5 else None) is None
    assert g.check("t", 0, 3, 1) is None  # redelivered after a seek to the commit
    assert g.check("t", 0, 4, 1) is None
    assert g.check("t", 0, 6, 1) == Gap("t", 0, 5, 6)


def test_the_first_record_of_a_generation_is_compared_with_the_start() -> None:
    g = OffsetGuard()
    assert not g.knows("t", 0, 1)
    assert g.check("t", 0, 0, 1, start=0) is None
    assert g.knows("t", 0, 1) and not g.knows("t", 0, 2)
    # A new generation starts again from the committed offset, not from where we were.
    assert g.check("t", 0, 50, 2, start=40) == Gap("t", 0, 40, 50)
    assert g.check("t", 0, 40, 2, start=40) is None
    # Nothing committed and no earliest known: nothing to compare the first record with.
    assert g.check("u", 0, 7, 1, start=None) is None


@dataclass
class Msg:
    topic: str
    partition: int
    offset: int
    generation_id: int = 1

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


@dataclass
class Event:
    message: Msg


async def _events(offsets: list[int]) -> AsyncIterator[Event]:
    for o in offsets:
        yield Event(Msg("t", 0, o))


def _through_guard(offsets: list[int], start: int) -> tuple[list[int], list[Gap]]:
    gaps: list[Gap] = []

    async def start_at(_tp: Any) -> int:
        return start

    async def on_gap(gap: Gap) -> None:
        gaps.append(gap)

    async def collect() -> list[int]:
        return [e.message.offset
                async for e in contiguous(_events(offsets), OffsetGuard(), start_at, on_gap)]

    return asyncio.run(collect()), gaps


def test_the_wrapper_withholds_the_record_after_a_hole() -> None:
    passed, gaps = _through_guard([3, 4, 5, 9, 10], start=3)
    # 9 is withheld (in the worker, on_gap stops the process); 10 is a hole again: 6 is due.
    assert gaps == [Gap("t", 0, 6, 9), Gap("t", 0, 6, 10)]
    assert passed == [3, 4, 5]


def test_the_wrapper_checks_the_first_record_against_the_commit() -> None:
    passed, gaps = _through_guard([120, 121], start=100)
    assert gaps[0] == Gap("t", 0, 100, 120) and passed == []


def test_the_gap_log_counts_across_restarts(tmp_path: Path) -> None:
    log = GapLog(tmp_path / "w" / "offset-gaps.jsonl")
    assert log.counts() == {}
    log.record(Gap("t", 0, 1, 5))
    log.record(Gap("t", 0, 9, 12))
    log.record(Gap("t", 3, 0, 2))
    assert GapLog(log.path).counts() == {("t", 0): 2, ("t", 3): 1}


@pytest.mark.parametrize("spec", ["hi.claims:0:10", "hi.claims:x:1:2", ""])
def test_a_bad_fault_spec_names_the_setting(spec: str, tmp_path: Path) -> None:
    from streams.worker.faults import InjectGap

    with pytest.raises(ValueError, match="worker_inject_gap"):
        InjectGap.parse(spec, "", tmp_path / "m")

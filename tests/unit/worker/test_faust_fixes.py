"""The faust corrections, run on faust's own recovery methods with recording fakes around them.

The first test pins the order the library has (the cause of the skip); if an upgrade changes it,
it fails and the corrections must be looked at again (docs/stream-integrity.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, TypeVar
from unittest.mock import AsyncMock, MagicMock

import pytest
from faust.tables.recovery import Recovery

from streams.worker import faust_fixes


class TP(NamedTuple):
    topic: str
    partition: int


T = TypeVar("T")
STREAM, CHANGELOG = TP("hi.claims", 0), TP("app-history-changelog", 0)


class FakeConsumer:
    def __init__(self, log: list[str]) -> None:
        self.log, self.active = log, {CHANGELOG}

    def assignment(self) -> set[TP]:
        return {STREAM, CHANGELOG}

    def resume_partitions(self, tps: set[TP]) -> None:
        self.active |= set(tps)
        self.log.append("resume stream partitions")

    async def perform_seek(self) -> None:
        state = "active" if STREAM in self.active else "paused"
        self.log.append(f"seek (stream partitions {state})")

    def resume_flow(self) -> None:
        self.log.append("resume flow")


class FakeFlow:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def resume(self) -> None:
        self.log.append("clear stream queues")


def recovery(log: list[str]) -> Any:
    self = MagicMock()
    self.app.consumer = FakeConsumer(log)
    self.app.flow_control = FakeFlow(log)
    self.app.consumer_generation_id = 0
    self.app.on_rebalance_complete.send = AsyncMock()
    self.app._fetcher.maybe_start = AsyncMock()
    self.tables.values.return_value = []
    self._is_changelog_tp = lambda tp: tp == CHANGELOG

    async def wait(coro: Any, timeout: Any = None) -> None:
        await coro

    self._wait = wait
    return self


def run(step: Awaitable[T]) -> T:
    """asyncio.run of any awaitable: the corrections are typed as returning one."""
    async def main() -> T:
        return await step

    return asyncio.run(main())


def _original(name: str) -> Callable[..., Any]:
    method = getattr(Recovery, name)
    original: Callable[..., Any] = getattr(method, "__wrapped__", method)  # installed or not
    return original


@pytest.mark.parametrize("name", ["on_recovery_completed", "_resume_streams"])
def test_faust_resumes_the_stream_partitions_before_the_seek_and_clears_after(name: str) -> None:
    log: list[str] = []
    run(_original(name)(recovery(log), 0))
    assert log == ["resume stream partitions", "seek (stream partitions active)",
                   "clear stream queues", "resume flow"]


@pytest.mark.parametrize("name", ["on_recovery_completed", "_resume_streams"])
def test_corrected_order_seeks_paused_then_clears_then_resumes(name: str) -> None:
    log: list[str] = []
    self = recovery(log)
    run(faust_fixes.resume_streams_after_seek(_original(name))(self, 0))
    assert log == ["seek (stream partitions paused)", "clear stream queues",
                   "resume stream partitions", "resume flow"]
    # The shadowing attributes are gone again.
    assert "resume_partitions" not in vars(self.app.consumer)
    assert "resume" not in vars(self.app.flow_control)


def test_a_rebalance_during_the_seek_leaves_the_partitions_paused() -> None:
    log: list[str] = []
    self = recovery(log)

    async def rebalance_again(coro: Any, timeout: Any = None) -> None:
        coro.close()
        raise RuntimeError("RebalanceAgain")

    self._wait = rebalance_again
    with pytest.raises(RuntimeError):
        run(faust_fixes.resume_streams_after_seek(
            _original("on_recovery_completed"))(self, 0))
    assert STREAM not in self.app.consumer.active and log == []


def test_aiokafka_gets_a_copy_of_the_active_set_and_nothing_for_an_empty_one() -> None:
    seen: list[Any] = []

    async def getmany(_self: Any, active: Any, timeout: float) -> dict[str, int]:
        seen.append(active)
        return {"fetched": len(active)} if active is not None else {"all": 1}

    fetch = faust_fixes.fetch_a_copy_of_the_active_set(getmany)
    live = {STREAM}
    assert run(fetch(None, live, 1.0)) == {"fetched": 1}
    assert seen[0] == live and seen[0] is not live
    assert run(fetch(None, set(), 1.0)) == {} and len(seen) == 1
    assert run(fetch(None, None, 1.0)) == {"all": 1}


def test_no_gap_is_marked_done_on_a_dense_topic() -> None:
    marked: list[tuple[Any, int, int]] = []

    async def add_gap(_self: Any, tp: Any, start: int, end: int) -> None:
        marked.append((tp, start, end))

    faust_fixes._dense_topics.add("hi.claims")
    wrapped = faust_fixes.no_gaps_on_dense_topics(add_gap)
    run(wrapped(None, STREAM, 5, 9))
    run(wrapped(None, CHANGELOG, 5, 9))
    assert marked == [(CHANGELOG, 5, 9)]


def test_install_is_idempotent() -> None:
    faust_fixes.install(["hi.claims"])
    once = Recovery.on_recovery_completed
    faust_fixes.install(["hi.claims"])
    assert Recovery.on_recovery_completed is once
    assert getattr(once, "__wrapped__", None) is not None

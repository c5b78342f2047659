"""Three corrections to faust-streaming 0.15 / aiokafka 0.14, installed once at worker start-up.

A restarted worker that restored its tables skipped a few hundred claims of a partition, with
nothing logged (docs/stream-integrity.md has the whole trace). In short, when table recovery ends,
faust (``Recovery.on_recovery_completed`` and the table-less ``Recovery._resume_streams``):

1. puts the stream partitions back into its active set,
2. awaits a seek of every partition to its committed offset (100-170 ms here), during which
   the fetcher delivers a batch aiokafka had prefetched for those partitions into the agents'
   stream queues and moves faust's read offset past it,
3. resumes the flow, which *clears* those queues.

The records are gone, and the re-fetched copies are then dropped because they lie below the read
offset. When the first record after the hole arrives, faust records the hole as a "gap" that a
later commit treats as done, so the commit can even pass the lost claims.

The corrections, each the smallest change of order or of input that removes one step:

- ``resume_streams_after_seek``: while those two methods run, resuming stream partitions is held
  back until the flow has been resumed (queues cleared); the seek therefore runs with the stream
  partitions still paused and nothing reaches a queue that is about to be cleared.
- ``fetch_a_copy_of_the_active_set``: faust hands aiokafka its live active set, which the event
  loop may change while the consumer thread fetches; aiokafka reads an empty set as "every
  partition". aiokafka gets a copy, and an empty copy fetches nothing.
- ``no_gaps_on_dense_topics``: a jump in offsets of a topic that is neither compacted nor
  transactional is never a legitimate gap (it is lost records), so it is not marked as done;
  the worker's offset guard (streams/worker/guard.py) deals with it instead.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

_installed: set[str] = set()
_dense_topics: set[str] = set()


def install(dense_topics: Iterable[str]) -> None:
    """Apply the corrections (idempotent); ``dense_topics`` are the worker's input topics whose
    offsets have no legitimate holes."""
    from faust.tables.recovery import Recovery
    from faust.transport.consumer import Consumer, ThreadDelegateConsumer

    _dense_topics.update(dense_topics)
    if "recovery" not in _installed:
        for name in ("on_recovery_completed", "_resume_streams"):
            setattr(Recovery, name, resume_streams_after_seek(getattr(Recovery, name)))
        _installed.add("recovery")
    if "getmany" not in _installed:
        setattr(ThreadDelegateConsumer, "_getmany",  # noqa: B010 (mypy: no method assignment)
                fetch_a_copy_of_the_active_set(ThreadDelegateConsumer._getmany))
        _installed.add("getmany")
    if "gaps" not in _installed:
        setattr(Consumer, "_add_gap", no_gaps_on_dense_topics(Consumer._add_gap))  # noqa: B010
        _installed.add("gaps")


def resume_streams_after_seek(
    method: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Wrap a Recovery method so stream partitions are resumed only after the flow is."""

    @functools.wraps(method)
    async def reordered(self: Any, *args: Any, **kwargs: Any) -> None:
        consumer, flow = self.app.consumer, self.app.flow_control
        held: list[set[Any]] = []

        def hold(tps: Iterable[Any]) -> None:
            held.append(set(tps))

        def resume_flow_then_partitions() -> None:
            type(flow).resume(flow)  # clears the stream queues: nothing of ours is in them yet
            for tps in held:
                type(consumer).resume_partitions(consumer, tps)
            held.clear()

        # Instance attributes shadow the methods for the duration of this call only.
        consumer.resume_partitions = hold
        flow.resume = resume_flow_then_partitions
        try:
            await method(self, *args, **kwargs)
        finally:
            del consumer.resume_partitions
            del flow.resume
        # Returned before resuming the flow (another rebalance began): the partitions stay
        # paused, and that rebalance's recovery resumes them.

    return reordered


def fetch_a_copy_of_the_active_set(
    method: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def fetch(self: Any, active_partitions: set[Any] | None, timeout: float) -> Any:
        if active_partitions is None:  # client-only apps fetch everything, by design
            return await method(self, None, timeout)
        frozen = set(active_partitions)
        if not frozen:
            return {}
        return await method(self, frozen, timeout)

    return fetch


def no_gaps_on_dense_topics(
    method: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    @functools.wraps(method)
    async def add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
        if tp.topic in _dense_topics:
            log.warning("%s[%d]: offsets %d-%d were never delivered; not marking them done",
                        tp.topic, tp.partition, offset_from, offset_to)
            return
        await method(self, tp, offset_from, offset_to)

    return add_gap

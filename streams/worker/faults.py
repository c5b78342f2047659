"""A fault to inject for tests and chaos runs: lose records between Kafka and the agent.

``Settings.worker_inject_gap = "hi.claims:0:100:50"`` makes the worker drop the 50 records of
partition 0 after offset 100, once per data dir, without acknowledging them — what the faust
skip did — so the offset guard's detection and recovery can be shown on the real pipeline.
Off (``None``) in every real deployment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class InjectGap:
    topic: str
    partition: int
    after: int
    count: int
    marker: Path  # exists once the records were dropped: a restart reads them normally

    @classmethod
    def parse(cls, spec: str, prefix: str, marker: Path) -> InjectGap:
        try:
            topic, partition, after, count = spec.rsplit(":", 3)
            return cls(prefix + topic, int(partition), int(after), int(count), marker)
        except ValueError:
            raise ValueError(f"worker_inject_gap: expected topic:partition:offset:count, got "
                             f"{spec!r}") from None

    def drops(self, msg: Any) -> bool:
        return bool(msg.topic == self.topic and msg.partition == self.partition
                    and self.after < msg.offset <= self.after + self.count)


async def dropping(events: AsyncIterator[Any], fault: InjectGap,
                   consumer: Any) -> AsyncIterator[Any]:
    """``events`` without the fault's records (the first time through only)."""
    if fault.marker.exists():
        async for event in events:
            yield event
        return
    async for event in events:
        msg = event.message
        if fault.drops(msg):
            # Marked done without being acknowledged: faust neither counts it for the commit
            # nor waits for it at shutdown, exactly like a record lost in its queues.
            msg.acked = True
            consumer._unacked_messages.discard(msg)
            fault.marker.parent.mkdir(parents=True, exist_ok=True)
            fault.marker.touch()
            continue
        yield event

"""Parsing in processes, so one large or hostile body does not slow every other request.

Threads share the GIL: a parse thread normalising a 1000-claim envelope left the event loop a
turn per switch interval, and a polite client's p99 rose from 2-4 ms to 150-440 ms under two
hostile clients (docs/benchmarks.md, ``hireview bench hostile``). In a process the parse has a
core of its own, and the memory a big body needed goes with the process: each worker is
replaced after ``max_tasks`` requests, so the portal's resident memory does not keep the
high-water mark of the largest body it ever parsed.

``spawn``, never ``fork``: the portal holds librdkafka's threads and a forked child would
inherit their locks. The workers import only the parser (streams/portal/intake/).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from streams.portal.access import Refused
from streams.portal.errors import Finding
from streams.portal.intake import ClaimResult
from streams.portal.intake.limits import Limits


def _ready() -> bool:
    return True


class ParsePool:
    def __init__(self, workers: int, max_tasks: int = 500) -> None:
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(
            "spawn"), max_tasks_per_child=max_tasks)
        self._workers = workers

    def warm(self) -> None:
        """Start every worker now, so the first requests do not wait for an interpreter."""
        for future in [self._pool.submit(_ready) for _ in range(self._workers * 2)]:
            future.result(timeout=60)

    async def parse(self, body: bytes, ctype: str, own: str | None, max_bytes: int,
                    limits: Limits) -> tuple[list[ClaimResult], list[Finding], str]:
        from streams.portal.reading import parse_outcome

        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._pool, parse_outcome, body, ctype, own,
                                             max_bytes, limits)
        if outcome[0] == "refused":
            _, status, reason, detail, field, limit = outcome
            raise Refused(status, reason, detail, field=field, limit=limit)
        return outcome[1], outcome[2], outcome[3]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

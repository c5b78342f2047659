"""The faults of a run: what is planned from the seed, and the processes they hit.

Planned (pure): worker, sink and broker SIGKILLs at uniform random times over the middle 80 %
of the publishing time, a ClickHouse stop in its first half, and for every early kill a number
of decisions (1–60) after a worker restart at which the restarted worker is killed again, while
it is still recovering its tables.

``Cluster`` owns the worker and sink processes of a run, restarts them, and stops or SIGKILLs
the run's own Kafka and ClickHouse (never other ones: they are found through the pid files of
the run's ``state_dir``). Every action is a line in the run's ``events.log``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from streams.ops import services
from streams.ops.procs import Child
from streams.settings import Settings

WORKER, SINK, BROKER, CLICKHOUSE = "worker", "sink", "broker", "clickhouse"
EARLY_MAX = 60  # decisions after a restart: kills up to here hit the table recovery


@dataclass(frozen=True, order=True)
class Fault:
    at: float  # seconds after publishing started
    kind: str


def plan(rng: random.Random, publish_seconds: float, worker_kills: int, sink_kills: int,
         broker_kills: int, clickhouse_stop: float, early_kills: int
         ) -> tuple[list[Fault], list[int]]:
    """Timed faults (sorted) and the decision counts of the early kills."""
    def at(lo: float = 0.1, hi: float = 0.9) -> float:
        return round(rng.uniform(lo, hi) * publish_seconds, 2)

    faults = [Fault(at(), kind) for kind, n in ((WORKER, worker_kills), (SINK, sink_kills),
                                                (BROKER, broker_kills)) for _ in range(n)]
    if clickhouse_stop > 0:
        faults.append(Fault(at(0.1, 0.5), CLICKHOUSE))
    return sorted(faults), [rng.randint(1, EARLY_MAX) for _ in range(early_kills)]


class EventLog:
    """JSON lines ``{"t": seconds since the run began, "event": ..., ...}``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self._t0 = path, time.monotonic()
        self._fh = path.open("ab")

    def __call__(self, event: str, **fields: object) -> None:
        record = {"t": round(time.monotonic() - self._t0, 3), "event": event, **fields}
        self._fh.write(orjson.dumps(record, default=str) + b"\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()


class Cluster:
    """The run's worker and sink (children) and its services."""

    def __init__(self, settings: Settings, log_dir: Path, log: EventLog) -> None:
        self.settings, self._dir, self.log = settings, log_dir, log
        self.crashes: dict[str, int] = {WORKER: 0, SINK: 0}
        self.starts: dict[str, int] = {WORKER: 0, SINK: 0}
        self.worker = self._start(WORKER)
        self.sink = self._start(SINK)
        self.worker_started = time.monotonic()
        self.clickhouse_down = False

    def _start(self, command: str) -> Child:
        self.starts[command] += 1
        log = self._dir / f"{command}.log"
        with log.open("ab") as fh:  # marks where each incarnation's output begins
            fh.write(f"\n==== chaos: start {self.starts[command]} of {command} at "
                     f"{time.strftime('%H:%M:%S')}\n".encode())
        child = Child(self.settings, command, self._dir)
        self.log("start", process=command, pid=child.pid, n=self.starts[command])
        return child

    def kill_worker(self, **why: object) -> None:
        self.log("kill", process=WORKER, pid=self.worker.pid, **why)
        self.worker.kill()
        self.worker = self._start(WORKER)
        self.worker_started = time.monotonic()

    def kill_sink(self) -> None:
        self.log("kill", process=SINK, pid=self.sink.pid)
        self.sink.kill()
        self.sink = self._start(SINK)

    def kill_broker(self) -> None:
        self.log("kill", process=BROKER)
        services.stop_service(self.settings, services.KAFKA, hard=True)
        services.up(self.settings, progress=lambda m: self.log("infra", message=m),
                    services=(services.KAFKA,))
        self.log("restarted", process=BROKER)

    def stop_clickhouse(self) -> None:
        self.log("stop", process=CLICKHOUSE)
        services.stop_service(self.settings, services.CLICKHOUSE)
        self.clickhouse_down = True

    def start_clickhouse(self) -> None:
        services.up(self.settings, progress=lambda m: self.log("infra", message=m),
                    services=(services.CLICKHOUSE,))
        self.clickhouse_down = False
        self.log("restarted", process=CLICKHOUSE)

    def check(self) -> list[str]:
        """Restart a child that exited by itself (a crash); returns which ones did."""
        crashed = []
        for name in (WORKER, SINK):
            child = self.worker if name == WORKER else self.sink
            if child.alive():
                continue
            self.crashes[name] += 1
            self.log("crash", process=name, pid=child.pid, rc=child.proc.returncode)
            crashed.append(name)
            child.stop()  # closes its log handle
            if name == WORKER:
                self.worker, self.worker_started = self._start(WORKER), time.monotonic()
            else:
                self.sink = self._start(SINK)
        return crashed

    def close(self) -> None:
        for child in (self.worker, self.sink):
            try:
                child.stop(timeout=20)
            except Exception as exc:  # still try the other one
                self.log("stop failed", process=child.command, error=str(exc))
        if self.clickhouse_down:
            self.start_clickhouse()

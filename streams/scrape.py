"""Scrape targets for Prometheus's file-based service discovery, one JSON file per process.

A process that serves ``/metrics`` calls ``announce(settings, job, port)`` once it listens (or
uses ``scrape_target(...)`` around its run); the file appears under ``settings.targets_dir``
and Prometheus (streams/ops/prometheus.py watches that directory) scrapes it within seconds.
``withdraw`` removes it on a clean stop; an ``atexit`` hook does too when the process ends
without reaching it. A process killed with SIGKILL leaves its file behind on purpose: its
target then goes down, which is what the "process down" alert is for. ``prune`` drops files of
processes that are gone (``hireview infra up``, and tests after killing their children).

The file name holds the pid so a stale file can be told from a live one; the labels do not,
so a process restarted on the same port is the same target. Nothing here runs at import time.
"""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from streams.settings import Settings

JOBS = ("worker", "sink", "portal", "web", "detect")


def announce(settings: Settings, job: str, port: int, host: str = "127.0.0.1",
             labels: dict[str, str] | None = None) -> Path:
    """Write this process's target file (atomically) and return its path."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}: expected one of {JOBS}")
    folder = settings.targets_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job}-{port}-{os.getpid()}.json"
    target = {"targets": [f"{host}:{port}"],
              "labels": {"job": job, "app": settings.app_id if job == "worker"
                         else settings.sink_group if job == "sink" else job,
                         **(labels or {})}}
    tmp = path.with_suffix(".tmp")  # Prometheus must never read half a file
    tmp.write_text(json.dumps([target]) + "\n")
    tmp.replace(path)
    atexit.register(withdraw, path)
    return path


def withdraw(path: Path) -> None:
    """Remove a target file ``announce`` wrote (no error when it is already gone)."""
    path.unlink(missing_ok=True)


@contextmanager
def scrape_target(settings: Settings, job: str, port: int, host: str = "127.0.0.1",
                  labels: dict[str, str] | None = None) -> Iterator[Path]:
    """``announce`` for the duration of a ``with`` block."""
    path = announce(settings, job, port, host, labels)
    try:
        yield path
    finally:
        withdraw(path)


def scrape_host(bind: str) -> str:
    """The address to scrape a server bound to ``bind`` at (all interfaces: loopback)."""
    return "127.0.0.1" if bind in ("", "0.0.0.0", "::") else bind


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def prune(settings: Settings) -> list[Path]:
    """Remove target files whose process no longer runs; returns the removed paths."""
    removed = []
    for path in settings.targets_dir.glob("*.json"):
        with suppress(ValueError, IndexError):
            if not _pid_alive(int(path.stem.rsplit("-", 1)[1])):
                withdraw(path)
                removed.append(path)
    return removed


def targets(settings: Settings) -> list[dict[str, object]]:
    """Every announced target (for status pages and tests)."""
    found: list[dict[str, object]] = []
    for path in sorted(settings.targets_dir.glob("*.json")):
        with suppress(OSError, ValueError):
            found.extend(json.loads(path.read_text()))
    return found

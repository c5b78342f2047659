"""Start and stop hireview processes (worker, sink) as children: used by demo, bench and tests."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from confluent_kafka.admin import AdminClient

from streams.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment that rebuilds ``settings`` in a child process."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"HIREVIEW_{name.upper()}"] = str(value)
    return env


def free_service_port(low: int = 20000) -> int:
    """A free port below the kernel's ephemeral range, for a server that is killed and started
    again on the same port: clients reconnecting to an ephemeral port on loopback can get that
    very port as their own source port and connect to themselves (TCP simultaneous open), which
    then holds the port so the restarted server cannot bind it."""
    try:
        first = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(low, max(low + 1, first))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Child:
    """A ``hireview <command>`` child process with its output in a log file."""

    started: ClassVar[list[Child]] = []  # every child of this process, for ``kill_all``

    @classmethod
    def kill_all(cls) -> None:
        """SIGKILL every child still running (a test that failed half-way leaves none), and
        drop the scrape targets they leave (streams/scrape.py): these ends are intended."""
        from streams.scrape import prune

        while cls.started:
            child = cls.started.pop()
            child.kill()
            prune(child.settings)

    def __init__(self, settings: Settings, command: str, log_dir: Path) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.command, self.settings = command, settings
        self.log_path = log_dir / f"{command}.log"
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", command],
            env=settings_env(settings), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        Child.started.append(self)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the crash case (nothing flushed, nothing committed)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self, timeout: float = 30.0) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._log.close()

    def _group(self) -> list[list[str]]:
        """``/proc/<pid>/stat`` fields (after the command) of every live process in the child's
        process group: ``hireview worker`` runs the worker in a process of its own."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[2] == str(self.proc.pid):  # pgrp: start_new_session made the child lead
                out.append([stat.parent.name, *fields])
        return out

    def peak_rss_mb(self) -> float:
        """Largest peak resident set size so far (VmHWM) in the child's group, in MiB."""
        peak = 0.0
        for fields in self._group():
            try:
                for line in Path(f"/proc/{fields[0]}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                continue
        return peak

    def cpu_seconds(self) -> float:
        """User + system CPU time the child's live process group has used so far."""
        ticks = sum(int(f[12]) + int(f[13]) for f in self._group())
        return ticks / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def scrape(port: int, name: str, timeout: float = 2.0) -> float | None:
    """Sum of a metric's samples on a child's /metrics; None when it is not served (the
    process is down, or does not declare the metric)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except OSError:
        return None
    values = [float(line.rsplit(" ", 1)[-1]) for line in text.splitlines()
              if line.startswith((name + " ", name + "{"))]
    if values:
        return sum(values)
    # Declared but without samples yet (a labelled counter nothing has incremented): zero.
    family = name.removesuffix("_total")
    declared = f"# TYPE {family} " in text or f"# TYPE {name} " in text
    return 0.0 if declared else None


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.5,
             children: tuple[Child, ...] = ()) -> None:
    """Poll ``predicate()`` until true; fail with the children's log tails on timeout/crash."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        for child in children:
            if not child.alive():
                raise RuntimeError(f"{child.command} exited ({child.proc.returncode}) while "
                                   f"waiting for {what}:\n{child.tail()}")
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {c.command}\n{c.tail()}" for c in children)
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}\n{tails}")
        time.sleep(interval)


def group_stable(settings: Settings, group: str) -> bool:
    """True when the consumer group has members and is not rebalancing."""
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    try:
        desc = admin.describe_consumer_groups([group])[group].result(timeout=5)
    except Exception:
        return False
    return str(desc.state).endswith("STABLE") and len(desc.members) > 0

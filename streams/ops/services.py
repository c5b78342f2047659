"""Local Kafka (KRaft, from Maven Central jars), ClickHouse and Prometheus (Debian packages) on
loopback; Prometheus's own parts are in streams/ops/prometheus.py.

``up`` starts each service detached with the project's own rendered config, records its pid
under ``settings.state_dir`` and waits (bounded) until it answers; ``down`` stops only processes
recorded there; ``status`` reports them. Nothing here runs at import time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from contextlib import suppress

from streams.ops import prometheus as prom

# The shared parts (re-exported in __all__: callers use ``services.KAFKA``, ...).
from streams.ops.clickhouse_service import _start_clickhouse, clickhouse_ready  # noqa: F401
from streams.ops.kafka_service import _start_kafka, kafka_ready  # noqa: F401
from streams.ops.service_base import (  # noqa: F401
    _START_TIMEOUT,
    ALL,
    CLICKHOUSE,
    KAFKA,
    PROMETHEUS,
    InfraError,
    _address,
    _config,
    _dir,
    _locked,
    _logs,
    _pid_file,
    _port_open,
    _running_pid,
    _spawn,
    _stop,
    _tail,
)
from streams.settings import Settings

Progress = Callable[[str], None]
__all__ = ["ALL", "CLICKHOUSE", "KAFKA", "PROMETHEUS", "InfraError", "Progress",
           "clickhouse_ready", "down", "kafka_ready", "status", "stop_service", "up"]


def _wait_started(settings: Settings, service: str, proc: subprocess.Popen[bytes]) -> float:
    """Seconds until the service answers; on exit or timeout clean up and raise with log tails."""
    ready = {KAFKA: kafka_ready, CLICKHOUSE: clickhouse_ready, PROMETHEUS: prom.ready}[service]
    started = time.monotonic()
    while time.monotonic() - started < _START_TIMEOUT:
        if proc.poll() is not None:
            problem = f"{service} exited with code {proc.returncode} during startup"
            break
        if ready(settings, 2.0):
            return time.monotonic() - started
        time.sleep(0.2)
    else:
        _stop(settings, service, proc.pid)
        problem = f"{service} was not ready after {_START_TIMEOUT:.0f}s"
    _pid_file(settings, service).unlink(missing_ok=True)
    tails = "\n".join(f"--- tail of {log}:\n{_tail(log)}" for log in _logs(settings, service))
    raise InfraError(f"{problem}\n{tails}")




def _start_prometheus(settings: Settings, progress: Progress) -> subprocess.Popen[bytes]:
    from streams.scrape import prune

    try:
        cmd = prom.command(settings)
    except FileNotFoundError as exc:
        raise InfraError(str(exc)) from None
    prune(settings)  # targets of processes that ended while Prometheus was down
    progress(f"starting Prometheus on {settings.prometheus_url}...")
    return _spawn(settings, PROMETHEUS, cmd)


# --- public API -------------------------------------------------------------------------------

def up(settings: Settings, progress: Progress = print,
       services: Iterable[str] = ALL) -> None:
    """Start ``services`` (default all) unless already running; return when they answer."""
    wanted = tuple(services)
    if unknown := set(wanted) - set(ALL):
        raise InfraError(f"unknown service(s) {sorted(unknown)}: expected one of {ALL}")
    ports = {
        KAFKA: {"kafka_port": settings.kafka_port,
                "kafka_controller_port": settings.kafka_controller_port},
        CLICKHOUSE: {"clickhouse_port": settings.clickhouse_port,
                     "clickhouse_http_port": settings.clickhouse_http_port},
        PROMETHEUS: {"prometheus_port": settings.prometheus_port},
    }
    starters = {KAFKA: _start_kafka, CLICKHOUSE: _start_clickhouse,
                PROMETHEUS: _start_prometheus}
    every = [(field, port) for p in ports.values() for field, port in p.items()]
    for i, (first, p1) in enumerate(every):
        for second, p2 in every[i + 1:]:
            if p1 == p2:
                raise InfraError(f"{second}: {p2} is the same port as {first}; they must "
                                 "differ")
    with _locked(settings):
        started: list[tuple[str, subprocess.Popen[bytes]]] = []
        for service in (s for s in ALL if s in wanted):
            host, port = _address(settings, service)
            if (pid := _running_pid(settings, service)) is not None:
                progress(f"{service} already running (pid {pid} on {host}:{port})")
                continue
            for field, busy in ports[service].items():
                if _port_open(host, busy):
                    raise InfraError(f"{field}: {host}:{busy} is in use by a process not started "
                                     f"from {settings.state_dir}; stop it or set "
                                     f"HIREVIEW_{field.upper()}")
            started.append((service, starters[service](settings, progress)))
        # Both boot in parallel; wait for each, so one failure still reports on the other.
        errors: list[str] = []
        for service, proc in started:
            try:
                secs = _wait_started(settings, service, proc)
            except InfraError as exc:
                errors.append(str(exc))
                continue
            host, port = _address(settings, service)
            progress(f"{service} ready on {host}:{port} in {secs:.1f}s")
        if errors:
            raise InfraError("\n\n".join(errors))


def down(settings: Settings) -> None:
    """Stop the services ``up`` started (pid files in state_dir); others are left alone."""
    with _locked(settings):
        for service in ALL:
            pid = _running_pid(settings, service)
            if pid is not None:
                _stop(settings, service, pid)
            _pid_file(settings, service).unlink(missing_ok=True)


def stop_service(settings: Settings, service: str, hard: bool = False) -> bool:
    """Stop one service ``up`` started (KAFKA, CLICKHOUSE or PROMETHEUS); ``hard``: SIGKILL at
    once, the crash case (fault injection, streams/ops/chaos). False when it was not running."""
    with _locked(settings):
        pid = _running_pid(settings, service)
        if pid is None:
            return False
        if hard:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _stop(settings, service, pid)  # after a SIGKILL: only waits (and reaps) until gone
        _pid_file(settings, service).unlink(missing_ok=True)
        # A SIGKILLed JVM can be gone from the process table a moment before its listening
        # socket is: a restart right away found the port "held by a process from elsewhere".
        host, port = _address(settings, service)
        deadline = time.monotonic() + 30
        while _port_open(host, port) and time.monotonic() < deadline:
            time.sleep(0.2)
        return True


def status(settings: Settings) -> dict[str, str]:
    """Service -> "running pid N on host:port", or "stopped" (noting a port held by another)."""
    report: dict[str, str] = {}
    for service in ALL:
        host, port = _address(settings, service)
        pid = _running_pid(settings, service)
        if pid is not None:
            report[service] = f"running pid {pid} on {host}:{port}"
        elif _port_open(host, port):
            report[service] = f"stopped ({host}:{port} is held by a process from elsewhere)"
        else:
            report[service] = "stopped"
    return report


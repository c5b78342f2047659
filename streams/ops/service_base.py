"""What the local services share: their directories, pid files, configs, spawning, waiting and
stopping (streams/ops/services.py starts and stops them; Kafka's and ClickHouse's own parts are
in kafka_service.py and clickhouse_service.py)."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import string
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from streams.ops import prometheus as prom
from streams.settings import Settings

Progress = Callable[[str], None]

KAFKA = "kafka"
CLICKHOUSE = "clickhouse"
PROMETHEUS = prom.SERVICE
ALL = (KAFKA, CLICKHOUSE, PROMETHEUS)
_START_TIMEOUT = 90.0
_STOP_TIMEOUT = 30.0
_APT_CLICKHOUSE = "apt-get install -y clickhouse-server clickhouse-client"


class InfraError(RuntimeError):
    """A local service could not be set up, started or stopped."""


# --- process bookkeeping ----------------------------------------------------------------------

def _dir(settings: Settings, service: str) -> Path:
    return settings.state_dir / service


def _pid_file(settings: Settings, service: str) -> Path:
    return _dir(settings, service) / f"{service}.pid"


def _config(settings: Settings, service: str) -> Path:
    """The rendered config; its path is on the command line, which identifies our process."""
    if service == PROMETHEUS:
        return prom.config_path(settings)
    return _dir(settings, service) / ("server.properties" if service == KAFKA else "config.xml")


def _alive(pid: int, marker: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]  # after "(comm)", which may contain spaces
    return state not in ("Z", "X") and marker in cmdline


def _running_pid(settings: Settings, service: str) -> int | None:
    """The recorded pid if that process still runs; a stale pid file is removed."""
    path = _pid_file(settings, service)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return None
    if _alive(pid, str(_config(settings, service))):
        return pid
    path.unlink(missing_ok=True)
    return None


def _address(settings: Settings, service: str) -> tuple[str, int]:
    if service == KAFKA:
        return settings.kafka_host, settings.kafka_port
    if service == PROMETHEUS:
        return settings.prometheus_host, settings.prometheus_port
    return settings.clickhouse_host, settings.clickhouse_port


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """Serialise up/down between processes (tests, demo and CLI may race on one state_dir)."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with (settings.state_dir / "infra.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _spawn(settings: Settings, service: str, cmd: list[str]) -> subprocess.Popen[bytes]:
    home, log = _dir(settings, service), _logs(settings, service)[0]
    if log.exists():  # one previous run is kept: its shutdown lines may explain a failure
        log.replace(log.with_name(log.name + ".1"))
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=home, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    pid_file = _pid_file(settings, service)
    tmp = pid_file.with_suffix(".tmp")  # atomic: a concurrent status() never reads half a file
    tmp.write_text(f"{proc.pid}\n")
    tmp.replace(pid_file)
    return proc


def _logs(settings: Settings, service: str) -> tuple[Path, ...]:
    """Process output first, then (ClickHouse) the server's own error log."""
    home = _dir(settings, service)
    if service in (KAFKA, PROMETHEUS):
        return (home / f"{service}.log",)
    return (home / "clickhouse.out", home / "log" / "clickhouse-server.err.log")



def _stop(settings: Settings, service: str, pid: int) -> None:
    """SIGTERM (Kafka does a controlled shutdown), then SIGKILL after ``_STOP_TIMEOUT``."""
    marker = str(_config(settings, service))
    for sig, grace in ((signal.SIGTERM, _STOP_TIMEOUT), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with suppress(ChildProcessError):  # reap it if up() ran in this very process
                os.waitpid(pid, os.WNOHANG)
            if not _alive(pid, marker):
                return
            time.sleep(0.1)
    raise InfraError(f"{service} (pid {pid}) survived SIGKILL")


# --- Kafka ------------------------------------------------------------------------------------

def _render(template: Path, dest: Path, values: dict[str, object]) -> None:
    text = string.Template(template.read_text()).substitute({k: str(v) for k, v in values.items()})
    dest.write_text(text)



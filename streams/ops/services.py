"""Local Kafka (KRaft, from Maven Central jars), ClickHouse and Prometheus (Debian packages) on
loopback; Prometheus's own parts are in streams/ops/prometheus.py.

``up`` starts each service detached with the project's own rendered config, records its pid
under ``settings.state_dir`` and waits (bounded) until it answers; ``down`` stops only processes
recorded there; ``status`` reports them. Nothing here runs at import time.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import string
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
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


def _kafka_jars(settings: Settings, progress: Progress) -> Path:
    """The broker's classpath dir, fetched by Maven once per pom version (hash marker)."""
    pom = settings.infra_dir / "kafka" / "pom.xml"
    lib = _dir(settings, KAFKA) / "lib"
    marker = lib / ".pom-sha256"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if marker.is_file() and marker.read_text().strip() == digest:
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError("Maven (mvn) is not installed: apt-get install -y maven")
    progress("fetching Kafka jars with Maven (first run only)...")
    started = time.monotonic()
    tmp = lib.with_name("lib.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
           "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise InfraError(f"Maven could not fetch the Kafka jars ({' '.join(cmd)}):\n"
                         f"{(done.stdout + done.stderr)[-4000:]}")
    shutil.rmtree(lib, ignore_errors=True)
    tmp.rename(lib)
    marker.write_text(digest + "\n")
    jars = list(lib.glob("*.jar"))
    size_mb = sum(j.stat().st_size for j in jars) / 2**20
    progress(f"fetched {len(jars)} Kafka jars ({size_mb:.0f} MiB) in "
             f"{time.monotonic() - started:.1f}s")
    return lib


def _java_cmd(settings: Settings, lib: Path) -> list[str]:
    if settings.kafka_heap_mb < 256:
        raise InfraError(f"kafka_heap_mb: {settings.kafka_heap_mb} is below the 256 MiB minimum")
    java = shutil.which("java")
    if java is None:
        raise InfraError("Java is not installed: apt-get install -y openjdk-17-jre-headless")
    log4j = settings.infra_dir / "kafka" / "log4j2.properties"
    return [java, "-Xms256m", f"-Xmx{settings.kafka_heap_mb}m", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j.resolve().as_uri()}",
            "-cp", f"{lib}/*"]  # one argv item: the JVM, not a shell, expands lib/*


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding, not starting with '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _start_kafka(settings: Settings, progress: Progress) -> subprocess.Popen[bytes]:
    home = _dir(settings, KAFKA)
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    lib = _kafka_jars(settings, progress)
    props = _config(settings, KAFKA)
    _render(settings.infra_dir / "kafka" / "server.properties.in", props, {
        "host": settings.kafka_host, "port": settings.kafka_port,
        "controller_port": settings.kafka_controller_port, "data_dir": data,
        "partitions": settings.partitions,
    })
    java = _java_cmd(settings, lib)
    if not (data / "meta.properties").exists():
        progress("formatting Kafka storage (first run only)...")
        fmt = java + ["kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props),
                      "--ignore-formatted"]
        done = subprocess.run(fmt, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0:
            raise InfraError(f"Kafka storage format failed:\n{(done.stdout + done.stderr)[-4000:]}")
    progress(f"starting Kafka on {settings.bootstrap}...")
    return _spawn(settings, KAFKA, java + ["kafka.Kafka", str(props)])


def kafka_ready(settings: Settings, timeout: float) -> bool:
    """True when the broker answers a metadata request within ``timeout`` seconds."""
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + timeout
    while not _port_open(settings.kafka_host, settings.kafka_port):  # keeps librdkafka quiet
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    while True:
        try:
            if admin.list_topics(timeout=max(0.5, min(2.0, deadline - time.monotonic()))).brokers:
                return True
        except Exception:  # KafkaException while the broker is still registering
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


# --- ClickHouse -------------------------------------------------------------------------------

def _clickhouse_binary(progress: Progress) -> str:
    found = shutil.which("clickhouse-server") or shutil.which("clickhouse-server",
                                                              path="/usr/sbin:/usr/bin")
    if found:
        return found
    if os.geteuid() != 0:
        raise InfraError(f"clickhouse-server is not installed: sudo {_APT_CLICKHOUSE}")
    progress("installing clickhouse-server with apt-get (first run only)...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in ("apt-get update", _APT_CLICKHOUSE):
        done = subprocess.run(cmd.split(), capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise InfraError(f"`{cmd}` failed:\n{(done.stdout + done.stderr)[-4000:]}")
    found = shutil.which("clickhouse-server", path="/usr/sbin:/usr/bin")
    if not found:
        raise InfraError("clickhouse-server still missing after apt-get install")
    return found


def _start_clickhouse(settings: Settings, progress: Progress) -> subprocess.Popen[bytes]:
    binary = _clickhouse_binary(progress)
    home = _dir(settings, CLICKHOUSE)
    for d in (home / "data", home / "log"):
        d.mkdir(parents=True, exist_ok=True)
    config = _config(settings, CLICKHOUSE)
    _render(settings.infra_dir / "clickhouse" / "config.xml.in", config, {
        "host": settings.clickhouse_host, "tcp_port": settings.clickhouse_port,
        "http_port": settings.clickhouse_http_port, "data_dir": home / "data",
        "log_dir": home / "log", "users_config": settings.infra_dir / "clickhouse" / "users.xml",
        "max_server_memory": 3 * 2**30,
    })
    progress(f"starting ClickHouse on {settings.clickhouse_host}:{settings.clickhouse_port}...")
    return _spawn(settings, CLICKHOUSE, [binary, f"--config-file={config}"])


def _http_ping(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/ping", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def clickhouse_ready(settings: Settings, timeout: float) -> bool:
    """True when ClickHouse answers ``SELECT 1`` over the native protocol within ``timeout``."""
    from clickhouse_driver import Client

    deadline = time.monotonic() + timeout
    while True:
        # HTTP /ping first: a bare TCP probe makes the server log a warning, and a refused native
        # connection makes the driver log a traceback.
        if _http_ping(settings.clickhouse_host, settings.clickhouse_http_port):
            client = Client(host=settings.clickhouse_host, port=settings.clickhouse_port,
                            connect_timeout=2, send_receive_timeout=5)
            try:
                if client.execute("SELECT 1") == [(1,)]:
                    return True
            except Exception:  # still loading system tables
                pass
            finally:
                client.disconnect()
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


# --- Prometheus -------------------------------------------------------------------------------

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

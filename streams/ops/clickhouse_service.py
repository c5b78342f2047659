"""The ClickHouse server from the Debian package with the project's config: start it and wait
until it answers a query (used by streams/ops/services.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request

from streams.ops.service_base import (
    _APT_CLICKHOUSE,
    CLICKHOUSE,
    InfraError,
    Progress,
    _config,
    _dir,
    _render,
    _spawn,
)
from streams.settings import Settings


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


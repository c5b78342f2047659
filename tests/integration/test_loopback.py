"""Every socket a hireview process listens on is the one its settings name: loopback by
default (the worker's web server used to bind 0.0.0.0 and serve anyone's visit history)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from streams.clickhouse import db
from streams.kafka import create_topics
from streams.ops.procs import Child, free_port, wait_for
from streams.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
_LISTEN = re.compile(r"^LISTEN\s+\S+\s+\S+\s+(\S+):(\d+)\s.*pid=(\d+),")
LOOPBACK = {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}


def sockets() -> list[tuple[str, int, int]]:
    """(address, port, pid) of every listening TCP socket, from ``ss``."""
    text = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    return [(m.group(1), int(m.group(2)), int(m.group(3)))
            for m in map(_LISTEN.match, text.splitlines()) if m]


def listening() -> dict[int, set[str]]:
    """pid -> the addresses it listens on."""
    out: dict[int, set[str]] = {}
    for address, _port, pid in sockets():
        out.setdefault(pid, set()).add(address)
    return out


def _family(pid: int) -> set[int]:
    """``pid`` and its descendants (the worker supervisor runs the Faust worker as a child)."""
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return {pid}.union(*(_family(int(k)) for k in kids.split()))


def test_no_process_listens_beyond_loopback(isolated: Settings, tmp_path: Path) -> None:
    settings = isolated.model_copy(update={"portal_port": free_port(), "web_port": free_port(),
                                           "web_accounts": tmp_path / "accounts.json",
                                           "portal_credentials": tmp_path / "keys.json"})
    db.migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    children = {name: Child(settings, name, tmp_path)
                for name in ("worker", "sink", "portal", "console")}
    ports = {"worker": settings.worker_web_port, "sink": settings.sink_metrics_port,
             "portal": settings.portal_port, "console": settings.web_port}

    def all_listening() -> bool:
        seen = listening()
        return all(any(int(pid) in seen for pid in _family(c.pid)) for c in children.values())

    wait_for(all_listening, 120, "every process listening", children=tuple(children.values()))
    seen = listening()
    for name, child in children.items():
        addresses = set().union(*(seen.get(pid, set()) for pid in _family(child.pid)))
        assert addresses and addresses <= LOOPBACK, f"{name} listens on {sorted(addresses)}"
        assert ports[name] in {port for _a, port, pid in sockets() if pid in _family(child.pid)}
    # The services infra/ starts: Kafka (broker and controller), ClickHouse (native, HTTP) and
    # Prometheus when it runs.
    infra = {settings.kafka_port, settings.kafka_controller_port, settings.clickhouse_port,
             settings.clickhouse_http_port, settings.prometheus_port}
    bound = {(address, port) for address, port, _pid in sockets() if port in infra}
    assert {port for _a, port in bound} >= {settings.kafka_port, settings.clickhouse_port}
    assert {address for address, _p in bound} <= LOOPBACK, sorted(bound)

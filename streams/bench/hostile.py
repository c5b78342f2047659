"""``hireview bench hostile``: do hostile requests stall the portal's other clients?

The portal (``create_portal`` on in-memory fakes: no Kafka, no ClickHouse, so the figures are
the portal's own work) runs under uvicorn as a child process. A polite client asks
``GET /api/v1/errors`` (the error catalogue, answered from memory) in a loop and records each
response time: first alone (baseline), then while ``hostile`` clients post hostile bodies one
after another. Printed: the polite p50/p99/max both ways, and for each hostile kind its answer
status and time, and the portal's resident memory before the attack and after it. Every hostile
answer must be a 4xx (or the 200 of the heaviest legal body):
anything else fails the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from streams.settings import Settings


def hostile_app() -> FastAPI:
    """The app the child process serves (``uvicorn --factory``): the portal on fakes."""
    from streams.portal.auth import Credentials
    from streams.portal.receipts import ReceiptStore
    from streams.portal.service import create_portal

    class _Results:
        def decided(self, facility: str, claim_id: str) -> bool:
            return False

        def latest_decision(self, facility: str, claim_id: str) -> dict[str, Any] | None:
            return None

    from streams.portal.memory import limit_arenas

    limit_arenas()  # as ``hireview portal`` does
    from streams.portal.run import parse_pool

    settings = Settings.load()
    return create_portal(settings, publish=lambda records: None,
                         receipts=ReceiptStore(lambda items: None), results=_Results(),
                         credentials=Credentials.load(settings.portal_credentials),
                         parser=parse_pool(settings))  # as ``hireview portal`` parses


def _bodies() -> dict[str, tuple[bytes, str]]:
    """Hostile kinds -> (body, content type); each is cheap to send."""
    header = {"ma_bn": "x", "ngay_vao": "202501010800", "ngay_ra": "202501011000"}
    legal = [{"facility": "79001", "claim_id": f"C{i}", "header": header,
              "drugs": [{"ma_thuoc": "40.1", "so_luong": 1, "don_gia": 1}] * 4}
             for i in range(1000)]
    return {
        "1e5_empty_objects": (b"[" + b",".join([b"{}"] * 100_000) + b"]", "application/json"),
        "1e6_keys": (json.dumps({"header": {f"k{i}": 1 for i in range(1_000_000)}}).encode(),
                     "application/json"),
        "1e5_lines": (json.dumps({"claim_id": "X", "drugs": [{}] * 100_000}).encode(),
                      "application/json"),
        "json_depth_1e4": (b"[" * 10_000 + b"]" * 10_000, "application/json"),
        "xml_depth_1e5": (b"<GIAMDINHHS>" + b"<a>" * 100_000 + b"</a>" * 100_000
                          + b"</GIAMDINHHS>", "application/xml"),
        "billion_laughs": (b'<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">]><GIAMDINHHS>&a;'
                           b"</GIAMDINHHS>", "application/xml"),
        "1000_legal_claims": (json.dumps(legal).encode(), "application/json"),
    }


def _get(conn: HTTPConnection, path: str, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    conn.getresponse().read()
    return time.perf_counter() - started


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"n": len(ordered), "p50_ms": round(at(0.5), 2), "p99_ms": round(at(0.99), 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def run_hostile_bench(settings: Settings, *, seconds: float = 5.0, hostile: int = 2,
                      as_json: bool = False) -> int:
    from streams.ops.procs import free_port
    from streams.portal.auth import add_credential

    with tempfile.TemporaryDirectory() as tmp:
        creds = Path(tmp) / "creds.json"
        key = add_credential(creds, "bench", "facility", "79001")
        port = free_port()
        env = {**os.environ, "HIREVIEW_PORTAL_CREDENTIALS": str(creds)}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "streams.bench.hostile:hostile_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
        try:
            return _measure(port, key, seconds, hostile, as_json, server.pid)
        finally:
            server.terminate()
            server.wait(30)


def _rss_after(pid: int) -> float:
    time.sleep(2)  # the last answers are freed
    return _rss_mib(pid)


def _rss_mib(pid: int) -> float:
    """The resident memory of ``pid`` (Linux /proc), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _measure(port: int, key: str, seconds: float, hostile: int, as_json: bool,
             pid: int) -> int:
    auth = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 60
    while True:
        try:
            _get(HTTPConnection("127.0.0.1", port, timeout=5), "/api/v1/errors", {})
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

    def polite(until: float) -> list[float]:
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        times = []
        while time.monotonic() < until:
            times.append(_get(conn, "/api/v1/errors", {}))
        return times

    baseline = polite(time.monotonic() + seconds)
    rss_before = _rss_mib(pid)
    bodies = _bodies()
    answers: dict[str, list[tuple[int, float]]] = {name: [] for name in bodies}
    bad: list[str] = []
    stop = threading.Event()

    def attack() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=120)
        while not stop.is_set():
            for name, (body, ctype) in bodies.items():
                started = time.perf_counter()
                conn.request("POST", "/api/v1/claims", body=body,
                             headers={**auth, "Content-Type": ctype})
                response = conn.getresponse()
                response.read()
                status = response.status
                answers[name].append((status, time.perf_counter() - started))
                if not (400 <= status < 500 or (status == 200 and name == "1000_legal_claims")):
                    bad.append(f"{name}: {status}")
                if stop.is_set():
                    break

    threads = [threading.Thread(target=attack, daemon=True) for _ in range(hostile)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # the attack is under way
    loaded = polite(time.monotonic() + seconds)
    stop.set()
    for t in threads:
        t.join(120)
    kinds = {name: {"statuses": sorted({s for s, _ in got}),
                    "max_s": round(max((t for _, t in got), default=0.0), 3), "n": len(got)}
             for name, got in answers.items()}
    figures: dict[str, Any] = {"baseline": _percentiles(baseline),
                               "under_attack": _percentiles(loaded),
                               "hostile_clients": hostile, "hostile": kinds,
                               "rss_mib": {"before": rss_before, "after": _rss_after(pid)}}
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"polite GET /api/v1/errors alone:        {figures['baseline']}")
        print(f"polite GET while {hostile} hostile clients: {figures['under_attack']}")
        print(f"portal RSS: {figures['rss_mib']['before']} MiB before the attack, "
              f"{figures['rss_mib']['after']} MiB after it (settled 2 s)")
        for name, row in kinds.items():
            print(f"  {name:20s} answered {row['statuses']} in at most {row['max_s']} s "
                  f"({row['n']} sent)")
    if bad:
        print(f"FAILED: answers that are not 4xx: {sorted(set(bad))}")
        return 1
    return 0

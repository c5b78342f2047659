"""``hireview bench portal``: how fast the reception portal takes envelopes.

Two cases, both written from simulated claims (``streams.sim.envelopes``): outpatient
envelopes (one HOSO, a few lines, ~7 KB) and heavy inpatient envelopes (one HOSO, 800+ lines,
~800 KB). For each:

- parse only: ``parse_envelope`` (safe XML parse + normalisation) in this process, one thread;
  envelopes/s per core = envelopes / CPU seconds.
- through HTTP: ``hireview portal serve`` (uvicorn) as a child process on the real Kafka
  (acks=all before each answer), ``clients`` concurrent keep-alive HTTP clients posting distinct
  claims: envelopes/s, MB/s, response time p50/p95/p99, and the server's CPU per envelope. Every
  answer must be a 200 with every claim accepted, or the run fails.

Topics and the ClickHouse database are the run's own (prefix ``bench<tag>.``), dropped at the end.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPConnection
from typing import Any

import orjson

from streams.portal.intake import parse_envelope
from streams.settings import Settings
from streams.sim.envelopes import heavy_inpatient, write_envelope

Say = Callable[[str], None]


@dataclass
class Cases:
    """Distinct envelopes per case: each claim is sent once (a repeat would be a duplicate,
    answered without publishing)."""

    outpatient: list[bytes] = field(default_factory=list)
    inpatient: list[bytes] = field(default_factory=list)


def build_cases(outpatient: int, inpatient: int, lines: int = 800, seed: int = 42) -> Cases:
    """``outpatient`` outpatient envelopes and ``inpatient`` heavy ones of ``lines``+ lines."""
    from streams.sim.generate import generate

    cases = Cases()
    n = max(200, int((outpatient + inpatient * 8) * 1.3))
    while len(cases.outpatient) < outpatient or len(cases.inpatient) < inpatient:
        cases = Cases()
        for sim in generate(n, seed=seed, violations=0.1).claims:
            record = sim.claim
            if record["version"] != 1:
                continue
            if record["header"]["ma_loai_kcb"] == "01" and len(cases.outpatient) < outpatient:
                cases.outpatient.append(write_envelope([record]))
            elif (record["header"]["ma_loai_kcb"] == "03"
                  and len(cases.inpatient) < inpatient):
                cases.inpatient.append(write_envelope([heavy_inpatient(record, lines)]))
        n *= 2
    return cases


def parse_rate(envelopes: list[bytes], seconds: float) -> dict[str, float]:
    """Envelopes/s and MB/s of ``parse_envelope`` per core (CPU time of this thread)."""
    for data in envelopes[:3]:  # warm up, and a broken writer fails here, not in the figures
        claim = parse_envelope(data, max_bytes=len(data)).claims[0]
        assert claim.accepted, [f.to_dict() for f in claim.findings if f.blocking]
    count, size = 0, 0
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    while time.perf_counter() - wall0 < seconds:
        data = envelopes[count % len(envelopes)]
        parse_envelope(data, max_bytes=len(data))
        count, size = count + 1, size + len(data)
    cpu = time.thread_time() - cpu0
    return {"envelopes": count, "mean_bytes": round(size / count),
            "envelopes_per_core_s": round(count / cpu, 1),
            "mb_per_core_s": round(size / cpu / 1e6, 1),
            "us_per_envelope": round(cpu / count * 1e6, 1)}


def _quantiles_ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {f"p{q}": round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000, 1)
            for q in (50, 95, 99)}


def _accepted(answer: dict[str, Any]) -> bool:
    return all(c["status"] == "accepted" for c in answer["claims"])


def post_all(port: int, key: str, envelopes: list[bytes], clients: int,
             path: str = "/api/v1/claims",
             ok: Callable[[dict[str, Any]], bool] = _accepted,
             ) -> tuple[float, list[float], list[str]]:
    """Post every envelope once to ``path`` from ``clients`` threads, each on its own
    keep-alive connection: (wall seconds, latencies, problems: answers that are not a 200
    passing ``ok``)."""
    work: queue.Queue[bytes] = queue.Queue()
    for data in envelopes:
        work.put(data)
    latencies: list[float] = []
    problems: list[str] = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/xml"}

    def client() -> None:
        http = HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                try:
                    data = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                try:
                    http.request("POST", path, body=data, headers=headers)
                    r = http.getresponse()
                    body = r.read()
                except OSError as exc:
                    problems.append(f"{type(exc).__name__}: {exc}")
                    http.close()
                    continue
                latencies.append(time.perf_counter() - started)
                if r.status != 200 or not ok(orjson.loads(body)):
                    problems.append(f"{r.status}: {body[:300]!r}")
        finally:
            http.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, problems


Plan = list[tuple[str, list[bytes], int]]  # (case name, envelopes, concurrent clients)


def _serve(settings: Settings, plan: Plan, say: Say) -> dict[str, dict[str, Any]]:
    """Run the HTTP phase of each case of ``plan`` against a portal child process."""
    from streams.clickhouse import db
    from streams.ops import services as infra
    from streams.ops.procs import Child, free_port, wait_for
    from streams.portal.auth import add_credential

    tag = uuid.uuid4().hex[:8]
    logs = settings.state_dir / "bench" / f"portal-{tag}"
    s = settings.model_copy(update={
        "topic_prefix": f"bench{tag}.", "clickhouse_database": f"hireview_bench_{tag}",
        "portal_port": free_port(), "portal_host": "127.0.0.1",
        "portal_credentials": logs / "portal-credentials.json"})
    infra.up(s, progress=say)
    db.migrate(s, progress=say)
    with contextlib.redirect_stdout(io.StringIO()):  # the key is the run's own: not printed
        key = add_credential(s.portal_credentials, "bench", "central", "*")
    portal = Child(s, "portal", logs)
    try:
        wait_for(lambda: _answers(s.portal_port), 120, "the portal to serve", children=(portal,))
        return {name: _http_case(s.portal_port, key, envelopes, clients, portal, say)
                for name, envelopes, clients in plan}
    finally:
        portal.stop()
        _drop(s)


def _answers(port: int) -> bool:
    http = HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        http.request("GET", "/api/v1/errors")
        return http.getresponse().status == 200
    except OSError:
        return False
    finally:
        http.close()


def _http_case(port: int, key: str, envelopes: list[bytes], clients: int, portal: Any,
               say: Say) -> dict[str, Any]:
    warm, timed = envelopes[:clients], envelopes[clients:]
    post_all(port, key, warm, clients)  # connections and the producer are warm before timing
    cpu0 = portal.cpu_seconds()
    wall, latencies, problems = post_all(port, key, timed, clients)
    cpu = portal.cpu_seconds() - cpu0
    if problems:
        raise RuntimeError(f"{len(problems)} of {len(timed)} submissions failed, e.g. "
                           f"{problems[:3]}\n{portal.tail()}")
    size = sum(len(d) for d in timed)
    figures = {"envelopes": len(timed), "clients": clients,
               "envelopes_per_s": round(len(timed) / wall, 1),
               "mb_per_s": round(size / wall / 1e6, 2),
               "response_ms": _quantiles_ms(latencies),
               "server_cpu_ms_per_envelope": round(cpu / len(timed) * 1000, 2)}
    say(f"  http {len(timed)} envelopes: {figures['envelopes_per_s']}/s")
    return figures


def _drop(s: Settings) -> None:
    """The run's database and topics go (they are the bench's own, by prefix)."""
    from confluent_kafka.admin import AdminClient

    from streams.clickhouse import db

    db.connect(s).execute(f"DROP DATABASE IF EXISTS {s.clickhouse_database}")
    admin = AdminClient({"bootstrap.servers": s.bootstrap})
    names = [t for t in admin.list_topics(timeout=10).topics if t.startswith(s.topic_prefix)]
    for future in admin.delete_topics(names).values() if names else ():
        future.result()


def run_portal_bench(settings: Settings, *, envelopes: int = 3000, heavy: int = 60,
                     clients: int = 8, parse_seconds: float = 3.0, http: bool = True,
                     as_json: bool = False) -> int:
    """Print the portal's figures (see the module docstring); 0 when every submission was a
    200 with its claim accepted."""
    def say(message: str) -> None:
        if not as_json:
            print(message, flush=True)

    if envelopes < 2 * clients or heavy < 2 * min(clients, 4) or clients < 1:
        raise ValueError(f"need clients >= 1, envelopes >= {2 * clients} and heavy >= "
                         f"{2 * min(clients, 4)} (every timed request is a distinct claim)")
    say(f"writing {envelopes} outpatient and {heavy} heavy inpatient envelopes")
    cases = build_cases(envelopes, heavy)
    figures: dict[str, Any] = {
        "parse_outpatient": parse_rate(cases.outpatient, parse_seconds),
        "parse_inpatient_800_lines": parse_rate(cases.inpatient, parse_seconds),
    }
    say(f"  parse: {figures['parse_outpatient']['envelopes_per_core_s']} outpatient/s per core")
    if http:
        figures |= _serve(settings, [
            ("http_outpatient", cases.outpatient, clients),
            ("http_inpatient_800_lines", cases.inpatient, min(clients, 4))], say)
    if as_json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    else:
        for name, values in figures.items():
            print(f"{name:26} {values}")
    return 0

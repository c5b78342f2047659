"""``hireview bench precheck``: response times of ``POST /api/v1/precheck``.

``hireview portal serve`` and ``hireview worker`` run as child processes on the real Kafka and
ClickHouse with the simulator's catalogs and cards loaded (the portal's reference feed), and a
history: a share of the simulated claims is submitted and decided first, so pre-checks of the
same people ask the worker for real visits. Then ``clients`` concurrent keep-alive HTTP clients
pre-check outpatient envelopes (one claim, a few lines) and heavy inpatient ones (800+ lines):
requests/s, response time p50/p95/p99 and the portal's CPU per request. Every answer must be a
200 with a decision for every claim and the history available, or the run fails.

Topics and the ClickHouse database are the run's own (prefix ``bench<tag>.``), dropped at the end.
"""

from __future__ import annotations

import contextlib
import io
import time
import uuid
from typing import Any

import orjson

from streams.bench.portal import _answers, _drop, _quantiles_ms, build_cases, post_all
from streams.settings import Settings
from streams.sim.envelopes import write_envelope

_PATH = "/api/v1/precheck"


def _judged(answer: dict[str, Any]) -> bool:
    return all(c["decision"] is not None and c["history"]["available"]
               for c in answer["claims"])


def _case(port: int, key: str, envelopes: list[bytes], clients: int, portal: Any,
          rounds: int) -> dict[str, Any]:
    post_all(port, key, envelopes[:clients], clients, _PATH, _judged)  # warm up
    timed = envelopes * rounds  # a pre-check publishes nothing: the same draft may come again
    cpu0 = portal.cpu_seconds()
    wall, latencies, problems = post_all(port, key, timed, clients, _PATH, _judged)
    cpu = portal.cpu_seconds() - cpu0
    if problems:
        raise RuntimeError(f"{len(problems)} of {len(timed)} pre-checks failed, e.g. "
                           f"{problems[:3]}\n{portal.tail()}")
    return {"requests": len(timed), "clients": clients,
            "requests_per_s": round(len(timed) / wall, 1),
            "response_ms": _quantiles_ms(latencies),
            "server_cpu_ms_per_request": round(cpu / len(timed) * 1000, 2)}


def run_precheck_bench(settings: Settings, *, envelopes: int = 300, heavy: int = 20,
                       clients: int = 4, rounds: int = 3, as_json: bool = False) -> int:
    """Print the pre-check figures (see the module docstring); 0 when every answer judged."""
    from streams.clickhouse import db
    from streams.codec import Codec
    from streams.kafka import create_topics
    from streams.ops import services as infra
    from streams.ops.procs import Child, free_port, wait_for
    from streams.portal.auth import add_credential
    from streams.sim.generate import generate
    from streams.sim.publish import publish_reference

    def say(message: str) -> None:
        if not as_json:
            print(message, flush=True)

    if clients < 1 or envelopes < clients or heavy < 1 or rounds < 1:
        raise ValueError("need clients >= 1, envelopes >= clients, heavy >= 1, rounds >= 1")
    say(f"writing {envelopes} outpatient and {heavy} heavy inpatient envelopes")
    cases = build_cases(envelopes, heavy)
    tag = uuid.uuid4().hex[:8]
    logs = settings.state_dir / "bench" / f"precheck-{tag}"
    s = settings.model_copy(update={
        "topic_prefix": f"bench{tag}.", "clickhouse_database": f"hireview_bench_{tag}",
        "app_id": f"hireview-bench-{tag}", "sink_group": f"hireview-sink-{tag}",
        "portal_port": free_port(), "portal_host": "127.0.0.1", "worker_web_port": free_port(),
        "portal_credentials": logs / "portal-credentials.json"})
    infra.up(s, progress=say)
    db.migrate(s, progress=say)
    create_topics(s)
    sim = generate(400, seed=42, violations=0.1)  # the simulator's catalogs, cards, people
    publish_reference(s, Codec.from_settings(s), sim.catalog_entries, sim.cards)
    with contextlib.redirect_stdout(io.StringIO()):  # the key is the run's own: not printed
        key = add_credential(s.portal_credentials, "bench", "central", "*")
    worker, portal = Child(s, "worker", logs), Child(s, "portal", logs)
    try:
        wait_for(lambda: _answers(s.portal_port), 120, "the portal to serve",
                 children=(portal, worker))
        history = [c.claim for c in sim.claims if c.claim["version"] == 1][:200]
        by_facility: dict[str, list[dict[str, Any]]] = {}
        for record in history:
            by_facility.setdefault(record["facility"], []).append(record)
        say(f"submitting {len(history)} claims as the people's history")
        post_all(s.portal_port, key, [write_envelope(b) for b in by_facility.values()], clients,
                 ok=lambda a: True)
        time.sleep(5)  # let the worker decide them; the figures do not depend on how many
        figures = {"precheck_outpatient": _case(s.portal_port, key, cases.outpatient, clients,
                                                portal, rounds),
                   "precheck_inpatient_800_lines": _case(s.portal_port, key, cases.inpatient,
                                                         min(clients, 4), portal, rounds)}
    finally:
        portal.stop()
        worker.stop()
        _drop(s)
    if as_json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    else:
        for name, values in figures.items():
            print(f"{name:30} {values}")
    return 0

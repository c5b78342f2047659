"""``hireview demo``: infra, migrations, topics, worker, sink, then simulated discharges."""

from __future__ import annotations

import signal
import time

from streams.clickhouse import db
from streams.kafka import create_topics
from streams.ops import services as infra
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.sim.publish import simulate_and_publish


def run_demo(settings: Settings, claims: int, rate: float, keep_running: bool = True) -> int:
    def step(message: str) -> None:
        print(f"==> {message}", flush=True)

    step("starting Kafka and ClickHouse (first run fetches Kafka from Maven Central)")
    infra.up(settings, progress=lambda m: print(f"    {m}", flush=True))
    step("applying ClickHouse migrations")
    applied = db.migrate(settings)
    print(f"    {len(applied)} new migration(s)")
    create_topics(settings)
    logs = settings.state_dir / "demo"
    step(f"starting the worker and the sink (logs in {logs})")
    worker, sink = Child(settings, "worker", logs), Child(settings, "sink", logs)
    client = db.connect(settings)
    before = client.execute("SELECT count() FROM decisions FINAL")[0][0]
    try:
        step(f"streaming {claims} simulated discharges at {rate:g}/s")
        sim = simulate_and_publish(settings, claims=claims, rate=rate, violations=0.1,
                                   seed=int(time.time()))
        want = before + len(sim.claims)
        wait_for(lambda: client.execute("SELECT count() FROM decisions FINAL")[0][0] >= want,
                 600, "decisions in ClickHouse", children=(worker, sink))
        step("all decisions are in ClickHouse")
        print(summary(settings))
        if keep_running:
            print("worker and sink keep running; Ctrl-C stops them", flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        worker.stop()
        sink.stop()
    return 0


def summary(settings: Settings) -> str:
    client = db.connect(settings)
    rows = client.execute(
        "SELECT outcome, count(), sum(requested), sum(rejected) FROM decisions FINAL "
        "GROUP BY outcome ORDER BY outcome"
    )
    hits = client.execute(
        "SELECT code, count() FROM rule_hits FINAL GROUP BY code ORDER BY code"
    )
    t = settings.topic
    lines = ["", "Decisions by outcome:"]
    lines += [f"  {o:15} {n:8} claims  requested {float(r):>16,.0f}  rejected {float(x):>14,.0f}"
              for o, n, r, x in rows]
    lines += ["Rule hits:"] + [f"  {c:6} {n}" for c, n in hits]
    lines += [
        "",
        "Where to look:",
        f"  Kafka {settings.bootstrap}: {t('hi.claims')}, {t('hi.decisions')}, "
        f"{t('hi.warnings')}, {t('hi.claims.dlq')}",
        f"  ClickHouse: clickhouse-client --port {settings.clickhouse_port} "
        f"-d {settings.clickhouse_database} -q 'SELECT * FROM facility_daily LIMIT 20'",
        "    tables: claims, claim_lines, decisions, rule_hits (use FINAL), view facility_daily",
        f"  Metrics: http://127.0.0.1:{settings.worker_web_port}/metrics (worker), "
        f"http://127.0.0.1:{settings.sink_metrics_port}/metrics (sink)",
        f"  Reference data the worker holds: http://127.0.0.1:{settings.worker_web_port}"
        "/reference (missing or stale lists, per kind and facility)",
        "",
        "Your own reference data instead of the simulator's (docs/first-day.md):",
        "  hireview catalogs load --kind drugs infra/catalogs/national-drugs.csv",
        "  hireview catalogs load --kind staff --facility 79001 infra/catalogs/79001-staff.csv",
        "  hireview cards load infra/catalogs/cards.csv",
        "  hireview rules go-live --mode observe --from YYYY-MM-DD --out params-local.yaml",
        "    (then HIREVIEW_RULES_PARAMS=params-local.yaml: hits recorded, nothing rejected)",
    ]
    return "\n".join(lines)

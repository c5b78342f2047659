"""``hireview bench settle``: close a quarter for many facilities, then generate, sign twice and
verify reports for some of them.

In a scratch database ``<database>_settle_bench`` (dropped afterwards): the decisions of a
simulated quarter (60 claims per facility, the outcome mix of streams/bench/settle_data.py)
written as the sink writes them; then timed: ``close_period`` over every facility (reads the
decision rows, writes the ledger), and for ``reports`` facilities the quarterly minute rendered
(WeasyPrint), signed by the preparer and the head (pyHanko, a throw-away CA) and verified.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.bench.settle_data import simulate, store
from streams.bench.testca import make_ca
from streams.clickhouse import db
from streams.progress import Progress
from streams.settings import Settings
from streams.settle.close import close_period
from streams.settle.periods import Period
from streams.settle.reports import Actor, ReportStore
from streams.settle.signing import load_signers
from streams.settle.verify import load_roots, verify

QUARTER = Period.parse("quarter", "2025-Q1")
CLAIMS_PER_FACILITY = 60


def facilities(n: int) -> list[str]:
    """``n`` facility codes spread over provinces (50 per province code)."""
    return [f"{1 + i // 50:02d}{i % 50 + 1:03d}" for i in range(n)]


def bench_settle(settings: Settings, n_facilities: int = 1000, n_reports: int = 100
                 ) -> dict[str, Any]:
    scratch = settings.model_copy(update={
        "clickhouse_database": f"{settings.clickhouse_database}_settle_bench"})
    client = db.connect(scratch)
    client.execute(f"DROP DATABASE IF EXISTS {scratch.clickhouse_database}")
    db.migrate(scratch, progress=lambda _m: None)
    client = db.connect(scratch)
    try:
        codes = facilities(n_facilities)
        started = time.monotonic()
        decisions = list(simulate(codes, CLAIMS_PER_FACILITY, QUARTER.start, QUARTER.end))
        rows = 0
        step = 20_000
        bar = Progress(0, "store decisions", "revisions")
        for i in range(0, len(decisions), step):
            rows += store(client, decisions[i:i + step])
            bar(min(i + step, len(decisions)), len(decisions))
        setup = time.monotonic() - started

        started = time.monotonic()
        closed = close_period(client, QUARTER, now=datetime(2025, 4, 3, tzinfo=UTC),
                              progress=Progress(0, f"settle {QUARTER.label}", "facilities"))
        settle_s = time.monotonic() - started
        claims = sum(s.claims for s in closed.settlements)

        with tempfile.TemporaryDirectory(prefix="hireview-settle-bench-") as tmp:
            ca = make_ca(Path(tmp) / "ca")
            signers, roots = load_signers(ca.signers), load_roots(ca.root)
            reports = ReportStore(client)
            timings = {"render": 0.0, "sign": 0.0, "verify": 0.0}
            bar = Progress(0, "reports", "reports")
            sizes = []
            for i, facility in enumerate(codes[:n_reports], 1):
                t0 = time.monotonic()
                row, _pdf = reports.generate("minute", facility, QUARTER)
                t1 = time.monotonic()
                for field in ("preparer", "head"):
                    reports.sign(row["report_id"], field, signers[field],
                                 Actor("bench", "central"), Path(tmp) / "fonts")
                t2 = time.monotonic()
                signed = reports.get(row["report_id"])
                assert signed is not None
                ok = verify(signed["pdf"], roots).ok
                t3 = time.monotonic()
                if not ok:
                    raise RuntimeError(f"report of {facility} does not verify")
                sizes.append(len(signed["pdf"]))
                for key, took in zip(timings, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                    timings[key] += took
                bar(i, n_reports)
        report_s = sum(timings.values())
        return {
            "facilities": n_facilities, "claims": claims, "decision_revisions": len(decisions),
            "rows_stored": rows, "setup_seconds": round(setup, 2),
            "settle_seconds": round(settle_s, 2), "ledger_entries": closed.entries,
            "claims_per_second": round(claims / settle_s), "facilities_per_second": round(
                n_facilities / settle_s, 1),
            "reports": n_reports, "reports_seconds": round(report_s, 2),
            "reports_per_second": round(n_reports / report_s, 2),
            **{f"{k}_ms_per_report": round(1000 * v / max(n_reports, 1))
               for k, v in timings.items()},
            "signed_pdf_kb": round(sum(sizes) / max(len(sizes), 1) / 1024, 1)}
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {scratch.clickhouse_database}")


def run_settle_bench(settings: Settings, facilities: int = 1000, reports: int = 100,
                     as_json: bool = False) -> int:
    import logging

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    figures = bench_settle(settings, facilities, reports)
    if as_json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value:,}" if isinstance(value, int | float) else
                  f"{key:28} {value}")
    return 0

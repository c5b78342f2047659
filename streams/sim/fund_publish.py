"""``hireview simulate --fund-facilities N``: a simulated register and its facility_day rows
written straight into ClickHouse (docs/fund-monitoring.md: the detector reads only these), so
the detector, the notices and the fund pages have a year of data to show without hours of
claims through Kafka. Labels of the injected anomalies go to a JSON-lines file if asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from streams.clickhouse import db
from streams.fund.refresh import DAY_COLUMNS
from streams.fund.store import FACILITY_COLUMNS
from streams.settings import Settings
from streams.sim.fund_series import FundSim, simulate

COUNTS = ("visits", "outpatient", "inpatient", "admissions", "bed_days", "referrals_in",
          "referrals_out")


def day_columns(sim: FundSim, now: datetime) -> list[list[Any]]:
    """The series as facility_day columns (in DAY_COLUMNS order) for one columnar INSERT."""
    s = sim.series
    n = len(s.facilities)
    columns: dict[str, list[Any]] = {
        "day": [s.day(t) for _ in range(n) for t in range(s.days)],
        "facility": [f.facility for f in s.facilities for _ in range(s.days)],
        "province": [f.province for f in s.facilities for _ in range(s.days)],
    }
    for c, values in s.data.items():
        flat = values.reshape(-1)
        columns[c] = [int(v) for v in flat] if c in COUNTS else flat.tolist()
    stamp = int(now.timestamp())
    columns.update(decided=columns["visits"], hit_codes=[[]] * s.rows,
                   hit_claims=[[]] * s.rows, refreshed_at=[stamp] * s.rows,
                   ver=[stamp * 1000] * s.rows)
    return [columns[c] for c in DAY_COLUMNS]


def register_rows(sim: FundSim, now: datetime) -> list[dict[str, Any]]:
    """The simulated facilities as register rows, three districts per province."""
    return [{"facility": f.facility, "name": f.name, "province": f.province,
             "district": f"{f.province}-{int(f.facility[2:]) % 3 + 1:03d}", "tier": f.tier,
             "kind": f.kind, "ingested_at": now} for f in sim.series.facilities]


def simulate_fund(settings: Settings, facilities: int, days: int, seed: int,
                  start: date | None = None, labels_path: str | None = None,
                  out: Callable[[str], None] = print) -> FundSim:
    begin = start or datetime.now(UTC).date() - timedelta(days=days)
    sim = simulate(facilities=facilities, days=days, start=begin, seed=seed)
    db.migrate(settings, progress=lambda _m: None)
    client = db.connect(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    client.execute(f"INSERT INTO facility_day ({', '.join(DAY_COLUMNS)}) VALUES",
                   day_columns(sim, now), columnar=True)
    db.insert_rows(client, "facilities", FACILITY_COLUMNS, register_rows(sim, now))
    out(f"wrote {sim.series.rows:,} facility_day rows of {facilities} facilities "
        f"({sim.series.day(0)}..{sim.series.day(sim.series.days - 1)}) and their register; "
        f"{len(sim.injections)} injected anomalies")
    if labels_path:
        with Path(labels_path).open("wb") as f:
            for inj in sim.injections:
                f.write(orjson.dumps({"facility": inj.facility, "kind": inj.kind,
                                      "start": inj.start.isoformat(),
                                      "metrics": list(inj.metrics)}) + b"\n")
    return sim

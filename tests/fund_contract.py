"""fund-detect's tables (issue 13's first half) and generated rows for them.

``create_fund_detect_tables`` applies the real migrations 0014–0017 (``facilities``,
``facility_day`` with the views ``province_day`` and ``facility_rule_day``, ``anomalies``,
``detect_runs``, ``fund_refresh``) through the ``Db`` seam: on chdb, which has no migration
ledger, they create the tables; on a server that ``db.migrate`` already set up they are no-ops
(every statement is CREATE ... IF NOT EXISTS). ``province_day`` is a view over
``facility_day``, so a World's province rows are what the view must show, not rows to insert.

``World`` generates a small country: facilities in a few provinces, 16 months of daily figures
with weekday seasonality and a yearly trend, a few facilities whose cost per visit jumps, their
anomalies, and claims/decisions of one facility.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from streams.fund.notices.compose import ANOMALY_COLUMNS, Anomaly
from streams.fund.notices.db import Row

CONTRACT_DDL = (
    """CREATE TABLE IF NOT EXISTS facilities (facility String, name String, province String,
       district String, tier UInt8, kind String, ingested_at DateTime('UTC'))
       ENGINE = ReplacingMergeTree(ingested_at) ORDER BY facility""",
    """CREATE TABLE IF NOT EXISTS facility_day (day Date, facility String, province String,
       visits UInt64, outpatient UInt64, inpatient UInt64, admissions UInt64, bed_days UInt64,
       referrals_in UInt64, referrals_out UInt64, total_cost Float64, hi_cost Float64,
       approved Float64, rejected Float64, drug_cost Float64, supply_cost Float64,
       service_cost Float64) ENGINE = MergeTree ORDER BY (facility, day)""",
    """CREATE TABLE IF NOT EXISTS province_day (day Date, province String,
       visits UInt64, outpatient UInt64, inpatient UInt64, admissions UInt64, bed_days UInt64,
       referrals_in UInt64, referrals_out UInt64, total_cost Float64, hi_cost Float64,
       approved Float64, rejected Float64, drug_cost Float64, supply_cost Float64,
       service_cost Float64) ENGINE = MergeTree ORDER BY (province, day)""",
    """CREATE TABLE IF NOT EXISTS anomalies (anomaly_id String, run_id String,
       facility String, province String, metric String, period_start Date, period_end Date,
       level String, observed Float64, expected Float64, peer_low Float64, peer_high Float64,
       peer_percentile Float64, score Float64, cusum Float64, volume UInt64,
       excess_cost Float64, rank UInt32, explanation_vi String, explanation_en String,
       detected_at DateTime('UTC'))
       ENGINE = ReplacingMergeTree(detected_at) ORDER BY (facility, metric, period_start)""",
)
DAY_METRICS = ("visits", "outpatient", "inpatient", "admissions", "bed_days", "referrals_in",
               "referrals_out", "total_cost", "hi_cost", "approved", "rejected", "drug_cost",
               "supply_cost", "service_cost")
FACILITY_COLUMNS = ("facility", "name", "province", "district", "tier", "kind", "ingested_at")


FUND_DETECT_MIGRATIONS = ("0014_facilities.sql", "0015_facility_day.sql",
                          "0016_anomalies.sql", "0017_fund_refresh.sql")


def create_fund_detect_tables(db: Any) -> None:
    """fund-detect's tables, from its migrations (CONTRACT_DDL keeps the contract's column
    lists, which the migrations must hold: tests/unit/fund/test_contract_columns.py)."""
    for name in FUND_DETECT_MIGRATIONS:
        run_migration(db, name)


def anomaly(facility: str = "79001", metric: str = "cost_per_visit", level: str = "notice",
            start: date = date(2026, 4, 1), end: date = date(2026, 4, 30),
            observed: float = 390_000.0, expected: float = 300_000.0,
            band: tuple[float, float] = (250_000.0, 340_000.0), percentile: float = 97.0,
            volume: int = 3000, excess: float | None = None, rank: int = 1) -> Anomaly:
    excess = (observed - expected) * volume if excess is None else excess
    return Anomaly(f"{facility}|{metric}|{start}", "run-1", facility, facility[:2], metric,
                   start, end, level, observed, expected, band[0], band[1], percentile, 4.2,
                   6.0, volume, excess, rank,
                   f"Chỉ tiêu tăng {observed / expected - 1:.0%} so với mức dự kiến của cơ sở.",
                   f"Up {observed / expected - 1:.0%} on the facility's expected level.")


def anomaly_row(a: Anomaly, detected: datetime) -> Row:
    return tuple(getattr(a, c) for c in ANOMALY_COLUMNS) + (detected,)


PROVINCES = {"01": "Hà Nội", "79": "TP Hồ Chí Minh", "74": "Bình Dương", "48": "Đà Nẵng",
             "31": "Hải Phòng", "92": "Cần Thơ", "38": "Thanh Hóa", "22": "Quảng Ninh"}
KINDS = (("public_hospital", 2, "Bệnh viện Đa khoa"), ("public_hospital", 3, "Trung tâm Y tế"),
         ("private_hospital", 3, "Bệnh viện tư nhân"), ("clinic", 4, "Phòng khám"),
         ("health_station", 4, "Trạm Y tế"))


@dataclass
class World:
    start: date = date(2025, 1, 1)
    end: date = date(2026, 4, 30)
    seed: int = 13
    facilities: list[Row] = field(default_factory=list)
    days: list[Row] = field(default_factory=list)
    provinces: list[Row] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    jumps: dict[str, float] = field(default_factory=dict)  # facility -> cost factor from March

    def build(self) -> World:
        rnd = random.Random(self.seed)
        stamp = datetime(2026, 5, 1, tzinfo=UTC)
        for p, pname in PROVINCES.items():
            for i, (kind, tier, label) in enumerate(KINDS):
                code = f"{p}{i + 1:03d}"
                self.facilities.append((code, f"{label} {pname} {i + 1}", p,
                                        f"{p}-{i + 1:03d}", tier, kind, stamp))
        self.jumps = {"79001": 1.32, "01002": 1.25, "48001": 1.4}
        per_province: dict[tuple[str, date], list[float]] = {}
        for code, _name, p, _d, tier, _kind, _s in self.facilities:
            base_visits = {2: 420, 3: 180, 4: 40}[tier] * rnd.uniform(0.7, 1.3)
            cost = {2: 520_000, 3: 310_000, 4: 150_000}[tier] * rnd.uniform(0.85, 1.15)
            growth = rnd.uniform(-0.05, 0.12)
            day = self.start
            while day <= self.end:
                years = (day - self.start).days / 365.0
                weekday = 0.55 if day.weekday() == 6 else (0.8 if day.weekday() == 5 else 1.0)
                season = 1 + 0.08 * math.sin(2 * math.pi * (day.timetuple().tm_yday / 365))
                visits = max(1, int(base_visits * weekday * season * (1 + growth * years)
                                    * rnd.uniform(0.9, 1.1)))
                factor = self.jumps.get(code, 1.0) if day >= date(2026, 3, 1) else 1.0
                per_visit = cost * (1 + 0.04 * years) * factor * rnd.uniform(0.93, 1.07)
                inpatient = int(visits * (0.12 if tier < 4 else 0.0))
                total = visits * per_visit
                hi = total * 0.8
                drugs = 0.47 if code == "79001" and factor > 1 else 0.38
                row = (day, code, p, visits, visits - inpatient, inpatient, inpatient,
                       inpatient * 5, visits // 40, visits // 30, total, hi, hi * 0.96,
                       hi * 0.04, total * drugs, total * 0.12, total * (0.88 - drugs))
                self.days.append(row)
                acc = per_province.setdefault((p, day), [0.0] * len(DAY_METRICS))
                for k, v in enumerate(row[3:]):
                    acc[k] += float(v)
                day += timedelta(days=1)
        for (p, day), acc in sorted(per_province.items()):
            self.provinces.append((day, p, *[int(v) for v in acc[:7]], *acc[7:]))
        for rank, code in enumerate(sorted(self.jumps), 1):
            expected = self._mean_cost(code, date(2026, 1, 1), date(2026, 2, 28))
            observed = self._mean_cost(code, date(2026, 4, 1), date(2026, 4, 30))
            self.anomalies.append(anomaly(code, observed=observed, expected=expected,
                                          band=(expected * 0.8, expected * 1.12),
                                          percentile=96.0 + rank, rank=rank,
                                          volume=self._visits(code, 4)))
        march = (date(2026, 3, 1), date(2026, 3, 31))
        self.anomalies.append(anomaly(
            "79001", start=march[0], end=march[1], observed=self._mean_cost("79001", *march),
            expected=self.anomalies[-1].expected, band=(self.anomalies[-1].peer_low,
                                                        self.anomalies[-1].peer_high)))
        self.anomalies.append(anomaly("79001", "drug_share", observed=0.47, expected=0.38,
                                      band=(0.30, 0.43), excess=120_000_000.0, rank=4))
        # A count's figures are the month's totals, as the detector reports them.
        self.anomalies.append(anomaly("79002", "admissions", level="watch", observed=900,
                                      expected=660, band=(450, 840), excess=0.0, rank=0))
        return self

    def _mean_cost(self, code: str, first: date, last: date) -> float:
        rows = [r for r in self.days if r[1] == code and first <= r[0] <= last]
        return float(sum(r[10] for r in rows) / sum(r[3] for r in rows))

    def _visits(self, code: str, month: int) -> int:
        return sum(int(r[3]) for r in self.days if r[1] == code and r[0].month == month
                   and r[0].year == 2026)

    def load(self, db: Any) -> None:
        create_fund_detect_tables(db)
        db.insert("facilities", FACILITY_COLUMNS, self.facilities)
        db.insert("facility_day", ("day", "facility", "province", *DAY_METRICS), self.days)
        detected = datetime(2026, 5, 2, tzinfo=UTC)
        db.insert("anomalies", (*ANOMALY_COLUMNS, "detected_at"),
                  [anomaly_row(a, detected) for a in self.anomalies])


# --- chdb: the same SQL on a modern engine ---------------------------------------------------
class ChdbDb:
    """The ``Db`` seam on chdb: parameters escaped as clickhouse-driver does, results typed
    back to the driver's Python values from the JSON metadata."""

    def __init__(self) -> None:
        from chdb import session

        self._session = session.Session()  # type: ignore[no-untyped-call]
        self._session.query("CREATE DATABASE IF NOT EXISTS fundtest")  # type: ignore[no-untyped-call]
        self._session.query("USE fundtest")  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self._session.cleanup()  # type: ignore[no-untyped-call]

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        text = sql % _escaped(params) if params else sql
        result = self._session.query(text, "JSONCompact")  # type: ignore[no-untyped-call]
        raw = result.bytes()
        if not raw.strip():
            return []
        body = json.loads(raw)
        types = [m["type"] for m in body["meta"]]
        return [tuple(_typed(t, v) for t, v in zip(types, row, strict=True))
                for row in body["data"]]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        for i in range(0, len(rows), 5000):
            values = ", ".join("(" + ", ".join(_literal(v) for v in r) + ")"
                               for r in rows[i:i + 5000])
            self._session.query(  # type: ignore[no-untyped-call]
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")


def _escaped(params: dict[str, Any]) -> dict[str, str]:
    return {k: _literal(v) for k, v in params.items()}


def _literal(v: Any) -> str:
    from clickhouse_driver.util.escape import escape_param

    class _Context:
        server_info = None
        settings: dict[str, Any] = {}
    if isinstance(v, datetime):
        return f"'{v.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}'"
    if isinstance(v, date):
        return f"'{v.isoformat()}'"
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, tuple):
        return "(" + ", ".join(_literal(x) for x in v) + ")"
    return str(escape_param(v, _Context()))


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind.startswith("Array("):
        return [_typed(kind[6:-1], x) for x in value]
    if kind == "Date":
        return date.fromisoformat(value)
    if kind.startswith("DateTime"):  # the wall time in the column's zone
        zone = kind[len("DateTime('"):-2] if kind.startswith("DateTime('") else "UTC"
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone))
    if kind.startswith(("UInt", "Int")):
        return int(value)
    if kind.startswith(("Float", "Decimal")):
        return float(value)
    return value


MIGRATIONS = Path(__file__).parents[1] / "infra" / "migrations"


def run_migration(db: Any, name: str) -> None:
    """A migration file's statements through ``db`` (chdb has no migration ledger)."""
    sql = "\n".join(line for line in (MIGRATIONS / name).read_text().splitlines()
                    if not line.lstrip().startswith("--"))
    for statement in filter(str.strip, sql.split(";")):
        db.rows(statement)


CLAIM_COLUMNS = ("facility", "province", "claim_id", "version", "person_key", "inpatient",
                 "ma_benh_chinh", "ngay_vao", "ngay_ra", "t_tongchi_bv", "t_bhtt",
                 "ingested_at")
DECISION_COLUMNS = ("facility", "province", "claim_id", "version", "revision", "outcome",
                    "requested", "approved", "rejected", "warned", "hit_codes", "ver",
                    "service_date", "ingested_at")


def claims_rows(facility: str = "79001", n: int = 12) -> tuple[list[Row], list[Row]]:
    """``n`` claims of April 2026 at ``facility`` (two versions of the first), decided; every
    third one warned."""
    stamp = datetime(2026, 5, 1, tzinfo=UTC)
    claims: list[Row] = []
    decisions: list[Row] = []
    for i in range(n):
        cid = f"{facility}_LK{i:04d}"
        start = datetime(2026, 4, 1 + i % 28, 8, 0)
        total = Decimal(f"{1_200_000 + i * 150_000}.00")
        hi = (total * Decimal("0.8")).quantize(Decimal("0.01"))
        versions = (1, 2) if i == 0 else (1,)
        for v in versions:
            claims.append((facility, facility[:2], cid, v, f"P{i:09d}", int(i % 4 == 0),
                           "J18.9" if i % 2 else "I10", start, start + timedelta(days=i % 4),
                           total, hi, stamp))
        outcome = "WARN" if i % 3 == 0 else "ACCEPT"
        decisions.append((facility, facility[:2], cid, versions[-1], 1, outcome, hi,
                          hi if outcome == "ACCEPT" else hi * Decimal("0.9"),
                          Decimal(0) if outcome == "ACCEPT" else hi * Decimal("0.1"),
                          int(outcome == "WARN"), ["CB01"] if outcome == "WARN" else [],
                          1, start.date(), stamp))
    return claims, decisions


def load_claims(db: Any, facility: str = "79001") -> None:
    claims, decisions = claims_rows(facility)
    db.insert("claims", CLAIM_COLUMNS, claims)
    db.insert("decisions", DECISION_COLUMNS, decisions)

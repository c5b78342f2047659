"""The fund pages' SQL: monthly sums per province and facility, a facility's days, the register,
claims and their decisions. Every text runs on ClickHouse 18.16 and on a current engine (tests
run each on the server and on chdb): plain GROUP BY, no window functions, no WITH FILL, dates
compared as Date, FINAL on the ReplacingMergeTree tables.

Jurisdiction is part of every query's WHERE (``scope_sql``): a province account's page never
reads another province's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from streams.fund.notices.compose import month_bounds
from streams.fund.notices.db import Db
from streams.fund.notices.store import scope_sql
from streams.jurisdiction import Jurisdiction

SUMS = ("hi_cost", "approved", "visits", "total_cost", "admissions", "bed_days")
DAY_COLUMNS = ("visits", "admissions", "bed_days", "referrals_out", "total_cost", "hi_cost",
               "drug_cost", "supply_cost", "service_cost", "inpatient")
_SUM_SQL = ", ".join(f"sum({c})" for c in SUMS)


@dataclass(frozen=True)
class Sums:
    hi_cost: float = 0.0
    approved: float = 0.0
    visits: float = 0.0
    total_cost: float = 0.0
    admissions: float = 0.0
    bed_days: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(*(getattr(self, k) + getattr(other, k) for k in SUMS))

    @property
    def cost_per_visit(self) -> float | None:
        return self.total_cost / self.visits if self.visits else None


def _sums(values: tuple[Any, ...]) -> Sums:
    return Sums(*(float(v or 0) for v in values))


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    province: str
    district: str
    tier: int
    kind: str


def shift(month: int, months: int) -> int:
    """``month`` (YYYYMM) moved by ``months`` (negative: back)."""
    index = (month // 100) * 12 + month % 100 - 1 + months
    return (index // 12) * 100 + index % 12 + 1


def span(first_month: int, last_month: int) -> tuple[date, date]:
    return month_bounds(first_month)[0], month_bounds(last_month)[1]


class FundQueries:
    def __init__(self, db: Db) -> None:
        self._db = db

    def latest_month(self) -> int | None:
        rows = self._db.rows("SELECT toUInt32(toYYYYMM(max(day))), count() FROM province_day")
        return int(rows[0][0]) if rows and rows[0][1] else None

    def province_months(self, who: Jurisdiction, first: int, last: int
                        ) -> dict[tuple[str, int], Sums]:
        """(old province code, month) → sums, over the months ``first``..``last``."""
        a, b = span(first, last)
        params: dict[str, Any] = {"a": a, "b": b}
        if who.role == "district":  # a district is a set of facilities: from facility_day
            cond, extra = scope_sql(who)
            sql = (f"SELECT province, toUInt32(toYYYYMM(day)) AS m, {_SUM_SQL} FROM "
                   f"facility_day WHERE day >= %(a)s AND day <= %(b)s AND {cond} "
                   "GROUP BY province, m")
            params.update(extra)
        else:
            cond = "province = %(p)s" if who.role == "province" else "1"
            params["p"] = who.scope
            sql = (f"SELECT province, toUInt32(toYYYYMM(day)) AS m, {_SUM_SQL} FROM "
                   f"province_day WHERE day >= %(a)s AND day <= %(b)s AND {cond} "
                   "GROUP BY province, m")
        return {(str(r[0]), int(r[1])): _sums(r[2:]) for r in self._db.rows(sql, params)}

    def facility_months(self, who: Jurisdiction, first: int, last: int,
                        codes: tuple[str, ...] = (), facilities: tuple[str, ...] = ()
                        ) -> dict[tuple[str, int], Sums]:
        """(facility, month) → sums for the facilities of old province ``codes`` or the
        listed ``facilities``, within ``who``'s jurisdiction."""
        a, b = span(first, last)
        cond, params = scope_sql(who)
        params = {**params, "a": a, "b": b, "codes": codes, "fs": facilities}
        wanted = ("substring(facility, 1, 2) IN %(codes)s" if codes else
                  "facility IN %(fs)s" if facilities else "1")
        rows = self._db.rows(
            f"SELECT facility, toUInt32(toYYYYMM(day)) AS m, {_SUM_SQL} FROM facility_day "
            f"WHERE day >= %(a)s AND day <= %(b)s AND {cond} AND {wanted} "
            "GROUP BY facility, m", params)
        return {(str(r[0]), int(r[1])): _sums(r[2:]) for r in rows}

    def register(self, who: Jurisdiction | None, codes: tuple[str, ...] = (),
                 facilities: tuple[str, ...] = (), tier: int | None = None,
                 kind: str | None = None) -> list[Facility]:
        """Facilities of the register; ``who`` None: not limited to a jurisdiction (peers,
        which pages only show as an aggregate)."""
        cond, params = scope_sql(who) if who is not None else ("1", {})
        parts = [cond]
        if codes:
            parts.append("substring(facility, 1, 2) IN %(codes)s")
        if facilities:
            parts.append("facility IN %(fs)s")
        if tier is not None:
            parts.append("tier = %(tier)s")
        if kind is not None:
            parts.append("kind = %(kind)s")
        rows = self._db.rows(
            "SELECT facility, name, province, district, tier, kind FROM facilities FINAL "
            f"WHERE {' AND '.join(parts)} ORDER BY facility",
            {**params, "codes": codes, "fs": facilities, "tier": tier, "kind": kind})
        return [Facility(str(f), str(n), str(p), str(d), int(t), str(k))
                for f, n, p, d, t, k in rows]

    def days(self, facility: str, first: date, last: date) -> list[tuple[date, dict[str, float]]]:
        rows = self._db.rows(
            "SELECT day, " + ", ".join(f"sum({c})" for c in DAY_COLUMNS) + " FROM facility_day "
            "WHERE facility = %(f)s AND day >= %(a)s AND day <= %(b)s GROUP BY day ORDER BY day",
            {"f": facility, "a": first, "b": last})
        return [(r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0])),
                 {c: float(v or 0) for c, v in zip(DAY_COLUMNS, r[1:], strict=True)})
                for r in rows]

    def claims(self, facility: str, month: int, limit: int = 50) -> list[dict[str, Any]]:
        """The month's claims of ``facility`` with the largest HI amount, each with its
        latest decision (outcome, approved, rejected, warned)."""
        a, b = month_bounds(month)
        rows = self._db.rows(
            "SELECT claim_id, version, inpatient, ma_benh_chinh, ngay_vao, ngay_ra, "
            "t_tongchi_bv, t_bhtt FROM claims FINAL WHERE facility = %(f)s AND "
            "toDate(ngay_vao) >= %(a)s AND toDate(ngay_vao) <= %(b)s "
            "ORDER BY t_bhtt DESC, claim_id LIMIT %(n)s", {"f": facility, "a": a, "b": b,
                                                            "n": limit})
        latest: dict[str, dict[str, Any]] = {}
        for cid, version, inpatient, icd, start, end, total, hi in rows:
            if cid in latest and latest[cid]["version"] >= int(version):
                continue
            latest[str(cid)] = {"claim_id": str(cid), "version": int(version),
                                "inpatient": bool(inpatient), "diagnosis": str(icd),
                                "start": start, "end": end, "total": float(total),
                                "hi": float(hi), "outcome": "", "approved": None,
                                "rejected": None, "warned": False, "hits": []}
        if latest:
            decided = self._db.rows(
                "SELECT claim_id, version, outcome, approved, rejected, warned, hit_codes "
                "FROM decisions FINAL WHERE facility = %(f)s AND claim_id IN %(ids)s",
                {"f": facility, "ids": tuple(sorted(latest))})
            for cid, version, outcome, approved, rejected, warned, hits in decided:
                row = latest.get(str(cid))
                if row is not None and row["version"] == int(version):
                    row.update(outcome=str(outcome), approved=float(approved),
                               rejected=float(rejected), warned=bool(warned),
                               hits=list(hits))
        return sorted(latest.values(), key=lambda r: (-r["hi"], r["claim_id"]))

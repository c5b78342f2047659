"""Reading anomalies and reading/writing the ``notices`` table (migration 0018).

Filters on the detector's ``anomalies`` use only key columns (facility, period_start) and the
period end: the level of an anomaly may change between two detector runs, and a WHERE on it
could pick a superseded row before FINAL collapses them, so levels are filtered here in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from streams.fund.notices.compose import ANOMALY_COLUMNS, Anomaly, month_bounds
from streams.fund.notices.db import Db, Row
from streams.jurisdiction import Jurisdiction

NOTICE_COLUMNS = ("notice_id", "facility", "province", "month", "month_start", "anomaly_ids",
                  "issued_at",
                  "status", "followup", "fetched_at", "acknowledged_at", "acknowledged_by",
                  "updated_at")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # "never" in the DateTime columns (no Nullable here)
_ANOMALIES = "SELECT " + ", ".join(ANOMALY_COLUMNS) + " FROM anomalies FINAL"
_NOTICES = "SELECT " + ", ".join(NOTICE_COLUMNS) + " FROM notices FINAL"


@dataclass(frozen=True)
class NoticeRow:
    notice_id: str
    facility: str
    province: str
    month: int
    anomaly_ids: tuple[str, ...]
    issued_at: datetime
    status: str = "issued"
    followup: str = ""
    fetched_at: datetime = EPOCH
    acknowledged_at: datetime = EPOCH
    acknowledged_by: str = ""
    updated_at: datetime = EPOCH

    @classmethod
    def of_row(cls, row: Row) -> NoticeRow:
        values = dict(zip(NOTICE_COLUMNS, row, strict=True))
        del values["month_start"]  # derived from month
        values["anomaly_ids"] = tuple(values["anomaly_ids"])
        for key in ("issued_at", "fetched_at", "acknowledged_at", "updated_at"):
            stamp = values[key]
            values[key] = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
        return cls(**values)

    def as_row(self) -> Row:
        derived = {"anomaly_ids": list(self.anomaly_ids),
                   "month_start": month_bounds(self.month)[0]}
        return tuple(derived[k] if k in derived else getattr(self, k) for k in NOTICE_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in NOTICE_COLUMNS
                               if k != "month_start"}
        out["anomaly_ids"] = list(self.anomaly_ids)
        for key in ("issued_at", "fetched_at", "acknowledged_at", "updated_at"):
            out[key] = None if out[key] <= EPOCH else out[key].isoformat()
        return out


def scope_sql(who: Jurisdiction) -> tuple[str, dict[str, Any]]:
    """A WHERE condition on ``facility`` for what ``who`` may see (" 1 " for central)."""
    if who.role == "central":
        return "1", {}
    if who.role == "province":
        return "substring(facility, 1, 2) = %(scope)s", {"scope": who.scope}
    if who.role == "district":
        return ("facility IN %(area)s", {"area": tuple(sorted(who.area))}) if who.area \
            else ("0", {})
    return "facility = %(scope)s", {"scope": who.scope}


class NoticeStore:
    def __init__(self, db: Db) -> None:
        self._db = db

    # --- anomalies ------------------------------------------------------------------------
    def month_anomalies(self, month: int, facility: str | None = None) -> list[Anomaly]:
        """Every anomaly (watch and notice) whose period overlaps ``month``."""
        first, last = month_bounds(month)
        where = " WHERE period_start <= %(last)s AND period_end >= %(first)s"
        params: dict[str, Any] = {"first": first, "last": last}
        if facility:
            where += " AND facility = %(f)s"
            params["f"] = facility
        return [Anomaly.of_row(r) for r in self._db.rows(_ANOMALIES + where, params)]

    def anomalies(self, ids: list[str] | tuple[str, ...]) -> list[Anomaly]:
        if not ids:
            return []
        rows = self._db.rows(_ANOMALIES + " WHERE anomaly_id IN %(ids)s", {"ids": tuple(ids)})
        return [Anomaly.of_row(r) for r in rows]

    def facility_names(self, facilities: list[str]) -> dict[str, str]:
        if not facilities:
            return {}
        rows = self._db.rows("SELECT facility, name FROM facilities FINAL WHERE facility IN "
                             "%(f)s", {"f": tuple(sorted(set(facilities)))})
        return {str(f): str(n) for f, n in rows}

    # --- notices --------------------------------------------------------------------------
    def of_facilities(self, facilities: list[str], before: int | None = None,
                      month: int | None = None) -> list[NoticeRow]:
        if not facilities:
            return []
        where = " WHERE facility IN %(f)s"
        params: dict[str, Any] = {"f": tuple(sorted(set(facilities)))}
        if before is not None:
            where += " AND month < %(before)s"
            params["before"] = before
        if month is not None:
            where += " AND month = %(month)s"
            params["month"] = month
        return [NoticeRow.of_row(r) for r in self._db.rows(_NOTICES + where, params)]

    def of_month(self, month: int) -> list[NoticeRow]:
        rows = self._db.rows(_NOTICES + " WHERE month = %(m)s", {"m": month})
        return [NoticeRow.of_row(r) for r in rows]

    def get(self, notice_id: str) -> NoticeRow | None:
        rows = self._db.rows(_NOTICES + " WHERE notice_id = %(i)s", {"i": notice_id})
        return NoticeRow.of_row(rows[0]) if rows else None

    def listing(self, who: Jurisdiction, month: int | None) -> list[NoticeRow]:
        cond, params = scope_sql(who)
        where = f" WHERE {cond}" + (" AND month = %(m)s" if month else "")
        rows = self._db.rows(_NOTICES + where + " ORDER BY month DESC, facility LIMIT 5000",
                             {**params, "m": month})
        return [NoticeRow.of_row(r) for r in rows]

    def write(self, rows: list[NoticeRow]) -> None:
        self._db.insert("notices", NOTICE_COLUMNS, [r.as_row() for r in rows])

    def update(self, row: NoticeRow, **changes: Any) -> NoticeRow:
        """Write ``row`` with ``changes`` as its new version. updated_at moves at least one
        second past the previous version: the column counts seconds, and two changes within
        one second must still be ordered."""
        now = datetime.now(UTC).replace(microsecond=0)
        stamp = max(now, row.updated_at + timedelta(seconds=1))
        new = replace(row, **changes, updated_at=stamp)
        self.write([new])
        return new

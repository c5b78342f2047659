"""Keeping facility_day current: recompute whole days from the deduplicated claims and
decisions (infra/migrations/0015_facility_day.sql says why a maintained table).

The SQL is built here as text and runs unchanged on ClickHouse 18.16 and on chdb (a modern
engine), which the tests prove; ``Query`` is whichever engine runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

Query = Callable[[str], list[tuple[Any, ...]]]
_NAME = re.compile(r"[a-z0-9_-]{1,40}")
CHUNK_DAYS = 31  # days recomputed by one INSERT ... SELECT
WATERMARK_COLUMNS = ("name", "watermark", "refreshed_at")  # fund_refresh
DAY_COLUMNS = (
    "day", "facility", "province", "visits", "outpatient", "inpatient", "admissions",
    "bed_days", "referrals_in", "referrals_out", "total_cost", "hi_cost", "approved",
    "rejected", "drug_cost", "supply_cost", "service_cost", "inpatient_cost", "decided",
    "hit_codes", "hit_claims", "refreshed_at", "ver",
)


def as_date(value: Any) -> date:
    """A Date as the driver (a date) or chdb's JSON (ISO text) returns it."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def as_datetime(value: Any) -> datetime:
    """A DateTime('UTC') as either engine returns it, as an aware UTC datetime."""
    out = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def _days_list(days: Iterable[date]) -> str:
    return ", ".join(f"toDate('{d.isoformat()}')" for d in sorted(set(days)))


def day_rows_sql(days: Iterable[date]) -> str:
    """SELECT of the facility_day rows (all columns but refreshed_at and ver) of ``days``.

    The latest version of each claim with a version on one of the days is chosen among ALL
    its versions (a correction may move a claim to another day: the old day then loses it),
    then joined with that version's highest decision revision. FINAL on both sides collapses
    the sink's re-inserts."""
    wanted = sorted(set(days))
    listed = _days_list(wanted)
    lo, hi = wanted[0].isoformat(), wanted[-1].isoformat()
    # Inner columns are prefixed: ClickHouse aliases are global to a query, so an inner
    # ``inpatient`` would be taken for the outer countIf(...) AS inpatient.
    return f"""
SELECT
    c_day AS day, facility, any(c_province) AS province,
    count() AS visits,
    countIf(c_inpatient = 0) AS outpatient,
    countIf(c_inpatient = 1) AS inpatient,
    countIf(c_kcb = '03') AS admissions,
    sumIf(toUInt64(greatest(c_days, 0)), c_inpatient = 1) AS bed_days,
    countIf(c_route = '1.3') AS referrals_in,
    countIf(c_discharge IN (2, 5)) AS referrals_out,
    sum(c_total) AS total_cost,
    sum(c_hi) AS hi_cost,
    sum(d_approved) AS approved,
    sum(d_rejected) AS rejected,
    sum(c_drug) AS drug_cost,
    sum(c_supply) AS supply_cost,
    sum(greatest(c_total - c_drug - c_supply, 0)) AS service_cost,
    sumIf(c_total, c_inpatient = 1) AS inpatient_cost,
    sum(d_found) AS decided,
    arraySort(groupUniqArrayArray(d_codes)) AS hit_codes,
    groupArrayArray(d_codes) AS every_code,
    arrayMap(x -> toUInt64(countEqual(every_code, x)), hit_codes) AS hit_claims
FROM
(
    SELECT facility, claim_id, version, province AS c_province, toDate(ngay_vao) AS c_day,
           inpatient AS c_inpatient, ma_loai_kcb AS c_kcb, so_ngay_dtri AS c_days,
           ma_doituong_kcb AS c_route, ma_loai_rv AS c_discharge,
           toFloat64(t_tongchi_bv) AS c_total, toFloat64(t_bhtt) AS c_hi,
           toFloat64(t_thuoc) AS c_drug, toFloat64(t_vtyt) AS c_supply
    FROM claims FINAL
    WHERE (facility, claim_id) IN
        (SELECT facility, claim_id FROM claims
         WHERE toDate(ngay_vao) >= toDate('{lo}') AND toDate(ngay_vao) <= toDate('{hi}')
           AND toDate(ngay_vao) IN ({listed}))
    ORDER BY facility, claim_id, version DESC
    LIMIT 1 BY facility, claim_id
) AS c
ANY LEFT JOIN
(
    SELECT facility, claim_id, version, toFloat64(approved) AS d_approved,
           toFloat64(rejected) AS d_rejected, hit_codes AS d_codes, toUInt64(1) AS d_found
    FROM decisions FINAL
    WHERE service_date >= toDate('{lo}') AND service_date <= toDate('{hi}')
) AS d USING (facility, claim_id, version)
WHERE c_day IN ({listed})
GROUP BY facility, c_day"""


def insert_days_sql(days: Iterable[date], now: datetime) -> str:
    """INSERT ... SELECT that replaces the facility_day rows of ``days``."""
    ver = int(now.timestamp() * 1000)
    columns = ", ".join(DAY_COLUMNS)
    picked = ", ".join(DAY_COLUMNS[:-2])
    return (f"INSERT INTO facility_day ({columns})\nSELECT {picked}, "
            f"toDateTime('{now:%Y-%m-%d %H:%M:%S}', 'UTC') AS refreshed_at, "
            f"toUInt64({ver}) AS ver\nFROM ({day_rows_sql(days)})")


def emptied_days_sql(days: Iterable[date], now: datetime) -> str:
    """INSERT ... SELECT that zeroes the rows of ``days`` the recomputation at ``now`` did not
    write: a facility-day whose last claim moved to another day (a corrected NGAY_VAO) has no
    row in the new result, and its old row must not keep counting the claim."""
    ver = int(now.timestamp() * 1000)
    counts = ", ".join("toUInt64(0)" for _ in range(7))
    amounts = ", ".join("toFloat64(0)" for _ in range(8))
    return (f"INSERT INTO facility_day ({', '.join(DAY_COLUMNS)})\n"
            f"SELECT day, facility, province, {counts}, {amounts}, toUInt64(0), "
            f"emptyArrayString(), emptyArrayUInt64(), "
            f"toDateTime('{now:%Y-%m-%d %H:%M:%S}', 'UTC'), toUInt64({ver})\n"
            f"FROM facility_day FINAL WHERE day IN ({_days_list(days)}) AND ver < {ver}")


def touched_days_sql(since: datetime) -> tuple[str, str]:
    """The days whose facility_day rows may be stale: days of any version of a claim stored
    after ``since``, and service days of decisions stored after it."""
    t = f"toDateTime('{since:%Y-%m-%d %H:%M:%S}', 'UTC')"
    claims = (f"SELECT DISTINCT toDate(ngay_vao) FROM claims WHERE (facility, claim_id) IN "
              f"(SELECT facility, claim_id FROM claims WHERE ingested_at > {t})")
    decisions = f"SELECT DISTINCT service_date FROM decisions WHERE ingested_at > {t}"
    return claims, decisions


def refresh_days(query: Query, days: Iterable[date], now: datetime | None = None,
                 optimize: bool = True, progress: Callable[[int], None] | None = None
                 ) -> int:
    """Recompute facility_day for ``days`` (in chunks), zero the facility-days left without
    claims, then merge their partitions so plain reads see one row per key. Returns the
    number of days recomputed."""
    wanted = sorted(set(days))
    when = now or datetime.now(UTC)  # to the millisecond: the version of the rows written
    for i in range(0, len(wanted), CHUNK_DAYS):
        chunk = wanted[i:i + CHUNK_DAYS]
        query(insert_days_sql(chunk, when))
        query(emptied_days_sql(chunk, when))
        if progress:
            progress(len(chunk))
    if optimize:
        for month in sorted({d.year * 100 + d.month for d in wanted}):
            query(f"OPTIMIZE TABLE facility_day PARTITION {month} FINAL")
    return len(wanted)


def refresh_touched(query: Query, name: str, margin_seconds: float,
                    now: datetime | None = None) -> int:
    """The continuous refresh: recompute the days touched since this loop's watermark (less
    ``margin_seconds``: a sink batch stamped before the last refresh may have been committed
    after it), then move the watermark. Returns the days recomputed."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"refresh name: {name!r} is not a plain name")
    exact = now or datetime.now(UTC)  # the rows' version, to the millisecond
    started = exact.replace(microsecond=0)  # the watermark (DateTime: seconds)
    rows = query(f"SELECT max(watermark) FROM fund_refresh FINAL WHERE name = '{name}'")
    last = as_datetime(rows[0][0]) if rows and rows[0][0] else datetime(1970, 1, 2, tzinfo=UTC)
    since = max(last - timedelta(seconds=margin_seconds), datetime(1970, 1, 2, tzinfo=UTC))
    days: set[date] = set()
    for sql in touched_days_sql(since):
        days.update(as_date(r[0]) for r in query(sql))
    done = refresh_days(query, days, exact) if days else 0
    query(f"INSERT INTO fund_refresh (name, watermark, refreshed_at) SELECT '{name}', "
          f"toDateTime('{started:%Y-%m-%d %H:%M:%S}', 'UTC'), now()")
    return done

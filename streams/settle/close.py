"""``hireview settle``: close a period for facilities and write the ledger rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clickhouse_driver import Client

from streams.clickhouse.db import insert_rows
from streams.settle.funding import Query, now_utc
from streams.settle.ledger import (
    ENTRY_COLUMNS,
    SETTLEMENT_COLUMNS,
    LedgerError,
    Settlement,
    candidates,
    open_facilities,
    settle_batch,
)
from streams.settle.periods import Period

BATCH_FACILITIES = 250  # facilities per query round: an IN list ClickHouse parses quickly


@dataclass
class Closed:
    settlements: list[Settlement]
    skipped: list[str]  # already closed: never rewritten
    entries: int


def query_of(client: Client) -> Query:
    def query(sql: str, params: dict[str, object]) -> list[tuple[object, ...]]:
        rows: list[tuple[object, ...]] = client.execute(sql, params)
        return rows
    return query


def close_period(client: Client, period: Period, facilities: Iterable[str] | None = None, *,
                 by: str = "hireview settle", now: datetime | None = None,
                 today: date | None = None, progress: Callable[[int, int], None] | None = None
                 ) -> Closed:
    """Close ``period`` for ``facilities`` (default: every facility with claims in it or a
    settlement in its chain). Refuses a period that has not ended yet (Vietnam's calendar)."""
    now = now or now_utc()
    today = today or (now + timedelta(hours=7)).date()
    if period.end >= today:
        raise LedgerError(f"period: {period.label} ends on {period.end.isoformat()}; it can be "
                          "closed from the next day on")
    query = query_of(client)
    wanted = tuple(facilities) if facilities is not None else candidates(query, period)
    todo, skipped = open_facilities(query, period, wanted)
    out: list[Settlement] = []
    entries = 0
    for i in range(0, len(todo), BATCH_FACILITIES):
        batch = tuple(todo[i:i + BATCH_FACILITIES])
        done = settle_batch(query, period, batch, now, by)
        rows = [e for s in done for e in s.entries]
        # Entries first: a crash between the two INSERTs leaves no header, so the facility is
        # still open and the next run writes the same entry keys again (they collapse).
        if rows:
            insert_rows(client, "settlement_entries", ENTRY_COLUMNS, rows)
        insert_rows(client, "settlements", SETTLEMENT_COLUMNS, [s.header for s in done])
        entries += len(rows)
        out.extend(done)
        if progress:
            progress(min(i + BATCH_FACILITIES, len(todo)), len(todo))
    return Closed(out, skipped, entries)

"""The ledger's SQL on a modern ClickHouse (chdb, in process): the migrations the ledger reads
and writes, a quarter of decisions written with the sink's row builders, and a close whose
figures equal sums computed here in Python from the same decision records. (The integration
tests run the same on the 18.16 server.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from clickhouse_driver.context import Context
from clickhouse_driver.util.escape import escape_params

from streams.bench.settle_data import simulate
from streams.clickhouse.db import load_migrations
from streams.settings import ROOT
from streams.settle.ledger import open_facilities, settle_batch
from streams.settle.periods import Period
from streams.sink.review_rows import decision_trail_tables

Q1 = Period.parse("quarter", "2025-Q1")
FACILITIES = ("01001", "79001")
_TABLES = {1, 3, 4, 6, 11, 12, 19, 20, 21}  # claims, decisions, rule_hits (+ mode), the trail, ours


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, datetime):
        return f"'{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}'"
    if isinstance(value, date):
        return f"'{value:%Y-%m-%d}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return str(value)


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Any]:
    from chdb import session

    make: Any = session.Session  # chdb has no type hints
    s = make(str(tmp_path / "chdb"))
    s.query("CREATE DATABASE IF NOT EXISTS h")
    s.query("USE h")
    for m in load_migrations(ROOT / "infra" / "migrations"):
        if m.id in _TABLES:
            for statement in m.statements:
                if "VIEW" not in statement and not statement.startswith("DROP"):
                    s.query(statement)
    yield s
    s.close()


def total(values: Any) -> Decimal:
    return sum((Decimal(str(v)).quantize(Decimal("0.01")) for v in values), Decimal(0))


def test_a_quarter_closes_to_the_python_sums_on_a_modern_engine(engine: Any) -> None:
    decisions = list(simulate(FACILITIES, 40, Q1.start, Q1.end, seed=21))
    now = datetime(2025, 4, 2, tzinfo=UTC)

    def insert(table: str, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            engine.query(f"INSERT INTO {table} ({', '.join(row)}) VALUES ("
                         + ", ".join(_literal(v) for v in row.values()) + ")")

    for d in decisions:
        for table, rows in decision_trail_tables(d, now).items():
            insert(table, rows)
    context = Context()

    def query(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        text = sql % escape_params(params, context)
        table = engine.query(text, "ArrowTable")  # typed: dates, Decimals, ints
        return [tuple(row.values()) for row in table.to_pylist()]

    assert open_facilities(query, Q1, FACILITIES) == (list(FACILITIES), [])
    closed = settle_batch(query, Q1, FACILITIES, now, "test")
    done = {s.facility: s.header for s in closed}

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for d in decisions:  # the highest version, then the highest revision of it
        key = (d["facility"], d["claim_id"])
        if key not in latest or (d["version"], d["revision"]) > (latest[key]["version"],
                                                                   latest[key]["revision"]):
            latest[key] = d
    for facility in FACILITIES:
        mine = [d for (f, _), d in latest.items() if f == facility]
        review = total(sum(h["amount"] for h in d["hits"] if h["code"] == "REVIEW")
                       for d in mine)
        header = done[facility]
        assert header["claims"] == len(mine)
        assert header["requested"] == total(d["requested"] for d in mine)
        assert header["approved"] == total(d["approved"] for d in mine if d["outcome"] != "WARN")
        assert header["under_review"] == total(d["approved"] for d in mine
                                               if d["outcome"] == "WARN")
        assert header["rejected_review"] == review
        assert header["rejected_rule"] == total(d["rejected"] for d in mine) - review
        assert header["reviewed_claims"] == sum(1 for d in mine if d["reviewed_by"])

    # Written, then a waiting claim confirmed late: the next quarter's one adjustment.
    insert("settlement_entries", [e for s in closed for e in s.entries])
    insert("settlements", [s.header for s in closed])
    waiting = next(d for d in latest.values() if d["outcome"] == "WARN")
    for table, rows in decision_trail_tables({**waiting, "revision": waiting["revision"] + 1,
                                              "outcome": "ACCEPT", "reviewed_by": "lan",
                                              "review_id": "c" * 32}, now).items():
        insert(table, rows)
    q2 = Q1.next()
    assert open_facilities(query, q2, FACILITIES) == (list(FACILITIES), [])
    (second,) = settle_batch(query, q2, (waiting["facility"],), now, "test")
    assert second.adjustment_claims == 1 and second.claims == 0
    assert second.header["adjustment_approved"] == Decimal(str(waiting["approved"])).quantize(
        Decimal("0.01"))
    assert second.header["adjustment_review"] == -second.header["adjustment_approved"]

"""chdb (the in-process modern ClickHouse) as a second engine for the analytics SQL: the
migrations applied to a fresh session, rows inserted as JSON, queries returning tuples."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from chdb import session

from streams.clickhouse.db import load_migrations
from streams.settings import ROOT


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        # Aware instants go in as UTC text; naive ones are facility wall-clock time, which a
        # DateTime('Asia/Ho_Chi_Minh') column reads as its own zone (as the sink means them).
        local = value.astimezone(UTC) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class Chdb:
    def __init__(self, path: Path, database: str = "hireview") -> None:
        untyped: Any = session.Session  # chdb's functions carry no annotations
        self.session: Any = untyped(str(path))
        self.session.query("SET output_format_json_quote_64bit_integers = 0")
        # Views of 0012/0013 join unaliased subqueries, which modern servers refuse unless
        # told otherwise; the fund SQL aliases its subqueries and needs no such setting.
        self.session.query("SET joined_subquery_requires_alias = 0")
        self.session.query(f"CREATE DATABASE IF NOT EXISTS {database}")
        self.session.query(f"USE {database}")
        self.migrations = load_migrations(ROOT / "infra" / "migrations")
        for m in self.migrations:
            for statement in m.statements:
                self.session.query(statement)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        result = self.session.query(sql, "JSONCompact")
        text = result.bytes()
        if not text.strip():
            return []
        return [tuple(row) for row in json.loads(text)["data"]]

    def insert(self, table: str, columns: Sequence[str],
               rows: Sequence[Mapping[str, Any]]) -> None:
        lines = "\n".join(json.dumps({c: _json(r[c]) for c in columns}) for r in rows)
        self.session.query(f"INSERT INTO {table} FORMAT JSONEachRow\n{lines}")

    def close(self) -> None:
        self.session.close()

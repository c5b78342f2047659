"""The one database seam of the notices and the fund pages: run a query, insert rows.

Production uses the ClickHouse server through clickhouse-driver (``ServerDb``); the tests also
run every query through chdb (the in-process modern ClickHouse) behind the same two methods, so
each SQL text is proven on 18.16 and on a current engine. Results are plain Python values
(``date``, ``datetime``, ``int``, ``float``, ``str``, ``list``) whichever engine answered.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from clickhouse_driver import Client

Row = tuple[Any, ...]


class Db(Protocol):
    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        """The rows of ``sql`` with ``%(name)s`` parameters substituted."""

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert ``rows`` (tuples in ``columns`` order) into ``table``."""


class ServerDb:
    """One driver connection, shared by request threads under a lock (the driver is not
    thread-safe)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        with self._lock:
            found: list[Row] = self._client.execute(sql, params or {})
        return found

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        with self._lock:
            self._client.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES",
                                 [tuple(r) for r in rows])

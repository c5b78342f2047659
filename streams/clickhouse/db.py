"""ClickHouse access: connection, columnar inserts, and the migration runner (`db migrate`).

Migrations are ``infra/migrations/NNNN_name.sql`` files applied in number order and recorded in
``schema_migrations``. A file may hold several statements separated by ``;``; they run one by one,
so every statement is written to be re-runnable (``IF NOT EXISTS``): a migration that failed half
way is simply applied again. The checksum covers the SQL with comments and whitespace normalised,
so rewording a comment in an applied migration is allowed but changing its SQL is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from clickhouse_driver import Client

from streams.settings import Settings

# Zone of naive datetimes (facility wall-clock times); the DateTime columns holding them say so.
LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    id         UInt32,
    name       String,
    checksum   String,
    applied_at DateTime('UTC')
)
ENGINE = MergeTree ORDER BY id
"""


class MigrationError(RuntimeError):
    """The migration files or the database's migration ledger are inconsistent."""


@dataclass(frozen=True)
class Migration:
    id: int
    name: str
    path: Path
    statements: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.id:04d}_{self.name}"

    @property
    def checksum(self) -> str:
        normalised = "\n;\n".join(" ".join(s.split()) for s in self.statements)
        return hashlib.sha256(normalised.encode()).hexdigest()


def database_name(settings: Settings) -> str:
    name = settings.clickhouse_database
    if not _IDENTIFIER.match(name):
        raise ValueError(f"clickhouse_database: {name!r} is not a plain identifier "
                         "(letters, digits and '_', not starting with a digit)")
    return name


def connect(settings: Settings) -> Client:
    """A native-protocol client on ``settings.clickhouse_database``, creating it if missing.

    Connection problems raise (``clickhouse_driver.errors.NetworkError`` ...): nothing is hidden.
    """
    database = database_name(settings)
    bootstrap = client(settings, database="default")
    try:
        bootstrap.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    finally:
        bootstrap.disconnect()
    return client(settings)


def client(settings: Settings, database: str | None = None) -> Client:
    """A client that connects lazily (on first query) and reconnects after a network error."""
    return Client(host=settings.clickhouse_host, port=settings.clickhouse_port,
                  database=database or database_name(settings),
                  connect_timeout=5, send_receive_timeout=120)


def insert_rows(client: Client, table: str, columns: Sequence[str],
                rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any] | None = None
                ) -> None:
    """One columnar INSERT of ``rows`` (dicts by column name) into ``table``."""
    names = ", ".join(f"`{c}`" for c in columns)
    data = [_epoch_seconds([row[c] for row in rows]) for c in columns]
    client.execute(f"INSERT INTO {table} ({names}) VALUES", data, columnar=True,
                   settings=dict(settings or {}))


def _epoch_seconds(values: list[Any]) -> list[Any]:
    """DateTime columns as epoch seconds: the driver's per-value pytz conversion costs more
    than the rest of the insert. Naive datetimes are facility local time (docs/contracts.md)."""
    first = next((v for v in values if v is not None), None)
    if not isinstance(first, datetime):
        return values
    return [None if v is None else int((v if v.tzinfo else v.replace(tzinfo=LOCAL_ZONE))
                                       .timestamp()) for v in values]


def insert_settings(client: Client) -> dict[str, Any]:
    """Lift the 100-partitions-per-INSERT cap where the server has it (not 18.16): a replay of
    old claims spans many months, and a refused batch would block the sink for good."""
    rows = client.execute("SELECT count() FROM system.settings "
                          "WHERE name = 'max_partitions_per_insert_block'")
    return {"max_partitions_per_insert_block": 0} if rows[0][0] else {}


def split_statements(sql: str) -> list[str]:
    """Split on ``;`` outside quotes and comments; comments are dropped, empty statements too."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise MigrationError("unterminated /* comment")
            i = end + 2
            continue
        if ch in "'`\"":
            end = _closing_quote(sql, i)
            current.append(sql[i:end + 1])
            i = end + 1
            continue
        if ch == ";":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def _closing_quote(sql: str, start: int) -> int:
    quote, i = sql[start], start + 1
    while i < len(sql):
        if sql[i] == "\\":
            i += 2
            continue
        if sql[i] == quote:
            return i
        i += 1
    raise MigrationError(f"unterminated {quote} quote starting at character {start}")


def load_migrations(directory: Path) -> list[Migration]:
    """Every ``NNNN_name.sql`` in ``directory``, in id order; refuses gaps in naming rules."""
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _FILE_NAME.match(path.name)
        if not m:
            raise MigrationError(f"{path}: migration files are named NNNN_lowercase_name.sql")
        mid = int(m.group(1))
        if mid in migrations:
            raise MigrationError(f"{path}: id {mid:04d} is already used by "
                                 f"{migrations[mid].path.name}")
        try:
            statements = tuple(split_statements(path.read_text(encoding="utf-8")))
        except MigrationError as exc:
            raise MigrationError(f"{path}: {exc}") from exc
        if not statements:
            raise MigrationError(f"{path}: no SQL statement")
        migrations[mid] = Migration(mid, m.group(2), path, statements)
    return [migrations[k] for k in sorted(migrations)]


def migrate(settings: Settings, progress: Callable[[str], None] = print) -> list[str]:
    """Apply pending migrations in order; returns the labels applied (empty when up to date).

    Raises ``MigrationError`` when an applied migration's SQL changed since it was applied.
    """
    migrations = load_migrations(settings.infra_dir / "migrations")
    client = connect(settings)
    try:
        client.execute(_LEDGER_DDL)
        applied = {int(mid): (name, checksum) for mid, name, checksum in client.execute(
            "SELECT id, any(name), any(checksum) FROM schema_migrations GROUP BY id")}
        for mig in migrations:
            if mig.id in applied and applied[mig.id][1] != mig.checksum:
                raise MigrationError(
                    f"migration {mig.label} was applied to {settings.clickhouse_database} with "
                    f"checksum {applied[mig.id][1][:12]} but {mig.path.name} now has "
                    f"{mig.checksum[:12]}: applied migrations must not change; add a new one")
        known = {m.id for m in migrations}
        for mid in sorted(set(applied) - known):
            progress(f"note: {settings.clickhouse_database} has migration {mid:04d}_"
                     f"{applied[mid][0]} which is not in this checkout")
        done: list[str] = []
        for mig in migrations:
            if mig.id in applied:
                continue
            progress(f"applying {mig.label} ({len(mig.statements)} statement(s))")
            for statement in mig.statements:
                client.execute(statement)
            client.execute(
                "INSERT INTO schema_migrations (id, name, checksum, applied_at) VALUES",
                [(mig.id, mig.name, mig.checksum, datetime.now(UTC))])
            done.append(mig.label)
        return done
    finally:
        client.disconnect()

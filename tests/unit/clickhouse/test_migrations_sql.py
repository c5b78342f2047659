"""The migration files: naming, statement splitting, checksums, and SQL that ClickHouse 18.16
(and modern servers) accept — checked without a server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.clickhouse.db import Migration, MigrationError, load_migrations, split_statements
from streams.fund.notices.store import NOTICE_COLUMNS
from streams.fund.refresh import DAY_COLUMNS, WATERMARK_COLUMNS
from streams.fund.store import ANOMALY_COLUMNS, FACILITY_COLUMNS
from streams.fund.store import RUN_COLUMNS as DETECT_RUN_COLUMNS
from streams.replay.core import REPLAY_COLUMNS
from streams.replay.store import RUN_COLUMNS
from streams.settings import ROOT
from streams.settle.funding import ADVANCE_COLUMNS, PARAM_COLUMNS
from streams.settle.ledger import ENTRY_COLUMNS, SETTLEMENT_COLUMNS
from streams.settle.reports import REPORT_COLUMNS, SIGNING_COLUMNS
from streams.sink.review_rows import TRAIL_COLUMNS
from streams.sink.rows import TABLE_COLUMNS

# Every table and the columns its writer inserts: the sink's, hireview replay's, notices',
# hireview detect's (streams/fund/).
WRITERS = {**TABLE_COLUMNS, **TRAIL_COLUMNS, "replay_decisions": REPLAY_COLUMNS,
           "replay_runs": RUN_COLUMNS,
           # the settlement ledger and reports (streams/settle/)
           "settlement_entries": ENTRY_COLUMNS, "settlements": SETTLEMENT_COLUMNS,
           "advances": ADVANCE_COLUMNS, "settlement_params": PARAM_COLUMNS,
           "reports": REPORT_COLUMNS, "report_signings": SIGNING_COLUMNS,
           "notices": NOTICE_COLUMNS,
           # fund monitoring's analytics and detector (0014-0017)
           "facilities": FACILITY_COLUMNS, "facility_day": DAY_COLUMNS,
           "anomalies": ANOMALY_COLUMNS, "detect_runs": DETECT_RUN_COLUMNS,
           "fund_refresh": WATERMARK_COLUMNS}
# Tables whose identity has no date have no partition key: copies of one key must share a
# partition to collapse.
UNPARTITIONED = {"facilities", "fund_refresh"}

MIGRATIONS = ROOT / "infra" / "migrations"

# Constructs 18.16 does not have (all came later); matched on SQL with comments removed.
UNSUPPORTED = {
    "DateTime64": r"\bDateTime64\b",
    "TTL": r"\bTTL\b",
    "LowCardinality": r"\bLowCardinality\b",
    "JSON functions": r"\bJSON\w*\(",
    "CODEC": r"\bCODEC\b",
    "Map type": r"\bMap\s*\(",
    "Date32": r"\bDate32\b",
    "window functions": r"\bOVER\s*\(",
    "skipping indexes": r"\bINDEX\b",
    "projections": r"\bPROJECTION\b",
    "old MergeTree syntax": r"MergeTree\s*\(\s*\w+\s*,",
}


@pytest.fixture(scope="module")
def migrations() -> list[Migration]:
    return load_migrations(MIGRATIONS)


def test_migrations_are_numbered_from_one_without_gaps(migrations: list[Migration]) -> None:
    assert [m.id for m in migrations] == list(range(1, len(migrations) + 1))
    assert [m.label for m in migrations][:5] == [
        "0001_claims", "0002_claim_lines", "0003_decisions", "0004_rule_hits",
        "0005_facility_daily"]


@pytest.mark.parametrize(("name", "pattern"), sorted(UNSUPPORTED.items()))
def test_no_construct_unsupported_by_clickhouse_18_16(
    migrations: list[Migration], name: str, pattern: str
) -> None:
    offending = [m.label for m in migrations for s in m.statements
                 if re.search(pattern, s, re.IGNORECASE)]
    assert offending == [], f"{name} in {offending}"


def test_every_statement_can_be_rerun(migrations: list[Migration]) -> None:
    # A migration that failed half way is applied again from its first statement. 18.16 has no
    # ADD COLUMN IF NOT EXISTS, so an ALTER cannot be re-run: it must be alone in its migration,
    # one ALTER adding every column (it applies all of them or none).
    for m in migrations:
        for s in m.statements:
            if s.startswith("ALTER TABLE"):
                assert len(m.statements) == 1, f"{m.label}: an ALTER must be alone"
                assert re.match(r"ALTER TABLE \w+\s+ADD COLUMN ", s), (m.label, s[:60])
                assert not re.search(r"\b(AFTER|FIRST)\b", s), "added columns go last"
                continue
            assert re.match(r"CREATE (TABLE|VIEW|DATABASE) IF NOT EXISTS |DROP TABLE IF EXISTS ",
                            s), (m.label, s[:60])


def test_tables_use_explicit_replacing_merge_tree(migrations: list[Migration]) -> None:
    tables = [s for m in migrations for s in m.statements if s.startswith("CREATE TABLE")]
    assert len(tables) == len(WRITERS)
    for s in tables:
        name = s.split()[5]
        partition = "" if name in UNPARTITIONED else r"PARTITION BY toYYYYMM\(\w+\)\s+"
        assert re.search(r"ENGINE = ReplacingMergeTree\(\w+\)\s+" + partition +
                         r"ORDER BY \([\w, ]+\)$", s), s[-200:]


def _ddl_columns(statement: str) -> tuple[str, ...]:
    body = statement[statement.index("(") + 1:statement.index("\n)")]
    return tuple(line.split()[0] for line in body.strip().splitlines() if line.strip())


def _added_columns(statement: str) -> tuple[str, tuple[str, ...]]:
    """Table and column names of an ``ALTER TABLE t ADD COLUMN a ..., ADD COLUMN b ...``."""
    table = statement.split()[2]
    return table, tuple(re.findall(r"ADD COLUMN (\w+)", statement))


def test_table_columns_match_the_row_builders(migrations: list[Migration]) -> None:
    ddl = {re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", s).group(1): s  # type: ignore[union-attr]
           for m in migrations for s in m.statements if s.startswith("CREATE TABLE")}
    assert set(ddl) == set(WRITERS)
    got = {table: _ddl_columns(statement) for table, statement in ddl.items()}
    for m in migrations:  # in order: ADD COLUMN appends
        for s in m.statements:
            if s.startswith("ALTER TABLE"):
                table, added = _added_columns(s)
                got[table] += added
    for table, columns in WRITERS.items():
        assert got[table] == columns, table


def test_decisions_version_column_is_the_revision() -> None:
    text = (MIGRATIONS / "0003_decisions.sql").read_text()
    assert "ENGINE = ReplacingMergeTree(ver)" in text
    assert "ORDER BY (facility, claim_id, version);" in text


def test_split_statements_respects_quotes_and_comments() -> None:
    sql = """-- a comment; with a semicolon
    CREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Memory;
    /* block; comment */ SELECT 'it\\'s; fine', "q;q", `c;c`;
    ;
    """
    assert split_statements(sql) == [
        "CREATE TABLE a (x String DEFAULT 'a;b') ENGINE = Memory",
        "SELECT 'it\\'s; fine', \"q;q\", `c;c`",
    ]
    with pytest.raises(MigrationError, match="unterminated"):
        split_statements("SELECT 'open")


def test_checksum_ignores_comments_and_layout_but_not_sql(tmp_path: Path) -> None:
    def checksum(text: str) -> str:
        (tmp_path / "0001_x.sql").write_text(text)
        return load_migrations(tmp_path)[0].checksum

    base = checksum("-- v1\nCREATE TABLE IF NOT EXISTS t (a UInt8) ENGINE = Memory;")
    assert checksum("-- reworded\nCREATE TABLE IF NOT EXISTS t\n  (a UInt8)\nENGINE = Memory") \
        == base
    assert checksum("CREATE TABLE IF NOT EXISTS t (a UInt16) ENGINE = Memory") != base


@pytest.mark.parametrize(("files", "message"), [
    ({"1_x.sql": "SELECT 1"}, "NNNN_lowercase_name.sql"),
    ({"0001_a.sql": "SELECT 1", "0001_b.sql": "SELECT 2"}, "already used"),
    ({"0001_a.sql": "-- nothing"}, "no SQL statement"),
])
def test_bad_migration_directories_are_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)

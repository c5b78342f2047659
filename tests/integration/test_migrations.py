"""Migrations on the real ClickHouse, and the no-double-counting guarantees of the tables."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from streams.clickhouse import db
from streams.settings import ROOT, Settings
from streams.sink.consumer import insert_tables
from streams.sink.review_rows import TRAIL_COLUMNS
from streams.sink.rows import TABLE_COLUMNS, claim_tables, decision_tables
from tests.unit.sink.test_sink_rows import NOW, make_claim, make_decision, make_hit

pytestmark = pytest.mark.clickhouse

LABELS = sorted(p.stem for p in (ROOT / "infra" / "migrations").glob("*.sql"))


def test_migrations_apply_on_a_fresh_database_and_rerun_is_a_no_op(isolated: Settings) -> None:
    messages: list[str] = []
    assert db.migrate(isolated, progress=messages.append) == LABELS
    assert len(messages) == len(LABELS)
    assert db.migrate(isolated, progress=messages.append) == []
    client = db.connect(isolated)
    tables = {name for (name,) in client.execute("SHOW TABLES")}
    assert tables == {"schema_migrations", "claims", "claim_lines", "decisions", "rule_hits",
                      "current_rule_hits", "facility_daily", "claim_payloads", "replay_runs",
                      "replay_decisions", "decision_revisions", "reviews", "review_hits",
                      "rule_quality", "explanations",
                      # the settlement ledger and reports (0020, 0021)
                      "settlement_entries", "settlements", "advances", "settlement_params",
                      "reports", "report_signings",
                      # fund monitoring (0014-0017, notices 0018)
                      "facilities", "facility_day", "province_day", "facility_rule_day",
                      "anomalies", "detect_runs", "fund_refresh", "notices"}
    ledger = client.execute("SELECT id, name FROM schema_migrations ORDER BY id")
    assert [f"{i:04d}_{n}" for i, n in ledger] == LABELS


def test_table_columns_are_what_the_sink_inserts(isolated: Settings) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    for table, columns in {**TABLE_COLUMNS, **TRAIL_COLUMNS}.items():
        got = client.execute(f"DESCRIBE TABLE {table}")  # in column order (18.16 and later)
        assert tuple(row[0] for row in got) == columns, table


def test_a_changed_applied_migration_is_refused(isolated: Settings, tmp_path: Path) -> None:
    shutil.copytree(isolated.infra_dir / "migrations", tmp_path / "migrations")
    settings = isolated.model_copy(update={"infra_dir": tmp_path})
    db.migrate(settings, progress=lambda _m: None)
    path = tmp_path / "migrations" / "0003_decisions.sql"
    path.write_text(path.read_text().replace("rules_version  String,",
                                             "rules_version  String, extra UInt8,"))
    with pytest.raises(db.MigrationError, match="0003_decisions.*must not change"):
        db.migrate(settings, progress=lambda _m: None)
    # A comment-only edit is not a change.
    shutil.copy(isolated.infra_dir / "migrations" / "0003_decisions.sql", path)
    path.write_text("-- reworded comment\n" + path.read_text())
    assert db.migrate(settings, progress=lambda _m: None) == []


def _decisions(n: int, revision: int = 1) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        facility = ("79001", "01002", "79003")[i % 3]
        outcome = ("ACCEPT", "PARTIAL_REJECT", "REJECT", "WARN")[i % 4]
        hits = {"ACCEPT": [], "PARTIAL_REJECT": [make_hit("CT01"), make_hit("CT02", line=2)],
                "REJECT": [make_hit("TM01", "REJECT", "XML1", None, 1000.0)],
                "WARN": [make_hit("XC02", "WARNING", "XML1", None, 0.0)]}[outcome]
        rejected = {"ACCEPT": 0.0, "PARTIAL_REJECT": 100.0, "REJECT": 1000.0 + i,
                    "WARN": 0.0}[outcome]
        out.append(make_decision(claim_id=f"LK{i}", facility=facility, revision=revision,
                                 outcome=outcome, hits=hits, requested=1000.0 + i,
                                 rejected=rejected))
    return out


def _insert(client: Any, decisions: list[dict[str, Any]]) -> None:
    tables: dict[str, list[dict[str, Any]]] = {"decisions": [], "rule_hits": []}
    for d in decisions:
        for table, rows in decision_tables(d, NOW).items():
            tables[table].extend(rows)
    insert_tables(client, tables)


def test_a_replayed_batch_is_not_double_counted(isolated: Settings) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    batch = _decisions(60)
    _insert(client, batch)
    _insert(client, batch)  # the sink died after the INSERT, before committing: replay
    hits = sum(len(d["hits"]) for d in batch)
    assert client.execute("SELECT count() FROM decisions")[0][0] in (60, 120)  # before merge
    assert client.execute("SELECT count() FROM decisions FINAL")[0][0] == 60
    assert client.execute("SELECT count() FROM rule_hits FINAL")[0][0] == hits
    assert client.execute("SELECT count() FROM current_rule_hits")[0][0] == hits

    expected: dict[str, list[Decimal]] = {}
    for d in batch:
        e = expected.setdefault(d["facility"], [Decimal(0)] * 4)
        e[0] += 1
        e[1] += Decimal(f"{d['requested']:.2f}")
        e[2] += Decimal(f"{d['rejected']:.2f}")
        e[3] += d["outcome"] == "REJECT"
    daily = client.execute("SELECT facility, province, service_date, claims, requested, "
                           "rejected, rejected_claims FROM facility_daily")
    assert {f: [c, r, j, rc] for f, _p, _d, c, r, j, rc in daily} == expected
    assert {(f, p) for f, p, *_ in daily} == {("79001", "79"), ("01002", "01"), ("79003", "79")}

    client.execute("OPTIMIZE TABLE decisions FINAL")
    client.execute("OPTIMIZE TABLE rule_hits FINAL")
    assert client.execute("SELECT count() FROM decisions")[0][0] == 60
    assert client.execute("SELECT count() FROM rule_hits")[0][0] == hits


def test_the_highest_revision_wins_whatever_the_insert_order(isolated: Settings) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    first = make_decision(claim_id="A", outcome="ACCEPT", hits=[], rejected=0.0)
    amended = make_decision(claim_id="A", revision=2, outcome="WARN", rejected=0.0,
                            hits=[make_hit("XC02", "WARNING", "XML1", None, 0.0)])
    _insert(client, [amended])
    _insert(client, [first])  # a late replay of revision 1 must not undo the amendment
    _insert(client, [amended])
    got = client.execute("SELECT revision, outcome, hit_codes, warned FROM decisions FINAL")
    assert got == [(2, "WARN", ["XC02"], 1)]
    daily = client.execute("SELECT claims, warned_claims FROM facility_daily")
    assert daily == [(1, 1)]
    current = client.execute("SELECT code, revision, message_vi, threshold FROM current_rule_hits")
    assert current == [("XC02", 2, "XC02 thông báo", "10.00 VND")]  # 0009 re-created the view


def test_values_round_trip_with_zones_decimals_and_nulls(isolated: Settings) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    client = db.connect(isolated)
    paid = make_claim("P")
    unpaid = make_claim("U", ngay_ttoan=None, ma_the_bhyt=None)
    tables: dict[str, list[dict[str, Any]]] = {"claims": [], "claim_lines": []}
    for claim in (paid, unpaid):
        for table, rows in claim_tables(claim, NOW).items():
            tables[table].extend(rows)
    insert_tables(client, tables)
    insert_tables(client, decision_tables(make_decision("P"), NOW))
    got = client.execute(
        "SELECT claim_id, toString(ngay_vao), toString(ngay_ttoan), toString(submitted_at), "
        "toDate(ngay_vao), t_bhtt, ma_the_bhyt, ngay_vao FROM claims FINAL ORDER BY claim_id")
    # Wall-clock times read back as written (in the facility's zone), instants in UTC.
    assert got[0] == ("P", "2025-03-01 07:15:00", "2025-03-04 11:00:00", "2025-03-04 05:00:00",
                      date(2025, 3, 1), Decimal("39269.14"), "DN4797912345678",
                      datetime(2025, 3, 1, 0, 15, tzinfo=UTC))  # the driver reads aware
    assert got[1][2] is None and got[1][6] == ""
    # The absolute instant of a local time: 07:15 in Vietnam (UTC+7) is 00:15 UTC.
    assert client.execute("SELECT toString(ngay_vao, 'UTC') FROM claims FINAL "
                          "WHERE claim_id = 'P'") == [("2025-03-01 00:15:00",)]
    lines = client.execute("SELECT table, stt, kind, so_luong, don_gia_bh, toString(ngay_yl) "
                           "FROM claim_lines FINAL WHERE claim_id = 'P' ORDER BY table, stt")
    assert lines == [("XML2", 1, "DRUG", Decimal("2.5"), Decimal("1234.567"),
                      "2025-03-01 08:30:00"),
                     ("XML3", 1, "SERVICE", Decimal("1"), Decimal("45000"),
                      "2025-03-01 09:00:00"),
                     ("XML3", 2, "SUPPLY", Decimal("1"), Decimal("1000"),
                      "2025-03-01 09:00:00")]
    decided = client.execute("SELECT toString(decided_at), decided_at_ms, service_date, "
                             "rejected FROM decisions FINAL")
    assert decided == [("2025-03-04 05:00:00", 250, date(2025, 3, 1), Decimal("100"))]

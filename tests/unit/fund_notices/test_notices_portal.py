"""Notices issued by ``issue_month`` and fetched through the portal, on chdb (the real SQL on an
in-process engine): who may see which notice, status and follow-up, the PDF's text."""

from __future__ import annotations

import contextlib
import io
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.fund.notices.compose import ANOMALY_COLUMNS, notice_id
from streams.fund.notices.run import issue_month
from streams.fund.notices.store import NoticeStore
from streams.portal.api.notices import notices_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import Settings
from tests.fund_contract import ChdbDb, anomaly, anomaly_row, create_fund_detect_tables
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

MIGRATION = Path(__file__).parents[3] / "infra" / "migrations" / "0018_notices.sql"
ARTEFACTS = Path(__file__).parents[3] / "test-artefacts"
START, END = date(2026, 3, 1), date(2026, 3, 31)


def notices_table(db: Any) -> None:
    sql = "\n".join(line for line in MIGRATION.read_text().splitlines()
                    if not line.startswith("--"))
    for statement in filter(str.strip, sql.split(";")):
        db.rows(statement)


@pytest.fixture(scope="module")
def db() -> Iterator[ChdbDb]:
    chdb = ChdbDb()
    create_fund_detect_tables(chdb)
    notices_table(chdb)
    rows = [anomaly(start=START, end=END, observed=380_000), anomaly(), anomaly(metric="drug_share",
            observed=0.47, expected=0.38, band=(0.30, 0.43), excess=1.2e8),
            anomaly(facility="01001", observed=520_000, expected=410_000,
                    band=(350_000, 460_000)),
            anomaly(facility="01002", start=START, end=END),
            anomaly(facility="79002", level="watch")]
    chdb.insert("anomalies", (*ANOMALY_COLUMNS, "detected_at"),
                [anomaly_row(a, datetime(2026, 5, 2, tzinfo=UTC)) for a in rows])
    chdb.insert("facilities", ("facility", "name", "province", "district", "tier", "kind",
                               "ingested_at"),
                [("79001", "Bệnh viện Đa khoa Quận Bình Thạnh", "79", "79-765", 2,
                  "public_hospital", datetime(2026, 1, 1, tzinfo=UTC))])
    march = issue_month(chdb, 202603, show_progress=False)
    april = issue_month(chdb, 202604, show_progress=False)
    assert (march.issued, april.issued) == (2, 2)
    yield chdb
    chdb.close()


@pytest.fixture(scope="module")
def portal(db: ChdbDb, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[TestClient, dict[str, dict[str, str]]]:
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    with contextlib.redirect_stdout(io.StringIO()):
        keys = {who: add_credential(path, who, role, scope) for who, role, scope in (
            ("own", "facility", "79001"), ("other", "facility", "01001"),
            ("p79", "province", "79"), ("p01", "province", "01"), ("all", "central", "*"))}
    app = create_portal(Settings(), publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(path),
                        routers=(notices_router(NoticeStore(db)),))
    return TestClient(app), {w: {"Authorization": f"Bearer {k}"} for w, k in keys.items()}


def _ids(client: TestClient, headers: dict[str, str], month: str = "202604") -> set[str]:
    r = client.get(f"/api/v1/notices?month={month}", headers=headers)
    assert r.status_code == 200, r.text
    return {n["facility"] for n in r.json()["notices"]}


def test_each_key_lists_its_own_jurisdiction(portal: Any) -> None:
    client, h = portal
    assert _ids(client, h["own"]) == {"79001"}
    assert _ids(client, h["other"]) == {"01001"}
    assert _ids(client, h["p79"]) == {"79001"}  # 79002 had only a watch: no notice
    assert _ids(client, h["p01"]) == {"01001"}
    assert _ids(client, h["all"]) == {"79001", "01001"}
    assert _ids(client, h["all"], "202603") == {"79001", "01002"}


def test_a_facility_cannot_fetch_another_facilitys_notice(portal: Any) -> None:
    client, h = portal
    theirs = notice_id("01001", 202604)
    for url in (f"/api/v1/notices/{theirs}", f"/api/v1/notices/{theirs}?format=html"):
        r = client.get(url, headers=h["own"])
        assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.post(f"/api/v1/notices/{theirs}/acknowledge",
                       headers=h["own"]).status_code == 404
    assert client.get(f"/api/v1/notices/{theirs}", headers=h["p79"]).status_code == 404
    assert client.get(f"/api/v1/notices/{'0' * 24}", headers=h["other"]).status_code == 404
    assert client.get(f"/api/v1/notices/{theirs}").status_code == 401


def test_fetch_acknowledge_and_what_the_agency_sees(portal: Any) -> None:
    client, h = portal
    mine = notice_id("79001", 202604)

    def status() -> str:
        rows = client.get("/api/v1/notices?month=202604", headers=h["p79"]).json()["notices"]
        return str(rows[0]["status"])

    assert client.get(f"/api/v1/notices/{mine}?format=html", headers=h["p79"]).status_code \
        == 200
    assert status() == "issued"  # an agency's look is not the facility's fetch
    r = client.get(f"/api/v1/notices/{mine}?lang=vi", headers=h["own"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert status() == "fetched"
    assert client.post(f"/api/v1/notices/{mine}/acknowledge",
                       headers=h["p79"]).status_code == 403
    r = client.post(f"/api/v1/notices/{mine}/acknowledge", headers=h["own"])
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert r.json()["acknowledged_by"] == "own" and r.json()["fetched_at"]
    assert status() == "acknowledged"

    ARTEFACTS.mkdir(exist_ok=True)
    for lang in ("vi", "en"):  # kept, and drawn to PNG with pdftoppm, to be looked at
        pdf = ARTEFACTS / f"notice-79001-202604-{lang}.pdf"
        pdf.write_bytes(client.get(f"/api/v1/notices/{mine}?lang={lang}",
                                   headers=h["own"]).content)
        subprocess.run(["pdftoppm", "-png", "-r", "90", str(pdf), str(pdf.with_suffix(""))],
                       check=True)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    vi = subprocess.run(["pdftotext", "-layout", str(ARTEFACTS / "notice-79001-202604-vi.pdf"),
                         "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("Chi phí bình quân một lượt KCB", "Tỷ trọng chi phí thuốc", "390.000 ₫",
                     "+30,0 %", "Chưa điều chỉnh", "Kết quả điều chỉnh sau thông báo tháng"):
        assert expected in vi, f"{expected!r} not in the Vietnamese PDF's text"
    for expected in ("Cost per visit", "Drug share of cost", "390,000 ₫", "300,000 ₫",
                     "+30.0 %", "47.0 %", "What happened since the notice of 03/2026",
                     "Not adjusted", "Bệnh viện Đa khoa Quận Bình Thạnh"):
        assert expected in text, f"{expected!r} not in the PDF's text"


def test_follow_up_recorded_on_last_months_notices(db: ChdbDb, portal: Any) -> None:
    client, h = portal
    march = {n["facility"]: n for n in client.get(
        "/api/v1/notices?month=202603", headers=h["all"]).json()["notices"]}
    assert march["79001"]["followup"] == "not_adjusted"  # cost per visit: a notice again
    assert march["01002"]["followup"] == "adjusted"  # nothing in April: back in the band


def test_running_a_month_again_changes_nothing(db: ChdbDb) -> None:
    again = issue_month(db, 202604, show_progress=False)
    assert (again.issued, again.unchanged, again.followups) == (0, 2, 0)
    rows = NoticeStore(db).of_month(202604)
    assert {r.facility: r.status for r in rows}["79001"] == "acknowledged"


def test_bad_parameters_are_named(portal: Any) -> None:
    client, h = portal
    r = client.get("/api/v1/notices?month=2026-04", headers=h["own"])
    assert r.status_code == 400 and "month" in r.json()["detail"]
    mine = notice_id("79001", 202604)
    r = client.get(f"/api/v1/notices/{mine}?format=docx", headers=h["own"])
    assert r.status_code == 400 and "format" in r.json()["detail"]
    r = client.get(f"/api/v1/notices/{mine}?lang=fr", headers=h["own"])
    assert r.status_code == 400 and "lang" in r.json()["detail"]


def test_changed_anomalies_re_issue_the_notice(db: ChdbDb) -> None:
    """A later detector run adds a metric to 01001's April: the notice is issued again under
    the same id, with both metrics, and wins over its earlier versions."""
    extra = anomaly(facility="01001", metric="admissions", observed=40, expected=25,
                    band=(18, 32), excess=3e7)
    db.insert("anomalies", (*ANOMALY_COLUMNS, "detected_at"),
              [anomaly_row(extra, datetime(2026, 5, 3, tzinfo=UTC))])
    again = issue_month(db, 202604, facility="01001", show_progress=False)
    assert (again.issued, again.unchanged) == (1, 0)
    row = NoticeStore(db).get(notice_id("01001", 202604))
    assert row is not None and len(row.anomaly_ids) == 2 and row.status == "issued"


def test_the_command_names_bad_arguments_and_shows_progress(
        db: ChdbDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from streams.fund.notices.run import command

    bad = argparse.Namespace(month="2026-04", facility=None, no_files=True)
    assert command(lambda: db, bad, tmp_path) == 2
    assert "month: '2026-04' is not YYYYMM" in capsys.readouterr().err
    bad = argparse.Namespace(month="202604", facility="7900", no_files=True)
    assert command(lambda: db, bad, tmp_path) == 2
    assert "facility: '7900'" in capsys.readouterr().err
    good = argparse.Namespace(month="202604", facility="79001", no_files=False)
    assert command(lambda: db, good, tmp_path) == 0
    out = capsys.readouterr()
    assert "notices [" in out.err and "1/1" in out.err
    assert "1 unchanged" in out.out
    assert sorted(p.name for p in (tmp_path / "202604").iterdir()) == [
        "79001.en.html", "79001.en.pdf", "79001.vi.html", "79001.vi.pdf"]

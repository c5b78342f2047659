"""Signed settlement reports on the REAL ClickHouse: generated from the closed ledger (their
figures are ClickHouse's), signed by the preparer then the head with a CA made in the test,
verified, broken by one flipped byte, rendered to PNG for people to look at, and served by the
portal only to whom they concern."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streams.bench.settle_data import decision, hit, simulate, store
from streams.bench.testca import PEOPLE, make_ca
from streams.clickhouse.db import connect, insert_rows, migrate
from streams.portal.api.reports import reports_router
from streams.portal.auth import Credentials, add_credential
from streams.portal.receipts import ReceiptStore
from streams.portal.service import create_portal
from streams.settings import ROOT, Settings
from streams.settle import funding
from streams.settle.close import close_period
from streams.settle.periods import Period
from streams.settle.render import vnd
from streams.settle.reports import Actor, ReportStore
from streams.settle.signing import SigningError, load_signers
from streams.settle.verify import describe, load_roots, verify
from tests.unit.portal.test_portal_service import FakeLog, FakePublish, FakeResults

pytestmark = pytest.mark.clickhouse
ARTEFACTS = ROOT / "test-artefacts" / "settle"
Q1, Q2 = Period.parse("quarter", "2025-Q1"), Period.parse("quarter", "2025-Q2")


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")


def _pngs(pdf: bytes, name: str) -> list[Path]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob(f"{name}-*.png"):
        old.unlink()
    (ARTEFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTEFACTS / f"{name}.pdf"),
                    str(ARTEFACTS / name)], check=True)
    return sorted(ARTEFACTS.glob(f"{name}-*.png"))


def _ledger(settings: Settings) -> str:
    """Close Q1 and its months, revise a March warning late, close Q2 and its months; the
    revised claim's id."""
    client = connect(settings)
    q1 = list(simulate(("01001", "01002", "79001"), 25, Q1.start, Q1.end, seed=8))
    store(client, q1, datetime(2025, 4, 1, tzinfo=UTC))
    now = datetime(2025, 1, 2, tzinfo=UTC)
    insert_rows(client, "settlement_params", funding.PARAM_COLUMNS, [funding.policy_row(
        {"percent": 80, "valid_from": "2025-01-01", "reference": "QĐ 01/2025"}, "c", now)])
    insert_rows(client, "advances", funding.ADVANCE_COLUMNS, [funding.advance_row(
        {"facility": "01001", "paid_on": d, "amount": 25_000_000, "reference": f"UNC {i}/2025"},
        "ke toan", now) for i, d in enumerate(("2025-04-10", "2025-05-12"), 1)])
    for period in (Q1, *(Period.parse("month", f"2025-0{m}") for m in (1, 2, 3))):
        close_period(client, period, now=datetime(2025, 4, 3, tzinfo=UTC))
    warn = next(d for d in q1 if d["facility"] == "01001" and d["outcome"] == "WARN"
                and d["service_date"].month == 3)
    late = datetime(2025, 4, 20, tzinfo=UTC)
    store(client, [{**warn, "revision": 2, "outcome": "PARTIAL_REJECT", "reviewed_by": "lan",
                    "review_id": "b" * 32, "rejected": 20_000.0,
                    "approved": warn["requested"] - 20_000.0,
                    "hits": [*warn["hits"], hit("REVIEW", 20_000.0)], "decided_at": late},
                   decision("01001", "01001_202506_x", date(2025, 6, 2), "ACCEPT", 1_500_000.5),
                   *simulate(("01001", "01002", "79001"), 25, Q2.start, Q2.end, seed=9)],
          late)
    for period in (Q2, *(Period.parse("month", f"2025-0{m}") for m in (4, 5, 6))):
        close_period(client, period, now=datetime(2025, 7, 3, tzinfo=UTC))
    return str(warn["claim_id"])


def test_reports_signed_twice_verified_and_served_to_their_facility(
        isolated: Settings, tmp_path: Path) -> None:
    migrate(isolated, progress=lambda _m: None)
    revised = _ledger(isolated)
    ca = make_ca(tmp_path / "ca")
    signers = load_signers(ca.signers)
    client = connect(isolated)
    reports = ReportStore(client)
    fonts = tmp_path / "fonts"

    row, pdf = reports.generate("minute", "01001", Q2, issued=date(2025, 7, 5))
    (s,) = [dict(zip(("approved", "adjustment_approved", "advances", "balance",
                      "adjustment_claims"), r, strict=True)) for r in client.execute(
        "SELECT approved, adjustment_approved, advances, balance, adjustment_claims "
        "FROM settlements FINAL WHERE facility = '01001' AND period = '2025-Q2'")]
    text = _text(pdf)
    for figure in ("approved", "advances"):
        assert vnd(s[figure]) in text, figure  # the figures are ClickHouse's, as written
    owed = "Cơ quan BHXH còn phải thanh toán" if s["balance"] >= 0 else "Cơ sở KCB phải nộp"
    assert owed in text and vnd(abs(s["balance"])) in text
    assert vnd(s["adjustment_approved"], signed=True) in text and s["adjustment_claims"] == 1
    assert "BIÊN BẢN THANH TOÁN, QUYẾT TOÁN" in text and "Quý II/2025" in text
    assert row["stage"] == 0 and verify(pdf, load_roots(ca.root)).problems == (
        "preparer: not signed", "head: not signed")

    head_first = pytest.raises(SigningError, match="preparer must sign first|signing order")
    with head_first:
        reports.sign(row["report_id"], "head", signers["head"], Actor("duc", "central"), fonts)
    reports.sign(row["report_id"], "preparer", signers["preparer"], Actor("lan", "province"),
                 fonts)
    once = reports.get(row["report_id"])
    assert once is not None and once["stage"] == 1
    half = verify(once["pdf"], load_roots(ca.root))
    assert [x.ok for x in half.signatures] == [True] and half.problems == ("head: not signed",)
    signed = reports.sign(row["report_id"], "head", signers["head"], Actor("duc", "central"),
                          fonts)
    assert signed["stage"] == 2
    final = reports.get(row["report_id"])
    assert final is not None
    good = verify(final["pdf"], load_roots(ca.root))
    assert good.ok, describe(good)
    assert [(x.field, PEOPLE[x.field] in x.signer) for x in good.signatures] == [
        ("preparer", True), ("head", True)]
    with pytest.raises(SigningError, match="signed"):
        reports.generate("minute", "01001", Q2)  # a signed report is never regenerated
    audit = [(a["field"], a["result"], a["actor"]) for a in reports.signings(row["report_id"])]
    assert audit == [("head", "refused", "duc"), ("preparer", "signed", "lan"),
                     ("head", "signed", "duc")] or sorted(audit) == sorted(
        [("head", "refused", "duc"), ("preparer", "signed", "lan"), ("head", "signed", "duc")])

    # One flipped byte inside the signed content, or a foreign CA, fails with the reason.
    broken = bytearray(final["pdf"])
    broken[len(pdf) // 2] ^= 0x01
    bad = verify(bytes(broken), load_roots(ca.root))
    assert not bad.ok and any("altered after signing" in p for x in bad.signatures
                              for p in x.problems), describe(bad)
    stranger = verify(final["pdf"], load_roots(ca.other_root))
    assert not stranger.ok and "trusted root" in " ".join(describe(stranger))
    path = tmp_path / "signed.pdf"
    path.write_bytes(final["pdf"])
    roots = isolated.model_copy(update={"settle_trust_roots": ca.root})
    from streams.settle.cli import reports_command

    class Args:
        action, target = "verify", str(path)
    assert reports_command(roots, Args()) == 0  # type: ignore[arg-type]
    path.write_bytes(bytes(broken))
    assert reports_command(roots, Args()) == 1  # type: ignore[arg-type]

    # The other reports, and every page for people to look at.
    _, appraisal = reports.generate("appraisal", "01001", Period.parse("month", "2025-04"),
                                    issued=date(2025, 5, 5))
    listed = _text(appraisal)
    assert revised in listed  # its March decision changed after March closed: an adjustment
    (by_rule, by_review), = client.execute(
        "SELECT rejected_rule, rejected_review FROM settlements FINAL WHERE facility = "
        "'01001' AND period_kind = 'month' AND period = '2025-04'")
    assert by_rule + by_review > 0 and vnd(by_rule) in listed and vnd(by_review) in listed
    _, fund = reports.generate("fund", "01", Q2, issued=date(2025, 7, 5))
    text = _text(fund)
    assert "01001" in text and "01002" in text and "79001" not in text
    # The province's totals are ClickHouse's sums of its facilities' settlements.
    (approved, balance), = client.execute(
        "SELECT sum(approved), sum(balance) FROM settlements FINAL WHERE province = '01' AND "
        "period_kind = 'quarter' AND period = '2025-Q2'")
    assert vnd(approved) in text and vnd(balance, signed=True) in text
    pages = [*_pngs(final["pdf"], "minute-signed"), *_pngs(appraisal, "appraisal"),
             *_pngs(fund, "fund")]
    assert len(pages) >= 3 and all(p.stat().st_size > 10_000 for p in pages)

    # The portal: a facility gets its own signed report, never another's.
    keys = tmp_path / "keys.json"
    auth = {who: {"Authorization": "Bearer " + add_credential(keys, who, role, scope)}
            for who, role, scope in (("BV 01001", "facility", "01001"),
                                     ("BV 01002", "facility", "01002"),
                                     ("province 01", "province", "01"),
                                     ("province 79", "province", "79"))}
    app = create_portal(isolated, publish=FakePublish(), receipts=ReceiptStore(FakeLog(), []),
                        results=FakeResults(), credentials=Credentials.load(keys),
                        routers=(reports_router(reports, ca.signers, fonts),))
    http = TestClient(app)
    rid = row["report_id"]
    own = http.get(f"/api/v1/reports/{rid}/pdf", headers=auth["BV 01001"])
    assert own.status_code == 200 and own.content == final["pdf"]
    assert own.headers["content-type"] == "application/pdf"
    for who in ("BV 01002", "province 79"):
        other = http.get(f"/api/v1/reports/{rid}/pdf", headers=auth[who])
        assert other.status_code == 404 and other.json()["error"] == "not_found"
    mine = http.get("/api/v1/reports", headers=auth["BV 01001"]).json()["reports"]
    assert [r["report_id"] for r in mine] == [rid]  # unsigned appraisal not shown yet
    assert http.get("/api/v1/reports", headers=auth["BV 01002"]).json()["reports"] == []
    agency = http.get("/api/v1/reports", headers=auth["province 01"]).json()["reports"]
    assert {r["kind"] for r in agency} == {"minute", "appraisal", "fund"}
    sign_url = f"/api/v1/reports/{appraisal_id(agency)}/sign"
    assert http.post(sign_url, json={"field": "preparer"},  # unsigned: not even visible
                     headers=auth["BV 01001"]).status_code == 404
    assert http.post(f"/api/v1/reports/{rid}/sign", json={"field": "head"},
                     headers=auth["BV 01001"]).status_code == 403
    assert http.post(sign_url, json={"field": "head"},
                     headers=auth["province 01"]).status_code == 409
    done = http.post(sign_url, json={"field": "preparer"}, headers=auth["province 01"])
    assert done.status_code == 200 and done.json()["stage"] == 1, done.text
    assert [a["actor"] for a in reports.signings(appraisal_id(agency))
            if a["result"] == "signed"] == ["province 01"]
    advance = http.post("/api/v1/advances", headers=auth["province 01"], json={
        "facility": "01002", "paid_on": "2025-07-10", "amount": 5e6, "reference": "UNC 9"})
    assert advance.status_code == 200, advance.text
    refused = http.post("/api/v1/advances", headers=auth["province 79"], json={
        "facility": "01002", "paid_on": "2025-07-10", "amount": 5e6, "reference": "UNC 9"})
    assert refused.status_code == 403
    invalid = http.post("/api/v1/advances", headers=auth["province 01"], json={
        "facility": "01002", "paid_on": "10/07/2025", "amount": 5e6, "reference": "UNC 9"})
    assert invalid.status_code == 422 and "paid_on" in invalid.json()["detail"]
    assert http.post("/api/v1/advance-policy", headers=auth["province 01"], json={
        "percent": 80, "valid_from": "2025-07-01", "reference": "x"}).status_code == 403
    listed = http.get("/api/v1/settlements?facility=01001", headers=auth["BV 01001"])
    assert [s["period"] for s in listed.json()["settlements"]] == ["2025-Q1", "2025-Q2"]
    assert http.get("/api/v1/settlements?facility=01001",
                    headers=auth["BV 01002"]).status_code == 403
    assert timedelta(0) <= datetime.now(UTC) - datetime.fromisoformat(
        done.json()["updated_at"]).replace(tzinfo=UTC) < timedelta(hours=1)


def appraisal_id(listed: list[dict[str, str]]) -> str:
    return next(r["report_id"] for r in listed if r["kind"] == "appraisal")

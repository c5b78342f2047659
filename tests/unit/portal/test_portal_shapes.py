"""Real exporters' shapes (issue 10), each on synthetic envelopes: what is lawful is accepted
with an informational finding, garbage is still refused, and a flood of findings stays small.

The files in tests/data/exporter_shapes/ were written by
``hireview simulate --envelopes DIR --shapes SHAPE --claims 60 --seed 7 --violations 0
--lines 40`` (``--lines 120`` for scientific.xml: Java exporters switch to ``1.2E7`` from 10^7 VND
up); invented people only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from streams.portal.auth import add_credential
from streams.portal.intake import parse_envelope
from streams.sim.envelopes import write_envelope
from streams.sim.exporters import java_double
from streams.sim.generate import generate
from tests.unit.portal.portal_fixtures import claim, envelope
from tests.unit.portal.test_portal_service import KEYS, Portal, make_portal

DATA = Path(__file__).parents[2] / "data" / "exporter_shapes"
EXPECTED = {"scientific.xml": {"P608"}, "empty.xml": {"P126", "P211", "P312"},
            "blood.xml": {"P317"}, "no-muc-huong.xml": {"P211", "P312"},
            "all-shapes.xml": {"P126", "P211", "P312", "P317"}}


@pytest.fixture(scope="module")
def cred_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("creds") / "portal-credentials.json"
    return path, {who: add_credential(path, who, role, scope)
                  for who, (role, scope) in KEYS.items()}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    """First versions of simulated claims of one facility (an envelope is one facility's)."""
    claims = [s.claim for s in generate(40, seed=11, violations=0.0).claims
              if s.claim["version"] == 1]
    facility = max({c["facility"] for c in claims},
                   key=lambda f: sum(c["facility"] == f for c in claims))
    return [c for c in claims if c["facility"] == facility]


def _codes(result: Any) -> set[str]:
    return {f["code"] for f in result["findings"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shape_file_is_accepted_with_informational_findings(
        cred_file: Any, name: str) -> None:
    portal = make_portal(cred_file)
    body = (DATA / name).read_bytes()
    r = portal.client.post("/api/v1/claims", content=body, headers={
        **portal.auth("central"), "Content-Type": "application/xml"})
    assert r.status_code == 200, r.text
    results = r.json()["claims"]
    assert results and all(c["accepted"] for c in results), [
        f for c in results for f in c["findings"] if f["blocking"]]
    assert EXPECTED[name] <= set().union(*map(_codes, results))
    assert all(not f["blocking"] for c in results for f in c["findings"])
    assert len(portal.publish.published) == len(results)


def test_scientific_notation_reads_as_the_plain_numbers(records: list[dict[str, Any]]) -> None:
    plain = parse_envelope(write_envelope(records), max_bytes=1 << 26)
    java = parse_envelope(write_envelope(records, shapes=["scientific"]), max_bytes=1 << 26)
    assert [c.record for c in java.claims] == [c.record for c in plain.claims]
    assert java_double(12_000_000.0) == "1.2E7" and java_double(27216140.5) == "2.72161405E7"
    assert java_double(9_999_999.0) == "9999999.0"


@pytest.mark.parametrize(("text", "value"), [("1.2E7", 12_000_000.0), ("1.2e+07", 12e6),
                                             ("2.72161405E7", 27_216_140.5), ("5E2", 500.0)])
def test_unambiguous_scientific_notation_is_normalised_with_p608(
        text: str, value: float) -> None:
    spec = claim(1)
    spec.xml1["CAN_NANG"] = text if value < 1e3 else "62.5"
    spec.xml3[0]["T_TRANTT"] = text
    [result] = parse_envelope(envelope([spec]), max_bytes=1 << 24).claims
    assert result.accepted and result.record is not None
    assert result.record["services"][0]["t_trantt"] == value
    p608 = [f for f in result.findings if f.code == "P608"]
    assert p608 and not any(f.blocking for f in p608)
    assert "scientific notation" in p608[0].message


@pytest.mark.parametrize("garbage", ["NaN", "Infinity", "-inf", "1E999", "1.5E20", "1,2E7",
                                     "1.2E", "E7", "0x1p3", "1.2E7.5", "12 E7"])
def test_garbage_numbers_are_still_refused(garbage: str) -> None:
    spec = claim(1)
    spec.xml1["T_BHTT"] = garbage
    [result] = parse_envelope(envelope([spec]), max_bytes=1 << 24).claims
    assert not result.accepted
    [p125] = [f for f in result.findings if f.code == "P125"]
    assert p125.blocking and repr(garbage) in p125.message


def test_empty_is_not_missing() -> None:
    empty, gone = claim(1), claim(2)
    empty.xml1["NGAY_VAO"] = ""
    del gone.xml1["NGAY_VAO"]
    empty.xml2[0]["SO_LUONG"] = ""
    first, second = parse_envelope(envelope([empty, gone]), max_bytes=1 << 24).claims
    said = {f.code: f for f in first.findings}
    assert said["P111"].empty and said["P111"].message == "NGAY_VAO is present but empty"
    assert said["P204"].empty and "present but empty" in said["P204"].message
    [p111] = [f for f in second.findings if f.code == "P111"]
    assert not p111.empty and p111.message == "NGAY_VAO is missing"
    assert "empty" not in p111.to_dict() and first.findings[0].to_dict().get("empty") in (
        True, None)


def test_json_null_is_missing_and_empty_string_is_empty() -> None:
    from streams.portal.intake import parse_json_claim

    result = parse_json_claim({"facility": "79001", "claim_id": "K1",
                               "header": {"ngay_vao": "", "ngay_ra": None}})
    said = {f.code: f for f in result.findings}
    assert said["P111"].empty and not said["P113"].empty


def test_a_missing_line_muc_huong_takes_the_benefit_level_and_says_so() -> None:
    carded, header, none = claim(1), claim(2), claim(3)
    carded.xml1["MA_THE_BHYT"] = "HT3799900000001"  # benefit digit 3: 95 %
    header.xml1["MUC_HUONG"] = "80"
    none.xml1["MA_THE_BHYT"] = ""
    for spec in (carded, header, none):
        for row in spec.xml2 + spec.xml3:
            del row["MUC_HUONG"]
    got = parse_envelope(envelope([carded, header, none]), max_bytes=1 << 24).claims
    shares = [{line["muc_huong"] for line in c.record["drugs"] + c.record["services"]}
              for c in got if c.record is not None]
    assert shares == [{95.0}, {80.0}, {100.0}]
    words = [next(f.message for f in c.findings if f.field == "MUC_HUONG") for c in got]
    assert "benefit level of card HT379" in words[0] and "digit 3" in words[0]
    assert "header's (XML1) MUC_HUONG" in words[1]
    assert "no benefit level known" in words[2]


def test_blood_in_xml3_is_accepted_as_a_drug_table_line(records: list[dict[str, Any]]) -> None:
    data = write_envelope(records[:3], shapes=["blood"])
    for result in parse_envelope(data, max_bytes=1 << 26).claims:
        assert result.accepted and result.record is not None
        [blood] = [s for s in result.record["services"] if s["ma_nhom"] == 7]
        [p317] = [f for f in result.findings if f.code == "P317"]
        assert not p317.blocking and p317.table == "XML3" and "BLOOD.HC.350" in p317.message
        assert blood["ma_dich_vu"] == "BLOOD.HC.350"
    spec = claim(1)
    spec.xml3[0]["MA_NHOM"] = "20"
    [bad] = parse_envelope(envelope([spec]), max_bytes=1 << 24).claims
    assert not bad.accepted and "P303" in {f.code for f in bad.findings}


def _flood(claims: int, lines: int) -> bytes:
    """``claims`` claims of ``lines`` drug and ``lines`` service lines, every number written
    with a decimal comma and every line's MUC_HUONG left out: a finding on every value."""
    specs = [claim(n, drugs=lines, services=lines) for n in range(1, claims + 1)]
    for spec in specs:
        for row in [spec.xml1, *spec.xml2, *spec.xml3]:
            row.pop("MUC_HUONG", None) if row is not spec.xml1 else None
            for tag, text in row.items():
                if tag.startswith(("T_", "THANH_TIEN", "DON_GIA", "SO_LUONG")) and text:
                    row[tag] = f"{float(text):.2f}".replace(".", ",")
    return envelope(specs)


def _answer(portal: Portal, body: bytes, mode: str = "grouped") -> tuple[int, int, Any]:
    r = portal.client.post(f"/api/v1/claims?findings={mode}", content=body, headers={
        **portal.auth("own"), "Content-Type": "application/xml"})
    assert r.status_code == 200, r.text[:500]
    data = r.json()
    total = sum(sum(f["count"] for f in c["findings"]) for c in data["claims"])
    return len(r.content), total, data


def test_a_flood_of_findings_is_answered_small_and_grouped(cred_file: Any) -> None:
    body = _flood(100, 10)
    size, total, data = _answer(make_portal(cred_file), body)
    full, total_all, everything = _answer(make_portal(cred_file), body, "all")
    per_claim = size / 100
    print(f"\n100 claims x 20 lines, a finding on every value: {total} findings; grouped answer "
          f"{size:,} bytes ({per_claim:,.0f} per claim), ?findings=all {full:,} bytes")
    assert total == total_all > 100 * 20 * 8  # every value of every line has its finding
    assert all(c["accepted"] for c in data["claims"])
    groups = sum(len(c["findings"]) for c in data["claims"]) / 100
    print(f"{groups:.0f} groups per claim, {per_claim / groups:.0f} bytes per group")
    assert per_claim < 6_000  # the bound stated in docs/claim-standard.md
    assert per_claim < 250 * groups + 400  # the size goes with the kinds of finding
    assert full > 6 * size
    first = data["claims"][0]
    assert first["finding_counts"]["informational"] == sum(f["count"] for f in first["findings"])
    group = next(f for f in first["findings"] if f["code"] == "P604" and f["table"] == "XML2")
    assert group["count"] >= 10 and len(group["rows"]) == 5 and not group["blocking"]
    assert json.dumps(everything["claims"][0]["findings"][0]).count('"count": 1') == 1
    # Four times the lines: the grouped answer stays the same size (kinds, not values).
    bigger, bigger_total, _ = _answer(make_portal(cred_file), _flood(100, 40))
    print(f"100 claims x 80 lines: {bigger_total} findings, grouped answer {bigger:,} bytes")
    assert bigger_total > 3 * total and bigger < size * 1.1


def test_blocking_findings_come_first(cred_file: Any) -> None:
    spec = claim(1)
    for row in spec.xml2:
        row["T_BHTT"] = row["T_BHTT"].replace(".", ",")
    spec.xml3[1]["NGAY_YL"] = "x"
    _, _, data = _answer(make_portal(cred_file), envelope([spec]))
    findings = data["claims"][0]["findings"]
    assert findings[0]["blocking"] and findings[0]["code"] == "P308"
    assert not any(f["blocking"] for f in findings[1:])

"""The portal's pure part: safe XML, envelopes, normalisation, the error catalogue, JSON form."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema
from fastavro.validation import validate

from streams.codec import Codec, load_subjects
from streams.portal.intake import (
    BY_CODE,
    CATALOGUE,
    ClaimResult,
    EnvelopeResult,
    Finding,
    catalogue_rows,
    claim_to_json,
    content_hash,
    parse_envelope,
    parse_json_claim,
    stamp,
)
from streams.registry import FileRegistry
from streams.sim import generate as simulate
from tests.unit.portal.portal_fixtures import (
    ClaimSpec,
    claim,
    envelope,
    table_document,
    to_4210,
)

AVRO = Path(__file__).resolve().parents[3] / "avro"
SCHEMA = json.loads((AVRO / "schemas" / "claim.avsc").read_text(encoding="utf-8"))
PARSED = parse_schema(SCHEMA)
LIMIT = 8 * 1024 * 1024
SUBMITTED = datetime(2025, 3, 3, 4, 0, 0, 123000, tzinfo=UTC)


def parse(data: bytes) -> EnvelopeResult:
    return parse_envelope(data, max_bytes=LIMIT)


def one(data: bytes) -> ClaimResult:
    result = parse(data)
    assert len(result.claims) == 1
    return result.claims[0]


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def record(result: ClaimResult) -> dict[str, Any]:
    assert result.accepted, [f.message for f in result.findings]
    assert result.record is not None
    return result.record


# --- clean envelopes -------------------------------------------------------------------------
def test_clean_130_envelope_two_claims() -> None:
    result = parse(envelope([claim(1), claim(2, inpatient=True)]))
    assert result.facility == "79001" and result.created == date(2025, 3, 6)
    assert result.findings == []
    assert [c.claim_key for c in result.claims] == [
        ("79001", "79001_2025_03_BN000001_01"), ("79001", "79001_2025_03_BN000002_01")]
    assert [c.index for c in result.claims] == [1, 2]
    for c in result.claims:
        assert c.accepted and c.findings == []
    out, inp = (record(c) for c in result.claims)
    assert out["person_key"] == "9900000001" and out["source_standard"] == "QD3176"
    h = out["header"]
    assert h["ngay_vao"] == datetime(2025, 3, 3, 8, 17) and h["ma_loai_kcb"] == "01"
    assert h["gt_the_tu"] == date(2025, 1, 1) and h["ngay_vao_noi_tru"] is None
    assert h["t_tongchi_bv"] == sum(x["thanh_tien_bv"] for x in out["drugs"] + out["services"])
    assert [x["ma_nhom"] for x in out["services"]] == [13, 1, 10]
    assert out["services"][2]["ma_vat_tu"] == "N03.01.003"
    assert out["services"][2]["ten"] == "Vật tư thử 3"
    assert (out["lab_results"], out["clinical_notes"]) == (1, 0)
    assert inp["header"]["ma_loai_kcb"] == "03" and inp["clinical_notes"] == 1


def test_record_has_every_schema_field_and_validates_and_round_trips(tmp_path: Path) -> None:
    result = one(envelope([claim(1, inpatient=True)]))
    full = stamp(record(result), version=1, submitted_at=SUBMITTED)
    assert set(full) == {f["name"] for f in SCHEMA["fields"]}
    by_name = {f["name"]: f["type"] for f in SCHEMA["fields"]}
    assert set(full["header"]) == {f["name"] for f in by_name["header"]["fields"]}
    assert set(full["drugs"][0]) == {f["name"] for f in by_name["drugs"]["items"]["fields"]}
    assert set(full["services"][0]) == {
        f["name"] for f in by_name["services"]["items"]["fields"]}
    validate(full, PARSED, raise_errors=True)
    codec = Codec(FileRegistry(tmp_path / "registry.json"), AVRO / "schemas",
                  load_subjects(AVRO / "topics.yaml"))
    assert codec.decode(codec.encode("hi.claims-value", full), "claim") == full


def test_content_hash_is_the_simulators_and_ignores_submission_fields() -> None:
    base = record(one(envelope([claim(1)])))
    assert content_hash is simulate.content_hash
    stamped = stamp(base, version=3, submitted_at=SUBMITTED)
    assert stamped["content_hash"] == simulate.content_hash(base)
    again = stamp(base, version=4, submitted_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert again["content_hash"] == stamped["content_hash"]
    changed = claim(1)
    changed.xml2[0]["SO_LUONG"] = "11"
    assert content_hash(record(one(envelope([changed])))) != stamped["content_hash"]


@pytest.mark.parametrize("mode", ["plain", "text"])
def test_plain_and_escaped_xml_tables_give_the_same_record(mode: str) -> None:
    specs = [claim(1), claim(2, inpatient=True)]
    expected = [record(c) for c in parse(envelope(specs)).claims]
    got = parse(envelope(specs, mode=mode))
    assert [record(c) for c in got.claims] == expected
    assert all(c.findings == [] for c in got.claims)


@pytest.mark.parametrize("mode", ["base64", "plain"])
def test_bom_and_namespaces_give_the_same_record(mode: str) -> None:
    specs = [claim(1)]
    expected = record(one(envelope(specs)))
    result = parse(envelope(specs, mode=mode, bom=True, ns="http://example.invalid/qd130"))
    assert result.facility == "79001" and result.findings == []
    assert record(result.claims[0]) == expected


def test_base64_wrapped_in_lines_is_read() -> None:
    spec = claim(1)
    spec.raw["XML3"] = base64.encodebytes(table_document("XML3", spec.xml3, bom=True)).decode()
    assert "\n" in spec.raw["XML3"].strip()
    assert record(one(envelope([spec]))) == record(one(envelope([claim(1)])))


def test_prefixed_namespaces_and_multi_hoso_source_standard_by_discharge_date() -> None:
    doc = table_document("XML2", claim(1).xml2).decode()
    prefixed = doc.replace("<CHI", "<q:CHI").replace("</CHI", "</q:CHI").replace(
        "<q:CHITIEU_CHITIET_THUOC>", '<q:CHITIEU_CHITIET_THUOC xmlns:q="urn:x">')
    spec = claim(1)
    spec.raw["XML2"] = base64.b64encode(prefixed.encode()).decode()
    assert record(one(envelope([spec])))["drugs"] == record(one(envelope([claim(1)])))["drugs"]
    standards = [record(c)["source_standard"] for c in parse(envelope([
        claim(1, start=datetime(2024, 1, 5, 8)), claim(2, start=datetime(2024, 8, 5, 8)),
        claim(3, start=datetime(2025, 1, 5, 8))])).claims]
    assert standards == ["QD130", "QD4750", "QD3176"]


# --- dirty but normalisable ------------------------------------------------------------------
def test_legacy_4210_tags_are_mapped() -> None:
    spec = to_4210(claim(1, inpatient=True, start=datetime(2024, 3, 1, 8)))
    assert "MA_THE" in spec.xml1 and "THANH_TIEN" in spec.xml2[0]
    result = one(envelope([spec]))
    rec = record(result)
    assert result.findings == []  # 4210's own formats (8-digit NGAY_SINH, "3") are legal there
    clean = record(one(envelope([claim(1, inpatient=True, start=datetime(2024, 3, 1, 8))])))
    assert rec["source_standard"] == "QD4210" and clean["source_standard"] == "QD130"
    h, c = rec["header"], clean["header"]
    for name in ("ma_the_bhyt", "ma_benh_chinh", "ma_benh_kt", "ma_loai_rv", "ngay_sinh",
                 "t_tongchi_bh", "t_bhtt", "ngay_vao", "ngay_ra"):
        assert h[name] == c[name], name
    assert h["ma_doituong_kcb"] == "1.1" and h["ma_loai_kcb"] == "03"
    assert h["t_tongchi_bv"] == h["t_tongchi_bh"] == c["t_tongchi_bh"]
    assert rec["person_key"] == clean["person_key"]
    line = rec["services"][0]
    assert line["don_gia_bv"] == line["don_gia_bh"] == clean["services"][0]["don_gia_bh"]
    assert line["thanh_tien_bv"] == line["thanh_tien_bh"] and line["tyle_tt_dv"] == 100.0
    assert rec["drugs"][0]["thanh_tien_bv"] == clean["drugs"][0]["thanh_tien_bh"]


@pytest.mark.parametrize(("legacy", "expected"), [("1", "1.1"), ("2", "2"), ("4", "1.2"),
                                                  ("3", "3")])
def test_legacy_route_mapping(legacy: str, expected: str) -> None:
    spec = to_4210(claim(1, start=datetime(2024, 3, 1, 8)))
    spec.xml1["MA_LYDO_VVIEN"] = legacy
    result = one(envelope([spec]))
    assert record(result)["header"]["ma_doituong_kcb"] == expected
    assert codes(result.findings) == ({"P150"} if legacy == "3" else set())


def test_legacy_transfer_destination_is_not_the_referral_origin() -> None:
    spec = to_4210(claim(1, start=datetime(2024, 3, 1, 8)))
    spec.xml1["MA_NOI_CHUYEN"] = "79002"
    assert record(one(envelope([spec])))["header"]["ma_noi_di"] == "79002"
    spec.xml1["TINH_TRANG_RV"] = "2"  # transferred out: MA_NOI_CHUYEN is the destination
    assert record(one(envelope([spec])))["header"]["ma_noi_di"] is None


@pytest.mark.parametrize(("text", "value"), [
    ("78000,5", 78000.5), ("78.000,50", 78000.5), ("78,000.50", 78000.5), ("1.234.567", 1234567),
    ("1,234,567", 1234567), ("78 000", 78000), ("1,234", 1.234)])
def test_decimal_commas_and_grouping(text: str, value: float) -> None:
    spec = claim(1)
    spec.xml1["CAN_NANG"] = text
    result = one(envelope([spec]))
    assert record(result)["header"]["can_nang"] == value
    [f] = result.findings
    assert (f.code, f.field, f.table, f.blocking) == ("P604", "CAN_NANG", "XML1", False)
    assert repr(text) in f.message


def test_dirty_claim_is_normalised_with_one_finding_each() -> None:
    spec = claim(1)
    spec.xml1.update(NGAY_VAO="20250303", NGAY_SINH="198500000000", MA_LOAI_KCB="1",
                     GT_THE_TU="202501010000", T_THUOC="10500,00")
    spec.xml2[1]["MA_NHOM"] = "Nhóm 4"
    spec.xml3[1]["NGAY_YL"] = "20250303083700"
    result = one(envelope([spec]))
    rec = record(result)
    assert sorted((f.code, f.table, f.row, f.field) for f in result.findings) == [
        ("P601", "XML1", 1, "NGAY_VAO"), ("P602", "XML3", 2, "NGAY_YL"),
        ("P603", "XML1", 1, "GT_THE_TU"), ("P604", "XML1", 1, "T_THUOC"),
        ("P605", "XML1", 1, "NGAY_SINH"), ("P606", "XML1", 1, "MA_LOAI_KCB"),
        ("P607", "XML2", 2, "MA_NHOM")]
    h = rec["header"]
    assert h["ngay_vao"] == datetime(2025, 3, 3) and h["ngay_sinh"] == datetime(1985, 1, 1)
    assert h["ma_loai_kcb"] == "01" and h["gt_the_tu"] == date(2025, 1, 1)
    assert h["t_thuoc"] == 10500.0 and rec["drugs"][1]["ma_nhom"] == 4


def test_several_cards_first_one_used() -> None:
    spec = claim(1)
    spec.xml1.update(MA_THE_BHYT="dn4799900000001; HT3799900000002", MA_DKBD="79001;79002",
                     GT_THE_TU="20250101;20250701", GT_THE_DEN="20250630;20251231")
    rec = record(one(envelope([spec])))
    h = rec["header"]
    assert h["ma_the_bhyt"] == "DN4799900000001;HT3799900000002"
    assert (h["ma_dkbd"], h["gt_the_tu"], h["gt_the_den"]) == (
        "79001", date(2025, 1, 1), date(2025, 6, 30))
    assert rec["person_key"] == "9900000001"


@pytest.mark.parametrize(("card", "cccd", "key", "found"), [
    ("", "079000000001", "079000000001", set()),
    ("DN47999000", "079000000001", "079000000001", {"P141"}),
    ("DN4799900000001", "", "9900000001", set())])
def test_person_key(card: str, cccd: str, key: str, found: set[str]) -> None:
    spec = claim(1)
    spec.xml1.update(MA_THE_BHYT=card, SO_CCCD=cccd)
    result = one(envelope([spec]))
    assert record(result)["person_key"] == key and codes(result.findings) == found


# --- the error catalogue: every code has a trigger ---------------------------------------------
Outcome = tuple[list[Finding], list[ClaimResult]]


def xml(mutate: Callable[[ClaimSpec], object] | None = None, *, claims: list[ClaimSpec] | None
        = None, **env: Any) -> Outcome:
    specs = claims if claims is not None else [claim(1)]
    if mutate is not None:
        mutate(specs[0])
    result = parse(envelope(specs, **env))
    return result.findings, result.claims


def _change(rows: Callable[[ClaimSpec], dict[str, str]], changes: dict[str, str | None]
            ) -> Callable[[ClaimSpec], None]:
    def mutate(spec: ClaimSpec) -> None:
        row = rows(spec)
        for tag, value in changes.items():
            if value is None:
                row.pop(tag, None)
            else:
                row[tag] = value
    return mutate


def x1(**changes: str | None) -> Outcome:
    return xml(_change(lambda s: s.xml1, changes))


def x2(row: int = 0, **changes: str | None) -> Outcome:
    return xml(_change(lambda s: s.xml2[row], changes))


def x3(row: int = 0, **changes: str | None) -> Outcome:
    return xml(_change(lambda s: s.xml3[row], changes))


def js(mutate: Callable[[dict[str, Any]], object]) -> Outcome:
    obj = claim_to_json(record(one(envelope([claim(1)]))))
    mutate(obj)
    return [], [parse_json_claim(obj)]


def b64(doc: bytes) -> str:
    return base64.b64encode(doc).decode()


def _legacy(route: str | None = None, year: int = 2024) -> list[ClaimSpec]:
    spec = to_4210(claim(1, start=datetime(year, 3, 1, 8)))
    if route:
        spec.xml1["MA_LYDO_VVIEN"] = route
    return [spec]


TRIGGERS: dict[str, Callable[[], Outcome]] = {
    "P001": lambda: xml(facility=""),
    "P002": lambda: xml(created="2025-03-06"),
    "P003": lambda: xml(count="5"),
    "P004": lambda: xml(lambda s: s.extra.append(("XML7", b"<CHI_TIEU_DU_LIEU_GIAY_RA_VIEN/>"))),
    "P005": lambda: xml(lambda s: s.raw.update(XML2="!!not base64!!")),
    "P006": lambda: xml(lambda s: s.raw.update(XML4=b64(b"<CHI_TIET_CLS><MA_LK>x</CHI"))),
    "P007": lambda: xml(lambda s: s.omit.add("XML1")),
    "P008": lambda: xml(lambda s: s.extra.append(("XML2", table_document("XML2", s.xml2)))),
    "P009": lambda: xml(lambda s: s.raw.update(XML1=b64(table_document("XML1", [s.xml1] * 2)))),
    "P010": lambda: xml(claims=[claim(1), claim(1)]),
    "P011": lambda: xml(claims=[]),
    "P101": lambda: x1(MA_LK=None),
    "P102": lambda: x1(MA_LK="K" * 101),
    "P103": lambda: xml(lambda s: s.xml1.pop("MA_CSKCB"), facility=""),
    "P104": lambda: x1(MA_CSKCB="79002"),
    "P105": lambda: xml(lambda s: s.xml1.pop("MA_CSKCB"), facility="7900"),
    "P106": lambda: x1(MA_BN=None),
    "P107": lambda: x1(NGAY_SINH=None),
    "P108": lambda: x1(NGAY_SINH="19851312"),
    "P109": lambda: x1(GIOI_TINH=None),
    "P110": lambda: x1(GIOI_TINH="4"),
    "P111": lambda: x1(NGAY_VAO=None),
    "P112": lambda: x1(NGAY_VAO="2025-03-03 08:17"),
    "P113": lambda: x1(NGAY_RA=""),
    "P114": lambda: x1(NGAY_RA="202503031061"),
    "P115": lambda: x1(MA_BENH_CHINH=None),
    "P116": lambda: x1(MA_BENH_CHINH="J02.9;I10"),
    "P117": lambda: x1(MA_DOITUONG_KCB=None),
    "P118": lambda: x1(MA_DOITUONG_KCB="đúng tuyến"),
    "P119": lambda: x1(MA_LOAI_KCB=None),
    "P120": lambda: x1(MA_LOAI_KCB="17"),
    "P121": lambda: x1(KET_QUA_DTRI="9"),
    "P122": lambda: x1(MA_LOAI_RV="6"),
    "P123": lambda: x1(NAM_QT="25"),
    "P124": lambda: x1(THANG_QT="13"),
    "P125": lambda: x1(T_BHTT="78000đ"),
    "P126": lambda: x1(T_BHTT=None),
    "P127": lambda: x1(NGAY_TTOAN="hôm nay"),
    "P128": lambda: x1(CAN_NANG="62kg"),
    "P129": lambda: x1(KET_QUA_DTRI=None),
    "P130": lambda: x1(NAM_QT=None),
    "P131": lambda: x1(MA_BN="B" * 101),
    "P132": lambda: x1(SO_CCCD="0" * 16),
    "P133": lambda: x1(MA_BENH_KT=";".join(["I10"] * 13)),
    "P134": lambda: x1(T_BHTT="-78000"),
    "P140": lambda: x1(MA_THE_BHYT="DN479990000000X", SO_CCCD=None),
    "P141": lambda: x1(MA_THE_BHYT="DN679"),
    "P142": lambda: x1(MA_THE_BHYT=None, SO_CCCD=""),
    "P143": lambda: x1(MA_THE_BHYT="DN4799900000001;HT3799900000002"),
    "P150": lambda: xml(claims=_legacy("3")),
    "P151": lambda: xml(claims=_legacy(year=2025)),
    "P201": lambda: x2(MA_THUOC=None),
    "P202": lambda: x2(MA_NHOM="undefined"),
    "P203": lambda: x2(MA_NHOM="10"),
    "P204": lambda: x2(SO_LUONG=None),
    "P205": lambda: x2(DON_GIA=None),
    "P206": lambda: x2(NGAY_YL=None),
    "P207": lambda: x2(NGAY_YL="20250230"),
    "P208": lambda: x2(DON_GIA="1.2.3a"),
    "P209": lambda: x2(PHAM_VI="4"),
    "P210": lambda: x2(MA_PTTT="5"),
    "P211": lambda: x2(T_BHTT=None),
    "P212": lambda: x2(STT=None),
    "P213": lambda: x2(NGAY_TH_YL="x"),
    "P301": lambda: x3(MA_DICH_VU=None),
    "P302": lambda: x3(MA_NHOM="undefined"),
    "P303": lambda: x3(MA_NHOM="4"),
    "P304": lambda: x3(SO_LUONG=None),
    "P305": lambda: x3(DON_GIA_BV=None),
    "P306": lambda: x3(DON_GIA_BH=None),
    "P307": lambda: x3(NGAY_YL=None),
    "P308": lambda: x3(NGAY_YL="x"),
    "P309": lambda: x3(THANH_TIEN_BV="NaN"),
    "P310": lambda: x3(PHAM_VI="9"),
    "P311": lambda: x3(MA_PTTT="9"),
    "P312": lambda: x3(T_BHTT=None),
    "P313": lambda: x3(STT="a"),
    "P314": lambda: x3(NGAY_KQ="x"),
    "P315": lambda: x3(PP_VO_CAM="7"),
    "P316": lambda: x3(2, MA_VAT_TU=None, MA_DICH_VU="23.0003.1494"),
    "P317": lambda: x3(MA_NHOM="7"),
    "P401": lambda: x2(MA_LK="79001_OTHER"),
    "P402": lambda: x3(1, MA_LK=None),
    "P501": lambda: js(lambda o: o.update(ghi_chu="x")),
    "P502": lambda: js(lambda o: o.update(version=3)),
    "P503": lambda: js(lambda o: o.update(drugs="x")),
    "P504": lambda: js(lambda o: o.update(source_standard="QD9999")),
    "P601": lambda: x1(NGAY_VAO="20250303"),
    "P602": lambda: x1(NGAY_VAO="20250303081759"),
    "P603": lambda: x1(GT_THE_TU="202501010000"),
    "P604": lambda: x1(T_BHTT="78000,00"),
    "P605": lambda: x1(NGAY_SINH="198504000000"),
    "P606": lambda: x1(MA_LOAI_KCB="1"),
    "P607": lambda: x2(MA_NHOM="Nhóm 4"),
    "P608": lambda: x1(CAN_NANG="6.25E1"),
}


def test_every_catalogue_code_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(BY_CODE)
    assert len(BY_CODE) == len(CATALOGUE)
    rows = catalogue_rows()
    assert {r["severity"] for r in rows} == {"blocking", "finding"}
    assert all(r["tables"] and r["fields"] and r["message"] for r in rows)


# Codes that a trigger cannot avoid raising alongside its own.
ALONGSIDE = {"P102": {"P401"}, "P103": {"P001"}, "P105": {"P001"}}


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.code)
def test_catalogue_code_is_triggered(spec: Any) -> None:
    """Each trigger raises its code and nothing else; blocking codes drop the record."""
    envelope_findings, claims = TRIGGERS[spec.code]()
    found = envelope_findings + [f for c in claims for f in c.findings]
    assert codes(found) == {spec.code} | ALONGSIDE.get(spec.code, set())
    hits = [f for f in found if f.code == spec.code]
    for f in hits:
        assert f.blocking == spec.blocking
        assert f.table in spec.tables and (f.field in spec.fields or spec.fields == ("*",)), f
        assert f.message and "{" not in f.message
    for c in claims:
        assert c.accepted == (not spec.blocking or spec.code not in codes(c.findings))
        assert (c.record is None) == (not c.accepted)


def test_blocking_message_names_the_field_and_the_value() -> None:
    _, [c] = x2(1, DON_GIA="12abc")
    [f] = c.findings
    assert (f.code, f.table, f.row, f.field) == ("P208", "XML2", 2, "DON_GIA")
    assert "DON_GIA" in f.message and "'12abc'" in f.message
    assert f.to_dict()["blocking"] is True


def test_a_blocked_claim_does_not_stop_the_others() -> None:
    bad = claim(2)
    del bad.xml1["NGAY_VAO"]
    result = parse(envelope([claim(1), bad, claim(3)]))
    assert [c.accepted for c in result.claims] == [True, False, True]
    assert result.claims[1].claim_key == ("79001", bad.xml1["MA_LK"])


# --- JSON form -----------------------------------------------------------------------------------
def test_json_form_round_trips_to_the_same_record() -> None:
    for spec in (claim(1), claim(2, inpatient=True)):
        rec = record(one(envelope([spec])))
        obj = claim_to_json(rec)
        assert json.loads(json.dumps(obj)) == obj  # plain JSON
        back = parse_json_claim(obj, facility="79001")
        assert back.findings == [] and back.record == rec
        assert back.claim_key == ("79001", rec["claim_id"])


def test_json_form_accepts_xml_style_text() -> None:
    rec = record(one(envelope([claim(1)])))
    obj = claim_to_json(rec)
    obj["header"].update(ngay_vao="202503030817", t_bhtt="78000,00", gt_the_tu="20250101")
    obj["drugs"][0]["ngay_yl"] = "2025-03-03 08:47"
    back = parse_json_claim(obj)
    assert back.record == rec and codes(back.findings) == {"P604"}


def test_json_form_blocks_another_facility_and_non_objects() -> None:
    obj = claim_to_json(record(one(envelope([claim(1)]))))
    assert codes(parse_json_claim(obj, facility="79002").findings) == {"P104"}
    bad: Any
    for bad in ([], "x", None, 3):
        result = parse_json_claim(bad)
        assert not result.accepted and codes(result.findings) == {"P503"}
    obj["drugs"] = [obj["drugs"][0], "not a line"]
    assert "P503" in codes(parse_json_claim(obj).findings)



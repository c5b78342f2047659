"""The sink's row builders: field mapping, Decimal/None handling, line kinds, row errors.

``make_claim`` / ``make_decision`` build decoded records (as fastavro returns them) and are
reused by the integration tests of the sink.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from rules.cases import base_case
from streams.settings import ROOT
from streams.sink import payload_json as replay_json
from streams.sink.payload_json import load_layout
from streams.sink.rows import (
    CLAIM_COLUMNS,
    DECISION_COLUMNS,
    HIT_COLUMNS,
    LINE_COLUMNS,
    PAYLOAD_COLUMNS,
    RowError,
    claim_rows,
    claim_tables,
    decision_rows,
    decision_tables,
    payload_row,
    province_of,
)

NOW = datetime(2025, 3, 2, 1, 2, 3, tzinfo=UTC)


def make_claim(claim_id: str = "LK1", facility: str = "79001", version: int = 1,
               **header: Any) -> dict[str, Any]:
    drug = {"stt": 1, "ma_thuoc": "40.17", "ma_nhom": 4, "pham_vi": 1, "so_luong": 2.5,
            "don_gia": 1234.567, "tyle_tt_bh": 100.0, "thanh_tien_bv": 3086.42,
            "thanh_tien_bh": 3086.42, "muc_huong": 80.0, "t_bhtt": 2469.14, "ma_khoa": "K01",
            "ma_bac_si": "BS1", "ngay_yl": datetime(2025, 3, 1, 8, 30)}
    service = {"stt": 1, "ma_dich_vu": "01.0001.0001", "ma_vat_tu": None, "ma_nhom": 1,
               "pham_vi": 1, "so_luong": 1.0, "don_gia_bv": 50000.0, "don_gia_bh": 45000.0,
               "tyle_tt_bh": 100.0, "thanh_tien_bv": 50000.0, "thanh_tien_bh": 45000.0,
               "muc_huong": 80.0, "t_bhtt": 36000.0, "ma_khoa": "K02", "ma_bac_si": "BS2",
               "ngay_yl": datetime(2025, 3, 1, 9, 0)}
    supply = dict(service, stt=2, ma_dich_vu="", ma_vat_tu="N03.01.010", ma_nhom=10,
                  don_gia_bv=1000.0, don_gia_bh=1000.0)
    h = {"ma_bn": "BN1", "ho_ten": "", "so_cccd": None, "ngay_sinh": datetime(1980, 1, 1),
         "gioi_tinh": 2, "ma_the_bhyt": "DN4797912345678", "ma_dkbd": "79001",
         "gt_the_tu": date(2025, 1, 1), "gt_the_den": date(2025, 12, 31),
         "ngay_mien_cct": None, "nam_nam_lien_tuc": None, "ma_benh_chinh": "J18.9",
         "ma_benh_kt": "E11", "ma_doituong_kcb": "1.1", "ma_loai_kcb": "03", "ma_noi_di": None,
         "giay_chuyen_tuyen": None, "ngay_vao": datetime(2025, 3, 1, 7, 15),
         "ngay_vao_noi_tru": None, "ngay_ra": datetime(2025, 3, 4, 10, 0),
         "ngay_ttoan": datetime(2025, 3, 4, 11, 0), "so_ngay_dtri": 3, "ket_qua_dtri": 1,
         "ma_loai_rv": 1, "ma_khoa": "K01", "can_nang": None, "t_thuoc": 3086.42,
         "t_vtyt": 1000.0, "t_tongchi_bv": 54086.42, "t_tongchi_bh": 49086.42, "t_bntt": 0.0,
         "t_bncct": 9817.28, "t_bhtt": 39269.14, "t_nguonkhac": 0.0, "t_bhtt_gdv": 0.0,
         "nam_qt": 2025, "thang_qt": 3}
    h.update(header)
    return {"facility": facility, "claim_id": claim_id, "version": version,
            "submitted_at": datetime(2025, 3, 4, 5, 0, tzinfo=UTC), "source_standard": "QD130",
            "person_key": "7912345678", "content_hash": "abc", "header": h, "drugs": [drug],
            "services": [service, supply], "lab_results": 2, "clinical_notes": 3}


def make_hit(code: str = "CT01", severity: str = "PARTIAL", table: str = "XML2",
             line: int | None = 1, amount: float = 100.0,
             threshold: str | None = "10.00 VND") -> dict[str, Any]:
    return {"code": code, "rule_version": "2025.1", "severity": severity, "title": "t",
            "message": f"{code} message", "legal_basis": "QD 130 art. 1", "table": table,
            "line": line, "amount": amount, "inputs": {"price": "12", "approved": "10"},
            "message_vi": f"{code} thông báo", "threshold": threshold}


def make_decision(claim_id: str = "LK1", facility: str = "79001", version: int = 1,
                  revision: int = 1, outcome: str = "PARTIAL_REJECT",
                  hits: list[dict[str, Any]] | None = None, requested: float = 39269.14,
                  rejected: float = 100.0) -> dict[str, Any]:
    return {"facility": facility, "claim_id": claim_id, "version": version,
            "revision": revision, "person_key": "7912345678", "content_hash": "abc",
            "submitted_at": datetime(2025, 3, 4, 5, 0, tzinfo=UTC),
            "decided_at": datetime(2025, 3, 4, 5, 0, 0, 250_000, tzinfo=UTC),
            "service_date": date(2025, 3, 1), "outcome": outcome, "requested": requested,
            "approved": requested - rejected, "rejected": rejected, "rules_version": "r1",
            "adjustments": [], "hits": [make_hit()] if hits is None else hits}


def test_claim_row_maps_header_and_counts_lines() -> None:
    row, lines = claim_rows(make_claim(), NOW)
    assert set(row) == set(CLAIM_COLUMNS)
    assert (row["facility"], row["province"], row["claim_id"], row["version"]) == (
        "79001", "79", "LK1", 1)
    assert row["inpatient"] == 1 and row["ma_loai_kcb"] == "03"
    assert row["ngay_vao"] == datetime(2025, 3, 1, 7, 15) and row["ngay_vao"].tzinfo is None
    assert row["t_bhtt"] == Decimal("39269.14") and isinstance(row["t_bhtt"], Decimal)
    assert (row["drug_lines"], row["service_lines"], row["supply_lines"]) == (1, 1, 1)
    assert (row["lab_results"], row["clinical_notes"]) == (2, 3)
    assert row["ingested_at"] == NOW
    assert len(lines) == 3


def test_line_kinds_codes_and_prices() -> None:
    _, lines = claim_rows(make_claim(), NOW)
    assert all(set(r) == set(LINE_COLUMNS) for r in lines)
    by_kind = {r["kind"]: r for r in lines}
    drug, service, supply = by_kind["DRUG"], by_kind["SERVICE"], by_kind["SUPPLY"]
    assert (drug["table"], drug["code"], drug["stt"]) == ("XML2", "40.17", 1)
    # XML2 has one DON_GIA; quantities and unit prices keep 3 decimals, amounts 2.
    assert drug["don_gia_bv"] == drug["don_gia_bh"] == Decimal("1234.567")
    assert drug["so_luong"] == Decimal("2.500") and drug["t_bhtt"] == Decimal("2469.14")
    assert (service["table"], service["code"]) == ("XML3", "01.0001.0001")
    assert (service["don_gia_bv"], service["don_gia_bh"]) == (Decimal("50000"),
                                                               Decimal("45000"))
    assert (supply["code"], supply["ma_nhom"]) == ("N03.01.010", 10)
    assert {r["service_date"] for r in lines} == {date(2025, 3, 1)}


def test_supply_group_11_is_a_supply_and_group_10_without_code_gives_empty_code() -> None:
    claim = make_claim()
    claim["services"][1].update(ma_nhom=11)
    claim["services"].append(dict(claim["services"][1], stt=3, ma_nhom=10, ma_vat_tu=None))
    _, lines = claim_rows(claim, NOW)
    supplies = [r for r in lines if r["kind"] == "SUPPLY"]
    assert [(r["stt"], r["code"]) for r in supplies] == [(2, "N03.01.010"), (3, "")]


def test_none_handling() -> None:
    row, _ = claim_rows(make_claim(ngay_ttoan=None, ma_the_bhyt=None, ma_loai_kcb="01"), NOW)
    assert row["ngay_ttoan"] is None
    assert row["ma_the_bhyt"] == ""
    assert row["inpatient"] == 0


def test_money_is_rounded_not_truncated() -> None:
    # 0.29 * 100 is 28.999... in binary floating point: a naive int() would store 0.28.
    row, _ = claim_rows(make_claim(t_bhtt=0.29, t_bntt=1234.005000001), NOW)
    assert row["t_bhtt"] == Decimal("0.29")
    assert row["t_bntt"] == Decimal("1234.01")


@pytest.mark.parametrize(("change", "field"), [
    ({"t_bhtt": float("nan")}, "claim.header.t_bhtt"),
    ({"t_bhtt": 1e16}, "claim.header.t_bhtt"),
    ({"ngay_vao": datetime(1960, 1, 1)}, "claim.header.ngay_vao"),
    ({"ngay_ra": datetime(2200, 1, 1)}, "claim.header.ngay_ra"),
    ({"ngay_ttoan": datetime(2025, 1, 1, tzinfo=UTC)}, "claim.header.ngay_ttoan"),
])
def test_values_clickhouse_cannot_store_are_rejected_naming_the_field(
    change: dict[str, Any], field: str
) -> None:
    with pytest.raises(RowError, match=field.replace(".", r"\.")):
        claim_rows(make_claim(**change), NOW)


def test_bad_line_and_bad_identity_name_the_field() -> None:
    claim = make_claim()
    claim["services"][0]["ngay_yl"] = datetime(1900, 1, 1)
    with pytest.raises(RowError, match=r"claim\.services\[0\]\.ngay_yl"):
        claim_rows(claim, NOW)
    with pytest.raises(RowError, match=r"claim\.version"):
        claim_rows(make_claim(version=0), NOW)
    with pytest.raises(RowError, match="province"):
        province_of("X1")


def test_missing_field_is_a_row_error() -> None:
    claim = make_claim()
    del claim["header"]
    with pytest.raises(RowError, match="missing field 'header'"):
        claim_tables(claim, NOW)
    with pytest.raises(RowError, match="missing field 'hits'"):
        decision_tables({k: v for k, v in make_decision().items() if k != "hits"}, NOW)


def test_decision_row() -> None:
    hits = [make_hit("XC02", "WARNING", "XML1", None, 0.0, threshold=None), make_hit("CT01"),
            make_hit("CT02", amount=12.345)]
    row, hit_rows = decision_rows(make_decision(revision=2, hits=hits), NOW)
    assert set(row) == set(DECISION_COLUMNS)
    assert (row["revision"], row["ver"]) == (2, 2)
    assert row["hit_codes"] == ["CT01", "CT02", "XC02"]  # sorted set
    assert (row["hit_count"], row["warned"]) == (3, 1)
    assert row["decided_at_ms"] == 250
    assert row["service_date"] == date(2025, 3, 1)
    assert (row["requested"], row["rejected"]) == (Decimal("39269.14"), Decimal("100.00"))
    assert all(set(h) == set(HIT_COLUMNS) for h in hit_rows)
    assert hit_rows[0]["line"] == -1 and hit_rows[1]["line"] == 1
    assert hit_rows[2]["amount"] == Decimal("12.35")
    assert hit_rows[1]["input_keys"] == ["approved", "price"]
    assert hit_rows[1]["input_values"] == ["10", "12"]
    assert {h["revision"] for h in hit_rows} == {2}
    # Both explanations and the limit applied are kept; no limit stays NULL, not "".
    assert [(h["message"], h["message_vi"], h["threshold"]) for h in hit_rows[:2]] == [
        ("XC02 message", "XC02 thông báo", None), ("CT01 message", "CT01 thông báo", "10.00 VND")]
    # appended by 0006_hit_messages, then 0019_hit_mode: the ALTERs' column order
    assert HIT_COLUMNS[-3:] == ("message_vi", "threshold", "mode")
    assert {h["mode"] for h in hit_rows} == {"enforce"}  # events written before modes existed


def test_observed_hit_is_stored_with_its_mode_and_warns_nothing() -> None:
    hit = {**make_hit("XC02", "WARNING", "XML1", None, 0.0), "mode": "observe"}
    row, hit_rows = decision_rows(make_decision(hits=[hit]), NOW)
    assert [h["mode"] for h in hit_rows] == ["observe"]
    assert row["warned"] == 0


def test_decision_without_hits_and_without_warning() -> None:
    row, hit_rows = decision_rows(make_decision(outcome="ACCEPT", hits=[], rejected=0.0), NOW)
    assert hit_rows == []
    assert (row["hit_codes"], row["hit_count"], row["warned"]) == ([], 0, 0)


def test_repeated_hits_on_one_key_get_distinct_occurrences() -> None:
    hits = [make_hit("XC02", "WARNING", "XML1", None), make_hit("XC02", "WARNING", "XML1", None),
            make_hit("CT01")]
    _, hit_rows = decision_rows(make_decision(hits=hits), NOW)
    assert [(h["code"], h["occurrence"]) for h in hit_rows] == [
        ("XC02", 1), ("XC02", 2), ("CT01", 1)]


def test_decision_revision_must_be_positive() -> None:
    with pytest.raises(RowError, match=r"decision\.revision"):
        decision_rows(make_decision(revision=0), NOW)
    bad = make_decision()
    bad["decided_at"] = datetime(2025, 1, 1)  # naive: not an instant
    with pytest.raises(RowError, match=r"decision\.decided_at"):
        decision_rows(bad, NOW)




def test_payload_row_keeps_the_bytes_and_a_json_form_that_restores_the_claim() -> None:
    layout = load_layout(ROOT / "avro" / "schemas")
    assert layout is not None
    claim = base_case().claim
    row = payload_row(claim, b"\x00\x00\x00\x00\x07avro", NOW, layout)
    assert tuple(row) == PAYLOAD_COLUMNS
    assert row["payload"] == b"\x00\x00\x00\x00\x07avro"
    assert (row["service_date"], row["version"]) == (claim["header"]["ngay_vao"].date(), 1)
    assert row["claim_json_schema"] == layout.tag
    assert replay_json.loads(row["claim_json"], layout) == claim
    # No layout, or a record the form would not restore exactly: no form, no tag.
    assert (payload_row(claim, b"x", NOW, None)["claim_json"],
            payload_row(claim, b"x", NOW, None)["claim_json_schema"]) == (b"", "")
    partial = make_claim()  # lacks fields of the schema
    assert payload_row(partial, b"x", NOW, layout)["claim_json_schema"] == ""
    with pytest.raises(RowError, match="claim.version"):
        payload_row({**claim, "version": 0}, b"x", NOW, layout)

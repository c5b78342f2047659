"""Catalog rows from JSON/CSV uploads: every finding names its row, field and problem."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema

from streams.reference.catalog import entry_key
from streams.reference.load import load_file
from streams.reference.rows import (
    KINDS,
    UploadError,
    check_rows,
    columns,
    load_entry_schema,
    read_rows,
)
from streams.settings import ROOT, Settings

SCHEMA = load_entry_schema(ROOT / "avro")
FACILITY = "79001"
TENDER = "215/QĐ-SYT;G1;N4;2024"

# One valid row per kind (JSON form, as a facility's list).
VALID: dict[str, dict[str, Any]] = {
    "drugs": {"code": "40.221", "name": "Ceftriaxon 1g (thử)", "unit": "Lọ", "ma_nhom": 4,
              "price": 21000, "tt_thau": TENDER, "valid_from": "2025-01-01",
              "valid_to": "2025-12-31", "ham_luong": "1g"},
    "services": {"code": "23.0166.1494", "name": "Định lượng Urê máu (thử)", "unit": "Lần",
                 "ma_nhom": 1, "price": "21500", "valid_from": "2024-11-17"},
    "supplies": {"code": "N06.02.020", "name": "Stent (thử)", "unit": "Cái", "ma_nhom": 10,
                 "price": 36000000, "tt_thau": "12/QĐ-BV;G0;N1;2025",
                 "valid_from": "2025-01-01"},
    "staff": {"code": "000543/HCM-CCHN", "name": "Bác sĩ Thử", "licence": "000543/HCM-CCHN",
              "scope": "1;2;13", "valid_from": "2025-01-01"},
    "equipment": {"code": "XN.1.79001.1", "name": "Máy thử", "services": "23.0166.1494",
                  "valid_from": "2025-01-01"},
}


def check(kind: str, rows: list[Any], facility: str = FACILITY) -> Any:
    return check_rows(kind, rows, facility, SCHEMA)


def only_finding(kind: str, row: dict[str, Any], facility: str = FACILITY) -> tuple[str, str]:
    result = check(kind, [row], facility)
    assert result.entries == [], result.entries
    assert len(result.findings) == 1, [str(f) for f in result.findings]
    f = result.findings[0]
    assert f.row == 1 and f.message
    return f.field, f.code


@pytest.mark.parametrize("kind", list(KINDS))
def test_valid_row_of_each_kind_becomes_a_record(kind: str) -> None:
    result = check(kind, [VALID[kind]])
    assert result.findings == [] and result.read == 1
    [(number, entry)] = result.entries
    assert number == 1
    assert entry["kind"] == KINDS[kind] and entry["facility"] == FACILITY
    assert entry["code"] == VALID[kind]["code"]
    assert entry["valid_from"] == date.fromisoformat(VALID[kind]["valid_from"])
    assert entry_key(entry).startswith(f"{KINDS[kind]}|{FACILITY}|{entry['code']}|")
    if kind in ("staff", "equipment"):
        assert entry["price"] == 0.0 and entry["ma_nhom"] == 0 and entry["tt_thau"] is None
    else:
        assert entry["price"] == float(VALID[kind]["price"])


@pytest.mark.parametrize(("kind", "tender"), [
    ("drugs", "215/QĐ-SYT;G1;N4;2024;79000"),  # the unit that ran the tender (QĐ 4750)
    ("supplies", "12/QĐ-BV;G2;N0;2025"),  # a supply outside any technical group
    ("supplies", "12/QĐ-BV;G0;N0;2025;01000"),
])
def test_lawful_tender_forms_are_accepted(kind: str, tender: str) -> None:
    result = check(kind, [{**VALID[kind], "tt_thau": tender}])
    assert result.findings == []
    assert result.entries[0][1]["tt_thau"] == tender


def test_attributes_go_to_the_map_normalised() -> None:
    staff = check("staff", [{**VALID["staff"], "scope": " 1; 2 ;;13 "}]).entries[0][1]
    assert staff["attributes"] == {"licence": "000543/HCM-CCHN", "scope": "1;2;13"}
    drug = check("drugs", [VALID["drugs"]]).entries[0][1]
    assert drug["attributes"] == {"ham_luong": "1g"}
    # The export shape (kind, facility, attributes object) is accepted back.
    exported = {**VALID["equipment"], "kind": "EQUIPMENT", "facility": FACILITY,
                "attributes": {"services": "A.1;B.2"}}
    del exported["services"]
    assert check("equipment", [exported]).entries[0][1]["attributes"] == {"services": "A.1;B.2"}


def test_national_standard_names_dates_and_decimal_comma() -> None:
    row = {"MA_THUOC": "40.989", "TEN_THUOC": "Paracetamol", "DON_VI_TINH": "Viên",
           "MA_NHOM": "4", "DON_GIA": "1250,5", "TT_THAU": TENDER, "TU_NGAY": "20250101",
           "DEN_NGAY": "31/12/2025"}
    result = check("drugs", [row])
    assert result.findings == []
    entry = result.entries[0][1]
    assert (entry["code"], entry["unit"], entry["price"]) == ("40.989", "Viên", 1250.5)
    assert (entry["valid_from"], entry["valid_to"]) == (date(2025, 1, 1), date(2025, 12, 31))


def test_national_rows_need_no_tender() -> None:
    row = {k: v for k, v in VALID["drugs"].items() if k != "tt_thau"}
    assert check("drugs", [row], facility="").findings == []
    assert only_finding("drugs", row) == ("tt_thau", "required")


def change(which: str, /, **fields: Any) -> dict[str, Any]:
    """A copy of the valid ``which`` row with ``fields`` set (``_DROP``: removed)."""
    row = copy.deepcopy(VALID[which])
    for name, value in fields.items():
        if value is _DROP:
            row.pop(name, None)
        else:
            row[name] = value
    return row


_DROP = object()

BAD = [
    ("drugs", change("drugs", code=_DROP), "code", "required"),
    ("drugs", change("drugs", code="40 221"), "code", "invalid_format"),
    ("drugs", change("drugs", code="40|221"), "code", "invalid_format"),
    ("drugs", change("drugs", code="4" * 51), "code", "invalid_format"),
    ("drugs", change("drugs", name="x" * 1025), "name", "too_long"),
    ("drugs", change("drugs", unit="x" * 51), "unit", "too_long"),
    ("drugs", change("drugs", ma_nhom=_DROP), "ma_nhom", "required"),
    ("drugs", change("drugs", ma_nhom="bốn"), "ma_nhom", "invalid_number"),
    ("drugs", change("drugs", ma_nhom=4.5), "ma_nhom", "invalid_number"),
    ("drugs", change("drugs", ma_nhom=10), "ma_nhom", "not_allowed"),
    ("services", change("services", ma_nhom=4), "ma_nhom", "not_allowed"),
    ("supplies", change("supplies", ma_nhom=1), "ma_nhom", "not_allowed"),
    ("drugs", change("drugs", price=_DROP), "price", "required"),
    ("drugs", change("drugs", price="21,000"), "price", "invalid_number"),
    ("drugs", change("drugs", price="21.000.000"), "price", "invalid_number"),
    ("drugs", change("drugs", price=True), "price", "invalid_number"),
    ("drugs", change("drugs", price=0), "price", "out_of_range"),
    ("drugs", change("drugs", price=-5), "price", "out_of_range"),
    ("drugs", change("drugs", price=1e16), "price", "out_of_range"),
    ("drugs", change("drugs", price=float("nan")), "price", "out_of_range"),
    ("drugs", change("drugs", price=10**400), "price", "out_of_range"),
    ("staff", change("staff", price=100), "price", "not_allowed"),
    ("equipment", change("equipment", ma_nhom=2), "ma_nhom", "not_allowed"),
    ("drugs", change("drugs", valid_from=_DROP), "valid_from", "required"),
    ("drugs", change("drugs", valid_from="2025-02-30"), "valid_from", "invalid_date"),
    ("drugs", change("drugs", valid_from="01-01-2025"), "valid_from", "invalid_date"),
    ("drugs", change("drugs", valid_from="1899-01-01"), "valid_from", "out_of_range"),
    ("drugs", change("drugs", valid_to="2024-12-31"), "valid_to", "out_of_range"),
    ("drugs", change("drugs", valid_to="soon"), "valid_to", "invalid_date"),
    ("drugs", change("drugs", tt_thau=_DROP), "tt_thau", "required"),
    ("supplies", change("supplies", tt_thau=_DROP), "tt_thau", "required"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G1;2024"), "tt_thau", "invalid_format"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G0;N4;2024"), "tt_thau", "invalid_format"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G1;N0;2024"), "tt_thau", "invalid_format"),
    ("drugs", change("drugs", tt_thau="G1;N4;2024"), "tt_thau", "invalid_format"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G1;N4;2024;7900"), "tt_thau",
     "invalid_format"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G1;N4;2031"), "tt_thau", "out_of_range"),
    ("drugs", change("drugs", tt_thau="215/QĐ-SYT;G1;N4;1999"), "tt_thau", "out_of_range"),
    ("services", change("services", tt_thau=TENDER), "tt_thau", "not_allowed"),
    ("staff", change("staff", licence=_DROP), "licence", "required"),
    ("staff", change("staff", scope="1;25"), "scope", "not_allowed"),
    ("staff", change("staff", scope="1;nội khoa"), "scope", "invalid_format"),
    ("equipment", change("equipment", services="23.0166.1494;a|b"), "services",
     "invalid_format"),
    ("drugs", change("drugs", so_dang_ky="x" * 256), "so_dang_ky", "too_long"),
    ("drugs", change("drugs", facility="01001"), "facility", "mismatch"),
    ("drugs", change("drugs", kind="SERVICE"), "kind", "mismatch"),
    ("drugs", change("drugs", prcie=21000), "prcie", "unknown_field"),
    ("drugs", change("drugs", licence="x"), "licence", "unknown_field"),
    ("drugs", change("drugs", name={"vi": "x"}), "name", "invalid_type"),
    ("drugs", change("drugs", MA_THUOC="40.999"), "code", "conflict"),
]


@pytest.mark.parametrize(("kind", "row", "field", "code"), BAD,
                         ids=[f"{k}-{f}-{c}-{i}" for i, (k, _, f, c) in enumerate(BAD)])
def test_every_bad_field_is_named(kind: str, row: dict[str, Any], field: str,
                                  code: str) -> None:
    assert only_finding(kind, row) == (field, code)


def test_a_row_that_is_not_an_object() -> None:
    result = check("drugs", [VALID["drugs"], ["40.221", 21000]])
    assert [(f.row, f.field, f.code) for f in result.findings] == [(2, "(row)", "not_an_object")]
    assert [n for n, _ in result.entries] == [1]


def test_duplicate_code_and_start_is_rejected_and_versions_are_not() -> None:
    newer = change("drugs", valid_from="2026-01-01", valid_to=None, price=22000)
    result = check("drugs", [VALID["drugs"], newer, VALID["drugs"]])
    assert [(f.row, f.field, f.code) for f in result.findings] == [(3, "valid_from",
                                                                   "duplicate")]
    assert "row 1" in result.findings[0].message
    assert [n for n, _ in result.entries] == [1, 2]


def test_schema_is_the_last_word() -> None:
    raw = json.loads((ROOT / "avro/schemas/catalog_entry.avsc").read_text())
    for f in raw["fields"]:
        if f["name"] == "unit":
            f["type"], f["default"] = "int", 0  # a schema our field checks do not know about
    result = check_rows("drugs", [VALID["drugs"]], FACILITY, parse_schema(raw))
    assert [(f.field, f.code) for f in result.findings] == [("(row)", "schema")]
    assert result.entries == []


def test_findings_print_row_field_and_value() -> None:
    result = check("drugs", [VALID["drugs"], change("drugs", price="abc")])
    assert str(result.findings[0]).startswith("row 2, price: not a number")
    assert result.findings[0].to_dict() == {
        "row": 2, "field": "price", "code": "invalid_number",
        "message": result.findings[0].message, "value": "abc"}


# --- reading ---------------------------------------------------------------------------------
def test_csv_with_bom_semicolons_blank_lines_and_quoted_tender() -> None:
    body = ("\ufeffMA_THUOC;ten_thuoc;MA_NHOM;DON_GIA;TT_THAU;valid_from\n"
            '40.221;Ceftriaxon;4;21000,5;"215/QĐ-SYT;G1;N4;2024";2025-01-01\n'
            "\n"
            '40.989;Paracetamol;4;500;"215/QĐ-SYT;G1;N4;2024";2025-01-01\n').encode()
    rows = read_rows("drugs", body, "csv")
    assert len(rows) == 2 and rows[0]["ma_thuoc"] == "40.221"
    result = check("drugs", rows)
    assert result.findings == []
    assert [e["price"] for _, e in result.entries] == [21000.5, 500.0]


def test_csv_row_with_extra_cells() -> None:
    body = b"code,ma_nhom,price,tt_thau,valid_from\n40.1,4,10,215/Q;G1;N4;2024,2025-01-01,x\n"
    rows = read_rows("drugs", body, "csv")
    result = check("drugs", rows)
    assert [(f.field, f.code) for f in result.findings] == [("(row)", "extra_cells")]


@pytest.mark.parametrize(("body", "fmt", "reason"), [
    (b"{not json", "json", "malformed_json"),
    (b'{"code": "40.1"}', "json", "malformed_json"),
    (b"[]", "json", "empty"),
    (b"code,valid_from\n", "csv", "empty"),
    (b"", "csv", "empty"),
    (b"code,prcie,valid_from\n40.1,2,2025-01-01\n", "csv", "unknown_column"),
    (b"code,attributes,valid_from\n40.1,x,2025-01-01\n", "csv", "unknown_column"),
    (b"code,CODE,valid_from\n40.1,40.1,2025-01-01\n", "csv", "duplicate_column"),
    (b"code,price\n40.1,2\n", "csv", "missing_column"),
    (b"\xff\xfecode", "csv", "bad_encoding"),
    (b"[]", "xml", "unsupported_format"),
    (b"[{\"price\": " + b"9" * 5000 + b"}]", "json", "malformed_json"),
    (b"[" * 100_000, "json", "malformed_json"),
    (b"code,valid_from\n" + b"x" * 200_000 + b",2025-01-01\n", "csv", "malformed_csv"),
])
def test_unreadable_uploads(body: bytes, fmt: str, reason: str) -> None:
    with pytest.raises(UploadError) as err:
        read_rows("drugs", body, fmt)
    assert err.value.reason == reason and err.value.detail


def test_unknown_kind_and_columns() -> None:
    with pytest.raises(UploadError, match="drugs, services"):
        read_rows("medicines", b"[]", "json")
    assert columns("staff") == ("facility", "code", "name", "valid_from", "valid_to",
                                "licence", "scope")
    assert "tt_thau" in columns("drugs") and "so_dang_ky" in columns("drugs")


# --- the loader (no Kafka: a fake publish) ----------------------------------------------------
SAMPLES = [("national-drugs.csv", "drugs", ""), ("national-services.json", "services", ""),
           ("national-supplies.csv", "supplies", ""), ("79001-staff.csv", "staff", "79001"),
           ("79001-equipment.csv", "equipment", "79001")]


@pytest.mark.parametrize(("name", "kind", "facility"), SAMPLES)
def test_sample_files_load_cleanly(name: str, kind: str, facility: str) -> None:
    published: list[tuple[str, list[dict[str, Any]]]] = []
    lines: list[str] = []
    summary = load_file(Settings(), kind, ROOT / "infra/catalogs" / name, facility=facility,
                        publish=lambda k, e, p=None: published.append((k, list(e))),
                        out=lines.append)
    assert summary.findings == [] and summary.read >= 2
    assert summary.published == summary.read
    [(got_kind, entries)] = published
    assert got_kind == kind and len(entries) == summary.read
    assert all(e["facility"] == facility and e["kind"] == KINDS[kind] for e in entries)
    assert lines[-1] == f"rows read: {summary.read}, published: {summary.read}, rejected: 0"


def test_loader_is_all_or_nothing_unless_partial(tmp_path: Path) -> None:
    path = tmp_path / "drugs.json"
    path.write_text(json.dumps([VALID["drugs"], change("drugs", price="x"),
                                change("drugs", code="40.5", ma_nhom=99)]))
    published: list[Any] = []
    lines: list[str] = []

    def publish(kind: str, entries: Any, progress: Any = None) -> None:
        published.extend(entries)

    summary = load_file(Settings(), "drugs", path, facility=FACILITY, publish=publish,
                        out=lines.append)
    assert (summary.read, summary.published, summary.rejected) == (3, 0, 2)
    assert published == []
    text = "\n".join(lines)
    assert "rows read: 3, published: 0, rejected: 2" in text and "nothing published" in text
    assert "row 2, price: not a number" in text and "row 3, ma_nhom: group 99" in text
    assert "1 x price: invalid_number" in text

    summary = load_file(Settings(), "drugs", path, facility=FACILITY, partial=True,
                        publish=publish, out=lines.append)
    assert (summary.published, summary.rejected) == (1, 2)
    assert [e["code"] for e in published] == ["40.221"]


def test_loader_shows_progress_on_long_files(tmp_path: Path) -> None:
    rows = [change("drugs", code=f"40.{i}") for i in range(2500)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(rows))
    lines: list[str] = []

    def publish(kind: str, entries: Any, progress: Any = None) -> None:
        for n in range(1, len(entries) + 1):
            if progress and n % 1000 == 0:
                progress(n)

    summary = load_file(Settings(), "drugs", path, facility=FACILITY, publish=publish,
                        out=lines.append)
    assert summary.published == 2500
    assert "  checked 1000/2500" in lines and "  checked 2000/2500" in lines
    assert "  published 2000/2500" in lines


def test_loader_refuses_bad_facility_and_file_type(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="--facility"):
        load_file(Settings(), "drugs", tmp_path / "x.csv", facility="7900")
    with pytest.raises(UploadError, match="csv or .json"):
        load_file(Settings(), "drugs", tmp_path / "x.xlsx")
    with pytest.raises(UploadError, match="x.csv"):
        load_file(Settings(), "drugs", tmp_path / "x.csv")

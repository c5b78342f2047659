"""Catalog rows from uploads (JSON or CSV) into CatalogEntry records, with findings per row.

Shared by the portal (``POST /api/v1/catalogs/{kind}``) and ``hireview catalogs load``. A row is
flat: the catalog_entry.avsc fields (``code``, ``name``, ``unit``, ``ma_nhom``, ``price``,
``tt_thau``, ``valid_from``, ``valid_to``) plus the kind's attribute columns (``ATTRIBUTES``),
which land in ``attributes``. Column names are case-insensitive; the national standard's names
are aliases (``MA_THUOC``, ``DON_GIA``, ``TU_NGAY`` ... see ``_ALIASES``). JSON rows may also
carry ``kind``, ``facility`` and an ``attributes`` object (the export shape), so an export can be
uploaded again. Dates: ``YYYY-MM-DD``, ``yyyyMMdd`` or ``dd/mm/yyyy``. Numbers use ``.`` as the
decimal separator; an unambiguous decimal comma (``1250,5``) is accepted.

The facility of every row is the upload's (credential/path or ``--facility``); a row naming
another facility is a finding, never a way to write someone else's list.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.validation import ValidationError, validate

from rules.tender import FORMS, parse_tender, tender_problem
from streams.reference.values import Row, RowFinding, as_date, as_number, as_text, as_whole

Entry = dict[str, Any]
KINDS = {"drugs": "DRUG", "services": "SERVICE", "supplies": "SUPPLY", "staff": "STAFF",
         "equipment": "EQUIPMENT"}
# Kind-specific facts kept in ``attributes`` (contracts.md: STAFF licence/scope, EQUIPMENT
# services); upload columns of these names go there.
ATTRIBUTES = {"DRUG": ("so_dang_ky", "ham_luong", "duong_dung"), "SERVICE": (),
              "SUPPLY": ("ma_hieu_sp",), "STAFF": ("licence", "scope"),
              "EQUIPMENT": ("services",)}
_BASE = ("code", "name", "unit", "ma_nhom", "price", "tt_thau", "valid_from", "valid_to")
_LISTS = ("code", "name", "valid_from", "valid_to")  # STAFF/EQUIPMENT: no group, price, tender
_ALIASES = {
    "DRUG": {"ma_thuoc": "code", "ten_thuoc": "name", "don_gia": "price"},
    "SERVICE": {"ma_dich_vu": "code", "ten_dich_vu": "name", "don_gia_bh": "price"},
    "SUPPLY": {"ma_vat_tu": "code", "ten_vat_tu": "name", "don_gia_bh": "price"},
    "STAFF": {"ma_bac_si": "code", "ho_ten": "name", "so_cchn": "licence", "license": "licence"},
    "EQUIPMENT": {"ma_may": "code", "ten_may": "name"},
}
_COMMON = {"don_vi_tinh": "unit", "tu_ngay": "valid_from", "den_ngay": "valid_to",
           "ma_cskcb": "facility"}
EXTRA = "#extra"  # a CSV row with more cells than the header: the surplus count
# MA_NHOM cost groups per priced kind (docs/claim-standard.md, "Code lists"; line kinds).
_GROUPS = {"DRUG": frozenset({4, 5, 6, 7, 17}), "SUPPLY": frozenset({10, 11}),
           "SERVICE": frozenset({1, 2, 3, 8, 9, 12, 13, 14, 15, 16, 18, 19})}
_CODE = re.compile(r"[^\s|;]{1,50}")  # '|' separates the topic key; ';' separates code lists


class UploadError(ValueError):
    """The body as a whole is unreadable (not JSON/CSV, bad header): no row can be checked."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass
class Checked:
    """Result of checking an upload: the valid rows as records, and every finding."""

    kind: str  # path kind: drugs, services ...
    facility: str
    read: int = 0
    entries: list[tuple[int, Entry]] = field(default_factory=list)
    findings: list[RowFinding] = field(default_factory=list)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({f.row for f in self.findings})


def catalog_kind(kind: str) -> str:
    """``drugs`` -> ``DRUG``; ``UploadError`` for an unknown kind."""
    if kind not in KINDS:
        raise UploadError("unknown_kind", f"catalog kind {kind!r}: expected one of "
                          f"{', '.join(KINDS)}")
    return KINDS[kind]


def columns(kind: str) -> tuple[str, ...]:
    """Export columns of a kind; every one is also accepted on upload."""
    ck = catalog_kind(kind)
    base = _LISTS if ck in ("STAFF", "EQUIPMENT") else _BASE
    return ("facility", *base, *ATTRIBUTES[ck])


def load_entry_schema(avro_dir: Path) -> Any:
    """The parsed catalog_entry.avsc every accepted row is validated against."""
    raw = json.loads((avro_dir / "schemas" / "catalog_entry.avsc").read_text(encoding="utf-8"))
    return parse_schema(raw)


# --- reading -------------------------------------------------------------------------------------
def read_rows(kind: str, data: bytes, fmt: str) -> list[Any]:
    """Raw rows of a JSON (a list of objects, or ``{"rows": [...]}``) or CSV body."""
    catalog_kind(kind)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError("bad_encoding", f"body is not UTF-8: byte {exc.start}") from None
    if fmt == "json":
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:  # ValueError: also a 5000-digit number
            raise UploadError("malformed_json", f"body is not JSON: {exc}") from None
        if isinstance(doc, dict) and isinstance(doc.get("rows"), list):
            doc = doc["rows"]
        if not isinstance(doc, list):
            raise UploadError("malformed_json", "expected a JSON list of row objects")
        rows: list[Any] = doc
    elif fmt == "csv":
        try:
            rows = list(_csv_rows(kind, text))
        except csv.Error as exc:  # e.g. a cell beyond the csv module's field size limit
            raise UploadError("malformed_csv", f"body is not readable CSV: {exc}") from None
    else:
        raise UploadError("unsupported_format", f"format {fmt!r}: expected json or csv")
    if not rows:
        raise UploadError("empty", "no rows in the upload")
    return rows


def _csv_rows(kind: str, text: str) -> Iterable[dict[str, str]]:
    first = text.split("\n", 1)[0]
    # Spreadsheets in a decimal-comma locale write ';'-separated files.
    delimiter = ";" if ";" in first and "," not in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if not any(header):
        raise UploadError("empty", "CSV has no header row")
    known = _known(catalog_kind(kind))
    for i, name in enumerate(header, 1):
        if known.get(name) in (None, "attributes"):  # attributes: one column per key in CSV
            raise UploadError("unknown_column", f"CSV column {i} {name!r} is not a field of "
                              f"{kind} rows (known: {', '.join(columns(kind))})")
        if header.index(name) != i - 1:
            raise UploadError("duplicate_column", f"CSV column {i} {name!r} appears twice")
    targets = {known[h] for h in header}
    for need in ("code", "valid_from"):
        if need not in targets:
            raise UploadError("missing_column", f"CSV has no {need!r} column")
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # blank line
        row = {h: c for h, c in zip(header, cells, strict=False) if c.strip()}
        if len(cells) > len(header):
            row[EXTRA] = str(len(cells) - len(header))
        yield row


def _known(ck: str) -> dict[str, str]:
    """Accepted column name -> field name, for kind ``ck``."""
    names = ("kind", "facility", "attributes", *_BASE, *ATTRIBUTES[ck])
    return {n: n for n in names} | _COMMON | _ALIASES[ck]


# --- checking ------------------------------------------------------------------------------------
def check_rows(kind: str, rows: Iterable[Any], facility: str, schema: Any,
               progress: Callable[[int], None] | None = None) -> Checked:
    """Check every row; valid ones become CatalogEntry records of ``facility``."""
    ck = catalog_kind(kind)
    out = Checked(kind, facility)
    first: dict[tuple[str, date], int] = {}
    for number, raw in enumerate(rows, 1):
        out.read = number
        entry, found = check_row(ck, number, raw, facility, schema)
        if entry is not None:
            slot = (entry["code"], entry["valid_from"])
            if slot in first:  # one version per (code, start): the topic key would collapse them
                found.append(RowFinding(number, "valid_from", "duplicate", "same code and "
                                        f"valid_from as row {first[slot]}",
                                        entry["valid_from"].isoformat()))
            else:
                first[slot] = number
                out.entries.append((number, entry))
        out.findings.extend(found)
        if progress is not None and number % 1000 == 0:
            progress(number)
    return out


def check_row(ck: str, number: int, raw: Any, facility: str, schema: Any
              ) -> tuple[Entry | None, list[RowFinding]]:
    """One row: (its record, or None when there is any finding; the findings)."""
    row = Row(number)
    if not isinstance(raw, Mapping):
        row.bad("(row)", "not_an_object", "a row must be an object of field: value")
        return None, row.found
    data = _fields(ck, raw, row)
    named = as_text(data.pop("facility", ""))
    if named and named != facility:
        row.bad("facility", "mismatch", f"row names facility {named!r} but the upload is for "
                + (f"facility {facility!r}" if facility else "the national list"), named)
    kind_named = as_text(data.pop("kind", ""))
    if kind_named and kind_named.upper() != ck:
        row.bad("kind", "mismatch", f"row is of kind {kind_named!r}, the upload is {ck}",
                kind_named)
    entry = _entry(ck, data, facility, row)
    if row.found:
        return None, row.found
    try:  # the fields were checked one by one; this is the schema's own word on the record
        validate(entry, schema, raise_errors=True)
    except ValidationError as exc:
        row.bad("(row)", "schema", f"does not fit catalog_entry.avsc: {exc}")
        return None, row.found
    return entry, row.found


def _entry(ck: str, data: Mapping[str, Any], facility: str, row: Row) -> Entry:
    code = as_text(data.get("code", ""))
    if not code:
        row.bad("code", "required", "is required")
    elif not _CODE.fullmatch(code):
        row.bad("code", "invalid_format", "1 to 50 characters without spaces or '|'", code)
    texts = {name: as_text(data.get(name, "")) for name in ("name", "unit")}
    for name, limit in (("name", 1024), ("unit", 50)):
        if len(texts[name]) > limit:
            row.bad(name, "too_long", f"longer than {limit} characters", texts[name])
    ma_nhom: int | None = 0
    price: float | None = 0.0
    if ck in _GROUPS:
        ma_nhom = as_whole("ma_nhom", data.get("ma_nhom"), row)
        if ma_nhom is not None and ma_nhom not in _GROUPS[ck]:
            row.bad("ma_nhom", "not_allowed", f"group {ma_nhom} is not a cost group of {ck} "
                    f"rows (allowed: {', '.join(map(str, sorted(_GROUPS[ck])))})", ma_nhom)
        price = as_number("price", data.get("price"), row)
        if price is not None and price <= 0:
            row.bad("price", "out_of_range", "must be greater than 0", data.get("price"))
    else:
        for name in ("ma_nhom", "price"):
            if name in data and as_number(name, data[name], row) not in (None, 0):
                row.bad(name, "not_allowed", f"must be 0 or empty for {ck} rows", data[name])
    valid_from = as_date("valid_from", data.get("valid_from"), row)
    valid_to = as_date("valid_to", data["valid_to"], row) if "valid_to" in data else None
    if valid_from and valid_to and valid_to < valid_from:
        row.bad("valid_to", "out_of_range", f"is before valid_from {valid_from}", valid_to)
    tender = as_text(data.get("tt_thau", ""))
    if ck in ("DRUG", "SUPPLY"):
        if tender:
            _tender(ck, tender, valid_from, row)
        elif facility:
            row.bad("tt_thau", "required", "tender data (decision;Gn;Nn;year) is required for "
                    "a facility's drugs and supplies")
    elif tender:
        row.bad("tt_thau", "not_allowed", f"tender data applies to drugs and supplies, not to "
                f"{ck} rows", tender)
    return {"kind": ck, "code": code, "facility": facility, "name": texts["name"],
            "unit": texts["unit"], "ma_nhom": ma_nhom, "price": price, "tt_thau": tender or None,
            "valid_from": valid_from, "valid_to": valid_to,
            "attributes": _attributes(ck, data, row)}


def _tender(ck: str, text: str, valid_from: date | None, row: Row) -> None:
    """The rules' own parser (``rules.tender``): a row the loader accepts, CT03-CT05 can read.
    A catalog row names the award decision, so the decision part is required here."""
    bid = parse_tender(text)
    if bid is None or not bid.decision:
        row.bad("tt_thau", "invalid_format", f"expected {FORMS}, e.g. 1422/QĐ-BVĐK;G1;N4;2025 "
                "or 1422/QĐ-SYT;G1;N4;2025;79000", text)
        return
    unlawful = tender_problem(bid, ck)
    if unlawful is not None:
        row.bad("tt_thau", "invalid_format", unlawful[0], text)
    latest = valid_from.year + 1 if valid_from else 2100
    if not 2000 <= bid.year <= latest:
        row.bad("tt_thau", "out_of_range", f"tender year {bid.year} is not plausible (2000 to "
                f"{latest}, the year after valid_from)", text)


def _attributes(ck: str, data: Mapping[str, Any], row: Row) -> dict[str, str]:
    attrs = {n: as_text(data[n]) for n in ATTRIBUTES[ck] if n in data}
    for name, text in attrs.items():
        if len(text) > 255:
            row.bad(name, "too_long", "longer than 255 characters", text)
    if ck == "STAFF" and not attrs.get("licence"):
        row.bad("licence", "required", "the practising licence number is required")
    for name in ("scope", "services"):  # ';'-separated code lists, stored normalised
        if name not in attrs:
            continue
        codes = [c.strip() for c in attrs[name].split(";") if c.strip()]
        for c in codes:
            if not _CODE.fullmatch(c):
                row.bad(name, "invalid_format", f"code {c!r}: no spaces or '|'", attrs[name])
            elif name == "scope" and c.isdigit() and not 1 <= int(c) <= 19:
                row.bad(name, "not_allowed", f"{c} is not a MA_NHOM cost group (1-19)", c)
        attrs[name] = ";".join(codes)
    return attrs


def _fields(ck: str, raw: Mapping[Any, Any], row: Row) -> dict[str, Any]:
    """Row keys mapped to field names; attribute objects flattened; unknown keys reported."""
    known = _known(ck)
    data: dict[str, Any] = {}
    items = list(raw.items())
    for key, value in items:
        name = str(key).strip().lower()
        if name == EXTRA:
            row.bad("(row)", "extra_cells", f"{value} more cell(s) than the header has columns")
            continue
        if name == "attributes" and isinstance(value, Mapping):
            items.extend((k, v) for k, v in value.items())  # checked like flat columns
            continue
        target = known.get(name)
        if target is None or target == "attributes":
            row.bad(str(key), "unknown_field", f"not a field of {ck} rows")
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, Mapping | list):
            row.bad(target, "invalid_type", "expected a single value, not an object or list")
            continue
        if target in data and data[target] != value:
            row.bad(target, "conflict", f"given twice with different values ({str(key)!r})", value)
            continue
        data[target] = value
    return data


"""The portal's error catalogue: every finding a submitted claim can get, with a stable code.

Modelled on the VSS portal's blocking-error list ("mã lỗi chặn") and on the required fields,
lengths, formats and code lists of QĐ 130/4750 (docs/claim-standard.md). An entry names the
tables and fields it applies to, the kind of check, its severity and a message template.

Severity ``blocking`` means the claim cannot be appraised and is rejected at reception; a
``finding`` records a deviation that was normalised (or a value that was dropped) while the claim
goes on to appraisal. Codes are never reused: retire an entry by commenting it out.

Code blocks: P0xx envelope and table structure, P1xx XML1, P2xx XML2, P3xx XML3, P4xx across
tables, P5xx the JSON form, P6xx normalisations that can happen in any table.
Templates may use ``{value}`` (the value sent, clipped), ``{detail}`` and ``{field}``.

An entry lists the QĐ 130 tag names; a ``Finding`` names the tag actually sent (the 4210 name in
a 4210 file, the upper-case field name for the JSON form) and the 1-based row of its table.

Empty is not missing: a ``required`` entry found on a tag that is present but empty keeps its
code (codes are stable) and says "is present but empty" instead of "is missing"
(``empty_message``); the finding carries ``empty: true``. P317 (blood in XML3) and P608
(scientific notation) record real exporters' habits that are accepted (docs/claim-standard.md,
"What real exporters write"). How findings are answered (grouped, blocking first):
``streams/portal/findings.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["blocking", "finding"]
Check = Literal["structure", "required", "format", "length", "code", "consistency", "normalised"]

_CLIP = 60  # longest value quoted in a message: a finding must not echo a megabyte back


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    tables: tuple[str, ...]
    fields: tuple[str, ...]
    check: Check
    severity: Severity
    message: str

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"


@dataclass(frozen=True, slots=True)
class Finding:
    """One deviation of one claim: ``row`` is the 1-based row position inside ``table``."""

    code: str
    table: str
    row: int | None
    field: str
    message: str
    blocking: bool
    empty: bool = False  # a "required" finding on a tag that is present but empty

    def to_dict(self) -> dict[str, Any]:
        out = {"code": self.code, "table": self.table, "row": self.row, "field": self.field,
               "message": self.message, "blocking": self.blocking}
        if self.empty:
            out["empty"] = True
        return out


B: Severity = "blocking"
F: Severity = "finding"
_ANY = ("XML1", "XML2", "XML3")
_LINES = ("XML2", "XML3", "XML4", "XML5")
_MONEY1 = ("T_THUOC", "T_VTYT", "T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNTT", "T_BNCCT", "T_BHTT",
           "T_NGUONKHAC", "T_BHTT_GDV")
_MONEY2 = ("THANH_TIEN_BV", "THANH_TIEN_BH", "TYLE_TT_BH", "MUC_HUONG", "T_NGUONKHAC", "T_BNTT",
           "T_BNCCT", "T_BHTT")
_MONEY3 = _MONEY2 + ("TYLE_TT_DV",)
_TIMES = ("NGAY_SINH", "NGAY_VAO", "NGAY_VAO_NOI_TRU", "NGAY_RA", "NGAY_TTOAN", "NGAY_YL",
          "NGAY_TH_YL", "NGAY_KQ")
_DATES = ("GT_THE_TU", "GT_THE_DEN", "NGAY_MIEN_CCT", "NAM_NAM_LIEN_TUC")
_CARD = "2 letters, a benefit digit 1-5, a 2-digit province and 10 digits"


def _e(code: str, tables: str | tuple[str, ...], fields: str | tuple[str, ...], check: Check,
       severity: Severity, message: str) -> ErrorSpec:
    tables = (tables,) if isinstance(tables, str) else tables
    fields = (fields,) if isinstance(fields, str) else fields
    return ErrorSpec(code, tables, fields, check, severity, message)


CATALOGUE: tuple[ErrorSpec, ...] = (
    # --- envelope and tables -------------------------------------------------------------------
    _e("P001", "GIAMDINHHS", "MACSKCB", "format", F,
       "Envelope MACSKCB {value} is missing or not a 5-character facility code"),
    _e("P002", "GIAMDINHHS", "NGAYLAP", "format", F, "NGAYLAP {value} is not a yyyyMMdd date"),
    _e("P003", "GIAMDINHHS", "SOLUONGHOSO", "consistency", F,
       "SOLUONGHOSO is {value} but the envelope holds {detail} HOSO"),
    _e("P004", "HOSO", "LOAIHOSO", "structure", F,
       "Table {value} is not read by hireview; ignored"),
    _e("P005", _ANY, "NOIDUNGFILE", "structure", B, "Table {value} cannot be read: {detail}"),
    _e("P006", ("XML4", "XML5"), "NOIDUNGFILE", "structure", F,
       "Table {value} cannot be read ({detail}); counted as 0 rows"),
    _e("P007", "HOSO", "LOAIHOSO", "structure", B,
       "The HOSO has no XML1 table: nothing to appraise"),
    _e("P008", "HOSO", "LOAIHOSO", "structure", B,
       "Table {value} is given {detail} times in one HOSO"),
    _e("P009", "XML1", "TONG_HOP", "structure", B,
       "XML1 holds {value} TONG_HOP records; exactly one is expected"),
    _e("P010", "HOSO", "MA_LK", "consistency", B,
       "MA_LK {value} is also used by HOSO {detail} of this envelope"),
    _e("P011", "GIAMDINHHS", "DANHSACHHOSO", "structure", F, "The envelope holds no HOSO"),
    # --- XML1: required fields, formats, code lists ----------------------------------------------
    _e("P101", "XML1", "MA_LK", "required", B, "MA_LK is missing: the claim has no key"),
    _e("P102", "XML1", "MA_LK", "length", B, "MA_LK has {detail} characters; at most 100 allowed"),
    _e("P103", "XML1", "MA_CSKCB", "required", B,
       "MA_CSKCB is missing in XML1 and in the envelope"),
    _e("P104", "XML1", "MA_CSKCB", "consistency", B,
       "MA_CSKCB {value} differs from the envelope's MACSKCB {detail}"),
    _e("P105", "XML1", "MA_CSKCB", "format", B,
       "MA_CSKCB {value} is not a 5-character facility code"),
    _e("P106", "XML1", "MA_BN", "required", F, "MA_BN is missing; kept empty"),
    _e("P107", "XML1", "NGAY_SINH", "required", B, "NGAY_SINH is missing"),
    _e("P108", "XML1", "NGAY_SINH", "format", B, "NGAY_SINH {value} is not a valid time: {detail}"),
    _e("P109", "XML1", "GIOI_TINH", "required", B, "GIOI_TINH is missing"),
    _e("P110", "XML1", "GIOI_TINH", "code", B, "GIOI_TINH {value} is not 1, 2 or 3"),
    _e("P111", "XML1", "NGAY_VAO", "required", B, "NGAY_VAO is missing"),
    _e("P112", "XML1", "NGAY_VAO", "format", B, "NGAY_VAO {value} is not a valid time: {detail}"),
    _e("P113", "XML1", "NGAY_RA", "required", B, "NGAY_RA is missing"),
    _e("P114", "XML1", "NGAY_RA", "format", B, "NGAY_RA {value} is not a valid time: {detail}"),
    _e("P115", "XML1", "MA_BENH_CHINH", "required", B, "MA_BENH_CHINH (main diagnosis) is missing"),
    _e("P116", "XML1", "MA_BENH_CHINH", "length", B,
       "MA_BENH_CHINH {value} has more than 7 characters; one ICD-10 code is expected"),
    _e("P117", "XML1", "MA_DOITUONG_KCB", "required", B, "MA_DOITUONG_KCB is missing"),
    _e("P118", "XML1", "MA_DOITUONG_KCB", "code", B,
       "MA_DOITUONG_KCB {value} is not a category code such as 1.1, 2 or 3.3"),
    _e("P119", "XML1", "MA_LOAI_KCB", "required", B, "MA_LOAI_KCB is missing"),
    _e("P120", "XML1", "MA_LOAI_KCB", "code", B, "MA_LOAI_KCB {value} is not a visit type 01-16"),
    _e("P121", "XML1", "KET_QUA_DTRI", "code", B, "KET_QUA_DTRI {value} is not 1-8"),
    _e("P122", "XML1", "MA_LOAI_RV", "code", B, "MA_LOAI_RV {value} is not 1-5"),
    _e("P123", "XML1", "NAM_QT", "format", B, "NAM_QT {value} is not a year 1990-2100"),
    _e("P124", "XML1", "THANG_QT", "format", B, "THANG_QT {value} is not a month 1-12"),
    _e("P125", "XML1", _MONEY1, "format", B, "{field} {value} is not a number: {detail}"),
    _e("P126", "XML1", _MONEY1, "required", F, "{field} is missing; taken as 0"),
    _e("P127", "XML1", ("NGAY_VAO_NOI_TRU", "NGAY_TTOAN") + _DATES, "format", F,
       "{field} {value} is not valid ({detail}); dropped"),
    _e("P128", "XML1", ("SO_NGAY_DTRI", "CAN_NANG"), "format", F,
       "{field} {value} is not a number ({detail}); dropped"),
    _e("P129", "XML1", ("KET_QUA_DTRI", "MA_LOAI_RV"), "required", F,
       "{field} is missing; taken as 1"),
    _e("P130", "XML1", ("NAM_QT", "THANG_QT"), "required", F,
       "{field} is missing; taken from {detail}"),
    _e("P131", "XML1", "MA_BN", "length", F, "MA_BN has {detail} characters; at most 100 allowed"),
    _e("P132", "XML1", "SO_CCCD", "length", F, "SO_CCCD {value} has more than 15 characters"),
    _e("P133", "XML1", "MA_BENH_KT", "length", F, "MA_BENH_KT lists {detail} codes; at most 12"),
    _e("P134", "XML1", _MONEY1, "format", B,
       "{field} {value} is negative: a claim's total cannot be below 0 (a correction is a new "
       "version with the right amounts)"),
    # --- XML1: card and person key ---------------------------------------------------------------
    _e("P140", "XML1", "MA_THE_BHYT", "format", B,
       f"MA_THE_BHYT {{value}} is not a card number ({_CARD}) and there is no SO_CCCD"),
    _e("P141", "XML1", "MA_THE_BHYT", "format", F,
       f"MA_THE_BHYT {{value}} is not a card number ({_CARD}); SO_CCCD is the person key"),
    _e("P142", "XML1", ("MA_THE_BHYT", "SO_CCCD"), "required", B,
       "Neither MA_THE_BHYT nor SO_CCCD is given: the person cannot be identified"),
    _e("P143", "XML1", ("MA_THE_BHYT", "GT_THE_TU", "GT_THE_DEN", "MA_DKBD"), "consistency", F,
       "MA_THE_BHYT lists {value} card(s) but {detail}; the first card is used"),
    # --- XML1: standard ---------------------------------------------------------------------------
    _e("P150", "XML1", "MA_LYDO_VVIEN", "normalised", F,
       "4210 MA_LYDO_VVIEN {value} (off route) becomes MA_DOITUONG_KCB {detail}: "
       "a 4210 file does not say which off-route sub-category applies"),
    _e("P151", "XML1", "NGAY_RA", "consistency", F,
       "4210 tag names on a claim discharged {value}, after 4210 ended on 2024-07-01"),
    # --- XML2: drug lines -------------------------------------------------------------------------
    _e("P201", "XML2", "MA_THUOC", "required", B, "MA_THUOC is missing"),
    _e("P202", "XML2", "MA_NHOM", "required", B,
       "MA_NHOM {value} is missing or not a group number"),
    _e("P203", "XML2", "MA_NHOM", "code", B,
       "MA_NHOM {value} is not a drug group (4, 5, 6, 7, 17)"),
    _e("P204", "XML2", "SO_LUONG", "required", B, "SO_LUONG is missing"),
    _e("P205", "XML2", "DON_GIA", "required", B, "DON_GIA is missing"),
    _e("P206", "XML2", "NGAY_YL", "required", B, "NGAY_YL is missing"),
    _e("P207", "XML2", "NGAY_YL", "format", B, "NGAY_YL {value} is not a valid time: {detail}"),
    _e("P208", "XML2", ("SO_LUONG", "DON_GIA") + _MONEY2, "format", B,
       "{field} {value} is not a number: {detail}"),
    _e("P209", "XML2", "PHAM_VI", "code", B, "PHAM_VI {value} is not 1, 2 or 3"),
    _e("P210", "XML2", "MA_PTTT", "code", B, "MA_PTTT {value} is not 1, 2 or 3"),
    _e("P211", "XML2", _MONEY2, "required", F, "{field} is missing; taken as {detail}"),
    _e("P212", "XML2", "STT", "format", F, "STT {value} is missing or not a number; {detail} used"),
    _e("P213", "XML2", "NGAY_TH_YL", "format", F,
       "{field} {value} is not valid ({detail}); dropped"),
    # --- XML3: service and supply lines -----------------------------------------------------------
    _e("P301", "XML3", ("MA_DICH_VU", "MA_VAT_TU"), "required", B,
       "Neither MA_DICH_VU nor MA_VAT_TU is given"),
    _e("P302", "XML3", "MA_NHOM", "required", B,
       "MA_NHOM {value} is missing or not a group number"),
    _e("P303", "XML3", "MA_NHOM", "code", B,
       "MA_NHOM {value} is not a service, supply or blood group (1-3, 7-19)"),
    _e("P304", "XML3", "SO_LUONG", "required", B, "SO_LUONG is missing"),
    _e("P305", "XML3", "DON_GIA_BV", "required", B, "DON_GIA_BV is missing"),
    _e("P306", "XML3", "DON_GIA_BH", "required", B, "DON_GIA_BH is missing"),
    _e("P307", "XML3", "NGAY_YL", "required", B, "NGAY_YL is missing"),
    _e("P308", "XML3", "NGAY_YL", "format", B, "NGAY_YL {value} is not a valid time: {detail}"),
    _e("P309", "XML3", ("SO_LUONG", "DON_GIA_BV", "DON_GIA_BH") + _MONEY3, "format", B,
       "{field} {value} is not a number: {detail}"),
    _e("P310", "XML3", "PHAM_VI", "code", B, "PHAM_VI {value} is not 1, 2 or 3"),
    _e("P311", "XML3", "MA_PTTT", "code", B, "MA_PTTT {value} is not 1, 2 or 3"),
    _e("P312", "XML3", _MONEY3, "required", F, "{field} is missing; taken as {detail}"),
    _e("P313", "XML3", "STT", "format", F, "STT {value} is missing or not a number; {detail} used"),
    _e("P314", "XML3", ("NGAY_TH_YL", "NGAY_KQ"), "format", F,
       "{field} {value} is not valid ({detail}); dropped"),
    _e("P315", "XML3", ("PP_VO_CAM", "T_TRANTT"), "format", F,
       "{field} {value} is not valid ({detail}); dropped"),
    _e("P316", "XML3", "MA_VAT_TU", "required", F,
       "Supply row (MA_NHOM {value}) without MA_VAT_TU: it cannot be matched to the supply list"),
    _e("P317", "XML3", "MA_NHOM", "consistency", F,
       "Blood or blood product (MA_NHOM {value}) in the services table, where the standard "
       "places it in XML2; accepted and judged as a drug-table line with code {detail}"),
    # --- across tables ----------------------------------------------------------------------------
    _e("P401", _LINES, "MA_LK", "consistency", B,
       "Row MA_LK {value} differs from XML1 MA_LK {detail}"),
    _e("P402", _LINES, "MA_LK", "required", F, "Row has no MA_LK; XML1's is assumed"),
    # --- the JSON form ----------------------------------------------------------------------------
    _e("P501", "JSON", "*", "structure", F, "Unknown field {field} ignored"),
    _e("P502", "JSON", ("version", "submitted_at", "content_hash", "person_key"), "structure", F,
       "{field} is set by hireview; the value sent is ignored"),
    _e("P503", "JSON", "*", "structure", B, "{field} must be {detail}"),
    _e("P504", "JSON", "source_standard", "code", F,
       "source_standard {value} is not one of {detail}; the detected standard is used"),
    # --- normalisations in any table 
    _e("P601", _ANY, _TIMES, "normalised", F,
       "{field} {value} has 8 digits where yyyyMMddHHmm is expected; taken as 00:00"),
    _e("P602", _ANY, _TIMES, "normalised", F, "{field} {value} has seconds; truncated to minutes"),
    _e("P603", "XML1", _DATES, "normalised", F,
       "{field} {value} is a time where yyyyMMdd is expected; its date is used"),
    _e("P604", _ANY, "*", "normalised", F,
       "{field} {value} read as {detail} (decimal comma, grouping or spaces)"),
    _e("P605", "XML1", "NGAY_SINH", "normalised", F,
       "NGAY_SINH {value} has an unknown month or day; taken as {detail}"),
    _e("P606", "XML1", "MA_LOAI_KCB", "normalised", F, "MA_LOAI_KCB {value} padded to {detail}"),
    _e("P607", ("XML2", "XML3"), "MA_NHOM", "normalised", F, "MA_NHOM {value} read as {detail}"),
    _e("P608", _ANY, "*", "normalised", F,
       "{field} {value} is in scientific notation; read as {detail}"),
)

BY_CODE: dict[str, ErrorSpec] = {spec.code: spec for spec in CATALOGUE}


def quote(value: object) -> str:
    """A value as quoted in a message: repr of its text, clipped."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > _CLIP:
        text = text[:_CLIP] + "..."
    return repr(text)


_MISSING = re.compile(r" is missing(?: or not [^;:]*)?")


def empty_message(template: str) -> str:
    """The message of a "required" entry for a tag that is present but empty: the same code
    (codes stay stable), the text says "present but empty" instead of "missing"."""
    text = template.replace(" {value}", "")
    if _MISSING.search(text):
        return _MISSING.sub(" is present but empty", text, count=1)
    return f"{text} (the tag is present but empty)"


def finding(code: str, *, table: str | None = None, row: int | None = None,
            field: str | None = None, value: object = "", detail: object = "",
            empty: bool = False) -> Finding:
    """A finding of catalogue entry ``code``; table and field default to the entry's first.
    ``empty``: the value is absent because its tag was sent empty (not left out)."""
    spec = BY_CODE[code]
    field = field if field is not None else spec.fields[0]
    template = empty_message(spec.message) if empty else spec.message
    message = template.format(value=quote(value), detail=detail, field=field)
    return Finding(code, table if table is not None else spec.tables[0], row, field, message,
                   spec.blocking, empty)


def catalogue_rows() -> list[dict[str, Any]]:
    """The catalogue as plain rows (for an HTTP listing or documentation)."""
    return [{"code": s.code, "tables": list(s.tables), "fields": list(s.fields), "check": s.check,
             "severity": s.severity, "message": s.message} for s in CATALOGUE]

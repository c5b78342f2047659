"""Pure row builders: decoded claim / decision records → ClickHouse rows (dicts by column name).

The column tuples below are the contract with ``infra/migrations``; an integration test checks
them against ``system.columns``. Every value is checked here so that one odd record is rejected
on its own (and dead-lettered by the sink) instead of making a whole batch INSERT fail forever:
ClickHouse ``DateTime`` only spans 1970–2105 and ``Decimal(18, s)`` has 18 digits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from streams.sink import payload_json as replay_json

Row = dict[str, Any]

CLAIM_COLUMNS = (
    "facility", "province", "claim_id", "version", "person_key", "content_hash", "submitted_at",
    "source_standard", "ma_the_bhyt", "gioi_tinh", "ma_loai_kcb", "inpatient", "ma_doituong_kcb",
    "ma_benh_chinh", "ma_benh_kt", "ma_khoa", "ngay_vao", "ngay_ra", "ngay_ttoan", "so_ngay_dtri",
    "ket_qua_dtri", "ma_loai_rv", "t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bntt",
    "t_bncct", "t_bhtt", "t_nguonkhac", "drug_lines", "service_lines", "supply_lines",
    "lab_results", "clinical_notes", "ingested_at",
)
LINE_COLUMNS = (
    "facility", "claim_id", "version", "table", "stt", "kind", "code", "ma_nhom", "pham_vi",
    "so_luong", "don_gia_bv", "don_gia_bh", "tyle_tt_bh", "muc_huong", "thanh_tien_bv",
    "thanh_tien_bh", "t_bhtt", "ngay_yl", "ma_bac_si", "ma_khoa", "service_date", "ingested_at",
)
DECISION_COLUMNS = (
    "facility", "province", "claim_id", "version", "revision", "person_key", "content_hash",
    "submitted_at", "decided_at", "decided_at_ms", "service_date", "outcome", "requested",
    "approved", "rejected", "rules_version", "hit_codes", "hit_count", "warned", "ver",
    "ingested_at",
    "reviewed_by", "review_id",  # added by 0011_reviews (appended last)
)
HIT_COLUMNS = (
    "facility", "claim_id", "version", "revision", "code", "rule_version", "severity", "title",
    "table", "line", "occurrence", "amount", "message", "legal_basis", "input_keys",
    "input_values", "service_date", "decided_at", "ingested_at",
    "message_vi", "threshold",  # added by 0006_hit_messages (ALTER appends them last)
    "mode",  # added by 0019_hit_mode
)
PAYLOAD_COLUMNS = (
    "facility", "claim_id", "version", "person_key", "service_date", "ngay_vao", "submitted_at",
    "content_hash", "payload", "ingested_at",
    "claim_json", "claim_json_schema",  # added by 0010_claim_payload_json (appended last)
)
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "claims": CLAIM_COLUMNS, "claim_lines": LINE_COLUMNS,
    "decisions": DECISION_COLUMNS, "rule_hits": HIT_COLUMNS,
    "claim_payloads": PAYLOAD_COLUMNS,
}  # + the review trail's tables: streams/sink/review_rows.py (TRAIL_COLUMNS)

INPATIENT_VISIT_TYPES = frozenset({"03", "04", "09"})
SUPPLY_GROUPS = frozenset({10, 11})
BLOOD_GROUPS = frozenset({7, 17})  # rules.base.BLOOD_GROUPS: blood rows sent in XML3
# ClickHouse DateTime is UInt32 seconds; keep a day of margin for zone shifts at both ends.
_FIRST_DAY, _LAST_DAY = date(1970, 1, 2), date(2105, 12, 31)
_DECIMAL_LIMIT = 10 ** 15  # Decimal(18, 3) leaves 15 integer digits


class RowError(ValueError):
    """A record cannot become a row; the message names the field and the problem."""


def province_of(facility: str) -> str:
    """Province code: the first two digits of the 5-digit MA_CSKCB."""
    if len(facility) < 2 or not facility[:2].isdigit():
        raise RowError(f"facility: {facility!r} does not start with a 2-digit province code")
    return facility[:2]


def _money(value: Any, field: str, places: int = 2) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(f"{field}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) >= _DECIMAL_LIMIT:
        raise RowError(f"{field}: {value!r} is not a finite amount below 10^15")
    return Decimal(f"{value:.{places}f}")


def _in_range(d: date, field: str) -> None:
    if not _FIRST_DAY <= d <= _LAST_DAY:
        raise RowError(f"{field}: {d.isoformat()} is outside the ClickHouse DateTime range "
                       "(1970-01-02 .. 2105-12-31)")


def _local(value: Any, field: str) -> datetime:
    """A facility wall-clock time: naive datetime (Avro local-timestamp-millis)."""
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise RowError(f"{field}: expected a naive local datetime, got {value!r}")
    _in_range(value.date(), field)
    return value


def _instant(value: Any, field: str) -> datetime:
    """A UTC instant: timezone-aware datetime (Avro timestamp-millis)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise RowError(f"{field}: expected a timezone-aware datetime, got {value!r}")
    _in_range(value.date(), field)
    return value


def _day(value: Any, field: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RowError(f"{field}: expected a date, got {value!r}")
    _in_range(value, field)
    return value


def _positive(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RowError(f"{field}: expected an integer >= 1, got {value!r}")
    return value


def line_kind(table: str, ma_nhom: int) -> str:
    """DRUG for XML2 and for blood (MA_NHOM 7, 17) in XML3, as the rules judge it; SUPPLY for
    XML3 with MA_NHOM 10/11; SERVICE for other XML3 lines."""
    if table == "XML2" or ma_nhom in BLOOD_GROUPS:
        return "DRUG"
    return "SUPPLY" if ma_nhom in SUPPLY_GROUPS else "SERVICE"


def claim_rows(claim: Mapping[str, Any], now: datetime) -> tuple[Row, list[Row]]:
    """The ``claims`` row and the ``claim_lines`` rows of one decoded claim."""
    h = claim["header"]
    facility, claim_id = claim["facility"], claim["claim_id"]
    version = _positive(claim["version"], "claim.version")
    ngay_vao = _local(h["ngay_vao"], "claim.header.ngay_vao")
    service_date = ngay_vao.date()
    lines: list[Row] = []
    for table, items in (("XML2", claim["drugs"]), ("XML3", claim["services"])):
        for i, item in enumerate(items):
            lines.append(_line_row(facility, claim_id, version, table, item,
                                   f"claim.{'drugs' if table == 'XML2' else 'services'}[{i}]",
                                   service_date, now))
    ngay_ttoan = h["ngay_ttoan"]
    row: Row = {
        "facility": facility,
        "province": province_of(facility),
        "claim_id": claim_id,
        "version": version,
        "person_key": claim["person_key"],
        "content_hash": claim["content_hash"],
        "submitted_at": _instant(claim["submitted_at"], "claim.submitted_at"),
        "source_standard": claim["source_standard"],
        "ma_the_bhyt": h["ma_the_bhyt"] or "",
        "gioi_tinh": h["gioi_tinh"],
        "ma_loai_kcb": h["ma_loai_kcb"],
        "inpatient": int(h["ma_loai_kcb"] in INPATIENT_VISIT_TYPES),
        "ma_doituong_kcb": h["ma_doituong_kcb"],
        "ma_benh_chinh": h["ma_benh_chinh"],
        "ma_benh_kt": h["ma_benh_kt"],
        "ma_khoa": h["ma_khoa"],
        "ngay_vao": ngay_vao,
        "ngay_ra": _local(h["ngay_ra"], "claim.header.ngay_ra"),
        "ngay_ttoan": None if ngay_ttoan is None else _local(ngay_ttoan,
                                                             "claim.header.ngay_ttoan"),
        "so_ngay_dtri": h["so_ngay_dtri"],
        "ket_qua_dtri": h["ket_qua_dtri"],
        "ma_loai_rv": h["ma_loai_rv"],
        "drug_lines": sum(1 for r in lines if r["kind"] == "DRUG"),
        "service_lines": sum(1 for r in lines if r["kind"] == "SERVICE"),
        "supply_lines": sum(1 for r in lines if r["kind"] == "SUPPLY"),
        "lab_results": claim["lab_results"],
        "clinical_notes": claim["clinical_notes"],
        "ingested_at": now,
    }
    for name in ("t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bntt", "t_bncct",
                 "t_bhtt", "t_nguonkhac"):
        row[name] = _money(h[name], f"claim.header.{name}")
    return row, lines


def _line_row(facility: str, claim_id: str, version: int, table: str, item: Mapping[str, Any],
              where: str, service_date: date, now: datetime) -> Row:
    kind = line_kind(table, item["ma_nhom"])
    if kind == "DRUG":
        code = item["ma_thuoc"]
        price_bv = price_bh = _money(item["don_gia"], f"{where}.don_gia", 3)
    else:
        code = (item["ma_vat_tu"] or "") if kind == "SUPPLY" else item["ma_dich_vu"]
        price_bv = _money(item["don_gia_bv"], f"{where}.don_gia_bv", 3)
        price_bh = _money(item["don_gia_bh"], f"{where}.don_gia_bh", 3)
    return {
        "facility": facility,
        "claim_id": claim_id,
        "version": version,
        "table": table,
        "stt": item["stt"],
        "kind": kind,
        "code": code,
        "ma_nhom": item["ma_nhom"],
        "pham_vi": item["pham_vi"],
        "so_luong": _money(item["so_luong"], f"{where}.so_luong", 3),
        "don_gia_bv": price_bv,
        "don_gia_bh": price_bh,
        "tyle_tt_bh": float(item["tyle_tt_bh"]),
        "muc_huong": float(item["muc_huong"]),
        "thanh_tien_bv": _money(item["thanh_tien_bv"], f"{where}.thanh_tien_bv"),
        "thanh_tien_bh": _money(item["thanh_tien_bh"], f"{where}.thanh_tien_bh"),
        "t_bhtt": _money(item["t_bhtt"], f"{where}.t_bhtt"),
        "ngay_yl": _local(item["ngay_yl"], f"{where}.ngay_yl"),
        "ma_bac_si": item["ma_bac_si"],
        "ma_khoa": item["ma_khoa"],
        "service_date": service_date,
        "ingested_at": now,
    }


def decision_rows(decision: Mapping[str, Any], now: datetime) -> tuple[Row, list[Row]]:
    """The ``decisions`` row and the ``rule_hits`` rows of one decoded decision."""
    facility, claim_id = decision["facility"], decision["claim_id"]
    version = _positive(decision["version"], "decision.version")
    revision = _positive(decision["revision"], "decision.revision")
    decided_at = _instant(decision["decided_at"], "decision.decided_at")
    service_date = _day(decision["service_date"], "decision.service_date")
    hits: list[Row] = []
    seen: dict[tuple[str, str, int], int] = {}
    for i, hit in enumerate(decision["hits"]):
        line = -1 if hit["line"] is None else hit["line"]
        key = (hit["code"], hit["table"], line)
        seen[key] = seen.get(key, 0) + 1  # occurrence: 1 for the first hit with this key
        inputs = sorted(hit["inputs"].items())
        hits.append({
            "facility": facility,
            "claim_id": claim_id,
            "version": version,
            "revision": revision,
            "code": hit["code"],
            "rule_version": hit["rule_version"],
            "severity": hit["severity"],
            "title": hit["title"],
            "table": hit["table"],
            "line": line,
            "occurrence": seen[key],
            "amount": _money(hit["amount"], f"decision.hits[{i}].amount"),
            "message": hit["message"],
            "message_vi": hit["message_vi"],
            "threshold": hit["threshold"],
            "mode": hit.get("mode") or "enforce",
            "legal_basis": hit["legal_basis"],
            "input_keys": [k for k, _ in inputs],
            "input_values": [v for _, v in inputs],
            "service_date": service_date,
            "decided_at": decided_at,
            "ingested_at": now,
        })
    row: Row = {
        "facility": facility,
        "province": province_of(facility),
        "claim_id": claim_id,
        "version": version,
        "revision": revision,
        "person_key": decision["person_key"],
        "content_hash": decision["content_hash"],
        "submitted_at": _instant(decision["submitted_at"], "decision.submitted_at"),
        "decided_at": decided_at,
        "decided_at_ms": decided_at.microsecond // 1000,
        "service_date": service_date,
        "outcome": decision["outcome"],
        "requested": _money(decision["requested"], "decision.requested"),
        "approved": _money(decision["approved"], "decision.approved"),
        "rejected": _money(decision["rejected"], "decision.rejected"),
        "rules_version": decision["rules_version"],
        "hit_codes": sorted({h["code"] for h in hits}),
        "hit_count": len(hits),
        # A hit of a rule in go-live mode 'observe' is recorded only (rules.decision.acts).
        "warned": int(any(h["severity"] == "WARNING" and h.get("mode") != "observe"
                          for h in hits)),
        # ver = revision: the highest revision wins; a replay (same revision) collapses.
        "ver": revision,
        "ingested_at": now,
        "reviewed_by": decision.get("reviewed_by", ""),
        "review_id": decision.get("review_id", ""),
    }
    return row, hits


def claim_tables(claim: Mapping[str, Any], now: datetime) -> dict[str, list[Row]]:
    try:
        row, lines = claim_rows(claim, now)
    except KeyError as exc:  # a record that did not come from the Avro schema
        raise RowError(f"claim: missing field {exc}") from exc
    return {"claims": [row], "claim_lines": lines}


def payload_row(claim: Mapping[str, Any], payload: bytes, now: datetime,
                layout: replay_json.Layout | None) -> Row:
    """The ``claim_payloads`` row: the event bytes as received, for ``hireview replay``, and the
    decoded ``claim`` in its JSON form, which replay decodes faster (``layout``: that of the
    schema ``claim`` was decoded with, ``streams.sink.payload_json.load_layout``; None: no form)."""
    try:
        ngay_vao = _local(claim["header"]["ngay_vao"], "claim.header.ngay_vao")
        row: Row = {
            "facility": claim["facility"],
            "claim_id": claim["claim_id"],
            "version": _positive(claim["version"], "claim.version"),
            "person_key": claim["person_key"],
            "service_date": ngay_vao.date(),
            "ngay_vao": ngay_vao,
            "submitted_at": _instant(claim["submitted_at"], "claim.submitted_at"),
            "content_hash": claim["content_hash"],
            "payload": payload,  # bytes into a String column: stored as is
            "ingested_at": now,
        }
    except KeyError as exc:
        raise RowError(f"claim: missing field {exc}") from exc
    form = b"" if layout is None else replay_json.dumps(claim, layout)  # b"": not exact
    row["claim_json"] = form
    row["claim_json_schema"] = layout.tag if form and layout else ""
    return row


def decision_tables(decision: Mapping[str, Any], now: datetime) -> dict[str, list[Row]]:
    try:
        row, hits = decision_rows(decision, now)
    except KeyError as exc:
        raise RowError(f"decision: missing field {exc}") from exc
    return {"decisions": [row], "rule_hits": hits}

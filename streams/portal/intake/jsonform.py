"""The JSON form of a claim: the same content as one HOSO, with claim.avsc field names.

Shape (one claim per object)::

    {"facility": "79001", "claim_id": "<MA_LK>", "source_standard": "QD4750",   # optional
     "header": {<ClaimHeader fields: ma_bn, ngay_vao, ma_the_bhyt, t_bhtt, ...>},
     "drugs": [{<DrugLine fields>}, ...], "services": [{<ServiceLine fields>}, ...],
     "lab_results": 0, "clinical_notes": 0}

- Scalars are JSON strings or numbers; ``null`` or a missing field means "not given" (a
  finding says "missing"); ``""`` is an empty tag (a finding says "present but empty"). Text
  numbers follow the XML rules (a decimal comma is normalised with a finding).
- Times: XML style ``"202503010830"`` or ISO ``"2025-03-01T08:30[:00]"`` without an offset
  (facility local time). Dates: ``"20250301"`` or ``"2025-03-01"``.
- ``version``, ``submitted_at``, ``content_hash`` and ``person_key`` are set by hireview: a value
  sent is ignored (P502). Unknown fields are ignored (P501). A wrong shape (a list or object
  where a scalar belongs, a line that is not an object) blocks the claim (P503).
- ``source_standard`` is optional; without it the standard is detected as for XML (P504 when
  the value is not a known symbol).

The object is mapped to XML1/XML2/XML3 rows (the field ``ten`` of a service is TEN_DICH_VU,
every other field is its upper-case name) and goes through the very normalisation an XML HOSO
goes through, so both forms give the same record, and findings name the XML tag.
``claim_to_json(record)`` writes a record in this form (it parses back to the same record).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from streams.portal.errors import Finding, finding
from streams.portal.intake.header import XML1_TAGS
from streams.portal.intake.lines import XML2_TAGS, XML3_TAGS
from streams.portal.intake.normalise import ClaimResult, Tables, normalise_claim
from streams.portal.intake.values import as_text

__all__ = ["claim_to_json", "parse_json_claim"]

_TOP = frozenset({"facility", "claim_id", "source_standard", "header", "drugs", "services",
                  "lab_results", "clinical_notes"})
_OURS = frozenset({"version", "submitted_at", "content_hash", "person_key"})
_SYMBOLS = ("QD130", "QD4750", "QD3176", "QD4210", "SIMULATED")
_TIMES = frozenset({"ngay_sinh", "ngay_vao", "ngay_vao_noi_tru", "ngay_ra", "ngay_ttoan",
                    "gt_the_tu", "gt_the_den", "ngay_mien_cct", "nam_nam_lien_tuc", "ngay_yl",
                    "ngay_th_yl", "ngay_kq"})
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
                  ).fullmatch
_MAX_ROWS = 100_000  # XML4/XML5 counts: far above any real claim


def parse_json_claim(obj: Any, *, facility: str | None = None) -> ClaimResult:
    """Normalise the JSON form of one claim; ``facility`` is the submitter's own MA_CSKCB (a
    claim under another facility is blocked, P104), ``None`` to take the claim's."""
    findings: list[Finding] = []
    if not isinstance(obj, dict):
        findings.append(finding("P503", field="$", detail="a JSON object"))
        return ClaimResult((facility or "", ""), None, findings)
    for key in obj:
        if key in _OURS:
            findings.append(finding("P502", field=key))
        elif key not in _TOP:
            findings.append(finding("P501", field=str(key)[:60]))
    claim_id = _scalar(obj, "claim_id", findings)
    # null or left out is "missing", "" is "empty" (the tag sent empty): only given keys are set
    xml1 = {tag: value for tag, key, value in (("MA_LK", "claim_id", claim_id), (
        "MA_CSKCB", "facility", _scalar(obj, "facility", findings))) if obj.get(key) is not None}
    xml1.update(_row(obj.get("header"), XML1_TAGS, "header", findings))
    key_row = {"MA_LK": claim_id}
    tables = Tables(
        [xml1],
        [_row(line, XML2_TAGS, f"drugs[{i}]", findings) | key_row
         for i, line in enumerate(_list(obj, "drugs", findings))],
        [_row(line, XML3_TAGS, f"services[{i}]", findings) | key_row
         for i, line in enumerate(_list(obj, "services", findings))],
        [key_row] * _count(obj, "lab_results", findings),
        [key_row] * _count(obj, "clinical_notes", findings),
    )
    declared = obj.get("source_standard")
    if declared is not None and declared not in _SYMBOLS:
        findings.append(finding("P504", value=declared, detail=", ".join(_SYMBOLS)))
        declared = None
    result = normalise_claim(tables, facility=facility, findings=findings)
    if result.record is not None and declared is not None:
        result.record["source_standard"] = declared
    return result


def _scalar(obj: dict[str, Any], key: str, findings: list[Finding]) -> str:
    value = obj.get(key)
    if isinstance(value, dict | list):
        findings.append(finding("P503", field=key, detail="a string"))
        return ""
    return as_text(value)


def _list(obj: dict[str, Any], key: str, findings: list[Finding]) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        findings.append(finding("P503", field=key, detail="a list of objects"))
        return []
    return value


def _count(obj: dict[str, Any], key: str, findings: list[Finding]) -> int:
    value = obj.get(key, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ROWS:
        findings.append(finding("P503", field=key, detail=f"a whole number 0-{_MAX_ROWS}"))
        return 0
    return value


def _row(obj: Any, tags: dict[str, tuple[str, ...]], path: str,
         findings: list[Finding]) -> dict[str, str]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        findings.append(finding("P503", field=path, detail="an object"))
        return {}
    row: dict[str, str] = {}
    for key, value in obj.items():
        if key not in tags:
            findings.append(finding("P501", field=f"{path}.{str(key)[:60]}"))
        elif isinstance(value, dict | list):
            findings.append(finding("P503", field=f"{path}.{key}", detail="a string or a number"))
        elif value is None:
            continue  # null: not given, as a tag left out (an empty string is an empty tag)
        else:
            text = as_text(value)
            if key in _TIMES:
                text = _digits(text)
            row[tags[key][0]] = text
    return row


def _digits(text: str) -> str:
    """ISO date/time text -> the XML digits (8, 12, or 14 when the seconds are not 0); each
    item of a ';' list (several cards' dates); anything else unchanged."""
    if ";" in text:
        return ";".join(_digits(item.strip()) for item in text.split(";"))
    match = _ISO(text)
    if match is None:
        return text
    year, month, day, hour, minute, second = match.groups()
    if hour is None:
        return f"{year}{month}{day}"
    return f"{year}{month}{day}{hour}{minute}{second if second not in (None, '00') else ''}"


def claim_to_json(record: dict[str, Any]) -> dict[str, Any]:
    """A claim record (stamped or not) in the JSON form, times and dates as ISO text."""
    out = {key: record[key] for key in ("facility", "claim_id", "source_standard",
                                        "lab_results", "clinical_notes")}
    out["header"] = _plain(record["header"])
    out["drugs"] = [_plain(line) for line in record["drugs"]]
    out["services"] = [_plain(line) for line in record["services"]]
    return out


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, datetime | date) else value
            for key, value in row.items()}

"""A ``GIAMDINHHS`` envelope -> one ``ClaimResult`` per ``HOSO`` (docs/claim-standard.md).

Each ``FILEHOSO`` holds one table (``LOAIHOSO`` XML1…XML15) in ``NOIDUNGFILE``: base64 of a UTF-8
XML document (with or without BOM, namespaces stripped), XML as escaped text or CDATA, or the XML
as plain child elements. XML1-XML3 are normalised into the claim, XML4/XML5 rows are counted,
the other tables are ignored with a finding.

Errors: the whole envelope is refused with a ``PortalInputError`` only when it cannot be read at
all (``TooLarge``, ``UnsafeXml`` anywhere, including inside a table, ``MalformedXml`` of the
envelope itself, ``NotAnEnvelope``). A table that cannot be read blocks its own claim only.
"""

from __future__ import annotations

import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

from streams.portal.errors import Finding, finding
from streams.portal.intake.limits import Budget, Limits, OverLimit
from streams.portal.intake.normalise import ClaimResult, Tables, normalise_claim
from streams.portal.intake.values import Bad, read_date, read_int
from streams.portal.intake.xmlsafe import MalformedXml, PortalInputError, parse_xml

__all__ = ["EnvelopeResult", "NotAnEnvelope", "parse_envelope"]

# Table -> (its row element, the root/wrapper elements a well-formed table starts with).
_TABLES: dict[str, tuple[str, frozenset[str]]] = {
    "XML1": ("TONG_HOP", frozenset({"TONG_HOP"})),
    "XML2": ("CHI_TIET_THUOC", frozenset({"CHITIEU_CHITIET_THUOC", "DSACH_CHI_TIET_THUOC"})),
    "XML3": ("CHI_TIET_DVKT", frozenset({"CHITIEU_CHITIET_DVKT_VTYT", "DSACH_CHI_TIET_DVKT"})),
    "XML4": ("CHI_TIET_CLS", frozenset({"CHITIEU_CHITIET_DICHVUCANLAMSANG",
                                        "DSACH_CHI_TIET_CLS"})),
    "XML5": ("CHI_TIET_DIEN_BIEN_BENH", frozenset({"CHITIEU_CHITIET_DIENBIENLAMSANG",
                                                   "DSACH_CHI_TIET_DIEN_BIEN_BENH"})),
}
_BLOCKING_TABLES = ("XML1", "XML2", "XML3")
_FACILITY = re.compile(r"[0-9A-Za-z]{5}").fullmatch


class NotAnEnvelope(PortalInputError):
    reason = "not_an_envelope"


class _Unreadable(Exception):
    """Internal: a table's content cannot be read; the message is the finding's detail."""


@dataclass
class EnvelopeResult:
    facility: str  # MACSKCB as sent ("" when missing)
    created: date | None  # NGAYLAP
    claims: list[ClaimResult]
    findings: list[Finding] = field(default_factory=list)  # envelope-level, never blocking


def parse_envelope(data: bytes, *, max_bytes: int, limits: Limits | None = None,
                   budget: Budget | None = None) -> EnvelopeResult:
    """Parse and normalise every HOSO of a GIAMDINHHS envelope (see the module docstring).
    ``limits`` (default ``Limits()``) bound it: ``OverLimit``/``TooDeep``/``TextTooLong``."""
    limits = limits or Limits()
    root = parse_xml(data, max_bytes=max_bytes, depth=limits.depth, string=limits.string)
    if root.tag != "GIAMDINHHS":
        raise NotAnEnvelope(f"root element is {root.tag[:40]!r}, expected GIAMDINHHS")
    findings: list[Finding] = []
    facility = _text(root.find("THONGTINDONVI/MACSKCB"))
    if not _FACILITY(facility):
        findings.append(finding("P001", value=facility))
    created = _created(_text(root.find("THONGTINHOSO/NGAYLAP")), findings)
    hosos = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")
    declared = _text(root.find("THONGTINHOSO/SOLUONGHOSO"))
    if not hosos:
        findings.append(finding("P011"))
    if read_int(declared) != len(hosos):
        findings.append(finding("P003", value=declared, detail=len(hosos)))
    count = read_int(declared)
    if count is not None and count > limits.claims:
        raise OverLimit(413, "too_many_claims", "SOLUONGHOSO", limits.claims, f"{count} declared")
    if len(hosos) > limits.claims:
        raise OverLimit(413, "too_many_claims", "DANHSACHHOSO", limits.claims,
                        f"{len(hosos)} HOSO")
    claims = []
    for index, hoso in enumerate(hosos, 1):
        if budget is not None:
            budget.check(f"HOSO {index}")
        claims.append(_claim(hoso, index, facility, max_bytes, limits))
    _duplicates(claims)
    return EnvelopeResult(facility, created, claims, findings)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _created(text: str, findings: list[Finding]) -> date | None:
    try:
        if len(text) == 8:
            return read_date(text, "NGAYLAP", None)
    except Bad:
        pass
    findings.append(finding("P002", value=text))
    return None


def _claim(hoso: ET.Element, index: int, facility: str, max_bytes: int,
           limits: Limits) -> ClaimResult:
    findings: list[Finding] = []
    rows: dict[str, list[dict[str, str]]] = {}
    seen: dict[str, int] = {}
    for file in hoso.findall("FILEHOSO"):
        kind = _text(file.find("LOAIHOSO")).upper()
        if kind not in _TABLES:
            findings.append(finding("P004", value=kind))
            continue
        seen[kind] = seen.get(kind, 0) + 1
        try:
            rows[kind] = _rows(kind, file.find("NOIDUNGFILE"), max_bytes, limits)
        except _Unreadable as exc:
            code = "P005" if kind in _BLOCKING_TABLES else "P006"
            findings.append(finding(code, table=kind, value=kind, detail=str(exc)))
    findings.extend(finding("P008", value=kind, detail=count)
                    for kind, count in seen.items() if count > 1)
    if "XML1" not in seen:
        findings.append(finding("P007"))
    tables = Tables(rows.get("XML1", []), rows.get("XML2", []), rows.get("XML3", []),
                    rows.get("XML4", []), rows.get("XML5", []))
    return normalise_claim(tables, facility=facility, findings=findings, index=index)


def _rows(kind: str, content: ET.Element | None, max_bytes: int,
          limits: Limits) -> list[dict[str, str]]:
    """The rows of one table as tag -> stripped text (raises ``_Unreadable``, ``OverLimit``)."""
    row_tag, roots = _TABLES[kind]
    if content is None:
        raise _Unreadable("no NOIDUNGFILE element")
    if len(content):  # plain XML children
        container, top = content, content[0].tag
    else:
        container = _decode(content.text or "", max_bytes, limits)
        top = container.tag
    elements = list(container.iter(row_tag))
    if len(elements) > limits.lines:
        raise OverLimit(413, "too_many_lines", f"{kind}.{row_tag}", limits.lines,
                        f"{len(elements)} rows")
    for element in elements:
        if len(element) > limits.keys:
            raise OverLimit(413, "too_many_keys", f"{kind}.{row_tag}", limits.keys,
                            f"{len(element)} child tags")
    rows = [{child.tag: child.text.strip() if child.text else "" for child in row}
            for row in elements]
    if kind == "XML1" and not rows:
        raise _Unreadable("no TONG_HOP element")
    if not rows and top not in roots:
        raise _Unreadable(f"root element {top[:40]!r} is not one of {sorted(roots)}")
    return rows


def _decode(text: str, max_bytes: int, limits: Limits) -> ET.Element:
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise _Unreadable("NOIDUNGFILE is empty")
    if text.startswith("<"):  # escaped or CDATA-wrapped XML text
        data = text.encode("utf-8")
    else:
        try:
            data = binascii.a2b_base64(text, strict_mode=True)
        except (binascii.Error, ValueError):
            data = _wrapped_base64(text)
    try:
        return parse_xml(data, max_bytes=max_bytes, depth=limits.depth, string=limits.string)
    except MalformedXml as exc:
        raise _Unreadable(str(exc)) from None


def _wrapped_base64(text: str) -> bytes:
    """Base64 with line breaks or spaces in it (some exporters wrap at 76 characters)."""
    try:
        return binascii.a2b_base64("".join(text.split()), strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise _Unreadable(f"NOIDUNGFILE is neither XML nor base64 ({exc})") from None


def _duplicates(claims: list[ClaimResult]) -> None:
    """A MA_LK used by two HOSO of one envelope: the later ones are blocked (P010)."""
    first: dict[str, int] = {}
    for claim in claims:
        key = claim.claim_key[1]
        if not key:
            continue
        if key in first:
            claim.add_finding(finding("P010", value=key, detail=first[key]))
        else:
            first[key] = claim.index

"""One HOSO's table rows -> a claim record of ``avro/schemas/claim.avsc`` and its findings.

The record has every claim.avsc field except ``version``, ``submitted_at`` and ``content_hash``,
which the caller sets on acceptance (``stamp`` does it; ``content_hash`` is the simulator's, so
equal content gives equal hashes wherever the claim came from). A claim with any blocking finding
has no record: only what cannot be appraised is blocked, the rest is normalised with a finding.

Decisions (the 4210 names: docs/claim-standard.md, "Older tag names"):
- ``source_standard``: QD4210 when 4210 tag names are used; otherwise the 130 amendment in force
  at discharge (NGAY_RA): QD3176 from 2025-01-01, QD4750 from 2024-07-01, else QD130.
- 4210 ``MA_LYDO_VVIEN`` -> ``MA_DOITUONG_KCB``: 1 right route -> "1.1", 2 emergency -> "2",
  4 thông tuyến -> "1.2" (district thông tuyến, right route), 3 off route -> "3" with P150: the
  130 off-route codes 3.1/3.2/… depend on the facility level, which a 4210 file does not carry,
  and "3" keeps the one fact known (off route) for rules that test the prefix.
- 4210 ``MA_NOI_CHUYEN`` -> ``ma_noi_di`` unless the patient was transferred out (MA_LOAI_RV 2
  or 5), when it names the destination; ``T_TONGCHI`` -> both ``t_tongchi_bv`` and ``_bh``.
- ``person_key``: the last 10 digits of the first card when it has the card shape, else SO_CCCD.
- Several cards: ``ma_the_bhyt`` keeps the ';' list; ``ma_dkbd``, ``gt_the_tu``, ``gt_the_den``
  take the first card's entry (P143 when the lists do not line up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.claim import content_hash
from streams.portal.errors import Finding, finding
from streams.portal.intake.header import CARD, XML1_TAGS, header
from streams.portal.intake.lines import (
    NO_BENEFIT,
    XML2_TAGS,
    XML3_TAGS,
    Benefit,
    drug_line,
    service_line,
)
from streams.portal.intake.values import Bad, RowReader, read_number

__all__ = ["ClaimResult", "Tables", "content_hash", "normalise_claim", "stamp"]

_LEGACY_XML1 = ("MA_THE", "MIEN_CUNG_CT", "TEN_BENH", "MA_BENH", "MA_BENHKHAC", "MA_LYDO_VVIEN",
                "MA_NOI_CHUYEN", "TINH_TRANG_RV", "T_TONGCHI")
_LEGACY_LINE = ("THANH_TIEN", "TYLE_TT")
_FACILITY = re.compile(r"[0-9A-Za-z]{5}").fullmatch
_STANDARDS = ((datetime(2025, 1, 1), "QD3176"), (datetime(2024, 7, 1), "QD4750"))
_4210_END = datetime(2024, 7, 1)
# The card's benefit digit -> the share on route (Law on HI Art. 22(1); the same table as the
# rules' CB02 ``levels``): what a line without MUC_HUONG is taken to have.
_LEVELS = {"1": 100.0, "2": 100.0, "3": 95.0, "4": 80.0, "5": 100.0}


@dataclass
class Tables:
    """The rows of one HOSO: tag -> stripped text, per table (XML1: its TONG_HOP records)."""

    xml1: list[dict[str, str]]
    xml2: list[dict[str, str]] = field(default_factory=list)
    xml3: list[dict[str, str]] = field(default_factory=list)
    xml4: list[dict[str, str]] = field(default_factory=list)
    xml5: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ClaimResult:
    """One claim's outcome at reception; ``index`` is its 1-based HOSO position."""

    claim_key: tuple[str, str]
    record: dict[str, Any] | None
    findings: list[Finding]
    index: int = 1

    @property
    def accepted(self) -> bool:
        return not any(f.blocking for f in self.findings)

    def add_finding(self, f: Finding) -> None:
        """Add a finding found after normalisation (a blocking one drops the record)."""
        self.findings.append(f)
        if f.blocking:
            self.record = None


def stamp(record: dict[str, Any], *, version: int, submitted_at: datetime,
          sent_at: datetime | None = None) -> dict[str, Any]:
    """The complete claim.avsc record: ``record`` plus version, submitted_at, content_hash and,
    for a backfilled claim, ``sent_at`` (when the facility originally sent it)."""
    return {**record, "version": version, "submitted_at": submitted_at,
            "content_hash": content_hash(record), "sent_at": sent_at}


def is_4210(tables: Tables) -> bool:
    """4210 tag names in XML1, or in the first row of XML2/XML3 (files use one standard)."""
    xml1 = tables.xml1[0] if tables.xml1 else {}
    if any(xml1.get(tag) for tag in _LEGACY_XML1):
        return True
    return any(rows and any(rows[0].get(tag) for tag in _LEGACY_LINE)
               for rows in (tables.xml2, tables.xml3))


def normalise_claim(tables: Tables, *, facility: str | None, findings: list[Finding],
                    index: int = 1) -> ClaimResult:
    """Normalise one HOSO. ``facility`` is the envelope's MACSKCB (or the caller's facility for
    the JSON form); ``findings`` already holds the table-level findings of this HOSO."""
    if not tables.xml1:
        return ClaimResult((facility or "", ""), None, findings, index)
    if len(tables.xml1) > 1:
        findings.append(finding("P009", value=len(tables.xml1)))
    row = tables.xml1[0]
    claim_id = _claim_id(row.get("MA_LK", ""), findings, "MA_LK" in row)
    own = _facility(row.get("MA_CSKCB", ""), facility or "", findings, "MA_CSKCB" in row)
    legacy = is_4210(tables)
    r = RowReader(row, XML1_TAGS, "XML1", 1, findings)
    head, person_key = header(r, legacy)
    benefit = _benefit(row, head)
    _check_keys(tables, claim_id, findings)
    drugs, services = [], []
    legacy_lines = False
    for position, data in enumerate(tables.xml2, 1):
        lr = RowReader(data, XML2_TAGS, "XML2", position, findings)
        drugs.append(drug_line(lr, position, benefit))
        legacy_lines = legacy_lines or lr.legacy_used
    for position, data in enumerate(tables.xml3, 1):
        lr = RowReader(data, XML3_TAGS, "XML3", position, findings)
        services.append(service_line(lr, position, legacy, benefit))
        legacy_lines = legacy_lines or lr.legacy_used
    legacy = legacy or r.legacy_used or legacy_lines
    result = ClaimResult((own, claim_id), None, findings, index)
    if not result.accepted:
        return result
    if legacy and head["ngay_ra"] >= _4210_END:
        findings.append(finding("P151", value=f"{head['ngay_ra']:%Y-%m-%d %H:%M}"))
    result.record = {
        "facility": own,
        "claim_id": claim_id,
        "source_standard": "QD4210" if legacy else _standard(head["ngay_ra"]),
        "person_key": person_key,
        "header": head,
        "drugs": drugs,
        "services": services,
        "lab_results": len(tables.xml4),
        "clinical_notes": len(tables.xml5),
    }
    return result


def _benefit(row: dict[str, str], head: dict[str, Any]) -> Benefit:
    """The MUC_HUONG a line without one gets: the header's MUC_HUONG (4210 files and some
    exporters carry it in XML1), else the benefit level of the first card's digit."""
    text = row.get("MUC_HUONG", "")
    if text:
        try:
            value = read_number(text, "MUC_HUONG", None)
            if 0 < value <= 100:
                return value, f"{value:g}, the header's (XML1) MUC_HUONG"
        except Bad:
            pass  # an unreadable header value is no basis: fall back to the card
    card = (head.get("ma_the_bhyt") or "").split(";")[0]
    if CARD(card):
        level = _LEVELS[card[2]]
        return level, (f"{level:g}, the benefit level of card {card[:5]}... (digit {card[2]}); "
                       "an off-route factor is not applied")
    return NO_BENEFIT


def _claim_id(text: str, findings: list[Finding], present: bool = False) -> str:
    if not text:
        findings.append(finding("P101", empty=present))
    elif len(text) > 100:
        findings.append(finding("P102", value=text, detail=len(text)))
    return text


def _facility(own: str, envelope: str, findings: list[Finding], present: bool = False) -> str:
    chosen = own or envelope
    if not chosen:
        findings.append(finding("P103", empty=present))
    elif own and envelope and own != envelope:
        findings.append(finding("P104", value=own, detail=repr(envelope[:20])))
    elif not _FACILITY(chosen):
        findings.append(finding("P105", value=chosen))
    return chosen


def _check_keys(tables: Tables, claim_id: str, findings: list[Finding]) -> None:
    """Every row of XML2-XML5 must carry the XML1 MA_LK (P401); a missing one is assumed."""
    for table, rows in (("XML2", tables.xml2), ("XML3", tables.xml3), ("XML4", tables.xml4),
                        ("XML5", tables.xml5)):
        for position, data in enumerate(rows, 1):
            key = data.get("MA_LK", "")
            if not key:
                findings.append(finding("P402", table=table, row=position))
            elif claim_id and key != claim_id:
                findings.append(finding("P401", table=table, row=position, value=key,
                                        detail=repr(claim_id[:40])))


def _standard(discharged: datetime) -> str:
    for start, name in _STANDARDS:
        if discharged >= start:
            return name
    return "QD130"


"""Synthetic GIAMDINHHS envelopes written from claim records (the simulator's, or any
claim.avsc record): the portal benchmark and the end-to-end tests send them.

The XML is the inverse of what ``streams.portal.intake.envelope`` reads: every header field goes
to its QĐ 130 XML1 tag, drug and service lines to XML2/XML3 rows, and
``lab_results``/``clinical_notes``
become that many XML4/XML5 rows, so parsing an envelope gives back the record (except
``source_standard``, which the portal derives from the tags and the discharge date). The people
are the simulator's invented ones: never real patient data.
"""

from __future__ import annotations

import base64
from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from streams.portal.intake.header import XML1_TAGS
from streams.portal.intake.lines import XML2_TAGS, XML3_TAGS
from streams.sim.exporters import apply_shapes, check_shapes, with_blood

__all__ = ["claim_tables", "heavy_inpatient", "write_envelope"]

Row = dict[str, str]
# Table -> (document root, wrapper, row element), QĐ 130.
_LAYOUT = {
    "XML2": ("CHITIEU_CHITIET_THUOC", "DSACH_CHI_TIET_THUOC", "CHI_TIET_THUOC"),
    "XML3": ("CHITIEU_CHITIET_DVKT_VTYT", "DSACH_CHI_TIET_DVKT", "CHI_TIET_DVKT"),
    "XML4": ("CHITIEU_CHITIET_DICHVUCANLAMSANG", "DSACH_CHI_TIET_CLS", "CHI_TIET_CLS"),
    "XML5": ("CHITIEU_CHITIET_DIENBIENLAMSANG", "DSACH_CHI_TIET_DIEN_BIEN_BENH",
             "CHI_TIET_DIEN_BIEN_BENH"),
}
_SUPPLY_GROUPS = (10, 11)


def _text(value: Any) -> str | None:
    """The XML text of a record value (None: the tag is left out)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return f"{value:%Y%m%d%H%M}"
    if isinstance(value, date):
        return f"{value:%Y%m%d}"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    return str(value)


def _row(values: dict[str, Any], tags: dict[str, tuple[str, ...]], first: Row) -> Row:
    row = dict(first)
    for name, value in values.items():
        text = _text(value)
        if text is not None:
            row[tags[name][0]] = text
    return row


def claim_tables(record: dict[str, Any]) -> dict[str, list[Row]]:
    """XML1-XML5 rows (tag -> text) of one claim record."""
    key = {"MA_LK": record["claim_id"]}
    xml1 = _row(record["header"], XML1_TAGS, {**key, "STT": "1",
                                              "MA_CSKCB": record["facility"]})
    xml2 = [_row(line, XML2_TAGS, key) for line in record["drugs"]]
    xml3 = [_row(line, XML3_TAGS, key) for line in record["services"]]
    xml4 = [{**key, "STT": str(i)} for i in range(1, record.get("lab_results", 0) + 1)]
    xml5 = [{**key, "STT": str(i)} for i in range(1, record.get("clinical_notes", 0) + 1)]
    return {"XML1": [xml1], "XML2": xml2, "XML3": xml3, "XML4": xml4, "XML5": xml5}


def _fields(row: Row) -> str:
    return "".join(f"<{tag}>{escape(text)}</{tag}>" for tag, text in row.items())


def _document(kind: str, rows: list[Row]) -> str:
    if kind == "XML1":
        return f"<TONG_HOP>{_fields(rows[0])}</TONG_HOP>"
    root, wrapper, row_tag = _LAYOUT[kind]
    items = "".join(f"<{row_tag}>{_fields(r)}</{row_tag}>" for r in rows)
    return f"<{root}><{wrapper}>{items}</{wrapper}></{root}>"


def _hoso(record: dict[str, Any], inline: bool, shapes: Collection[str]) -> str:
    files = []
    if "blood" in shapes:
        record = with_blood(record)
    tables = claim_tables(record)
    apply_shapes(tables, shapes)
    for kind, rows in tables.items():
        if not rows:  # optional tables with nothing in them are not sent
            continue
        doc = _document(kind, rows)
        content = doc if inline else base64.b64encode(
            ('<?xml version="1.0" encoding="utf-8"?>\n' + doc).encode("utf-8")).decode("ascii")
        files.append(f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO>"
                     f"<NOIDUNGFILE>{content}</NOIDUNGFILE></FILEHOSO>")
    return "<HOSO>" + "".join(files) + "</HOSO>"


def write_envelope(records: Sequence[dict[str, Any]], *, facility: str | None = None,
                   created: date | None = None, inline: bool = False,
                   shapes: Collection[str] = ()) -> bytes:
    """One GIAMDINHHS envelope with a HOSO per record. ``facility`` (MACSKCB) defaults to the
    first record's, ``created`` (NGAYLAP) to the latest discharge; tables are base64 documents,
    or plain child XML with ``inline``. ``shapes``: real exporters' ways of writing
    (``streams.sim.exporters.SHAPES``)."""
    if not records:
        raise ValueError("records: an envelope needs at least one claim")
    check_shapes(shapes)
    sender = facility if facility is not None else records[0]["facility"]
    made = created or max(r["header"]["ngay_ra"] for r in records).date()
    text = ('<?xml version="1.0" encoding="utf-8"?>\n<GIAMDINHHS>'
            f"<THONGTINDONVI><MACSKCB>{escape(sender)}</MACSKCB></THONGTINDONVI>"
            f"<THONGTINHOSO><NGAYLAP>{made:%Y%m%d}</NGAYLAP>"
            f"<SOLUONGHOSO>{len(records)}</SOLUONGHOSO><DANHSACHHOSO>"
            + "".join(_hoso(r, inline, shapes) for r in records)
            + "</DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI></CHUKYDONVI></GIAMDINHHS>")
    return text.encode("utf-8")


def heavy_inpatient(record: dict[str, Any], lines: int = 800) -> dict[str, Any]:
    """``record`` grown to at least ``lines`` drug + service lines by repeating its own lines
    (renumbered), with the header totals summed again so the money still adds up."""
    drugs, services = list(record["drugs"]), list(record["services"])
    if not drugs and not services:
        raise ValueError("record: a claim without lines cannot be grown")
    base_drugs, base_services = drugs[:], services[:]
    while len(drugs) + len(services) < lines:
        drugs += [dict(d) for d in base_drugs]
        services += [dict(s) for s in base_services]
    for stt, line in enumerate(drugs + services, 1):
        line["stt"] = stt
    out = {**record, "drugs": drugs, "services": services, "header": dict(record["header"])}
    every = drugs + services
    head = out["header"]
    for field in ("t_bntt", "t_bncct", "t_bhtt", "t_nguonkhac"):
        head[field] = round(sum(line[field] for line in every), 2)
    head["t_thuoc"] = round(sum(d["thanh_tien_bv"] for d in drugs), 2)
    head["t_vtyt"] = round(sum(s["thanh_tien_bv"] for s in services
                               if s["ma_nhom"] in _SUPPLY_GROUPS), 2)
    head["t_tongchi_bv"] = round(sum(line["thanh_tien_bv"] for line in every), 2)
    head["t_tongchi_bh"] = round(sum(line["thanh_tien_bh"] for line in every), 2)
    head["t_bhtt_gdv"] = head["t_bhtt"]
    return out

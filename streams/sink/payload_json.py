"""The JSON form of a decoded claim, stored beside its Avro bytes so a replay decodes it fast.

fastavro spends ~100 µs on a claim (a Python call per logical-type value); the JSON form is read
back in ~25 µs, orjson parsing plus rebuilding the record's dicts and its datetime/date fields
(listed below). The Avro bytes stay the record of what was received; the JSON form is a cache
of their decoded value, and is trusted only when

- its tag equals the fingerprint of the claim schema the replay decodes with now: a form written
  under another schema could lack a field a newer reader fills with its default;
- it restored to exactly the decoded record when it was written (``dumps`` checks; orjson writes
  NaN and infinities as null, for one). Otherwise no form is stored and replay decodes the Avro.

The form holds values only, in schema field order — ``[facility, claim_id, ..., [header
values], [[drug values], ...], [[service values], ...], ...]`` — the names come from the schema
its tag identifies. Keys made the form 3x the Avro size, and ClickHouse's cost of reading,
deduplicating and sorting the rows of a replay grows with their bytes.

Times are ISO text: naive for local times, ``+00:00`` for UTC instants; ``fromisoformat`` gives
back equal values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson

from streams.registry import fingerprint

Record = dict[str, Any]

# The logical-type fields of avro/schemas/claim.avsc (a unit test checks this list against it).
CLAIM_TIMES = ("submitted_at", "sent_at")
HEADER_TIMES = ("ngay_sinh", "ngay_vao", "ngay_vao_noi_tru", "ngay_ra", "ngay_ttoan")
HEADER_DATES = ("gt_the_tu", "gt_the_den", "ngay_mien_cct", "nam_nam_lien_tuc")
DRUG_TIMES = ("ngay_yl", "ngay_th_yl")
SERVICE_TIMES = ("ngay_yl", "ngay_th_yl", "ngay_kq")


@dataclass(frozen=True)
class Layout:
    """Field names of one claim schema, in order, and the tag of the forms written with it."""

    tag: str
    claim: tuple[str, ...]
    header: tuple[str, ...]
    drug: tuple[str, ...]
    service: tuple[str, ...]
    positions: tuple[int, int, int]  # of the header, drugs and services among claim values


def layout_of(schema: Mapping[str, Any]) -> Layout:
    """The layout of a claim schema (the ``claim.avsc`` JSON); ``ValueError`` when it has not the
    shape this module restores (a header record, drugs and services arrays of records)."""
    try:
        types = {f["name"]: f["type"] for f in schema["fields"]}
        names = tuple(types)
        positions = (names.index("header"), names.index("drugs"), names.index("services"))
        return Layout(fingerprint(dict(schema)), names, _names(types["header"]),
                      _names(types["drugs"]["items"]), _names(types["services"]["items"]),
                      positions)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"claim schema: no JSON form for this shape ({exc})") from None


def load_layout(schemas_dir: Path) -> Layout | None:
    """The layout of ``<schemas_dir>/claim.avsc``; None (no JSON forms) for another shape."""
    raw = json.loads((Path(schemas_dir) / "claim.avsc").read_text(encoding="utf-8"))
    try:
        return layout_of(raw)
    except ValueError:
        return None


def _names(record: Any) -> tuple[str, ...]:
    if not isinstance(record, dict) or record.get("type") != "record":
        raise TypeError(record if isinstance(record, str) else record.get("name", "?"))
    return tuple(f["name"] for f in record["fields"])


def dumps(claim: Mapping[str, Any], layout: Layout) -> bytes:
    """The JSON form of a decoded claim; ``b""`` when it would not restore to the same record."""
    at_header, at_drugs, at_services = layout.positions
    try:
        values = [claim[name] for name in layout.claim]
        header = values[at_header]
        values[at_header] = [header[name] for name in layout.header]
        values[at_drugs] = [[d[name] for name in layout.drug] for d in values[at_drugs]]
        values[at_services] = [[s[name] for name in layout.service] for s in values[at_services]]
        data = orjson.dumps(values)
        same = loads(data, layout) == claim
    except (KeyError, TypeError, ValueError):  # not a record of this schema: the Avro will do
        return b""
    return data if same else b""


def loads(data: bytes, layout: Layout) -> Record:
    """The decoded claim back from its JSON form; ``ValueError`` says what is wrong."""
    at_header, at_drugs, at_services = layout.positions
    try:
        values = orjson.loads(data)
        claim: Record = dict(zip(layout.claim, values, strict=True))
        header = claim["header"] = dict(zip(layout.header, values[at_header], strict=True))
        claim["drugs"] = [dict(zip(layout.drug, d, strict=True)) for d in values[at_drugs]]
        claim["services"] = [dict(zip(layout.service, s, strict=True))
                             for s in values[at_services]]
        _restore(claim, CLAIM_TIMES, datetime.fromisoformat)
        _restore(header, HEADER_TIMES, datetime.fromisoformat)
        _restore(header, HEADER_DATES, date.fromisoformat)
        for drug in claim["drugs"]:
            _restore(drug, DRUG_TIMES, datetime.fromisoformat)
        for service in claim["services"]:
            _restore(service, SERVICE_TIMES, datetime.fromisoformat)
    except (KeyError, TypeError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
        raise ValueError(f"claim JSON form: {type(exc).__name__}: {exc}") from None
    return claim


def _restore(record: Record, names: tuple[str, ...], parse: Callable[[str], Any]) -> None:
    for name in names:
        value = record[name]
        if value is not None:
            record[name] = parse(value)

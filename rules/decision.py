"""Turn rule hits into a ``Decision`` record (avro/schemas/decision.avsc).

Hits of rules in go-live mode ``observe`` are kept in the decision and count for nothing below.

Outcome, in order: any REJECT hit → ``REJECT`` (approved 0, rejected = requested); else PARTIAL
hits with money at stake → ``PARTIAL_REJECT``; else any WARNING → ``WARN``; else ``ACCEPT``.

Amounts are settled in integer cents so ``requested == approved + rejected`` holds to the cent:
requested is the header T_BHTT; PARTIAL amounts are summed per line and capped at that line's
T_BHTT; the total is capped at requested. ``adjustments`` has one row per line with a rejected
amount > 0, and only for ``PARTIAL_REJECT`` (a REJECT rejects the claim, not lines), so for a
PARTIAL_REJECT the adjustments add up to ``rejected`` unless the lines claim more than the header.
A PARTIAL hit without a line is settled against the whole claim (table XML1, line 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from rules.base import ENFORCE, OBSERVE, Hit, Severity

Record = dict[str, Any]
_LineKey = tuple[str, int]


def decide(
    claim: Record,
    hits: Sequence[Hit],
    rules_version: str,
    decided_at: datetime,
    revision: int = 1,
    carried: Sequence[Record] = (),
    reviewed: Record | None = None,
) -> Record:
    """The decision on ``claim`` given the engine's ``hits`` (plus ``carried`` hit records
    that other claims or appraisers added, kept when the claim is re-appraised). ``reviewed``:
    the decision this one replaces, whose appraiser-settled and cleared findings keep what the
    appraiser said of them when they are found again (:func:`carried_marks`): an automatic
    revision never undoes a review."""
    header = claim["header"]
    records = [*(h.to_record() for h in hits), *carried]
    partial = Severity.PARTIAL.value
    caps = line_caps(claim) if any(r["severity"] == partial for r in records) else {}
    decision: Record = {
        "facility": claim["facility"],
        "claim_id": claim["claim_id"],
        "version": claim["version"],
        "revision": revision,
        "person_key": claim["person_key"],
        "content_hash": claim["content_hash"],
        "submitted_at": claim["submitted_at"],
        "decided_at": decided_at,
        "service_date": header["ngay_vao"].date(),
        "rules_version": rules_version,
        "reviewed_by": "",
        "review_id": "",
    }
    settled, cleared = carried_marks(reviewed, records)
    decision.update(_settle(header["t_bhtt"], records, caps, settled, cleared))
    return decision


def amend(decision: Record, extra_hits: Sequence[Hit], decided_at: datetime) -> Record:
    """A new revision of ``decision`` with ``extra_hits`` added and the outcome recomputed.

    The earlier claim's lines are not at hand: line caps come from the earlier adjustments, so
    a new PARTIAL hit on a line that had no adjustment is capped only by the claim total. (The
    hits amended in today, XC02 warnings, move no line money.)
    """
    records = [*decision["hits"], *(h.to_record() for h in extra_hits)]
    amended = {**decision, "revision": decision["revision"] + 1, "decided_at": decided_at,
               "reviewed_by": "", "review_id": ""}
    amended.update(resettle(decision, records))
    return amended


def resettle(decision: Record, hits: list[Record], settled: Sequence[str] | None = None,
             cleared: Sequence[str] | None = None,
             caps: Mapping[_LineKey, float] | None = None) -> Record:
    """Outcome, amounts and adjustments of ``decision`` with ``hits`` (and settled/cleared
    keys, default: the decision's own). Line caps: ``caps`` (the claim's, :func:`line_caps`)
    when the claim is at hand, else those of the earlier adjustments (see :func:`amend`)."""
    caps = {**{(a["table"], a["line"]): a["requested"] for a in decision["adjustments"]},
            **(caps or {})}
    return _settle(decision["requested"], hits, caps,
                   decision.get("settled", []) if settled is None else settled,
                   decision.get("cleared", []) if cleared is None else cleared)


def hit_keys(hits: Sequence[Record]) -> list[str]:
    """A stable name per hit of a decision, ``code|table|line|occurrence`` (line 0 for a
    claim-level hit; occurrence counts hits sharing code, table and line, in order), by which
    an appraiser's review settles or clears it."""
    seen: dict[tuple[str, str, int], int] = {}
    keys = []
    for h in hits:
        at = (h["code"], h.get("table") or "XML1", h.get("line") or 0)
        n = seen.get(at, 0)
        seen[at] = n + 1
        keys.append(f"{at[0]}|{at[1]}|{at[2]}|{n}")
    return keys


def carried_marks(before: Record | None, hits: Sequence[Record]
                  ) -> tuple[list[str], list[str]]:
    """The settled and cleared keys of ``before`` that apply to ``hits``, the hit records of a
    later automatic revision of the same claim version.

    A finding carries its marks to the hit of the new revision that is the same finding (code,
    table, line and inputs), under that hit's key: keys number the hits sharing a code, table
    and line in order, so one finding that disappears renumbers the next, and a bare key match
    would hand one finding's verdict to another. A finding whose inputs changed is a new
    finding: a WARNING of it needs the appraiser again."""
    if not before:
        return [], []
    where: dict[tuple[Any, ...], list[str]] = {}
    for key, h in zip(hit_keys(hits), hits, strict=True):
        where.setdefault(_finding(h), []).append(key)
    moved: dict[str, str] = {}
    for key, h in zip(hit_keys(before["hits"]), before["hits"], strict=True):
        found = where.get(_finding(h))
        if found:
            moved[key] = found.pop(0)
    return ([moved[k] for k in before.get("settled", ()) if k in moved],
            [moved[k] for k in before.get("cleared", ()) if k in moved])


def _finding(hit: Record) -> tuple[Any, ...]:
    return (hit["code"], hit.get("table") or "XML1", hit.get("line") or 0,
            tuple(sorted((hit.get("inputs") or {}).items())))


def needs_review(decision: Record) -> bool:
    """True when an appraiser must look (a WARNING hit no appraiser has settled or cleared):
    such decisions go to hi.warnings."""
    done = {*decision.get("settled", ()), *decision.get("cleared", ())}
    return any(h["severity"] == Severity.WARNING.value and k not in done and acts(h)
               for k, h in zip(hit_keys(decision["hits"]), decision["hits"], strict=True))


def acts(hit: Record) -> bool:
    """False for a hit recorded under go-live mode ``observe``: it changes no outcome, amount
    or queue (records written before modes existed have none: they act)."""
    return bool(hit.get("mode", ENFORCE) != OBSERVE)


def line_caps(claim: Record) -> dict[_LineKey, float]:
    """Each line's T_BHTT, the most a line can have rejected: ``(table, STT) -> amount``."""
    caps: dict[_LineKey, float] = {("XML2", line["stt"]): line["t_bhtt"] for line in claim["drugs"]}
    caps.update((("XML3", line["stt"]), line["t_bhtt"]) for line in claim["services"])
    return caps


def _cents(value: float) -> int:
    return round(value * 100)


def _settle(requested: float, hits: list[Record], caps: dict[_LineKey, float],
            settled: Sequence[str] = (), cleared: Sequence[str] = ()) -> Record:
    """Outcome, amounts and adjustments from hit records (see the module docstring). Hits
    whose key is ``cleared`` do not count; a WARNING only makes the outcome WARN while its key
    is not ``settled``."""
    req = _cents(requested)
    gone = set(cleared)
    # A hit of a rule in ``observe`` is recorded and moves nothing (rules/base.py go-live modes).
    keyed = [(k, h) for k, h in zip(hit_keys(hits), hits, strict=True) if acts(h)]
    live = [h for k, h in keyed if k not in gone]
    marks = {"settled": list(dict.fromkeys(settled)), "cleared": list(dict.fromkeys(cleared))}
    severities = {h["severity"] for h in live}
    if Severity.REJECT.value in severities:
        return {**_result("REJECT", req, req, [], hits), **marks}
    partials = [h for h in live if h["severity"] == Severity.PARTIAL.value]
    lines = _line_rejections(partials, caps, requested) if partials else []
    rejected = min(sum(_cents(a["rejected"]) for a in lines), max(req, 0))
    if rejected > 0:
        return {**_result("PARTIAL_REJECT", req, rejected, lines, hits), **marks}
    done = set(settled) | gone
    pending = any(h["severity"] == Severity.WARNING.value and k not in done for k, h in keyed)
    return {**_result("WARN" if pending else "ACCEPT", req, 0, [], hits), **marks}


def _line_rejections(
    partials: Iterable[Record], caps: dict[_LineKey, float], requested: float
) -> list[Record]:
    """One adjustment per line with money rejected, capped at the line's T_BHTT.

    The rule named is the one rejecting most on that line. When the line's T_BHTT is unknown
    (see :func:`amend`) the row's ``requested`` shows the amount the hits asked for.
    """
    per_line: dict[_LineKey, list[Record]] = {}
    for h in partials:
        key = (h["table"], h["line"]) if h["line"] is not None else ("XML1", 0)
        per_line.setdefault(key, []).append(h)
    out: list[Record] = []
    for (table, line), group in per_line.items():
        asked = sum(_cents(h["amount"]) for h in group)
        cap = requested if line == 0 and table == "XML1" else caps.get((table, line))
        cents = asked if cap is None else min(asked, max(_cents(cap), 0))
        if cents <= 0:
            continue
        top = max(group, key=lambda h: float(h["amount"]))
        out.append({
            "table": table,
            "line": line,
            "code": top["code"],
            "requested": round(cap, 2) if cap is not None else asked / 100,
            "rejected": cents / 100,
        })
    return out


def _result(
    outcome: str, req: int, rejected: int, lines: list[Record], hits: list[Record]
) -> Record:
    return {
        "outcome": outcome,
        "requested": req / 100,
        "approved": (req - rejected) / 100,
        "rejected": rejected / 100,
        "adjustments": lines,
        "hits": hits,
    }

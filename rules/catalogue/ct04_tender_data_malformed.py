"""CT04: the tender data (TT_THAU) of a drug or supply line is missing or malformed.

Why:
    Drugs and supplies are paid at the price of the bid the facility won; TT_THAU names that bid as
    ``decision;Gnn;Nn;yyyy``: the award decision, the package, the group and the year, with an
    optional fifth part, the 5-character code of the unit that ran the tender (QĐ 130/QĐ-BYT as
    amended by QĐ 4750, XML2/XML3 TT_THAU; ``rules.tender`` lists the lawful forms). Drugs are in
    packages G1–G99 and groups N1–N99; supplies may be G0 and N0. It is required for supplies.
    Without a readable bid the price and the procured quantity cannot be checked against the
    tender (TT 12/2026/TT-BTC Art. 10(1)(l-m)).

Anti-pattern:
    A bare regex that accepts group N0 for a drug, refuses it for a supply or refuses the
    five-part form with the tendering unit, or a year after the service, or rejecting the
    fund's money for a typo in a field the appraiser can correct with the facility.

Best practice:
    Parse the four parts, the decision optional while ``require_decision`` is false (the short
    form ``Gnn;Nn;yyyy`` still appears); require the field for the kinds in ``required_for``;
    the year must not be after the line's order year nor more than ``max_age_years`` before it.
    Lines not in the catalog at all are CT01's. Warn, naming the problem; matching the bid is
    CT03/CT05's. A claim names few distinct bids: each is checked once against the visit's year,
    and lines one by one only when a bid fails or the stay spans two years (lines outside the
    stay are the time-order rule's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from rules.base import (
    DRUG,
    KIND_VI,
    NO_HITS,
    SUPPLY,
    SUPPLY_GROUPS,
    TABLE_OF_KIND,
    ClaimRule,
    Hit,
    Params,
    Record,
    RuleMeta,
    Severity,
    money,
)
from rules.context import Context
from rules.tender import FORMS, FORMS_VI, Bid, parse_tender, tender_problem

META = RuleMeta(
    code="CT04",
    name="catalog.tender_data_malformed",
    title="Tender data (TT_THAU) missing or not decision;Gnn;Nn;yyyy[;unit]",
    family="catalog",
    severity=Severity.WARNING,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML2 and XML3 TT_THAU; "
        "TT 12/2026/TT-BTC Art. 10(1)(l-m)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("required_for", "require_decision", "max_age_years"),
)

_TT_THAU = itemgetter("tt_thau")


_FINE = ("", "", None)
_MALFORMED = (f"not {FORMS}", f"không đúng dạng {FORMS_VI}", None)
_NO_DECISION = ("the award decision is missing", "thiếu số quyết định trúng thầu", None)
_EMPTY = ("TT_THAU is empty", "TT_THAU để trống", None)


def _problem(
    bid: Bid | None, kind: str, year: int, require_decision: bool, max_age: int
) -> tuple[str, str, str | None]:
    """What is wrong with a bid: (English, Vietnamese, threshold); ``_FINE`` when nothing."""
    if bid is None:
        return _MALFORMED
    unlawful = tender_problem(bid, kind)
    if unlawful is not None:
        return (*unlawful, None)
    if require_decision and not bid.decision:
        return _NO_DECISION
    if bid.year > year:
        return (f"tender year {bid.year} is after the order year {year}",
                f"năm thầu {bid.year} sau năm chỉ định {year}", f"tender year ≤ {year}")
    if bid.year < year - max_age:
        return (f"tender year {bid.year} is more than {max_age} years before {year}",
                f"năm thầu {bid.year} sớm hơn năm chỉ định {year} quá {max_age} năm",
                f"tender year ≥ {year - max_age}")
    return _FINE


class TenderDataMalformed(ClaimRule):
    """A claim rule with a fast path: a claim names few distinct bids, each is checked once."""

    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        values = p.values
        header = claim["header"]
        drug_bids = set(map(_TT_THAU, claim["drugs"]))
        if DRUG not in values["required_for"]:
            drug_bids.discard(None)
        supply_bids = {line["tt_thau"] for line in claim["services"]
                       if line["ma_nhom"] in SUPPLY_GROUPS}
        year = header["ngay_vao"].year
        if year == header["ngay_ra"].year and _all_fine(
            ((DRUG, drug_bids), (SUPPLY, supply_bids)), year, values):
            return NO_HITS
        hits = []
        facility = claim["facility"]
        for kind, line in _lines(claim):
            hit = self._line(ctx, p, facility, kind, line)
            if hit is not None:
                hits.append(hit)
        return hits

    def _line(self, ctx: Context, p: Params, facility: str, kind: str, line: Record
              ) -> Hit | None:
        values = p.values
        tt_thau = line["tt_thau"]
        year = line["ngay_yl"].year
        if not tt_thau or not tt_thau.strip():
            if kind not in values["required_for"]:
                return None
            problem, problem_vi, threshold = _EMPTY
        else:
            problem, problem_vi, threshold = _problem(
                parse_tender(tt_thau), kind, year, values["require_decision"],
                values["max_age_years"])
            if not problem:
                return None
        code = line["ma_thuoc"] if kind == DRUG else line["ma_vat_tu"] or ""
        if ctx.catalog.find(kind, facility, code, line["ngay_yl"].date()) is None:
            return None  # not in the catalog: CT01's
        inputs = {
            "kind": kind,
            "code": code,
            "tt_thau": tt_thau or "",
            "order_year": str(year),
            "problem": problem,
            "line_t_bhtt": money(line["t_bhtt"]),
        }
        message = f"{kind.lower()} {code}: TT_THAU {tt_thau or '(empty)'!r}: {problem}."
        message_vi = f"{KIND_VI[kind]} {code}: TT_THAU {tt_thau or '(trống)'!r}: {problem_vi}."
        return META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                        table=TABLE_OF_KIND[kind], line=line["stt"], message_vi=message_vi,
                        threshold=threshold)


def _all_fine(
    kinds: tuple[tuple[str, set[str | None]], ...], year: int, values: Mapping[str, Any],
) -> bool:
    """True when no distinct TT_THAU of the claim needs a finding on a line of ``year``."""
    oldest, need_decision = year - values["max_age_years"], values["require_decision"]
    for kind, bids in kinds:
        for tt_thau in bids:
            bid = parse_tender(tt_thau) if tt_thau else None
            if bid is None or not oldest <= bid.year <= year or (
                need_decision and not bid.decision) or tender_problem(bid, kind) is not None:
                return False  # empty, unreadable or implausible: look line by line
    return True


def _lines(claim: Record) -> Iterator[tuple[str, Record]]:
    for line in claim["drugs"]:
        yield DRUG, line
    for line in claim["services"]:
        if line["ma_nhom"] in SUPPLY_GROUPS:
            yield SUPPLY, line

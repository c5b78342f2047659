"""The settlement ledger: close a period for facilities, claim by claim (docs/settlement.md).

Closing period P of kind K for a facility:

1. every claim's current state (its latest decided version, that version's latest revision in
   ``decisions FINAL``; the appraiser's cut from its ``REVIEW`` hits in ``rule_hits``; who
   reviewed it from ``decision_revisions``) for service dates from the chain's first closed
   period up to P's end;
2. what the chain K already counted for each claim (the sum of its ``settlement_entries``
   rows in earlier periods);
3. an entry ``period`` for each claim served in P, and an entry ``adjustment`` — the
   difference — for each claim of an earlier period whose state changed since it was counted
   (or that was first decided after its period closed);
4. the totals, the advances paid in P, the advance policy in force at P's start and the
   balance, in ``settlements``.

A closed settlement is never rewritten: a facility whose period is closed is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from streams.settle.amounts import AMOUNT_FIELDS, ZERO, Amounts, money
from streams.settle.funding import Query, advances_in, policy_at
from streams.settle.periods import Period

Key = tuple[str, str]  # (facility, claim_id)
ENTRY_COLUMNS = ("facility", "province", "period_kind", "period", "period_start", "claim_id",
                 "version", "revision", "service_date", "origin_period", "entry", "outcome",
                 "reviewed_by", *AMOUNT_FIELDS, "closed_at", "ingested_at")
SETTLEMENT_COLUMNS = (
    "settlement_id", "facility", "province", "period_kind", "period", "period_start",
    "period_end", "claims", *AMOUNT_FIELDS, "reviewed_claims", "adjustment_claims",
    "adjustment_requested", "adjustment_approved", "adjustment_rejected", "adjustment_review",
    "advances", "advance_count", "advance_percent", "advance_policy_from", "advance_ceiling",
    "balance", "closed_at", "closed_by", "ingested_at")

_STATES = (
    "SELECT facility, claim_id, max(version), argMax(revision, version), "
    "argMax(service_date, version), argMax(outcome, version), argMax(requested, version), "
    "argMax(approved, version), argMax(rejected, version) FROM decisions FINAL "
    "WHERE facility IN %(fs)s AND service_date >= %(s)s AND service_date <= %(e)s "
    "GROUP BY facility, claim_id")
_CUTS = ("SELECT facility, claim_id, version, revision, sum(amount) FROM rule_hits FINAL "
         "WHERE facility IN %(fs)s AND code = 'REVIEW' AND service_date >= %(s)s "
         "AND service_date <= %(e)s GROUP BY facility, claim_id, version, revision")
_REVIEWERS = ("SELECT facility, claim_id, version, argMaxIf(reviewed_by, revision, "
              "reviewed_by != '') FROM decision_revisions FINAL WHERE facility IN %(fs)s "
              "AND service_date >= %(s)s AND service_date <= %(e)s AND reviewed_by != '' "
              "GROUP BY facility, claim_id, version")
_PRIOR = ("SELECT facility, claim_id, " + ", ".join(f"sum({a})" for a in AMOUNT_FIELDS)
          + " FROM settlement_entries FINAL WHERE facility IN %(fs)s AND period_kind = %(k)s "
          "AND period_start < %(s)s GROUP BY facility, claim_id")
_CHAINS = ("SELECT facility, min(period_start), countIf(period = %(p)s), "
           "argMaxIf(period, period_start, period_start < %(s)s), "
           "argMaxIf(period, period_start, period_start > %(s)s) FROM settlements FINAL "
           "WHERE period_kind = %(k)s AND facility IN %(fs)s GROUP BY facility")


class LedgerError(RuntimeError):
    """A settlement that cannot be closed (period not ended, an earlier period left open)."""


@dataclass
class Claim:
    facility: str
    claim_id: str
    version: int
    revision: int
    service_date: date
    outcome: str
    reviewed_by: str
    amounts: Amounts


@dataclass
class Settlement:
    period: Period
    facility: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    totals: Amounts = field(default_factory=Amounts)
    adjustments: Amounts = field(default_factory=Amounts)
    claims: int = 0
    adjustment_claims: int = 0
    reviewed_claims: int = 0
    header: dict[str, Any] = field(default_factory=dict)


def settlement_id(facility: str, period: Period) -> str:
    return hashlib.sha256(f"{facility}|{period.kind}|{period.label}".encode()).hexdigest()[:32]


def claim_states(query: Query, facilities: tuple[str, ...], start: date, end: date
                 ) -> dict[Key, Claim]:
    """The current state of each claim served in [start, end] of ``facilities``."""
    params = {"fs": facilities, "s": start, "e": end}
    cuts = {(f, c, int(v), int(r)): amount for f, c, v, r, amount in query(_CUTS, params)}
    reviewers = {(f, c, int(v)): who for f, c, v, who in query(_REVIEWERS, params)}
    out: dict[Key, Claim] = {}
    for f, c, v, r, served, outcome, req, appr, rej in query(_STATES, params):
        amounts = Amounts.of_decision(outcome, req, appr, rej, cuts.get((f, c, v, r), ZERO))
        out[(f, c)] = Claim(f, c, int(v), int(r), served, outcome,
                            reviewers.get((f, c, int(v)), ""), amounts)
    return out


def prior_counts(query: Query, kind: str, facilities: tuple[str, ...], before: date
                 ) -> dict[Key, Amounts]:
    """What chain ``kind`` counted for each claim in periods that start before ``before``."""
    rows = query(_PRIOR, {"fs": facilities, "k": kind, "s": before})
    return {(f, c): Amounts(*(money(x) for x in sums)) for f, c, *sums in rows}


def _entry(s: Settlement, claim: Claim, kind: str, amounts: Amounts, now: datetime
           ) -> dict[str, Any]:
    p = s.period
    return {"facility": claim.facility, "province": claim.facility[:2], "period_kind": p.kind,
            "period": p.label, "period_start": p.start, "claim_id": claim.claim_id,
            "version": claim.version, "revision": claim.revision,
            "service_date": claim.service_date,
            "origin_period": Period.of(p.kind, claim.service_date).label, "entry": kind,
            "outcome": claim.outcome, "reviewed_by": claim.reviewed_by, **amounts.as_dict(),
            "closed_at": now, "ingested_at": now}


def settle_batch(query: Query, period: Period, facilities: tuple[str, ...], now: datetime,
                 by: str) -> list[Settlement]:
    """Close ``period`` for ``facilities`` (none of them closed yet); nothing is written."""
    chains = {f: first for f, first, *_ in query(_CHAINS, {
        "k": period.kind, "fs": facilities, "p": period.label, "s": period.start})}
    first = min([period.start, *chains.values()])
    states = claim_states(query, facilities, first, period.end)
    prior = prior_counts(query, period.kind, facilities, period.start)
    out = {f: Settlement(period, f) for f in facilities}
    for key, claim in sorted(states.items()):
        s = out[claim.facility]
        counted = prior.get(key, Amounts())
        delta = claim.amounts - counted
        if claim.service_date >= period.start:
            s.entries.append(_entry(s, claim, "period", delta, now))
            s.claims += 1
            s.totals = s.totals + delta
            s.reviewed_claims += bool(claim.reviewed_by or claim.amounts.rejected_review)
        elif claim.facility in chains and claim.service_date >= chains[claim.facility] \
                and (not delta.zero or key not in prior):
            s.entries.append(_entry(s, claim, "adjustment", delta, now))
            s.adjustment_claims += 1
            s.adjustments = s.adjustments + delta
    _headers(query, period, list(out.values()), now, by)
    return list(out.values())


def _previous_paid(query: Query, period: Period, facilities: tuple[str, ...]
                   ) -> dict[str, Decimal]:
    prev = period.previous()
    rows = query("SELECT facility, approved + adjustment_approved FROM settlements FINAL "
                 "WHERE period_kind = %(k)s AND period = %(p)s AND facility IN %(fs)s",
                 {"k": prev.kind, "p": prev.label, "fs": facilities})
    return {f: money(v) for f, v in rows}


def _headers(query: Query, period: Period, items: list[Settlement], now: datetime,
             by: str) -> None:
    facilities = tuple(s.facility for s in items)
    paid = advances_in(query, facilities, period.start, period.end)
    policy = policy_at(query, period.start)
    previous = _previous_paid(query, period, facilities)
    for s in items:
        advances = sum((a["amount"] for a in paid.get(s.facility, [])), ZERO)
        ceiling = money(previous.get(s.facility, ZERO) * policy.percent / 100)
        t, a = s.totals, s.adjustments
        s.header = {
            "settlement_id": settlement_id(s.facility, period), "facility": s.facility,
            "province": s.facility[:2], "period_kind": period.kind, "period": period.label,
            "period_start": period.start, "period_end": period.end, "claims": s.claims,
            **t.as_dict(), "reviewed_claims": s.reviewed_claims,
            "adjustment_claims": s.adjustment_claims, "adjustment_requested": a.requested,
            "adjustment_approved": a.approved, "adjustment_rejected": a.rejected,
            "adjustment_review": a.under_review, "advances": advances,
            "advance_count": len(paid.get(s.facility, [])),
            "advance_percent": policy.percent, "advance_policy_from": policy.valid_from
            or date(1970, 1, 1), "advance_ceiling": ceiling,
            "balance": t.approved + a.approved - advances, "closed_at": now, "closed_by": by,
            "ingested_at": now}


def candidates(query: Query, period: Period) -> tuple[str, ...]:
    """Facilities with a claim served in the period, or a settlement in the chain."""
    rows = query("SELECT DISTINCT facility FROM decisions WHERE service_date >= %(s)s AND "
                 "service_date <= %(e)s UNION ALL SELECT DISTINCT facility FROM settlements "
                 "WHERE period_kind = %(k)s", {"s": period.start, "e": period.end,
                                               "k": period.kind})
    return tuple(sorted({r[0] for r in rows}))


def open_facilities(query: Query, period: Period, facilities: Iterable[str]
                    ) -> tuple[list[str], list[str]]:
    """``(to close, already closed)``; raises LedgerError when an earlier period of a
    facility's chain is still open, or a later one already closed (closing out of order would
    skip claims or count them twice)."""
    wanted = tuple(sorted(set(facilities)))
    if not wanted:
        return [], []
    rows = query(_CHAINS, {"k": period.kind, "fs": wanted, "p": period.label,
                           "s": period.start})
    done, gaps, later = [], [], []
    expected = period.previous().label
    for f, _first, here, last_before, after in rows:
        if here:
            done.append(f)
        elif after:  # its changes would already be another period's adjustments
            later.append(f"{f} ({after})")
        elif last_before and last_before != expected:
            gaps.append(f"{f} (last closed {last_before})")
    if later:
        raise LedgerError(f"{period.label}: a later {period.kind} is already closed for "
                          + ", ".join(later[:10]) + (" ..." if len(later) > 10 else ""))
    if gaps:
        raise LedgerError(f"close {expected} first: an earlier {period.kind} is open for "
                          + ", ".join(gaps[:10]) + (" ..." if len(gaps) > 10 else ""))
    closed = set(done)
    return [f for f in wanted if f not in closed], sorted(closed)


Progress = Callable[[int], None]

"""Later claims judged again when an earlier claim of the same person arrives after them.

A claim's history-based rules (overlapping stays, visits per window, the yearly co-payment
ceiling, visits at several facilities a day, …) judge it against the person's visits known when
it was decided. When a claim admitted *earlier* arrives *later* — a late resubmission, or
records a consumer failed to deliver in order — the claims admitted after it were decided on an
incomplete history. Each of them is evaluated twice, with the history as it is now and with the
same history minus the newcomer; only the hits that differ (those the newcomer caused or
removed) change its decision, so nothing else about it moves (a catalog updated since, say).
A changed decision is a new revision; an unchanged one emits nothing. Rules that judge pairs of
claims (overlapping stays, two facilities on one day) are left out: the newcomer's own
evaluation reports the pair, whichever of the two came first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rules.context import Context
from rules.decision import decide
from streams.claim import identity
from streams.worker import history as hist

Record = dict[str, Any]
HitKey = tuple[Any, ...]


def hit_key(hit: Record) -> HitKey:
    return (hit["code"], hit["table"], hit["line"] or 0, tuple(sorted(hit["inputs"].items())))


def later_visits(claim: Record, visits: list[hist.Visit]) -> list[hist.Visit]:
    """Current versions of the person's other claims admitted after ``claim``."""
    admitted, me = claim["header"]["ngay_vao"], identity(claim)
    newest: dict[tuple[str, str], int] = {}
    for v in visits:
        key = (v["facility"], v["claim_id"])
        newest[key] = max(newest.get(key, 0), v["version"])
    return [v for v in visits if v["admitted"] > admitted and identity(v) != me
            and v["version"] == newest[(v["facility"], v["claim_id"])]
            and (v["facility"], v["claim_id"]) != (claim["facility"], claim["claim_id"])]


def rejudge_later(
    claim: Record, visits: list[hist.Visit], ref: Any,
    load_claim: Callable[[tuple[str, str, int]], Record | None], at: datetime,
) -> tuple[list[hist.Visit], list[Record], int]:
    """``visits`` (which include ``claim``) with the later claims' decisions revised where the
    newcomer changes them; returns (visits, new revisions, claims judged again)."""
    me = identity(claim)
    revised: list[Record] = []
    judged = 0
    for visit in later_visits(claim, visits):
        later = load_claim(identity(visit))
        if later is None:  # kept before claims were stored, or pruned: nothing to judge
            continue
        judged += 1
        now_known = hist.prior(visits, later)
        without = [v for v in now_known if identity(v) != me]
        fresh = _hits(later, now_known, ref, ref.engine.pair_codes)
        before = _hits(later, without, ref, ref.engine.pair_codes)
        gained = {k: h for k, h in fresh.items() if k not in before}
        lost = {k for k in before if k not in fresh}
        if not gained and not lost:
            continue
        old = hist.find(visits, identity(visit))
        assert old is not None
        decision = old["decision"]
        kept = [h for h in decision["hits"] if hit_key(h) not in lost]
        have = {hit_key(h) for h in kept}
        records = kept + [h for k, h in gained.items() if k not in have]
        if sorted(map(hit_key, records)) == sorted(map(hit_key, decision["hits"])):
            continue
        new = decide(later, [], ref.engine.version, at, revision=decision["revision"] + 1,
                     carried=records, reviewed=decision)
        visits = hist.replace_decision(visits, new)
        revised.append(new)
    return visits, revised, judged


def _hits(claim: Record, history: list[hist.Visit], ref: Any,
          pairs: frozenset[str]) -> dict[HitKey, Record]:
    """The rules' hits on ``claim`` given ``history``, but for pair rules: a pair is judged
    once, by the newcomer's own evaluation (rules/cross_claim.py, PairRule)."""
    ctx = Context(claim=claim, catalog=ref.catalog, cards=ref.cards, history=history)
    return {hit_key(r): r for r in (h.to_record() for h in ref.engine.evaluate(ctx))
            if r["code"] not in pairs}

"""Later claims judged again when an earlier claim of the person arrives after them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from streams.claim import identity
from streams.worker import history as hist
from streams.worker.processor import Appraisal, Enrichment, appraise
from streams.worker.rejudge import later_visits
from tests.unit.worker.test_processor import claim, inpatient_at

NOW = datetime(2025, 3, 6, tzinfo=UTC)
Claims = dict[tuple[str, str, int], dict[str, Any]]


def outpatient_at(facility: str, claim_id: str, start: datetime) -> dict[str, Any]:
    c = claim(ma_doituong_kcb="1.2", ngay_vao=start, ngay_ra=start + timedelta(hours=1),
              ngay_ttoan=start + timedelta(hours=1, minutes=15))
    c.update(facility=facility, claim_id=claim_id, content_hash=f"h-{claim_id}")
    c["submitted_at"] = (start + timedelta(hours=-6)).replace(tzinfo=UTC)
    for line in c["drugs"] + c["services"]:
        for name in ("ngay_yl", "ngay_th_yl", "ngay_kq"):
            if line.get(name) is not None:
                line[name] = start + timedelta(minutes=10)
    return c


def run(claims: list[dict[str, Any]], ref: Enrichment) -> tuple[list[Appraisal], Claims]:
    """Appraise ``claims`` in this arrival order, with the claim store the worker keeps."""
    store: Claims = {}
    visits: list[hist.Visit] = []
    out = []
    for c in claims:
        result = appraise(c, visits, ref, now=lambda: NOW, load_claim=store.get)
        store[identity(c)] = c
        visits = result.visits
        out.append(result)
    return out, store


def codes(decision: dict[str, Any]) -> list[str]:
    return sorted(h["code"] for h in decision["hits"])


def test_a_later_claim_gets_the_hit_the_late_earlier_claim_causes(ref: Enrichment) -> None:
    # Seven outpatient visits on seven days: more than six in 30 days flags the seventh (XC05).
    visits = [outpatient_at("79001", f"V{d}", datetime(2025, 3, d, 9)) for d in range(1, 8)]
    in_order, _ = run(visits, ref)
    assert "XC05" in codes(in_order[-1].decision)
    # The first visit arrives last: the seventh was decided with five earlier visits in view.
    late, _ = run(visits[1:] + visits[:1], ref)
    assert "XC05" not in codes(late[-2].decision)
    newcomer = late[-1]
    assert newcomer.rejudged == 6 and newcomer.rejudge_changed == 1
    (revision,) = newcomer.amendments
    assert (revision["claim_id"], revision["revision"]) == ("V7", 2)
    assert codes(revision) == codes(in_order[-1].decision)
    stored = hist.find(newcomer.visits, identity(visits[-1]))
    assert stored is not None and stored["decision"] == revision


def test_a_pair_is_reported_by_the_newcomer_only(ref: Enrichment) -> None:
    """Two facilities on one day (a pair rule): the visit that arrives second carries the hit,
    whichever started first; the other is not judged again into a second report."""
    day = datetime(2025, 3, 1, 8)
    early, late = outpatient_at("79001", "E1", day), outpatient_at(
        "79002", "L1", day.replace(hour=14))
    results, _ = run([late, early], ref)
    assert "XC04" not in codes(results[0].decision)
    assert "XC04" in codes(results[1].decision)
    assert results[1].rejudged == 1 and results[1].amendments == []


def test_a_later_claim_the_newcomer_does_not_affect_keeps_its_decision(ref: Enrichment) -> None:
    early = outpatient_at("79001", "E1", datetime(2025, 3, 1, 8))
    later = outpatient_at("79001", "L1", datetime(2025, 3, 3, 8))  # another day, same place
    results, _ = run([later, early], ref)
    assert results[1].rejudged == 1 and results[1].rejudge_changed == 0
    assert all(d["claim_id"] != "L1" for d in results[1].amendments)


def test_an_overlap_found_late_is_amended_once_not_twice(ref: Enrichment) -> None:
    start = datetime(2025, 3, 1, 8)
    a = inpatient_at("79001", "A1", start, 4)
    b = inpatient_at("79002", "B1", start + timedelta(days=2), 4)
    b["person_key"] = a["person_key"]
    results, _ = run([b, a], ref)
    revisions = [d for d in results[1].amendments if d["claim_id"] == "B1"]
    assert len(revisions) == 1  # the partner amendment; judging B1 again adds nothing new
    assert codes(revisions[0]) == ["XC02"]


def test_without_the_claim_store_nothing_is_judged_again(ref: Enrichment) -> None:
    day = datetime(2025, 3, 1, 8)
    late = appraise(outpatient_at("79002", "L1", day.replace(hour=14)), [], ref, now=lambda: NOW)
    early = appraise(outpatient_at("79001", "E1", day), late.visits, ref, now=lambda: NOW)
    assert early.rejudged == 0 and early.amendments == []


def test_only_current_versions_admitted_later_are_candidates() -> None:
    def visit(claim_id: str, version: int, hour: int) -> hist.Visit:
        return {"facility": "79001", "claim_id": claim_id, "version": version,
                "admitted": datetime(2025, 3, 1, hour)}

    me = {"facility": "79001", "claim_id": "C", "version": 1,
          "header": {"ngay_vao": datetime(2025, 3, 1, 10)}}
    visits = [visit("A", 1, 8), visit("B", 1, 12), visit("B", 2, 12), visit("C", 1, 10),
              visit("D", 1, 11)]
    assert [(v["claim_id"], v["version"]) for v in later_visits(me, visits)] == [
        ("B", 2), ("D", 1)]

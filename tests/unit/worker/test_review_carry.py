"""An automatic revision never undoes an appraiser's review: re-judging and re-appraisal keep
the REVIEW hits and what the appraiser settled, and a changed finding needs the appraiser again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rules.decision import hit_keys, needs_review
from streams.claim import identity
from streams.worker import history as hist
from streams.worker.processor import Enrichment, appraise
from streams.worker.review import review_visit
from tests.unit.worker.test_rejudge import NOW, outpatient_at, run

Record = dict[str, Any]


def _reviewed_seventh_visit(ref: Enrichment) -> tuple[list[Record], list[hist.Visit], Any]:
    """Seven outpatient visits in a week: the seventh warns (XC05); an appraiser cuts a drug
    line of it and settles the warning."""
    claims = [outpatient_at("79001", f"V{d}", datetime(2025, 3, d, 9)) for d in range(1, 8)]
    results, store = run(claims, ref)
    visits = results[-1].visits
    seventh = hist.find(visits, identity(claims[-1]))
    assert seventh is not None
    decision = seventh["decision"]
    assert needs_review(decision)
    keys = hit_keys(decision["hits"])
    review = {"review_id": "e" * 32, "facility": "79001", "claim_id": "V7", "version": 1,
              "person_key": decision["person_key"], "base_revision": decision["revision"],
              "action": "REJECT_LINES", "actor": "lan", "actor_role": "province",
              "note": "thuốc kê trùng", "at": NOW, "request_id": None, "due": None,
              "proposal": None, "lines": [{"table": "XML2", "line": 1, "amount": 1000.0}],
              "hits": [{"key": k, "code": h["code"], "amount": h["amount"],
                        "verdict": "CHANGED"}
                       for k, h in zip(keys, decision["hits"], strict=True)
                       if h["severity"] == "WARNING"],
              "attachments": []}
    step = review_visit(visits, review, NOW, store.get)
    assert not isinstance(step, tuple) or step[2] == "applied", step
    assert isinstance(step, tuple)
    visits, reviewed, _ = step
    assert reviewed is not None and not needs_review(reviewed)
    assert reviewed["rejected"] == 1000.0 and reviewed["reviewed_by"] == "lan"
    return claims, visits, store


def test_re_appraisal_with_the_same_rules_keeps_the_reviewed_revision(ref: Enrichment) -> None:
    claims, visits, store = _reviewed_seventh_visit(ref)
    again = appraise(claims[-1], visits, ref, now=lambda: NOW, reappraise=True,
                     load_claim=store.get)
    # The REVIEW hit and the settled warning are carried, so the verdict is the same: no
    # revision (without them the rules' own decision would come back, warning and all).
    assert again.replayed and again.decision["reviewed_by"] == "lan"


def test_a_late_earlier_visit_re_judges_but_keeps_the_appraisers_cut(ref: Enrichment) -> None:
    claims, visits, store = _reviewed_seventh_visit(ref)
    late = outpatient_at("79001", "V0", datetime(2025, 2, 28, 9))
    out = appraise(late, visits, ref, now=lambda: NOW, load_claim=store.get)
    (seventh,) = [d for d in out.amendments if d["claim_id"] == "V7"]
    assert seventh["revision"] == 3 and seventh["reviewed_by"] == ""
    assert seventh["rejected"] == 1000.0  # the appraiser's cut stands
    assert [h["code"] for h in seventh["hits"]].count("REVIEW") == 1
    # XC05 now counts eight visits: a changed finding, which the appraiser has not seen.
    assert needs_review(seventh)

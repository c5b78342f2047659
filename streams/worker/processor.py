"""The appraisal pipeline as pure functions: decode → enrich → rules → decision.

The Faust agent (streams/worker/app.py) only feeds events in and sends what comes out;
everything that decides anything is here, testable without Kafka.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rules.base import Hit, RuleInputError
from rules.context import Context
from rules.decision import amend, decide, needs_review
from rules.engine import Engine
from rules.review import REVIEW_CODE
from streams.appraisal import judge
from streams.codec import InvalidMessage
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.worker import history as hist
from streams.worker.rejudge import rejudge_later

Record = dict[str, Any]


@dataclass(frozen=True)
class DeadLetter:
    """An event that cannot be appraised; goes to the DLQ with the reason."""

    reason: str
    detail: str


@dataclass
class Appraisal:
    """What one claim event produces."""

    claim: Record
    decision: Record
    # New revisions of other claims of the person: partner hits amended in, and later claims
    # judged again now that this earlier one is known (``rejudge_later``).
    amendments: list[Record] = field(default_factory=list)
    visits: list[hist.Visit] = field(default_factory=list)  # the person's new history
    replayed: bool = False  # same claim version seen before: decision re-emitted unchanged
    rejudged: int = 0  # later claims judged again
    rejudge_changed: int = 0  # of those, how many got a new revision (in ``amendments``)

    @property
    def review(self) -> list[Record]:
        """Decisions that need an appraiser (go to hi.warnings)."""
        return [d for d in (self.decision, *self.amendments) if needs_review(d)]


@dataclass(frozen=True)
class Enrichment:
    """Reference data the worker holds: catalogs, cards, and the rule engine."""

    engine: Engine
    catalog: CatalogSnapshot
    cards: CardRegistry
    keep_days: int = 400
    min_visits: int = 6


LoadClaim = Callable[[tuple[str, str, int]], Record | None]


def appraise(
    claim: Record,
    visits: list[hist.Visit],
    ref: Enrichment,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    reappraise: bool = False,
    load_claim: LoadClaim | None = None,
) -> Appraisal:
    """Appraise one decoded claim against the person's history (as stored before it).

    ``reappraise``: a claim version already decided is judged again with the current rules
    (a retroactive rule change, ``hireview replay --retroactive --apply``).
    ``load_claim``: the stored claims of the person's visits; with it, claims admitted after
    this one that were decided without it are judged again (``rejudge_later``).
    """
    seen = hist.find(visits, hist.identity(claim))
    if seen is not None and seen["content_hash"] == claim["content_hash"]:
        if reappraise:
            return _reappraise(claim, seen, visits, ref, now())
        # At-least-once replay: the decision (possibly amended since) is already made.
        return Appraisal(claim, seen["decision"], visits=visits, replayed=True)

    before = hist.prior(visits, claim)
    decided_at = now()
    # The same pure step the portal's pre-check runs (streams/appraisal.py).
    hits, decision = judge(claim, before, ref.engine, ref.catalog, ref.cards, decided_at)

    amendments: list[Record] = []
    for partner, hit in ref.engine.partner_hits(claim, hits, before):
        earlier = partner["decision"]
        if any(h["code"] == hit.code and h["inputs"] == hit.inputs for h in earlier["hits"]):
            continue  # already amended for this pair
        amended = amend(earlier, [hit], decided_at)
        before = hist.replace_decision(before, amended)
        amendments.append(amended)

    new_visits = hist.record(
        before, hist.visit_of(claim, decision, _inpatient_types(ref, claim)), ref.keep_days,
        ref.min_visits
    )
    rejudged = 0
    revised: list[Record] = []
    if load_claim is not None:
        new_visits, revised, rejudged = rejudge_later(claim, new_visits, ref, load_claim,
                                                      decided_at)
        amendments.extend(revised)
    return Appraisal(claim, decision, amendments, new_visits, rejudged=rejudged,
                     rejudge_changed=len(revised))


def _inpatient_types(ref: Enrichment, claim: Record) -> Collection[str]:
    return ref.engine.inpatient_types(claim["header"]["ngay_vao"].date())


def _reappraise(
    claim: Record, seen: hist.Visit, visits: list[hist.Visit], ref: Enrichment, at: datetime
) -> Appraisal:
    """A new revision when the current rules decide differently; else the stored decision."""
    old = seen["decision"]
    admitted = claim["header"]["ngay_vao"]
    earlier = [v for v in hist.prior(visits, claim) if v["admitted"] <= admitted]
    ctx = Context(claim=claim, catalog=ref.catalog, cards=ref.cards, history=earlier)
    hits = ref.engine.evaluate(ctx)
    fresh = {(h.code, tuple(sorted(h.inputs.items()))) for h in hits}
    # Hits other claims added to this decision (amendments) and an appraiser's decisions
    # (rules/review.py): the re-appraisal keeps them, and the findings the appraiser settled.
    carried = [h for h in old["hits"] if h["code"] == REVIEW_CODE
               or (h["code"] in ref.engine.partner_codes
                   and (h["code"], tuple(sorted(h["inputs"].items()))) not in fresh)]
    decision = decide(claim, hits, ref.engine.version, at, revision=old["revision"] + 1,
                      carried=carried, reviewed=old)
    if _verdict(decision) == _verdict(old):
        return Appraisal(claim, old, visits=visits, replayed=True)
    return Appraisal(claim, decision, visits=hist.replace_decision(visits, decision))


def _verdict(decision: Record) -> tuple[Any, ...]:
    """What a re-appraisal must change to be a new revision: outcome, money and hits."""
    hits = sorted((h["code"], h["rule_version"], h["table"], h["line"] or 0, h["amount"],
                   sorted(h["inputs"].items())) for h in decision["hits"])
    return (decision["outcome"], decision["approved"], decision["rejected"], hits)


def amend_visit(
    visits: list[hist.Visit], target: tuple[str, str, int], hit: Hit, at: datetime
) -> tuple[list[hist.Visit], Record | None, str]:
    """Add a partner's ``hit`` to the decision of claim version ``target`` in ``visits``.

    Returns ``(visits, decision to emit, result)``. Results: ``applied`` (a new revision);
    ``replayed`` (the decision already carries the hit: a redelivered amendment, whose decision
    is emitted again because the crash may have come between the history's write and the emit;
    the same revision collapses downstream); ``unknown_claim`` (not, or no longer, in the
    history), with no decision.
    """
    visit = hist.find(visits, target)
    if visit is None:
        return visits, None, "unknown_claim"
    earlier = visit["decision"]
    if any(h["code"] == hit.code and h["inputs"] == hit.inputs for h in earlier["hits"]):
        return visits, earlier, "replayed"
    amended = amend(earlier, [hit], at)
    return hist.replace_decision(visits, amended), amended, "applied"


def process(
    decode: Callable[[bytes, str], Record],
    key: bytes | None,
    value: bytes | None,
    load_visits: Callable[[bytes], list[hist.Visit]],
    ref: Enrichment,
    reappraise: bool = False,
    load_claim: LoadClaim | None = None,
) -> Appraisal | DeadLetter:
    """One ``hi.claims`` event: decode, then appraise; anything unappraisable is a dead letter."""
    claim = decode_claim(decode, key, value)
    if isinstance(claim, DeadLetter):
        return claim
    assert key is not None  # decode_claim checked it
    try:
        return appraise(claim, load_visits(key), ref, reappraise=reappraise,
                        load_claim=load_claim)
    except RuleInputError as exc:
        return DeadLetter("rule_input", str(exc))


def decode_claim(
    decode: Callable[[bytes, str], Record], key: bytes | None, value: bytes | None
) -> Record | DeadLetter:
    """Decode and check the envelope of a ``hi.claims`` event."""
    if value is None:
        return DeadLetter("empty", "event has no value")
    try:
        claim = decode(value, "claim")
    except InvalidMessage as exc:
        return DeadLetter(exc.reason, str(exc))
    if key is None or key.decode("utf-8", "replace") != claim["person_key"]:
        return DeadLetter(
            "bad_key", f"key {key!r} does not match person_key {claim['person_key']!r}"
        )
    return claim


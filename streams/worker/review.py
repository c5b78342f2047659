"""The review agent's step as pure functions: a hi.reviews event → its claim's next revision.

    hi.reviews (key: person) ──▶ decode_review: readable, keyed by its person, within the
        contract (rules.review.problems)? else a dead letter (bad_review)
    ──▶ review_visit: the visit in the person's history ──▶ rules.review.apply_review
        ──▶ the new revision (to emit, and to keep in the history)

The agent in streams/worker/app.py only feeds events in and sends what comes out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rules.decision import line_caps
from rules.review import applies, apply_review, line_problems, problems
from streams.codec import InvalidMessage
from streams.worker import history as hist
from streams.worker.processor import DeadLetter, LoadClaim

Record = dict[str, Any]
BAD = "bad_review"  # the dead-letter reason of every unusable hi.reviews event
Step = tuple[list[hist.Visit], Record | None, str]


def decode_review(decode: Callable[[bytes, str], Record], key: bytes | None,
                  value: bytes | None) -> Record | DeadLetter:
    """The review in a hi.reviews event, or why it cannot be one."""
    if value is None:
        return DeadLetter(BAD, "event has no value")
    try:
        review = decode(value, "review")
    except InvalidMessage as exc:
        return DeadLetter(BAD, f"{exc.reason}: {exc}")
    if key is None or key.decode("utf-8", "replace") != review["person_key"]:
        # Applied on this key's partition it would look for the claim in another person's
        # history: refused rather than counted as an unknown claim.
        return DeadLetter(BAD, f"key {key!r} does not match person_key "
                          f"{review['person_key']!r}")
    found = problems(review)
    return DeadLetter(BAD, "; ".join(found)) if found else review


def review_visit(visits: list[hist.Visit], review: Record, at: datetime,
                 load_claim: LoadClaim | None = None) -> Step | DeadLetter:
    """Apply ``review`` to its claim in ``visits``: ``(visits, decision to emit, result)``.

    Results: ``recorded`` (an action that changes no decision); ``applied``; ``replayed`` (this
    review made the current revision already: a redelivery after a crash, emitted again because
    the crash may have come before the emit — the same revision collapses downstream);
    ``stale`` (made on another revision) or ``unknown_claim`` (not in the history), with no
    decision. ``load_claim``: the stored claims, whose line amounts cap a line rejection; a
    rejection of a line the claim does not have is a dead letter."""
    if not applies(review):
        return visits, None, "recorded"
    identity = (review["facility"], review["claim_id"], review["version"])
    visit = hist.find(visits, identity)
    if visit is None:
        return visits, None, "unknown_claim"
    current = visit["decision"]
    if current.get("review_id") == review["review_id"]:
        return visits, current, "replayed"
    if review["base_revision"] != current["revision"]:
        return visits, None, "stale"
    claim = load_claim(identity) if load_claim is not None else None
    caps = line_caps(claim) if claim is not None else None
    if caps is not None and (found := line_problems(review, caps)):
        return DeadLetter(BAD, "; ".join(found))
    revised = apply_review(current, review, at, caps)
    assert revised is not None  # not stale: checked above
    return hist.replace_decision(visits, revised), revised, "applied"

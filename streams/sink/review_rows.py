"""Row builders for the review trail: hi.reviews → ``reviews`` and ``review_hits``, and each
decision → its ``decision_revisions`` row (infra/migrations/0011_reviews.sql)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from streams.sink.rows import Row, RowError, _instant, _money, _positive, decision_tables

REVIEW_COLUMNS = (
    "review_id", "facility", "claim_id", "version", "person_key", "base_revision", "action",
    "actor", "actor_role", "note", "at", "request_id", "due", "proposal", "line_tables",
    "line_numbers", "line_amounts", "hit_keys", "hit_codes", "hit_verdicts", "attachments",
    "ingested_at",
)
REVIEW_HIT_COLUMNS = (
    "facility", "claim_id", "version", "hit_key", "review_id", "code", "verdict", "amount",
    "actor", "at", "ingested_at",
)
REVISION_COLUMNS = (
    "facility", "claim_id", "version", "revision", "person_key", "outcome", "requested",
    "approved", "rejected", "reviewed_by", "review_id", "decided_at", "service_date",
    "hit_codes", "ingested_at",
)


def review_tables(review: Mapping[str, Any], now: datetime) -> dict[str, list[Row]]:
    try:
        at = _instant(review["at"], "review.at")
        lines, hits = review["lines"], review["hits"]
        row: Row = {
            "review_id": review["review_id"], "facility": review["facility"],
            "claim_id": review["claim_id"],
            "version": _positive(review["version"], "review.version"),
            "person_key": review["person_key"],
            "base_revision": _positive(review["base_revision"], "review.base_revision"),
            "action": str(review["action"]), "actor": review["actor"],
            "actor_role": review["actor_role"], "note": review["note"], "at": at,
            "request_id": review["request_id"] or "",
            "due": None if review["due"] is None else _instant(review["due"], "review.due"),
            "proposal": str(review["proposal"] or ""),
            "line_tables": [x["table"] for x in lines],
            "line_numbers": [int(x["line"]) for x in lines],
            "line_amounts": [_money(x["amount"], f"review.lines[{i}].amount")
                             for i, x in enumerate(lines)],
            "hit_keys": [h["key"] for h in hits], "hit_codes": [h["code"] for h in hits],
            "hit_verdicts": [str(h["verdict"]) for h in hits],
            "attachments": list(review["attachments"]), "ingested_at": now,
        }
        settled = [{"facility": row["facility"], "claim_id": row["claim_id"],
                    "version": row["version"], "hit_key": h["key"],
                    "review_id": row["review_id"], "code": h["code"],
                    "verdict": str(h["verdict"]),
                    "amount": _money(h["amount"], f"review.hits[{i}].amount"),
                    "actor": row["actor"], "at": at, "ingested_at": now}
                   for i, h in enumerate(hits)]
    except KeyError as exc:  # a record that did not come from the Avro schema
        raise RowError(f"review: missing field {exc}") from exc
    return {"reviews": [row], "review_hits": settled}


def revision_row(decision_row: Row, decision: Mapping[str, Any]) -> Row:
    """The ``decision_revisions`` row beside a ``decisions`` row (the same checked values)."""
    row = {k: decision_row[k] for k in REVISION_COLUMNS if k in decision_row}
    row["reviewed_by"] = decision.get("reviewed_by", "")
    row["review_id"] = decision.get("review_id", "")
    return row


TRAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "reviews": REVIEW_COLUMNS, "review_hits": REVIEW_HIT_COLUMNS,
    "decision_revisions": REVISION_COLUMNS,
}


def decision_trail_tables(decision: Mapping[str, Any], now: datetime) -> dict[str, list[Row]]:
    """``decisions`` and ``rule_hits`` rows, plus the revision's ``decision_revisions`` row."""
    tables = decision_tables(decision, now)
    tables["decision_revisions"] = [revision_row(tables["decisions"][0], decision)]
    return tables

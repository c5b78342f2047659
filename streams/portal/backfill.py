"""Backfill: claims sent again after the fact, e.g. a deployment's first day importing the past
months' files, or a facility catching up after an outage.

``POST /api/v1/claims?sent_at=<ISO-8601 with zone>`` stamps every accepted claim of the request
with ``sent_at`` (claim.avsc), when the facility originally sent them; SB01 (sent more than 24 h
after payment) then judges against that time, not the import's wall clock. Everything else is
a normal submission: same parsing, same access, same receipts and versions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from streams.portal.access import Refused

# Text, read here: pydantic's datetime would also take a bare number as Unix seconds, which
# no facility means and the document (a date-time string) does not promise.
SentAtQuery = Annotated[str | None, Query(
    description="Backfill only: when the facility originally sent these claims (ISO-8601 with a "
                "zone, e.g. 2026-03-01T08:00:00+07:00). SB01 judges lateness against it; it may "
                "not be in the future. Leave out for a live submission.",
    json_schema_extra={"format": "date-time"})]


def backfill_time(text: str | None, now: datetime) -> datetime | None:
    """``sent_at`` as an aware UTC time, or a 422 naming the field and the problem."""
    if text is None:
        return None
    try:
        sent_at = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(422, "invalid_sent_at", f"sent_at: {text[:40]!r} is not an ISO-8601 "
                      "time (e.g. 2026-03-01T08:00:00+07:00)", field="sent_at") from None
    if sent_at.tzinfo is None:
        raise Refused(422, "invalid_sent_at", "sent_at: give a time zone (e.g. +07:00 or Z); "
                      f"{sent_at.isoformat()} is ambiguous")
    sent = sent_at.astimezone(UTC)
    if sent > now:
        raise Refused(422, "invalid_sent_at", f"sent_at: {sent.isoformat()} is in the future")
    return sent

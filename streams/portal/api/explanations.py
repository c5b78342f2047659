"""The facility's side of a request for explanation (docs/reviews.md).

- ``GET /api/v1/explanations?facility=&status=`` — the requests an appraiser sent the facility,
  with their due date, whether they are overdue, the answer if any and how each ended; from
  ClickHouse's ``explanations`` view (the sink lands hi.reviews within a second or two).
- ``POST /api/v1/explanations/{id}`` with ``{"text": ..., "attachments": [...]}`` — the answer,
  published on hi.reviews as an ``EXPLAIN`` event and acknowledged by Kafka before the 200. An
  answer to a request already answered, decided or expired is refused (409): the appraiser's
  decision stands once the due date has passed. The view learns of an answer only when the sink
  has stored it, so the portal also remembers the requests it answered itself: a second answer
  sent in that second or two is refused as well.

A request of a facility the key does not cover is answered 404, as an unknown one (logged): its
existence is not the caller's business.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from clickhouse_driver import Client
from fastapi import APIRouter, Request

from streams.portal.access import Access, GuardedClickHouse, Refused, read_limited
from streams.portal.api.results import plain
from streams.portal.roles import may

log = logging.getLogger("hireview.portal")
Record = dict[str, Any]
Publish = Callable[[Record], None]  # one hi.reviews event; raises Unavailable when not acked
MAX_TEXT, MAX_ATTACHMENTS, MAX_REFERENCE = 10_000, 20, 500
STATUSES = ("open", "answered", "decided", "expired")
_FACILITY = re.compile(r"[0-9A-Za-z]{5}")
_ID = re.compile(r"[0-9a-f]{32}")
_COLUMNS = ("id", "facility", "claim_id", "version", "person_key", "base_revision", "question",
            "requested_by", "requested_at", "due", "proposal", "answer", "answer_attachments",
            "answered_by", "answered_at", "answers", "status", "line_tables", "line_numbers",
            "line_amounts")
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM explanations"


class ClickHouseExplanations:
    def __init__(self, client: Client) -> None:
        self._query = GuardedClickHouse(client).rows

    def of_facility(self, facility: str, status: str | None) -> list[Record]:
        where = " WHERE facility = %(f)s" + (" AND status = %(s)s" if status else "")
        rows = self._query(_SELECT + where + " ORDER BY requested_at DESC LIMIT 1000",
                           {"f": facility, "s": status})
        return [dict(zip(_COLUMNS, r, strict=True)) for r in rows]

    def get(self, request_id: str) -> Record | None:
        rows = self._query(_SELECT + " WHERE id = %(i)s", {"i": request_id})
        return dict(zip(_COLUMNS, rows[0], strict=True)) if rows else None


def _shown(row: Record, now: datetime) -> Record:
    due = row["due"]
    overdue = row["status"] == "open" and due is not None and due.replace(tzinfo=UTC) < now
    out = {k: plain(v) for k, v in row.items() if k not in ("person_key", "answers")
           and not k.startswith("line_")}
    out["lines"] = [{"table": t, "line": n, "amount": plain(a)} for t, n, a in zip(
        row["line_tables"], row["line_numbers"], row["line_amounts"], strict=True)]
    out["answer"] = ({"text": row["answer"], "attachments": list(row["answer_attachments"]),
                      "by": row["answered_by"], "at": plain(row["answered_at"])}
                     if row["answers"] else None)
    for key in ("answer_attachments", "answered_by", "answered_at"):
        out.pop(key)
    out["overdue"] = overdue
    return out


def _answer(body: Any) -> tuple[str, list[str]]:
    if not isinstance(body, dict):
        raise Refused(422, "invalid_request", "body: expected a JSON object {text, attachments}")
    text, attachments = body.get("text"), body.get("attachments", [])
    if not isinstance(text, str) or not text.strip():
        raise Refused(422, "invalid_request", "text: the explanation must not be empty")
    if len(text) > MAX_TEXT:
        raise Refused(422, "invalid_request", f"text: at most {MAX_TEXT} characters")
    if not isinstance(attachments, list) or len(attachments) > MAX_ATTACHMENTS:
        raise Refused(422, "invalid_request", f"attachments: a list of at most "
                      f"{MAX_ATTACHMENTS} references")
    for i, ref in enumerate(attachments):
        if not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REFERENCE:
            raise Refused(422, "invalid_request", f"attachments[{i}]: a document reference "
                          f"of 1 to {MAX_REFERENCE} characters")
    return text.strip(), [a.strip() for a in attachments]


def explanations_router(store: ClickHouseExplanations, publish: Publish
                        ) -> Callable[[Access], APIRouter]:
    def make(access: Access) -> APIRouter:
        router = APIRouter()
        answered: set[str] = set()  # answered from here, perhaps not in the view yet
        answering = threading.Lock()

        @router.get("/api/v1/explanations", summary="Requests for explanation sent to a "
                    "facility, with due dates and answers")
        def list_requests(request: Request, facility: str | None = None,
                          status: str | None = None) -> Record:
            cred = access.authenticate(request)
            facility = facility or (cred.scope if cred.role == "facility" else None)
            if facility is None or not _FACILITY.fullmatch(facility):
                raise Refused(400, "bad_parameter", "facility: a 5-character MA_CSKCB "
                              "(required for agency keys)")
            if status is not None and status not in STATUSES:
                raise Refused(400, "bad_parameter", f"status: one of {', '.join(STATUSES)}")
            access.require(cred, facility, "read explanation requests of")
            now = datetime.now(UTC)
            items = [_shown(r, now) for r in store.of_facility(facility, status)]
            return {"facility": facility, "explanations": items,
                    "overdue": sum(1 for e in items if e["overdue"])}

        @router.post("/api/v1/explanations/{request_id}", summary="The facility's answer to "
                     "a request for explanation")
        async def answer(request_id: str, request: Request) -> Record:
            cred = access.authenticate(request)
            found = (await asyncio.to_thread(store.get, request_id)
                     if _ID.fullmatch(request_id) else None)
            if found is not None and not cred.covers(found["facility"]):
                log.warning("refused: %s (%s %s) may not answer request %s of facility %r",
                            cred.name, cred.role, cred.scope, request_id, found["facility"])
                found = None
            if found is None:
                raise Refused(404, "not_found", f"no request for explanation {request_id!r}")
            if not may(cred.role, "answer requests for explanation"):
                log.warning("refused: %s (%s %s) may not answer for facility %r", cred.name,
                            cred.role, cred.scope, found["facility"])
                raise Refused(403, "forbidden", "only the facility answers its requests")
            if found["status"] != "open":
                raise Refused(409, "closed", f"the request is {found['status']}: it takes "
                              "no further answer")
            due = found["due"]
            if due is not None and due.replace(tzinfo=UTC) < datetime.now(UTC):
                raise Refused(409, "closed", f"the answer was due by {plain(due)} UTC: the "
                              "appraiser's proposal stands")
            raw = await read_limited(request, 256 * 1024)
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                raise Refused(422, "invalid_request", "body: not JSON") from None
            text, attachments = _answer(body)
            with answering:
                if request_id in answered:
                    raise Refused(409, "closed", "the request is answered: it takes no "
                                  "further answer")
                answered.add(request_id)
            now = datetime.now(UTC)
            event = {"review_id": uuid.uuid4().hex, "facility": found["facility"],
                     "claim_id": found["claim_id"], "version": int(found["version"]),
                     "person_key": found["person_key"],
                     "base_revision": int(found["base_revision"]), "action": "EXPLAIN",
                     "actor": cred.name, "actor_role": "facility", "note": text, "at": now,
                     "request_id": request_id, "due": None, "proposal": None, "lines": [],
                     "hits": [], "attachments": attachments}
            try:
                await asyncio.to_thread(publish, event)  # Kafka's ack, off the event loop
            except BaseException:
                with answering:  # not answered: the facility may send it again
                    answered.discard(request_id)
                raise
            return {"review_id": event["review_id"], "request_id": request_id,
                    "at": now.isoformat()}

        return router

    return make

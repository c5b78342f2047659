"""The appraisers' console: queue page, live stream, claim view, take/release, review actions.

Jurisdiction is checked on every route that names a claim (page, take, action) and on the stream
(it only carries rows the appraiser covers); a refusal is a logged 403.
"""


import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from rules.decision import hit_keys
from streams.metrics import Metrics
from streams.web.console.actions import ActionError, build_review
from streams.web.console.queue import Entry, Queue, entry_key, pending_hits
from streams.web.console.store import ConsoleStore
from streams.web.shell import Caller, Shell

Record = dict[str, Any]
log = logging.getLogger("hireview.web")
POLL = 0.1  # seconds between two looks at the queue's sequence number by an open stream
KEEPALIVE = 15.0


@dataclass(frozen=True)
class Console:
    queue: Queue
    store: ConsoleStore
    publish: Callable[[Record], None]  # one hi.reviews event, returns once Kafka acknowledged
    epoch: str  # differs per process: a stream id from another process means "resync"
    take_seconds: float
    explanation_days: int
    metrics: Metrics = field(default_factory=Metrics.web)


def _stream_id(epoch: str, seq: int) -> str:
    return f"{epoch}-{seq}"


def console_router(shell: Shell, console: Console) -> APIRouter:
    router = APIRouter()
    shell.nav.extend([("/queue", "nav.queue"), ("/quality", "nav.quality")])
    queue = console.queue
    SignedIn = Annotated[Caller, Depends(shell.caller)]  # noqa: N806 (a type alias)
    Checked = Annotated[Caller, Depends(shell.checked)]  # noqa: N806

    def entry_for(who: Caller, facility: str, claim_id: str, version: int) -> Entry:
        if not who.account.covers(facility):
            shell.refuse(who, 403, "forbidden", f"facility {facility} is outside your "
                         "jurisdiction")
        entry = queue.get(entry_key(facility, claim_id, version))
        if entry is None:
            shell.refuse(who, 404, "not_found", f"no claim {facility}/{claim_id}/{version} "
                         "in the review queue")
        return entry

    @router.get("/", response_model=None)
    def home() -> RedirectResponse:
        return RedirectResponse("/queue", status_code=303)

    @router.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request, who: SignedIn) -> HTMLResponse:
        return shell.render(request, who, "queue.html")

    @router.get("/api/console/stream", response_class=EventSourceResponse)
    async def stream(request: Request, who: SignedIn
                     ) -> AsyncIterator[ServerSentEvent]:
        last = request.headers.get("last-event-id", "")
        epoch, _, seq_text = last.rpartition("-")
        seq = int(seq_text) if epoch == console.epoch and seq_text.isdigit() else -1
        rows = queue.changes(seq, who.account.jurisdiction, time.time()) if seq >= 0 else None
        if rows is None:  # first connect, another process, or too far behind: everything
            seq = queue.seq
            rows = queue.rows(who.account.jurisdiction, time.time())
            yield ServerSentEvent(event="snapshot", data={"rows": rows}, retry=1000,
                                  id=_stream_id(console.epoch, seq))
        elif rows:
            seq = queue.seq
            yield ServerSentEvent(event="rows", data={"rows": rows},
                                  id=_stream_id(console.epoch, seq))
        console.metrics.web_streams_open.inc()
        try:
            async for event in _follow(request, queue, console, who, seq):
                yield event
        finally:
            console.metrics.web_streams_open.dec()

    async def _follow(request: Request, queue: Queue, console: Console, who: Caller, seq: int
                      ) -> AsyncIterator[ServerSentEvent]:
        quiet = time.monotonic()
        while not await request.is_disconnected():
            await asyncio.sleep(POLL)
            now_seq = queue.seq
            if now_seq == seq:
                if time.monotonic() - quiet > KEEPALIVE:
                    quiet = time.monotonic()
                    yield ServerSentEvent(comment="keep-alive")
                continue
            changed = queue.changes(seq, who.account.jurisdiction, time.time())
            seq = now_seq
            if changed is None:
                yield ServerSentEvent(event="snapshot", id=_stream_id(console.epoch, seq),
                                      data={"rows": queue.rows(who.account.jurisdiction,
                                                               time.time())})
            elif changed:
                quiet = time.monotonic()
                yield ServerSentEvent(event="rows", data={"rows": changed},
                                      id=_stream_id(console.epoch, seq))

    @router.get("/claims/{facility}/{claim_id}/{version}", response_class=HTMLResponse)
    def claim_page(facility: str, claim_id: str, version: int, request: Request,
                   who: SignedIn) -> HTMLResponse:
        entry = entry_for(who, facility, claim_id, version)
        decision = entry.decision
        problems: list[str] = []
        claim = _stored(problems, console.store.claim, facility, claim_id, version)
        keys = hit_keys(decision["hits"])
        pending = {k for k, _ in pending_hits(decision)}
        hits = [{**h, "key": k, "pending": k in pending,
                 "cleared": k in set(decision.get("cleared") or ())}
                for k, h in zip(keys, decision["hits"], strict=True)]
        marked = {(h.get("table"), h.get("line")) for h in hits if h.get("line") is not None}
        revisions = _revisions(problems, console.store, entry)
        return shell.render(
            request, who, "claim.html", entry=entry, decision=decision, claim=claim,
            hits=hits, marked=marked, row=entry.row(time.time()),
            visits=_stored(problems, console.store.visits, decision["person_key"], facility,
                           claim_id) or [],
            revisions=revisions, trail=entry.reviews,
            produced={r["review_id"]: r["revision"] for r in revisions if r["review_id"]},
            store_problem=bool(problems),
            take_seconds=console.take_seconds, explanation_days=console.explanation_days)

    @router.post("/api/console/claims/{facility}/{claim_id}/{version}/take")
    def take(facility: str, claim_id: str, version: int,
             who: Checked) -> Record:
        entry = entry_for(who, facility, claim_id, version)
        holder = queue.take(entry.key, who.account.user, time.time(), console.take_seconds)
        return {"taken_by": holder, "mine": holder == who.account.user,
                "seconds": console.take_seconds}

    @router.post("/api/console/claims/{facility}/{claim_id}/{version}/release")
    def release(facility: str, claim_id: str, version: int,
                who: Checked) -> Record:
        entry = entry_for(who, facility, claim_id, version)
        queue.release(entry.key, who.account.user)
        return {"released": True}

    @router.post("/api/console/claims/{facility}/{claim_id}/{version}/actions")
    async def act(facility: str, claim_id: str, version: int, request: Request,
                  who: Checked) -> Record:
        entry = entry_for(who, facility, claim_id, version)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            shell.refuse(who, 422, "invalid_request", "body: expected a JSON object")
        claim = None
        if body.get("action") in ("REJECT_LINES", "REQUEST_EXPLANATION"):
            claim = await asyncio.to_thread(console.store.claim, facility, claim_id, version)
        try:
            review = build_review(body, entry.decision, claim, entry.request, who.account.user,
                                  who.account.role, datetime.now(UTC), console.explanation_days)
        except ActionError as exc:
            shell.refuse(who, 422, "invalid_action", str(exc))
        holder = entry.taken_by if entry.taken_until > time.time() else None
        if holder not in (None, who.account.user):
            shell.refuse(who, 409, "taken", f"{holder} has this claim open")
        await asyncio.to_thread(console.publish, review)
        console.metrics.web_reviews_published_total.labels(review["action"]).inc()
        return {"review_id": review["review_id"], "action": review["action"],
                "base_revision": review["base_revision"]}

    @router.get("/quality", response_class=HTMLResponse)
    def quality(request: Request, who: SignedIn) -> HTMLResponse:
        problems: list[str] = []
        rules = _stored(problems, console.store.rule_quality) or []
        return shell.render(request, who, "quality.html", rules=rules,
                            store_problem=bool(problems))

    return router


def _stored(problems: list[str], read: Callable[..., Any], *args: Any) -> Any:
    """A ClickHouse read for a page; when ClickHouse fails the page still shows what the queue
    holds (the live decision, the trail) and says what is missing, instead of a 500."""
    try:
        return read(*args)
    except Exception as exc:  # network or server error: logged, named on the page
        log.warning("ClickHouse read %s failed: %s", getattr(read, "__name__", read), exc)
        problems.append(str(exc))
        return None


def _revisions(problems: list[str], store: ConsoleStore, entry: Entry) -> list[Record]:
    """Stored revisions, plus the live one when the sink has not landed it yet."""
    d = entry.decision
    out = _stored(problems, store.revisions, d["facility"], d["claim_id"], d["version"]) or []
    if not out or out[-1]["revision"] < d["revision"]:
        out.append({"revision": d["revision"], "outcome": d["outcome"],
                    "requested": d["requested"], "approved": d["approved"],
                    "rejected": d["rejected"], "reviewed_by": d.get("reviewed_by", ""),
                    "review_id": d.get("review_id", ""), "decided_at": d["decided_at"],
                    "hit_codes": sorted({h["code"] for h in d["hits"]})})
    return out

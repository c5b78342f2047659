"""Monthly notices through the portal (docs/fund-pages.md).

- ``GET /api/v1/notices?month=YYYYMM`` — the notices the key may see: a facility key its own,
  an agency key (district, province, central) those of its jurisdiction, with status
  (issued, fetched, acknowledged) and follow-up (adjusted or not the month after).
- ``GET /api/v1/notices/{notice_id}?format=pdf|html&lang=vi|en`` — the notice itself, rendered
  from the ``anomalies`` rows it quotes (the PDF is the default). The facility's first fetch
  marks it ``fetched``; an agency's look does not.
- ``POST /api/v1/notices/{notice_id}/acknowledge`` — the facility confirms it read the notice.

A notice of a facility the key does not cover is a 404, as an unknown one (logged): whether
another facility got a notice is not the caller's business.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from streams.fund.notices.compose import Notice, NoticeInputError, Previous, compose, parse_month
from streams.fund.notices.render import LANGS, render_html, render_pdf
from streams.fund.notices.store import NoticeRow, NoticeStore
from streams.jurisdiction import Jurisdiction
from streams.portal.access import Access, Refused, Unavailable
from streams.portal.auth import Credential
from streams.portal.roles import may

log = logging.getLogger("hireview.portal")
_ID = re.compile(r"[0-9a-f]{24}")
FORMATS = ("pdf", "html")
T = TypeVar("T")


def _guarded(call: Callable[[], T]) -> T:
    try:
        return call()
    except Refused:
        raise
    except Exception as exc:  # network or server error: the caller may retry (503)
        raise Unavailable(f"ClickHouse: {type(exc).__name__}: {exc}") from exc


def rebuild(store: NoticeStore, row: NoticeRow) -> Notice:
    """The notice as issued: its anomalies, and the facility's notice before it."""
    quoted = store.anomalies(row.anomaly_ids)
    earlier = [r for r in store.of_facilities([row.facility], before=row.month)]
    previous = None
    if earlier:
        last = max(earlier, key=lambda r: r.month)
        previous = Previous(last.notice_id, last.month, tuple(store.anomalies(last.anomaly_ids)))
    month_rows = store.month_anomalies(row.month, row.facility)
    names = store.facility_names([row.facility])
    # Only the quoted anomalies are findings; the month's others judge the follow-up.
    ids = set(row.anomaly_ids)
    notice = compose(row.facility, row.month, [a for a in month_rows if a.anomaly_id not in ids
                                               and a.level != "notice"] + quoted,
                     previous, names.get(row.facility, ""))
    if notice is None:  # the quoted anomalies were re-dated by a later detector run
        raise Refused(410, "gone", f"notice {row.notice_id}: its anomalies changed since it "
                      "was issued; it is re-issued by the next `hireview notices` run")
    return notice


def notices_router(store: NoticeStore) -> Callable[[Access], APIRouter]:
    def make(access: Access) -> APIRouter:
        router = APIRouter()

        def visible(cred: Credential, notice_id: str) -> NoticeRow:
            found = _guarded(lambda: store.get(notice_id)) if _ID.fullmatch(notice_id) \
                else None
            if found is not None and not cred.covers(found.facility):
                log.warning("refused: %s (%s %s) may not read notice %s of facility %r",
                            cred.name, cred.role, cred.scope, notice_id, found.facility)
                found = None
            if found is None:
                raise Refused(404, "not_found", f"no notice {notice_id!r}")
            return found

        @router.get("/api/v1/notices", summary="Monthly notices the key may see, with status "
                    "and follow-up")
        async def list_notices(request: Request, month: str | None = None) -> dict[str, Any]:
            cred = access.authenticate(request)
            try:
                wanted = parse_month(month) if month else None
            except NoticeInputError as exc:
                raise Refused(400, "bad_parameter", str(exc)) from None
            who = Jurisdiction(cred.role, cred.scope, cred.area)
            rows = await asyncio.to_thread(_guarded, lambda: store.listing(who, wanted))
            items = [{**r.to_dict(), "links": {
                "pdf": f"/api/v1/notices/{r.notice_id}?format=pdf",
                "html": f"/api/v1/notices/{r.notice_id}?format=html"}} for r in rows]
            return {"month": wanted, "notices": items}

        @router.get("/api/v1/notices/{notice_id}", summary="One notice as PDF or HTML",
                    response_model=None)
        async def get_notice(notice_id: str, request: Request, format: str = "pdf",
                             lang: str = "vi") -> Response:
            cred = access.authenticate(request)
            if format not in FORMATS:
                raise Refused(400, "bad_parameter", f"format: one of {', '.join(FORMATS)}")
            if lang not in LANGS:
                raise Refused(400, "bad_parameter", f"lang: one of {', '.join(LANGS)}")
            row = await asyncio.to_thread(visible, cred, notice_id)
            notice = await asyncio.to_thread(_guarded, lambda: rebuild(store, row))
            if format == "html":
                body: Response = HTMLResponse(render_html(notice, lang, row.issued_at))
            else:
                pdf = await asyncio.to_thread(render_pdf, notice, lang, row.issued_at)
                body = Response(pdf, media_type="application/pdf", headers={
                    "Content-Disposition": f'inline; filename="notice-{row.facility}-'
                                           f'{row.month}-{lang}.pdf"'})
            if cred.role == "facility" and row.status == "issued":
                now = datetime.now(UTC).replace(microsecond=0)
                await asyncio.to_thread(_guarded, lambda: store.update(
                    row, status="fetched", fetched_at=now))
            return body

        @router.post("/api/v1/notices/{notice_id}/acknowledge",
                     summary="The facility confirms it received the notice")
        async def acknowledge(notice_id: str, request: Request) -> dict[str, Any]:
            cred = access.authenticate(request)
            row = await asyncio.to_thread(visible, cred, notice_id)
            if not may(cred.role, "acknowledge notices"):
                log.warning("refused: %s (%s %s) may not acknowledge for facility %r",
                            cred.name, cred.role, cred.scope, row.facility)
                raise Refused(403, "forbidden", "only the facility acknowledges its notice")
            if row.status != "acknowledged":
                now = datetime.now(UTC).replace(microsecond=0)
                row = await asyncio.to_thread(_guarded, lambda: store.update(
                    row, status="acknowledged", acknowledged_at=now,
                    fetched_at=row.fetched_at if row.status == "fetched" else now,
                    acknowledged_by=cred.name))
            return row.to_dict()

        return router

    return make

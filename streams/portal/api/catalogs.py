"""Catalog uploads, look-ups and exports on the portal.

- ``POST /api/v1/catalogs/{kind}?facility=&partial=``: rows as JSON (a list) or CSV (text/csv,
  header row), checked by ``streams.reference.rows``; the answer has one result per row (status,
  topic key, findings naming row, field and problem). Accepted rows go to ``hi.catalog.<kind>``
  and the answer waits for Kafka's acks (503 when they do not come; resending is harmless, the
  keys are the same).
- ``GET /api/v1/catalogs/{kind}?facility=&on=&history=&format=json|csv``: the list valid on
  ``on`` (default today), or every version with ``history=true``. The CSV export uploads again.
- ``GET /api/v1/catalogs/{kind}/{code}?facility=``: every version of one code, the national
  ones, and the entry the rules would use on ``on``.

All or nothing by default: an upload with any bad row publishes nothing (422). A list is a set
of rows meant together: a new price row next to the row closing the old price, a staff list
replacing the last one. Publishing half of it leaves codes without a valid entry, and every
claim using them is rejected by CT01/ST01 until someone notices. ``partial=true`` publishes the
valid rows anyway, for large national lists whose rows are independent.

Facility: the credential's own for the facility role (``facility`` may be left out); agency
roles name it, and may act only on facilities they cover. ``facility=`` (empty) is the national
list: every credential may read it, only central may upload it.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from streams.metrics import Metrics
from streams.portal.access import Access, Refused, Unavailable, read_limited
from streams.portal.auth import Credential
from streams.reference.catalog import CatalogSnapshot, Entry, entry_key
from streams.reference.load import FACILITY, PublishFailed
from streams.reference.load import Publish as CatalogPublish
from streams.reference.rows import (
    Checked,
    UploadError,
    catalog_kind,
    check_rows,
    columns,
    load_entry_schema,
    read_rows,
)
from streams.settings import Settings

log = logging.getLogger("hireview.portal")
_FORMATS = {"application/json": "json", "text/csv": "csv", "application/csv": "csv"}
_UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "text/csv": {"schema": {"type": "string", "description": "header row, then one row "
                            "per line"}}}}}


class LockedSnapshot(CatalogSnapshot):
    """The portal's catalog view: written by the feed thread and by uploads (so a GET right
    after an upload sees it); a lock keeps two writers of one slot from losing a row."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def put(self, entry: Entry) -> None:
        with self._lock:
            super().put(entry)

    def delete(self, key: str) -> None:
        with self._lock:
            super().delete(key)


def catalog_routes(settings: Settings, publish: CatalogPublish, catalog: CatalogSnapshot,
                   metrics: Metrics | None = None) -> Callable[[Access], APIRouter]:
    """The router factory ``create_portal(routers=...)`` takes; ``metrics`` (the portal's)
    count the uploads Kafka did not acknowledge."""
    schema = load_entry_schema(settings.avro_dir)
    max_bytes = settings.portal_max_body_mb * 1024 * 1024

    def make(access: Access) -> APIRouter:
        router = APIRouter(tags=["catalogs"])

        def submit(kind: str, body: bytes, fmt: str, target: str, partial: bool
                   ) -> tuple[int, dict[str, Any]]:
            try:
                checked = check_rows(kind, read_rows(kind, body, fmt), target, schema)
            except UploadError as exc:
                raise Refused(400, exc.reason, exc.detail) from None
            entries = [e for _, e in checked.entries]
            go = bool(entries) and (partial or not checked.findings)
            if go:
                try:
                    publish(kind, entries)
                except PublishFailed as exc:
                    if metrics is not None:
                        metrics.portal_publish_failures_total.labels(f"hi.catalog.{kind}").inc()
                    raise Unavailable(str(exc)) from exc
                for entry in entries:  # read-your-writes; the feed applies them again later
                    catalog.put(entry)
            return (200 if go or not checked.findings else 422), _answer(checked, go, partial)

        @router.post("/api/v1/catalogs/{kind}", summary="Upload a catalog list (JSON or CSV)",
                     openapi_extra=_UPLOAD_BODY)
        async def upload(kind: str, request: Request, facility: str | None = None,
                         partial: bool = False) -> JSONResponse:
            cred = access.authenticate(request)
            _kind(kind)
            target = _facility(cred, facility)
            if target:
                access.require(cred, target, "upload catalogs for")
            elif cred.role != "central":
                log.warning("refused: %s (%s %s) may not upload national %s", cred.name,
                            cred.role, cred.scope, kind)
                raise Refused(403, "forbidden", "only the central role may upload national lists")
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype not in _FORMATS:
                raise Refused(415, "unsupported_media_type", f"content type {ctype!r}: send "
                              "application/json (a list of rows) or text/csv (a header row)")
            body = await read_limited(request, max_bytes)
            status, content = await run_in_threadpool(submit, kind, body, _FORMATS[ctype],
                                                      target, partial)
            log.info("catalog upload: %s (%s) %s for %r: %d published, %d rows rejected",
                     cred.name, cred.role, kind, target, content["published"],
                     content["rejected"])
            return JSONResponse(content, status_code=status)

        @router.get("/api/v1/catalogs/{kind}", summary="A facility's list, current or history")
        def listing(kind: str, request: Request, facility: str | None = None,
                    on: str | None = None, history: bool = False, format: str = "json"
                    ) -> Response:
            cred = access.authenticate(request)
            ck = _kind(kind)
            target = _readable(access, cred, facility)
            day = _day(on)
            if format not in ("json", "csv"):
                raise Refused(400, "bad_format", f"format {format!r}: expected json or csv")
            rows = catalog.rows(ck, target)
            if not history:
                rows = current(rows, day)
            if format == "csv":
                name = f"{kind}-{target or 'national'}-{'history' if history else day}.csv"
                return Response(to_csv(kind, rows), media_type="text/csv; charset=utf-8",
                                headers={"Content-Disposition": f'attachment; filename="{name}"'})
            return JSONResponse({"kind": kind, "facility": target, "history": history,
                                 "on": None if history else day.isoformat(),
                                 "count": len(rows), "rows": [entry_json(r) for r in rows]})

        @router.get("/api/v1/catalogs/{kind}/{code:path}", summary="Every version of one code")
        def versions(kind: str, code: str, request: Request, facility: str | None = None,
                     on: str | None = None) -> dict[str, Any]:
            cred = access.authenticate(request)
            ck = _kind(kind)
            target = _readable(access, cred, facility)
            day = _day(on)
            own = catalog.rows(ck, target, code)
            national = catalog.rows(ck, "", code) if target else []
            if not own and not national:
                raise Refused(404, "not_found", f"no {kind} row with code {code!r} for "
                              + (f"facility {target!r}" if target else "the national list"))
            used = catalog.find(ck, target, code, day)
            return {"kind": kind, "code": code, "facility": target, "on": day.isoformat(),
                    "in_force": None if used is None else entry_json(used),
                    "versions": [entry_json(r) for r in own],
                    "national": [entry_json(r) for r in national]}

        return router

    return make


def _answer(checked: Checked, published: bool, partial: bool) -> dict[str, Any]:
    by_row: dict[int, list[dict[str, Any]]] = {}
    for f in checked.findings:
        by_row.setdefault(f.row, []).append(f.to_dict())
    keys = {n: entry_key(e) for n, e in checked.entries}
    results = [{"row": n, "status": "rejected" if n in by_row else
                "published" if published else "held", "key": keys.get(n),
                "findings": by_row.get(n, [])} for n in range(1, checked.read + 1)]
    content: dict[str, Any] = {
        "kind": checked.kind, "facility": checked.facility, "partial": partial,
        "read": checked.read, "published": len(keys) if published else 0,
        "rejected": len(by_row), "rows": results}
    if by_row and not published:
        content |= {"error": "invalid_rows",
                    "detail": f"{len(by_row)} of {checked.read} rows have findings; nothing "
                              "was published (fix them, or send partial=true)"}
    return content


def _kind(kind: str) -> str:
    try:
        return catalog_kind(kind)
    except UploadError as exc:
        raise Refused(404, exc.reason, exc.detail) from None


def _facility(cred: Credential, facility: str | None) -> str:
    """The facility a request acts on: named, else the facility role's own."""
    if facility is None:
        if cred.role == "facility":
            return cred.scope
        raise Refused(400, "missing_facility", "facility: required for agency roles (a "
                      "MA_CSKCB, or empty for the national list)")
    facility = facility.strip()
    if facility and not FACILITY.fullmatch(facility):
        raise Refused(400, "bad_facility", f"facility {facility!r}: expected a 5-character "
                      "MA_CSKCB, or empty for the national list")
    return facility


def _readable(access: Access, cred: Credential, facility: str | None) -> str:
    target = _facility(cred, facility)
    if target:  # the national list is public reference data for every credential
        access.require(cred, target, "read catalogs of")
    return target


def _day(on: str | None) -> date:
    if on is None:
        return date.today()
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise Refused(400, "bad_date", f"on {on!r}: expected YYYY-MM-DD") from None


def current(rows: Iterable[Entry], on: date) -> list[Entry]:
    """Per code, the version in force on ``on`` (the latest start covering it, as ``find``)."""
    chosen: dict[str, Entry] = {}
    for entry in rows:  # sorted by code then start: a later start replaces an earlier one
        if entry["valid_from"] <= on <= (entry["valid_to"] or date.max):
            chosen[entry["code"]] = entry
    return list(chosen.values())


def entry_json(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A record in its JSON form (dates as ISO text); uploadable again as a JSON row."""
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v)
            for k, v in entry.items()}


def to_csv(kind: str, entries: Iterable[Mapping[str, Any]]) -> str:
    """CSV with ``columns(kind)``; uploadable again."""
    out = io.StringIO()
    cols = columns(kind)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for entry in entries:
        attrs = entry.get("attributes") or {}
        writer.writerow([_cell(entry[c] if c in entry else attrs.get(c)) for c in cols])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def portal_catalogs(settings: Settings, catalog: CatalogSnapshot, metrics: Metrics
                    ) -> Callable[[Access], APIRouter]:
    """The catalog endpoints on the real Kafka: ``catalog`` is the portal's view of the catalog
    topics (a ``LockedSnapshot`` fed by the portal's ReferenceFeed); the publisher has its own
    producer, so a catalog upload never waits for the acks of claims."""
    from streams.reference.load import kafka_publisher

    return catalog_routes(settings, kafka_publisher(settings, settings.portal_ack_seconds),
                          catalog, metrics)

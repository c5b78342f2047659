"""The report store: generate a report from the ledger, keep each signing stage, audit every
signing (tables ``reports`` and ``report_signings``, migration 0021).

A report's stage is how many of its two fields are signed (0, 1, 2). Stage 0 may be generated
again (the same ledger gives the same figures); a report with a signature is never regenerated,
and each signing stores the incrementally updated PDF as the next stage. Every signing attempt,
made or refused, is a ``report_signings`` row naming who asked and whose certificate signed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clickhouse_driver import Client

from streams.clickhouse.db import insert_rows
from streams.settle.close import query_of
from streams.settle.funding import now_utc
from streams.settle.ledger import SETTLEMENT_COLUMNS
from streams.settle.periods import Period
from streams.settle.render import FIELDS, render_html, render_pdf
from streams.settle.reportdata import context, report_id
from streams.settle.signing import SigningError, sign

REPORT_COLUMNS = ("report_id", "kind", "facility", "province", "period_kind", "period",
                  "period_start", "stage", "signers", "sha256", "pdf", "generated_at",
                  "updated_at", "ingested_at")
SIGNING_COLUMNS = ("report_id", "field", "result", "signer", "actor", "actor_role", "at",
                   "sha256", "detail", "ingested_at")
LISTED = tuple(c for c in REPORT_COLUMNS if c not in ("pdf", "ingested_at"))


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


class ReportStore:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()  # the driver is not thread-safe
        self._signing = threading.Lock()  # one signing at a time: stages must not fork

    def _rows(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return query_of(self._client)(sql, params)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        """Rows the portal records beside the reports (advances, policy versions)."""
        with self._lock:
            insert_rows(self._client, table, columns, rows)

    def listing(self, *, report_id: str | None = None, facility: str | None = None,
                period: str | None = None, kind: str | None = None, limit: int = 1000
                ) -> list[dict[str, Any]]:
        """Reports (without their PDF), newest period first; each filter given must match."""
        given = {k: v for k, v in (("report_id", report_id), ("facility", facility),
                                   ("period", period), ("kind", kind)) if v is not None}
        where = " AND ".join([f"{k} = %({k})s" for k in given] or ["1"])
        rows = self._rows("SELECT " + ", ".join(LISTED) + " FROM reports FINAL WHERE " + where
                          + f" ORDER BY period_start DESC, kind, facility LIMIT {int(limit)}",
                          given)
        return [dict(zip(LISTED, r, strict=True)) for r in rows]

    def settlements(self, facility: str, kind: str, period: str | None = None
                    ) -> list[dict[str, Any]]:
        """The closed settlements of a facility's chain ``kind``, oldest first."""
        rows = self._rows("SELECT " + ", ".join(SETTLEMENT_COLUMNS) + " FROM settlements FINAL "
                          "WHERE facility = %(f)s AND period_kind = %(k)s"
                          + (" AND period = %(p)s" if period else "") + " ORDER BY period_start",
                          {"f": facility, "k": kind, "p": period})
        return [dict(zip(SETTLEMENT_COLUMNS, r, strict=True)) for r in rows]

    def get(self, rid: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT " + ", ".join(REPORT_COLUMNS) + " FROM reports FINAL WHERE "
                          "report_id = %(r)s", {"r": rid})
        if not rows:
            return None
        row = dict(zip(REPORT_COLUMNS, rows[0], strict=True))
        row["pdf"] = base64.b64decode(row["pdf"])
        return row

    def _store(self, row: dict[str, Any], pdf: bytes, now: datetime) -> dict[str, Any]:
        row = {**row, "pdf": base64.b64encode(pdf).decode("ascii"),
               "sha256": hashlib.sha256(pdf).hexdigest(), "updated_at": now, "ingested_at": now}
        with self._lock:
            insert_rows(self._client, "reports", REPORT_COLUMNS, [row])
        return {k: v for k, v in row.items() if k in LISTED}

    def generate(self, kind: str, subject: str, period: Period, *, agency: str | None = None,
                 issued: date | None = None, now: datetime | None = None
                 ) -> tuple[dict[str, Any], bytes]:
        """Render report ``kind`` of ``subject`` from the ledger and store it at stage 0."""
        now = now or now_utc()
        rid = report_id(kind, subject, period)
        existing = self.listing(report_id=rid)
        if existing and existing[0]["stage"] > 0:
            raise SigningError(f"report {rid} is signed ({existing[0]['stage']} of 2): a signed "
                               "report is never regenerated")
        with self._lock:
            ctx = context(query_of(self._client), kind, subject, period, issued or now.date(),
                          agency)
        pdf = render_pdf(render_html(kind, ctx))
        facility = "" if kind == "fund" else subject
        row = {"report_id": rid, "kind": kind, "facility": facility, "province": subject[:2],
               "period_kind": period.kind, "period": period.label,
               "period_start": period.start, "stage": 0, "signers": [], "generated_at": now}
        return self._store(row, pdf, now), pdf

    def sign(self, rid: str, field: str, config: Mapping[str, Any], actor: Actor,
             font_dir: Path, tsa_url: str | None = None, now: datetime | None = None
             ) -> dict[str, Any]:
        """Sign ``field`` of report ``rid``; the attempt is audited either way."""
        with self._signing:
            return self._sign(rid, field, config, actor, font_dir, tsa_url, now or now_utc())

    def _sign(self, rid: str, field: str, config: Mapping[str, Any], actor: Actor,
              font_dir: Path, tsa_url: str | None, now: datetime) -> dict[str, Any]:
        report = self.get(rid)
        if report is None:
            raise LookupError(f"report {rid}: no such report")
        try:
            if field in FIELDS and report["stage"] != FIELDS.index(field):
                done = FIELDS[:report["stage"]]
                raise SigningError(f"field {field}: the report's signed fields are "
                                   f"{', '.join(done) or 'none'}; signing order is "
                                   f"{' then '.join(FIELDS)}")
            signed = sign(report["pdf"], field, config, font_dir, tsa_url)
        except Exception as exc:
            self._audit(rid, field, "refused", "", actor, now, report["sha256"], str(exc))
            raise
        from pyhanko.pdf_utils.reader import PdfFileReader  # who signed, as the PDF says

        sig = {s.field_name: s for s in PdfFileReader(io.BytesIO(signed)).embedded_signatures}
        signer = sig[field].signer_cert.subject.human_friendly
        row = {k: report[k] for k in LISTED if k not in ("sha256", "updated_at")}
        row["stage"] = report["stage"] + 1
        row["signers"] = [*report["signers"], f"{field}: {signer}"]
        out = self._store(row, signed, now)
        self._audit(rid, field, "signed", signer, actor, now, out["sha256"], "")
        return out

    def _audit(self, rid: str, field: str, result: str, signer: str, actor: Actor,
               now: datetime, sha: str, detail: str) -> None:
        row = {"report_id": rid, "field": field, "result": result, "signer": signer,
               "actor": actor.name, "actor_role": actor.role, "at": now, "sha256": sha,
               "detail": detail[:2000], "ingested_at": now}
        with self._lock:
            insert_rows(self._client, "report_signings", SIGNING_COLUMNS, [row])

    def signings(self, rid: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT " + ", ".join(SIGNING_COLUMNS) + " FROM report_signings "
                          "FINAL WHERE report_id = %(r)s ORDER BY at, field", {"r": rid})
        return [dict(zip(SIGNING_COLUMNS, r, strict=True)) for r in rows]

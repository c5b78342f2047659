"""What each report shows, read from the ledger (never recomputed from the decisions: a report
shows what the settlement counted).

- ``appraisal``: a facility's month (the month chain): figures, adjustments, largest rejections;
- ``minute``: a facility's quarter (the quarter chain): figures, adjustments, advances, balance;
- ``fund``: a province's facilities for a period of any kind, with the totals.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from streams.settle.amounts import AMOUNT_FIELDS, ZERO, money
from streams.settle.funding import Query, advances_in
from streams.settle.ledger import SETTLEMENT_COLUMNS
from streams.settle.periods import Period

KINDS = {"appraisal": "month", "minute": "quarter", "fund": None}
TITLES = {"appraisal": "Thông báo kết quả giám định chi phí khám bệnh, chữa bệnh BHYT",
          "minute": "Biên bản thanh toán, quyết toán chi phí khám bệnh, chữa bệnh BHYT",
          "fund": "Tổng hợp tình hình sử dụng quỹ khám bệnh, chữa bệnh BHYT"}
MAX_LISTED = 40  # rows of the rejected-claims and adjustments lists
_MONEY = {*AMOUNT_FIELDS, "adjustment_requested", "adjustment_approved", "adjustment_rejected",
          "adjustment_review", "advances", "advance_ceiling", "balance"}


class ReportError(LookupError):
    """No closed settlement for what a report would show."""


def report_id(kind: str, subject: str, period: Period) -> str:
    return hashlib.sha256(f"{kind}|{subject}|{period.kind}|{period.label}".encode()
                          ).hexdigest()[:32]


def _settlements(query: Query, period: Period, where: str, params: dict[str, Any]
                 ) -> list[dict[str, Any]]:
    rows = query("SELECT " + ", ".join(SETTLEMENT_COLUMNS) + " FROM settlements FINAL WHERE "
                 "period_kind = %(k)s AND period = %(p)s AND " + where + " ORDER BY facility",
                 {"k": period.kind, "p": period.label, **params})
    return [{k: money(v) if k in _MONEY else v for k, v in zip(SETTLEMENT_COLUMNS, r,
                                                               strict=True)} for r in rows]


def _entries(query: Query, facility: str, period: Period, entry: str, *,
             rejected_only: bool = False) -> list[dict[str, Any]]:
    """The entries of a settlement: adjustments by claim, or the largest rejections."""
    cols = ("claim_id", "version", "revision", "service_date", "origin_period", "outcome",
            "reviewed_by", *AMOUNT_FIELDS)
    tail = (" AND rejected_rule + rejected_review > 0 ORDER BY rejected_rule + rejected_review "
            "DESC, claim_id" if rejected_only else " ORDER BY claim_id")
    rows = query("SELECT " + ", ".join(cols) + " FROM settlement_entries FINAL WHERE facility = "
                 "%(f)s AND period_kind = %(k)s AND period = %(p)s AND entry = %(e)s" + tail
                 + f" LIMIT {MAX_LISTED}",
                 {"f": facility, "k": period.kind, "p": period.label, "e": entry})
    out = []
    for r in rows:
        item = {k: money(v) if k in AMOUNT_FIELDS else v for k, v in zip(cols, r, strict=True)}
        item["rejected"] = item["rejected_rule"] + item["rejected_review"]
        out.append(item)
    return out


def context(query: Query, kind: str, subject: str, period: Period, issued: date,
            agency: str | None = None) -> dict[str, Any]:
    """The template context of report ``kind`` for ``subject`` (a facility, or a province
    for ``fund``); raises ReportError when the settlement is not closed."""
    expected = KINDS[kind]
    if expected and period.kind != expected:
        raise ReportError(f"period: a {kind} report covers a {expected}, not a {period.kind}")
    base: dict[str, Any] = {
        "title": TITLES[kind], "period_text": period.vietnamese,
        "period_inline": period.inline, "issued": issued,
        "report_id": report_id(kind, subject, period), "page_size": "A4",
        "agency": agency or f"BẢO HIỂM XÃ HỘI TỈNH (MÃ {subject[:2]})"}
    if kind == "fund":
        rows = _settlements(query, period, "province = %(v)s", {"v": subject})
        if not rows:
            raise ReportError(f"no settlement of {period.kind} {period.label} is closed in "
                              f"province {subject}: run hireview settle first")
        totals = {k: sum((r[k] for r in rows), ZERO) for k in _MONEY}
        totals["claims"] = sum(r["claims"] for r in rows)
        totals["rejected"] = totals["rejected_rule"] + totals["rejected_review"]
        closed = max(r["closed_at"] for r in rows)
        return {**base, "subject": f"Tỉnh mã {subject}", "province": subject, "rows": rows,
                "t": totals, "closed_at": closed, "page_size": "A4 landscape"}
    found = _settlements(query, period, "facility = %(v)s", {"v": subject})
    if not found:
        raise ReportError(f"facility {subject}: {period.kind} {period.label} is not closed: "
                          "run hireview settle first")
    s = found[0]
    ctx = {**base, "subject": f"Cơ sở KCB {subject}", "facility": subject, "s": s,
           "closed_at": s["closed_at"],
           "adjustments": _entries(query, subject, period, "adjustment"),
           "policy_from": s["advance_policy_from"] if s["advance_percent"] else None}
    if kind == "appraisal":
        ctx["rejected"] = _entries(query, subject, period, "period", rejected_only=True)
    else:
        ctx["advances"] = advances_in(query, (subject,), period.start, period.end
                                      ).get(subject, [])
    return ctx

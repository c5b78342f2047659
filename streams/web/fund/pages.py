"""Fund-use pages: the province map, drill-down province → facility → claims, the anomaly list
with each facility's baseline chart, and the notices' follow-up (docs/fund-pages.md).

Every page takes ``?month=YYYYMM`` (default: the latest month with figures). Jurisdiction: a
province account opens only its province (the other tiles are drawn grey and not links), a
district account only its facilities, a central one everything; a facility outside it is a
logged 403, as in the console.

No ``from __future__ import annotations`` here: FastAPI must see the ``SignedIn`` dependency
type, a local of the router builder, as an object, not a string it cannot resolve.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from streams.fund.notices import texts
from streams.fund.notices.compose import NoticeInputError, parse_month
from streams.fund.notices.db import Db
from streams.fund.notices.store import NoticeStore
from streams.jurisdiction import FACILITY_CODE
from streams.web.fund import views
from streams.web.fund.baseline import baseline_chart
from streams.web.fund.charts import LEGEND
from streams.web.fund.queries import FundQueries, shift
from streams.web.fund.tiles import OLD_NAMES, tile
from streams.web.shell import Caller, Shell

MAX_ANOMALIES = 30  # charts on the anomaly list; the rest is in the table


def _helpers(lang: str) -> dict[str, Any]:
    return {"pct": lambda f: texts.percent(f, lang),
            "compact": lambda v: views.compact(v, lang),
            "amount": lambda m, v: texts.amount(m, v, lang),
            "metric": lambda m: texts.metric_name(m, lang),
            "followup": lambda s: texts.pick(texts.FOLLOWUP_NAMES.get(s, (s, s)), lang),
            "status_name": lambda s: texts.pick(texts.STATUS_NAMES.get(s, (s, s)), lang),
            "num": lambda v: texts.grouped(v, lang), "month_label": views.month_label,
            "old_names": OLD_NAMES, "legend": LEGEND}


def fund_router(db: Db) -> Callable[[Shell], APIRouter]:
    queries, store = FundQueries(db), NoticeStore(db)

    def make(shell: Shell) -> APIRouter:
        router = APIRouter()
        # One entry in the shared header (it has little room left); the fund pages have their
        # own tabs (fund_tabs.html).
        shell.nav.append(("/fund", "nav.fund"))
        SignedIn = Annotated[Caller, Depends(shell.caller)]  # noqa: N806 (a type alias)

        def month_of(who: Caller, text: str | None) -> int | None:
            if text:
                try:
                    return parse_month(text)
                except NoticeInputError as exc:
                    shell.refuse(who, 422, "invalid_request", str(exc))
            return queries.latest_month()

        def page(request: Request, who: Caller, name: str, month: int | None,
                 **context: Any) -> HTMLResponse:
            months = [shift(month, -i) for i in range(13)] if month else []
            return shell.render(request, who, name, month=month, months=months,
                                **_helpers(who.lang), **context)

        @router.get("/fund", response_class=HTMLResponse)
        def fund_map(request: Request, who: SignedIn, month: str | None = None) -> HTMLResponse:
            m = month_of(who, month)
            view = views.map_view(queries, store, who.account.jurisdiction, m, who.lang) \
                if m else None
            return page(request, who, "fund_map.html", m, v=view)

        @router.get("/fund/provinces/{tile_id}", response_class=HTMLResponse)
        def province(tile_id: str, request: Request, who: SignedIn,
                     month: str | None = None) -> HTMLResponse:
            t = tile(tile_id)
            if t is None:
                shell.refuse(who, 404, "not_found", f"province: no tile {tile_id!r}")
            open_codes = views.visible_codes(who.account.jurisdiction)
            if open_codes is not None and not open_codes & set(t.codes):
                shell.refuse(who, 403, "forbidden", f"province {t.name} is outside your "
                             "jurisdiction")
            m = month_of(who, month)
            view = views.province_view(queries, store, who.account.jurisdiction, t, m,
                                       who.lang) if m else None
            return page(request, who, "fund_province.html", m, v=view, tile=t)

        @router.get("/fund/facilities/{code}", response_class=HTMLResponse)
        def facility(code: str, request: Request, who: SignedIn,
                     month: str | None = None) -> HTMLResponse:
            if not FACILITY_CODE.fullmatch(code):
                shell.refuse(who, 404, "not_found", f"facility: {code!r} is not a MA_CSKCB")
            if not who.account.covers(code):
                shell.refuse(who, 403, "forbidden", f"facility {code} is outside your "
                             "jurisdiction")
            found = queries.register(who.account.jurisdiction, facilities=(code,))
            if not found:
                shell.refuse(who, 404, "not_found", f"facility {code} is not in the register")
            m = month_of(who, month)
            view = views.facility_view(queries, store, who.account.jurisdiction, found[0], m,
                                       who.lang) if m else None
            charts = {a.anomaly_id: baseline_chart(queries, a, who.lang, width=460,
                                                   height=180)
                      for a in (view["anomalies"] if view else [])}
            return page(request, who, "fund_facility.html", m, v=view, f=found[0],
                        charts=charts)

        @router.get("/fund/anomalies", response_class=HTMLResponse)
        def anomalies(request: Request, who: SignedIn, month: str | None = None,
                      level: str = "notice") -> HTMLResponse:
            m = month_of(who, month)
            if level not in ("notice", "all"):
                shell.refuse(who, 422, "invalid_request", "level: 'notice' or 'all'")
            rows = views.notice_anomalies(store, who.account.jurisdiction, m) if m else []
            rows = [a for a in rows if level == "all" or a.level == "notice"]
            rows.sort(key=lambda a: (a.level != "notice", -a.excess_cost, a.facility))
            names = store.facility_names([a.facility for a in rows])
            charts = {a.anomaly_id: baseline_chart(queries, a, who.lang, width=460,
                                                   height=180, labels=False)
                      for a in rows[:MAX_ANOMALIES]}
            return page(request, who, "fund_anomalies.html", m, rows=rows, names=names,
                        charts=charts, level=level)

        @router.get("/fund/notices", response_class=HTMLResponse)
        def notices(request: Request, who: SignedIn, month: str | None = None) -> HTMLResponse:
            m = month_of(who, month) if month else None
            rows = store.listing(who.account.jurisdiction, m)
            names = store.facility_names([r.facility for r in rows])
            counts = {s: sum(1 for r in rows if r.status == s)
                      for s in ("issued", "fetched", "acknowledged")}
            follow = {s: sum(1 for r in rows if r.followup == s)
                      for s in ("adjusted", "partly_adjusted", "not_adjusted", "")}
            latest = queries.latest_month()
            return shell.render(request, who, "fund_notices.html", rows=rows, names=names,
                                counts=counts, follow=follow, month=m,
                                months=[shift(latest, -i) for i in range(13)] if latest
                                else [], **_helpers(who.lang))

        return router

    return make

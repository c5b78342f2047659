"""The ops page: throughput, lag, latency, errors and process health, drawn from Prometheus.

The browser never talks to Prometheus: it asks this app for one panel's series
(``/api/ops/series``), and the app runs the panel's PromQL — the panel list of
dashboards/panels.yaml, the same one the Grafana dashboard is generated from — against
Prometheus's HTTP API (streams/ops/prom.py). Any signed-in account may look: the page shows no
claim data.
"""

import math
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from streams.ops.dashboard import Panel
from streams.ops.prom import Series
from streams.web.shell import Caller, Shell

Record = dict[str, Any]
# (expr, start, end, step) -> the series of a range query
QueryRange = Callable[[str, float, float, float], list[Series]]
WINDOWS = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 86400}
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def legend(template: str, labels: dict[str, str]) -> str:
    """A series' name from the panel's legend (``{{label}}`` replaced), else its labels."""
    if template:
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), template).strip() or "value"
    shown = [f"{k}={v}" for k, v in labels.items() if k != "__name__"]
    return ", ".join(shown) or "value"


def ops_router(shell: Shell, panels: list[Panel], query_range: QueryRange,
               now: Callable[[], float]) -> APIRouter:
    router = APIRouter()
    shell.nav.append(("/ops", "nav.ops"))
    SignedIn = Annotated[Caller, Depends(shell.caller)]  # noqa: N806 (a type alias)
    by_id = {p.id: p for p in panels}

    @router.get("/ops", response_class=HTMLResponse)
    def ops_page(request: Request, who: SignedIn) -> HTMLResponse:
        return shell.render(request, who, "ops.html", panels=panels, windows=list(WINDOWS))

    @router.get("/api/ops/series")
    def series(panel: str, who: SignedIn, window: str = "15m") -> Record:
        spec = by_id.get(panel)
        if spec is None:
            shell.refuse(who, 404, "not_found", f"panel: no panel {panel!r}")
        if window not in WINDOWS:
            shell.refuse(who, 422, "invalid_request", f"window: one of {', '.join(WINDOWS)}")
        end = now()
        start = end - WINDOWS[window]
        step = max(2.0, WINDOWS[window] / 240)  # ~240 points a chart, never below the scrape
        out: list[Record] = []
        for q in spec.queries:
            try:
                found = query_range(q.expr, start, end, step)
            except Exception as exc:  # Prometheus down or the query refused: said per chart
                shell.refuse(who, 503, "prometheus_unavailable", f"Prometheus: {exc}")
            out += [{"label": legend(q.legend, s.labels),
                     "points": [[t, None if math.isnan(v) else v] for t, v in s.points]}
                    for s in found]
        return {"panel": panel, "unit": spec.unit, "start": start, "end": end, "series": out}

    return router

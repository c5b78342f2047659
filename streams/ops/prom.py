"""A small client of Prometheus's HTTP API (instant and range queries, alerts, targets).

The web app's ops page and the tests read Prometheus through it: ``query(settings, promql)``
and ``query_range(settings, promql, start, end, step)`` return ``Series`` (labels and
(time, value) points); ``alerts`` lists pending and firing alerts. Errors Prometheus reports
(a bad query) and an unreachable server raise ``PromError``. Standard library only.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from streams.settings import Settings


class PromError(RuntimeError):
    """Prometheus did not answer, or refused the query."""


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]  # (unix seconds, value); NaN kept as NaN

    @property
    def last(self) -> float:
        return self.points[-1][1] if self.points else math.nan


def _get(settings: Settings, path: str, params: dict[str, str], timeout: float) -> Any:
    url = f"{settings.prometheus_url}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:  # 400/422: the body says what is wrong
        try:
            body = json.loads(exc.read())
        except ValueError:
            raise PromError(f"{url}: HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise PromError(f"{url}: {exc}") from None
    if body.get("status") != "success":
        raise PromError(f"{params.get('query', path)}: {body.get('errorType')}: "
                        f"{body.get('error')}")
    return body["data"]


def _series(data: dict[str, Any]) -> list[Series]:
    if data["resultType"] == "vector":
        return [Series(r["metric"], ((float(r["value"][0]), float(r["value"][1])),))
                for r in data["result"]]
    if data["resultType"] == "matrix":
        return [Series(r["metric"], tuple((float(t), float(v)) for t, v in r["values"]))
                for r in data["result"]]
    value = data["result"]  # scalar or string: one point, no labels
    return [Series({}, ((float(value[0]), float(value[1])),))]


def query(settings: Settings, promql: str, at: float | None = None,
          timeout: float = 10.0) -> list[Series]:
    """The instant query ``promql`` (now, or at unix time ``at``)."""
    params = {"query": promql}
    if at is not None:
        params["time"] = f"{at:.3f}"
    return _series(_get(settings, "/api/v1/query", params, timeout))


def query_range(settings: Settings, promql: str, start: float | None = None,
                end: float | None = None, step: float = 15.0,
                timeout: float = 10.0) -> list[Series]:
    """``promql`` evaluated every ``step`` seconds from ``start`` to ``end`` (default: the
    last hour)."""
    end = time.time() if end is None else end
    start = end - 3600 if start is None else start
    params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
    return _series(_get(settings, "/api/v1/query_range", params, timeout))


def alerts(settings: Settings, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Pending and firing alerts: each has labels (alertname, ...), state, activeAt, value."""
    found: list[dict[str, Any]] = _get(settings, "/api/v1/alerts", {}, timeout)["alerts"]
    return found


def targets(settings: Settings, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Active scrape targets: labels, health ("up"/"down"/"unknown"), lastError."""
    found: list[dict[str, Any]] = _get(settings, "/api/v1/targets", {"state": "active"},
                                       timeout)["activeTargets"]
    return found

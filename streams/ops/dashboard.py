"""The ops panels (dashboards/panels.yaml) as data, and the Grafana dashboard made from them.

``load_panels()`` is what the web app's ops page draws (each query through streams/ops/prom.py);
``grafana_dashboard(panels)`` is the same list as Grafana JSON, written to
dashboards/pipeline.json by ``hireview dashboard`` (``write_grafana``) for users who run Grafana.
A test checks that the committed file is what the panel list generates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from streams.settings import ROOT

PANELS = ROOT / "dashboards" / "panels.yaml"
GRAFANA = ROOT / "dashboards" / "pipeline.json"
Kind = Literal["timeseries", "stat"]
UNITS = ("s", "ops", "short", "bytes")  # Grafana's unit ids; the ops page formats them too


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    id: str
    title_vi: str
    title_en: str
    unit: str
    kind: Kind
    queries: tuple[Query, ...]

    def title(self, lang: str) -> str:
        return self.title_vi if lang == "vi" else self.title_en


def load_panels(path: Path = PANELS) -> list[Panel]:
    """The panel list; a malformed entry raises ValueError naming it."""
    panels = []
    for raw in yaml.safe_load(path.read_text())["panels"]:
        where = f"{path.name}: panel {raw.get('id')!r}"
        if raw.get("kind") not in ("timeseries", "stat") or raw.get("unit") not in UNITS:
            raise ValueError(f"{where}: kind must be timeseries/stat and unit one of {UNITS}")
        queries = tuple(Query(q["expr"], q.get("legend", "")) for q in raw.get("queries", ()))
        if not queries or not all(q.expr.strip() for q in queries):
            raise ValueError(f"{where}: needs queries with an expr")
        panels.append(Panel(raw["id"], raw["title_vi"], raw["title_en"], raw["unit"],
                            raw["kind"], queries))
    if len({p.id for p in panels}) != len(panels):
        raise ValueError(f"{path.name}: panel ids must be unique")
    return panels


def _grafana_panel(number: int, panel: Panel) -> dict[str, Any]:
    width, height = 12, 8
    return {
        "id": number, "type": panel.kind, "title": panel.title_en,
        "description": panel.title_vi,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": height, "w": width, "x": (number - 1) % 2 * width,
                    "y": (number - 1) // 2 * height},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + i), "expr": q.expr, "legendFormat": q.legend}
                    for i, q in enumerate(panel.queries)],
    }


def grafana_dashboard(panels: list[Panel]) -> dict[str, Any]:
    return {
        "title": "hireview — pipeline", "uid": "hireview-pipeline", "schemaVersion": 39,
        "version": 1, "time": {"from": "now-1h", "to": "now"}, "refresh": "10s",
        "tags": ["hireview"],
        "templating": {"list": [{"name": "datasource", "type": "datasource",
                                 "query": "prometheus"}]},
        "panels": [_grafana_panel(i, p) for i, p in enumerate(panels, start=1)],
    }


def render_grafana(path: Path = PANELS) -> str:
    return json.dumps(grafana_dashboard(load_panels(path)), indent=2, ensure_ascii=False) + "\n"


def write_grafana(dest: Path = GRAFANA, source: Path = PANELS) -> Path:
    dest.write_text(render_grafana(source))
    return dest

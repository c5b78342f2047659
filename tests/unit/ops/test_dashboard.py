"""dashboards/panels.yaml is the one panel list: well-formed, bilingual, and the committed
Grafana JSON is exactly what it generates (``hireview dashboard``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.ops.dashboard import GRAFANA, grafana_dashboard, load_panels, render_grafana


def test_committed_grafana_json_is_generated_from_the_panel_list() -> None:
    assert GRAFANA.read_text() == render_grafana(), "run `hireview dashboard` and commit"


def test_panels_cover_what_ops_teams_watch() -> None:
    panels = {p.id: p for p in load_panels()}
    for wanted in ("throughput", "lag_messages", "lag_seconds", "submit_to_decision",
                   "decision_to_store", "dead_letters", "processes_up", "portal_requests"):
        assert wanted in panels
    for p in panels.values():
        assert p.title("vi") != p.title("en") and p.title_vi and p.title_en


def test_grafana_panels_keep_every_query_in_order() -> None:
    panels = load_panels()
    board = grafana_dashboard(panels)
    assert [g["title"] for g in board["panels"]] == [p.title_en for p in panels]
    for g, p in zip(board["panels"], panels, strict=True):
        assert [t["expr"] for t in g["targets"]] == [q.expr for q in p.queries]
        assert g["fieldConfig"]["defaults"]["unit"] == p.unit


def test_a_malformed_panel_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "panels.yaml"
    bad.write_text("panels:\n  - {id: x, title_vi: a, title_en: b, unit: furlongs, "
                   "kind: timeseries, queries: [{expr: up}]}\n")
    with pytest.raises(ValueError, match="panel 'x'"):
        load_panels(bad)

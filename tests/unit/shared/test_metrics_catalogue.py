"""Dashboards reference only metrics declared in streams/metrics.py, named the Prometheus way."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import Counter, Histogram

from streams.metrics import Metrics

ROOT = Path(__file__).resolve().parents[3]


def catalogue() -> dict[str, object]:
    m = Metrics.create()
    names: dict[str, object] = {}
    for metric in vars(m).values():
        if isinstance(metric, Counter | Histogram) or hasattr(metric, "_name"):
            names[metric._name] = metric
    return names


def test_names_follow_prometheus_conventions() -> None:
    for name, metric in catalogue().items():
        assert name.startswith("hireview_"), name
        if isinstance(metric, Histogram):
            assert name.endswith("_seconds"), f"{name}: durations are histograms in seconds"


def test_dashboards_use_only_catalogued_metrics() -> None:
    known = set()
    for name, metric in catalogue().items():
        known.add(f"{name}_total" if isinstance(metric, Counter) else name)
        known.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    dashboards = list((ROOT / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        exprs = re.findall(r'"expr":\s*"([^"]+)"', path.read_text())
        assert exprs, f"{path.name} has no queries"
        used = {m for e in exprs for m in re.findall(r"\bhireview_[a-z_]+", e)}
        assert used and used <= known, f"{path.name}: unknown metrics {sorted(used - known)}"

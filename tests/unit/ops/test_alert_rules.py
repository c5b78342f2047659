"""dashboards/alerts.yml: valid for Prometheus, each alert unit-tested with promtool against
synthetic series (dashboards/alerts_test.yml), and only metrics of the catalogue named."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from streams.metrics import CATALOGUE

DASHBOARDS = Path(__file__).parents[3] / "dashboards"


def _promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: apt-get install prometheus (bash infra/dev.sh setup does)"
    return path


def test_rules_are_valid_and_their_unit_tests_pass() -> None:
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        run = subprocess.run([_promtool(), *args], cwd=DASHBOARDS, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, f"promtool {' '.join(args)}:\n{run.stdout}{run.stderr}"


def test_every_alert_has_a_unit_test_that_expects_it_to_fire() -> None:
    rules = yaml.safe_load((DASHBOARDS / "alerts.yml").read_text(encoding="utf-8"))
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load((DASHBOARDS / "alerts_test.yml").read_text(encoding="utf-8"))
    firing = {case["alertname"] for t in tests["tests"] for case in t["alert_rule_test"]
              if case.get("exp_alerts")}
    assert names == firing, f"untested: {sorted(names - firing)}"


def test_alerts_name_only_catalogued_metrics() -> None:
    text = (DASHBOARDS / "alerts.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\b(hireview_[a-z_]+?)(?:_bucket|_count|_sum)?\b", text))
    declared = {d.name for d in CATALOGUE}
    assert used and used <= declared, f"not in streams/metrics.py: {sorted(used - declared)}"

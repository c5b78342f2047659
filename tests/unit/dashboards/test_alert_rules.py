"""dashboards/*.rules.yml: valid for promtool, each alert unit-tested against synthetic series
(dashboards/tests/*.yml), and only catalogued metrics used. Fails (never skips) without promtool:
Debian's ``prometheus`` package brings it (infra/dev.sh installs it)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from streams.metrics import CATALOGUE

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = ROOT / "dashboards"


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: apt-get install -y prometheus (bash infra/dev.sh setup)"
    return found


def rule_files() -> list[Path]:
    files = sorted(DASHBOARDS.glob("*.rules.yml"))
    assert files, "no rule files in dashboards/"
    return files


def alerts() -> dict[str, str]:
    return {rule["alert"]: rule["expr"] for path in rule_files()
            for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"] if "alert" in rule}


def run(*args: str) -> str:
    done = subprocess.run([promtool(), *args], capture_output=True, text=True, cwd=DASHBOARDS,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_rule_files_pass_promtool_check() -> None:
    out = run("check", "rules", *map(str, rule_files()))
    assert f"SUCCESS: {len(alerts())} rules found" in out, out


def test_every_alert_passes_its_promtool_unit_tests() -> None:
    tests = sorted((DASHBOARDS / "tests").glob("*.yml"))
    assert tests
    assert "SUCCESS" in run("test", "rules", *map(str, tests))


def test_every_alert_is_unit_tested_firing() -> None:
    fired: set[str] = set()
    for path in (DASHBOARDS / "tests").glob("*.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert set(alerts()) <= fired, f"never shown firing: {sorted(set(alerts()) - fired)}"
    wanted = {"LagGrowing", "StageStalled", "DeadLettersHigh", "DecisionLatencySLOBurn",
              "ClickHouseInsertsFailing", "ProcessDown"}
    assert {a.removeprefix("Hireview") for a in alerts()} == wanted


def test_alerts_use_only_catalogued_metrics() -> None:
    known = {"up"}
    for d in CATALOGUE:
        known.update({d.name, f"{d.name}_bucket", f"{d.name}_sum", f"{d.name}_count"})
    for name, expr in alerts().items():
        used = set(re.findall(r"\b(hireview_[a-z_]+|up)\b(?=\s*[{\[)])", expr))
        assert used and used <= known, f"{name}: unknown metrics {sorted(used - known)}"

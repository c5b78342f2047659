"""Prometheus as a service of ``hireview infra up|down|status`` (Debian's ``prometheus``).

This module only knows Prometheus: its config (rendered under ``<state_dir>/prometheus``), its
command line and its readiness probe; streams/ops/services.py starts, records and stops it like
Kafka and ClickHouse. Scrape targets come from files the processes write themselves
(streams/scrape.py), so the targets follow whatever runs, several workers included. Alert rules
are dashboards/*.rules.yml plus any file put under ``<state_dir>/prometheus/rules/`` (tests drop
short-window variants there and call ``reload``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

from streams.settings import ROOT, Settings

SERVICE = "prometheus"
APT = "apt-get install -y prometheus"
RULES_DIR = ROOT / "dashboards"


def home(settings: Settings) -> Path:
    return settings.state_dir / SERVICE


def config_path(settings: Settings) -> Path:
    return home(settings) / "prometheus.yml"


def local_rules_dir(settings: Settings) -> Path:
    return home(settings) / "rules"


def render(settings: Settings) -> Path:
    """Write prometheus.yml (JSON is valid YAML: no template engine needed) and its dirs."""
    for d in (home(settings) / "data", settings.targets_dir, local_rules_dir(settings)):
        d.mkdir(parents=True, exist_ok=True)
    every = f"{int(settings.prometheus_scrape_seconds * 1000)}ms"
    config = {
        "global": {"scrape_interval": every, "evaluation_interval": every,
                   "scrape_timeout": every},
        "rule_files": [str(RULES_DIR / "*.rules.yml"), str(local_rules_dir(settings) / "*.yml")],
        "scrape_configs": [
            {"job_name": "hireview",  # each target file sets its own job label
             "file_sd_configs": [{"files": [str(settings.targets_dir / "*.json")],
                                  "refresh_interval": "5s"}]},
            {"job_name": "prometheus", "static_configs": [
                {"targets": [f"{settings.prometheus_host}:{settings.prometheus_port}"]}]},
        ],
    }
    path = config_path(settings)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def binary() -> str:
    found = shutil.which("prometheus") or shutil.which("prometheus", path="/usr/bin:/usr/sbin")
    if not found:
        hint = APT if os.geteuid() == 0 else f"sudo {APT}"
        raise FileNotFoundError(f"prometheus is not installed: {hint} (or bash infra/dev.sh)")
    return found


def command(settings: Settings) -> list[str]:
    """The command line; it holds the config path, which identifies our process."""
    return [binary(), f"--config.file={render(settings)}",
            f"--storage.tsdb.path={home(settings) / 'data'}",
            f"--storage.tsdb.retention.time={settings.prometheus_retention}",
            f"--web.listen-address={settings.prometheus_host}:{settings.prometheus_port}",
            "--web.enable-lifecycle",  # POST /-/reload after a rule file changed
            "--log.level=warn"]


def ready(settings: Settings, timeout: float) -> bool:
    """True when Prometheus answers /-/ready within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(f"{settings.prometheus_url}/-/ready",
                                    timeout=max(0.5, timeout)) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def reload(settings: Settings) -> None:
    """Make the running Prometheus read its config and rule files again."""
    req = urllib.request.Request(f"{settings.prometheus_url}/-/reload", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def check_config(settings: Settings) -> str:
    """``promtool check config`` of the rendered config (it also checks the rule files)."""
    tool = shutil.which("promtool") or "promtool"
    done = subprocess.run([tool, "check", "config", str(render(settings))], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise ValueError(done.stdout + done.stderr)
    return done.stdout

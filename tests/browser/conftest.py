"""Browser tests: the web app on the real pipeline (Kafka, worker, sink, ClickHouse, portal),
driven in Debian's headless Chromium by Playwright. Screenshots go to test-artefacts/ at the top
of the checkout, to be looked at. A missing chromium or Playwright fails the tests."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rules.base import Severity
from rules.registry import all_rules
from streams.bench.console import CHROMIUM, PASSWORD
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics
from streams.ops.procs import Child, free_port, free_service_port, wait_for
from streams.portal.auth import add_credential
from streams.settings import Settings
from streams.sim.generate import Simulation, generate
from streams.sim.publish import publish_reference
from streams.web.accounts import add_account
from tests.integration.conftest import isolated, no_children_left  # noqa: F401

ARTEFACTS = Path(__file__).parents[2] / "test-artefacts"


def queued_facility(sim: Simulation) -> str:
    """A facility of province 79 with the most claims labelled with a WARNING rule (they reach
    the review queue), so the test always has one to ask for an explanation: which facility
    that is changes with the simulator and the rules."""
    warning = {r.meta.code for r in all_rules() if r.meta.severity is Severity.WARNING}
    counts: dict[str, int] = {}
    for sc in sim.claims:
        facility = sc.claim["facility"]
        if facility.startswith("79") and sc.labels & warning:
            counts[facility] = counts.get(facility, 0) + 1
    assert counts, "the simulation has no warned claim in province 79"
    return max(sorted(counts), key=lambda f: counts[f])


@dataclass
class Stack:
    settings: Settings
    tmp: Path
    sim: Simulation
    facility_key: str  # a portal key of ``facility``
    children: dict[str, Child]
    facility: str  # a facility of province 79 whose claims the queue will show

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}"

    @property
    def portal(self) -> str:
        return f"http://127.0.0.1:{self.settings.portal_port}"

    def start(self, name: str) -> None:
        self.children[name] = Child(self.settings, name, self.tmp)

    def wait_web(self) -> None:
        wait_for(lambda: _up(f"{self.web}/healthz"), 120, "the web app to serve",
                 children=tuple(self.children.values()))


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture()
def stack(isolated: Settings, tmp_path: Path) -> Iterator[Stack]:  # noqa: F811
    settings = isolated.model_copy(update={
        "web_port": free_service_port(), "portal_port": free_port(),
        "web_accounts": tmp_path / "accounts.json",
        "portal_credentials": tmp_path / "keys.json",
        "web_clock_seconds": 1.0,
    })
    for user, name, scope in (("lan", "Nguyễn Thị Lan", "79"), ("hung", "Trần Văn Hùng", "01")):
        add_account(settings.web_accounts_path, user, name, "province", scope, PASSWORD)
    db.migrate(settings, progress=lambda _m: None)
    create_topics(settings)
    sim = generate(240, seed=5, violations=0.5)
    facility = queued_facility(sim)
    with contextlib.redirect_stdout(io.StringIO()):
        key = add_credential(settings.portal_credentials, f"BV {facility}", "facility", facility)
    publish_reference(settings, Codec.from_settings(settings), sim.catalog_entries, sim.cards)
    s = Stack(settings, tmp_path, sim, key, {}, facility)
    for name in ("worker", "sink", "portal", "console"):
        s.start(name)
    s.wait_web()
    wait_for(lambda: _up(f"{s.portal}/api/v1/errors"), 90, "the portal to serve",
             children=tuple(s.children.values()))
    yield s
    for child in s.children.values():
        child.stop()


@pytest.fixture()
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def shot(page: Any, name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

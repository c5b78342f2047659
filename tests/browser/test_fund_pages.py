"""The fund-use pages in a real browser: the web app (``hireview console``) on the real
ClickHouse, filled with a generated country and its anomalies, notices issued by
``issue_month``. The map and a facility's drill-down must render with data; screenshots go to
test-artefacts/ to be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.bench.console import PASSWORD
from streams.clickhouse import db
from streams.fund.notices.db import ServerDb
from streams.fund.notices.run import issue_month
from streams.kafka import create_topics
from streams.ops.procs import Child, free_service_port, wait_for
from streams.settings import Settings
from streams.web.accounts import add_account
from tests.browser.conftest import _up, shot
from tests.fund_contract import World, load_claims

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


@pytest.fixture()
def fund_web(isolated: Settings, tmp_path: Path) -> Iterator[str]:
    settings = isolated.model_copy(update={"web_port": free_service_port(),
                                           "web_accounts": tmp_path / "accounts.json"})
    for user, name, role, scope in (("an", "Lê Văn An", "central", "*"),
                                    ("lan", "Nguyễn Thị Lan", "province", "79")):
        add_account(settings.web_accounts_path, user, name, role, scope, PASSWORD)
    db.migrate(settings, progress=lambda _m: None)
    server = ServerDb(db.connect(settings))
    World().build().load(server)  # fund-detect's tables, filled with a generated country
    load_claims(server)
    issue_month(server, 202603, show_progress=False)
    issue_month(server, 202604, show_progress=False)
    create_topics(settings)
    child = Child(settings, "console", tmp_path)
    url = f"http://127.0.0.1:{settings.web_port}"
    wait_for(lambda: _up(f"{url}/healthz"), 120, "the web app to serve", children=(child,))
    yield url
    child.stop()


def _sign_in(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/login?next=/fund")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_selector("svg.tilemap")


def test_map_and_facility_drill_down_render_with_data(fund_web: str, browser: Any) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    _sign_in(page, fund_web, "an")
    assert page.locator("svg.tilemap [data-tile]").count() == 34
    coloured = page.locator("svg.tilemap a.tile[data-change]:not([data-change=''])").count()
    assert coloured >= 7, f"only {coloured} provinces coloured"
    assert page.locator("#provinces tbody tr").count() >= 7
    assert page.locator("svg[data-chart=trend-country] path").count() == 2
    shot(page, "fund-map")

    page.click("svg.tilemap a[data-tile=ho-chi-minh]")
    page.wait_for_selector("#facilities")
    assert page.locator("#facilities tbody tr").count() == 10  # 79 and 74, five each
    assert page.locator("svg[data-chart=province-bars] rect").count() == 10
    shot(page, "fund-province")

    page.click("#facilities a[href^='/fund/facilities/79001']")
    page.wait_for_selector("#claims")
    for chart in ("trend-facility", "peers", "baseline-cost_per_visit", "baseline-drug_share"):
        box = page.locator(f"svg[data-chart={chart}]").first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, f"{chart} not drawn"
    assert page.locator("#claims tbody tr").count() == 12
    assert page.locator("#notices .pill.not_adjusted").count() == 1  # March's, still high
    shot(page, "fund-facility")

    page.goto(f"{fund_web}/fund/anomalies?month=202604")
    assert page.locator("article.anomaly").count() == 4
    shot(page, "fund-anomalies")
    page.goto(f"{fund_web}/fund/notices")
    assert page.locator("#notices tbody tr").count() == 4
    shot(page, "fund-notices")


def test_a_province_account_sees_its_province_in_english(fund_web: str, browser: Any) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(page, fund_web, "lan")
    page.goto(f"{fund_web}/lang/en?next=/fund")
    page.wait_for_selector("svg.tilemap")
    assert page.locator("svg.tilemap a.tile").count() == 1
    assert page.locator("#provinces tbody tr").count() == 1
    assert "Claimed from the HI fund" in page.content()
    shot(page, "fund-map-province-en")
    page.goto(f"{fund_web}/fund/facilities/79001?month=202604")
    page.wait_for_selector("#claims")
    shot(page, "fund-facility-en")

"""The fund pages on chdb with a generated country: what each page shows, and jurisdiction
(a province account opens only its province, its facilities, its anomalies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.fund.notices.run import issue_month
from streams.jurisdiction import FacilityRegister
from streams.web.accounts import Accounts, add_account
from streams.web.app import create_web
from streams.web.console.pages import Console
from streams.web.console.queue import Queue
from streams.web.fund.pages import fund_router
from streams.web.fund.tiles import OLD_NAMES, TILES, tile_of
from streams.web.session import Sessions
from streams.web.shell import Shell
from tests.fund_contract import ChdbDb, World, load_claims, run_migration

PASSWORD = "password-123456"


@pytest.fixture(scope="module")
def db() -> Iterator[ChdbDb]:
    chdb = ChdbDb()
    World().build().load(chdb)
    for name in ("0001_claims.sql", "0003_decisions.sql", "0018_notices.sql"):
        run_migration(chdb, name)
    load_claims(chdb)
    issue_month(chdb, 202604, show_progress=False)
    yield chdb
    chdb.close()


@pytest.fixture(scope="module")
def app(db: ChdbDb, tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("web")
    for user, role, scope in (("all", "central", "*"), ("hcm", "province", "79"),
                              ("bd", "province", "74")):
        add_account(tmp / "a.json", user, user.upper(), role, scope, PASSWORD)
    shell = Shell(Accounts.load(tmp / "a.json", FacilityRegister()), Sessions(tmp, 1))
    console = Console(Queue(), None, lambda _r: None, "e", 60.0, 10)  # type: ignore[arg-type]
    return create_web(shell, console, (fund_router(db),))


def _as(app: Any, user: str) -> TestClient:
    client = TestClient(app)
    r = client.post("/login", data={"user": user, "password": PASSWORD, "next": "/fund"})
    assert r.status_code == 200
    return client


def test_every_old_province_code_lands_on_one_of_34_tiles() -> None:
    assert len(TILES) == 34
    assert len(OLD_NAMES) == 63
    codes = [c for t in TILES for c in t.codes]
    assert sorted(codes) == sorted(OLD_NAMES) and len(set(codes)) == 63
    places = {(t.col, t.row) for t in TILES}
    assert len(places) == 34  # no two squares on one spot
    assert tile_of("74001") is not None and tile_of("74001").id == "ho-chi-minh"  # type: ignore[union-attr]
    assert tile_of("99001") is None


def test_map_shows_every_province_coloured_and_the_table(app: Any) -> None:
    page = _as(app, "all").get("/fund?month=202604")
    assert page.status_code == 200
    html = page.text
    assert 'data-tiles="34"' in html
    # the provinces with data are links with a change; HCM includes the Bình Dương part
    links = re.findall(r'<a href="/fund/provinces/([a-z-]+)\?month=202604" class="tile"', html)
    assert {"ha-noi", "ho-chi-minh", "da-nang", "hai-phong", "can-tho"} <= set(links)
    assert "TP Hồ Chí Minh" in html and "Quỹ BHYT đề nghị thanh toán" in html
    assert "tỷ ₫" in html  # money compacted the Vietnamese way
    en = _as(app, "all")
    en.get("/lang/en")
    assert "Claimed from the HI fund" in en.get("/fund?month=202604").text


def test_a_province_account_sees_its_province_only(app: Any) -> None:
    hcm = _as(app, "hcm")
    html = hcm.get("/fund?month=202604").text
    links = set(re.findall(r'href="/fund/provinces/([a-z-]+)\?month=202604" class="tile"',
                           html))
    assert links == {"ho-chi-minh"}
    assert hcm.get("/fund/provinces/ha-noi?month=202604").status_code == 403
    assert hcm.get("/fund/facilities/01001?month=202604").status_code == 403
    assert hcm.get("/fund/facilities/74001?month=202604").status_code == 403
    province = hcm.get("/fund/provinces/ho-chi-minh?month=202604").text
    assert 'data-facility="79001"' in province and 'data-facility="74001"' not in province
    assert "ngoài phạm vi của bạn" in province  # the 74 and 77 parts are named as hidden
    bd = _as(app, "bd").get("/fund/provinces/ho-chi-minh?month=202604").text
    assert 'data-facility="74001"' in bd and 'data-facility="79001"' not in bd
    anomalies = hcm.get("/fund/anomalies?month=202604").text
    assert 'data-anomaly="79001|cost_per_visit|2026-04-01"' in anomalies
    assert "01002" not in anomalies and "48001" not in anomalies


def test_facility_page_has_charts_anomalies_notice_and_claims(app: Any) -> None:
    html = _as(app, "hcm").get("/fund/facilities/79001?month=202604").text
    assert 'data-chart="trend-facility"' in html and 'data-chart="peers"' in html
    assert 'data-chart="baseline-cost_per_visit"' in html
    assert 'data-chart="baseline-drug_share"' in html
    assert "Chi phí bình quân một lượt KCB" in html
    assert html.count('data-claim="') == 12
    # warned claims link to the console's claim view, the latest version
    assert 'href="/claims/79001/79001_LK0000/2"' in html
    assert 'href="/claims/79001/79001_LK0001/' not in html
    assert "Đã phát hành" in html  # the notice issued for April


def test_anomaly_list_ranks_notices_and_draws_baselines(app: Any) -> None:
    html = _as(app, "all").get("/fund/anomalies?month=202604").text
    found = re.findall(r'data-anomaly="([^"]+)"', html)
    assert len(found) == 4 and all("watch" not in f for f in found)
    assert html.count('data-chart="baseline-') == 4
    everything = _as(app, "all").get("/fund/anomalies?month=202604&level=all").text
    assert 'data-anomaly="79002|admissions|2026-04-01"' in everything


def test_notices_page_shows_status_and_follow_up(app: Any) -> None:
    html = _as(app, "all").get("/fund/notices?month=202604").text
    assert html.count('data-notice="') == 3  # 79001, 01002, 48001
    assert "Đã phát hành" in html


def test_bad_month_and_unknown_things_are_named(app: Any, tmp_path: Path) -> None:
    client = _as(app, "all")
    r = client.get("/fund?month=2026-04")
    assert r.status_code == 422 and "month" in r.text
    assert client.get("/fund/provinces/atlantis").status_code == 404
    assert client.get("/fund/facilities/99999").status_code == 404


def test_reference_lines_put_month_totals_on_the_per_day_scale() -> None:
    from streams.web.fund.baseline import reference_lines
    from tests.fund_contract import anomaly

    visits = anomaly(metric="visits", start=date(2026, 4, 1), end=date(2026, 4, 30),
                     observed=3600, expected=3000, band=(2700, 3300))
    assert reference_lines(visits) == (100.0, 90.0, 110.0)
    cost = anomaly(metric="cost_per_visit", observed=390_000, expected=300_000,
                   band=(250_000, 340_000))
    assert reference_lines(cost) == (300_000, 250_000, 340_000)


@pytest.mark.parametrize(("low", "high"), [(24.25, 47.0), (0.0, 100.0), (450_000.0, 668_327.0),
                                           (0.3, 0.47), (5.0, 5.0), (-3.0, 12.0)])
def test_chart_ticks_cover_every_value(low: float, high: float) -> None:
    """A value above the top tick is drawn outside the plot (a 47 % share on a 25-45 % axis)."""
    from streams.web.fund.charts import _nice

    ticks = _nice(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert 3 <= len(ticks) <= 7

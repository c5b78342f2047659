"""The ops page in a real browser: charts drawn from the running Prometheus during a run."""

from __future__ import annotations

from typing import Any

import pytest

from streams.bench.console import PASSWORD, sign_in
from streams.ops import services as infra
from streams.ops.procs import wait_for
from tests.browser.conftest import Stack, shot
from tests.browser.test_console import _send_claims

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def test_the_ops_page_draws_the_pipeline_from_prometheus(stack: Stack, browser: Any) -> None:
    infra.up(stack.settings, progress=lambda _m: None, services=(infra.PROMETHEUS,))
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, stack.web, "lan", PASSWORD)
    _send_claims(stack)
    page.goto(f"{stack.web}/ops")

    def drawn() -> dict[str, int]:
        return dict(page.evaluate("window.hireviewOps.drawn"))

    wait_for(lambda: drawn().get("throughput", 0) > 0 and drawn().get("lag_messages", 0) > 0,
             120, "throughput and lag charts with points", interval=2.0,
             children=tuple(stack.children.values()))
    assert page.locator("figure.panel .uplot").count() >= 2
    shot(page, "ops-page")

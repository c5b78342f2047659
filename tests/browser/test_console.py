"""The appraisers' console in a real browser, on the running pipeline (issue 12's acceptance)."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import httpx
import pytest

from streams.bench.console import PASSWORD, _produce, sign_in, start_console, warned_decisions
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import publish
from streams.ops.procs import wait_for
from streams.settings import Settings
from tests.browser.conftest import Stack, shot

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def _rows(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("Array.from(window.hireviewQueue.rows.values())"))


def _warned_in_clickhouse(settings: Settings, province: str) -> set[str]:
    rows = db.connect(settings).execute(
        "SELECT facility, claim_id, version FROM decisions FINAL WHERE warned = 1 "
        "AND substring(facility, 1, 2) = %(p)s", {"p": province})
    return {f"{f}|{c}|{v}" for f, c, v in rows}


def _send_claims(stack: Stack) -> None:
    codec = Codec.from_settings(stack.settings)
    publish(stack.settings, stack.settings.topic("hi.claims"),
            [(c.claim["person_key"].encode(), codec.encode("claim", c.claim))
             for c in stack.sim.claims])


def test_queue_claim_view_review_and_explanation(stack: Stack, browser: Any) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, stack.web, "lan", PASSWORD)
    _send_claims(stack)

    # Live: every warned claim of province 79 reaches the open page without a reload.
    wait_for(lambda: len(_warned_in_clickhouse(stack.settings, "79")) > 5, 120,
             "warned decisions in ClickHouse", children=tuple(stack.children.values()))
    def all_shown() -> bool:
        shown = {r["key"] for r in _rows(page)}
        return bool(shown) and _warned_in_clickhouse(stack.settings, "79") <= shown
    wait_for(all_shown, 60, "every warned claim of province 79 on the page", interval=1.0)
    rows = _rows(page)
    assert {r["province"] for r in rows} == {"79"}, "a claim of another province was shown"
    arrivals = page.evaluate("Object.fromEntries(window.hireviewQueue.arrivals)")
    late = {r["key"]: arrivals[r["key"]] - r["decided_at"] for r in rows
            if arrivals[r["key"]] - r["decided_at"] > 2000}
    assert not late, f"shown more than 2 s after the decision: {late}"
    shot(page, "console-queue")

    # Reject a line: the new revision is in ClickHouse under the appraiser's name.
    asker = stack.facility
    target = next(r for r in sorted(rows, key=lambda r: r["key"]) if r["facility"] != asker)
    page.goto(f"{stack.web}/claims/{target['facility']}/{target['claim_id']}/{target['version']}")
    wait_for(lambda: _has_lines(page, stack, target), 60, "the claim's lines in the view")
    first = page.locator("input.reject").first
    amount = min(1000.0, float(first.get_attribute("max") or 0))
    assert amount > 0, "the claim's first line pays nothing"
    first.fill(str(int(amount)))
    page.fill("textarea[name=note]", "Thuốc kê vượt liều, từ chối một phần")
    act(page, "REJECT_LINES")
    wait_for(lambda: _revised_by(stack.settings, target, "lan"), 60,
             "the appraiser's revision in decision_revisions")
    page.goto(page.url)
    shot(page, "console-claim")

    # Ask the facility to explain; its answer through the portal shows in the claim view.
    asked = next(r for r in rows if r["facility"] == asker)
    claim_url = f"{stack.web}/claims/{asker}/{asked['claim_id']}/{asked['version']}"
    page.goto(claim_url)
    page.fill("textarea[name=note]", "Đề nghị giải trình chỉ định xét nghiệm lặp lại")
    act(page, "REQUEST_EXPLANATION")
    auth = {"Authorization": f"Bearer {stack.facility_key}"}
    with httpx.Client(base_url=stack.portal, headers=auth, timeout=30) as portal:
        def requested() -> list[dict[str, Any]]:
            body = portal.get("/api/v1/explanations", params={"facility": asker}).json()
            items = body.get("explanations", body) if isinstance(body, dict) else body
            return [e for e in items if e.get("claim_id") == asked["claim_id"]]
        wait_for(lambda: bool(requested()), 60, "the request in the portal's explanations")
        request = requested()[0]
        answer = portal.post(f"/api/v1/explanations/{request['id']}", json={
            "text": "Bệnh nhân có chỉ định xét nghiệm lại sau 24 giờ theo phác đồ.",
            "attachments": ["HSBA-2025-0042.pdf"]})
        assert answer.status_code == 200, answer.text

    def answer_shown() -> bool:
        page.goto(claim_url)
        return "theo phác đồ" in (page.text_content("#c-answer") or "") \
            if page.query_selector("#c-answer") else False
    wait_for(answer_shown, 60, "the facility's answer in the claim view", interval=1.0)
    shot(page, "console-explanation")

    # Another province: not in its queue, nor by URL, stream or action.
    other = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(other, stack.web, "hung", PASSWORD)
    time.sleep(1.0)
    assert all(r["province"] == "01" for r in _rows(other))
    assert other.goto(claim_url).status == 403
    cookies = {c["name"]: c["value"] for c in other.context.cookies()}
    with httpx.Client(base_url=stack.web, cookies=cookies, timeout=30) as http:
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', http.get("/queue").text)
        assert csrf
        url = f"/api/console/claims/{asker}/{asked['claim_id']}/{asked['version']}/actions"
        refused = http.post(url, json={"action": "CONFIRM", "note": "x"},
                            headers={"X-CSRF-Token": csrf.group(1)})
        assert refused.status_code == 403
        with http.stream("GET", "/api/console/stream") as events:
            for line in events.iter_lines():
                if line.startswith("data:"):  # the first event: the whole queue it may see
                    streamed = json.loads(line[5:])["rows"]
                    assert streamed and {r["province"] for r in streamed} == {"01"}
                    break

    page.goto(f"{stack.web}/quality")
    wait_for(lambda: _quality_rows(page, stack), 60, "the rule-quality page with reviews")
    shot(page, "console-rule-quality")


def act(page: Any, action: str) -> None:
    """Click an action and wait for the page's own reload after "recorded" (claim.js reloads
    1.5 s later to show the new revision; a test navigation meanwhile would be aborted)."""
    with page.expect_navigation(timeout=30_000):
        page.click(f"button[data-action={action}]")
    page.wait_for_load_state()


def _has_lines(page: Any, stack: Stack, row: dict[str, Any]) -> bool:
    page.goto(f"{stack.web}/claims/{row['facility']}/{row['claim_id']}/{row['version']}")
    return bool(page.locator("input.reject").count() > 0)


def _revised_by(settings: Settings, row: dict[str, Any], user: str) -> bool:
    rows = db.connect(settings).execute(
        "SELECT count() FROM decision_revisions FINAL WHERE facility = %(f)s AND claim_id = %(c)s"
        " AND version = %(v)s AND reviewed_by = %(u)s",
        {"f": row["facility"], "c": row["claim_id"], "v": row["version"], "u": user})
    return bool(rows[0][0])


def _quality_rows(page: Any, stack: Stack) -> bool:
    page.goto(f"{stack.web}/quality")
    return bool(page.locator("table.quality-table tbody tr").count() > 0)


def test_a_reconnecting_page_misses_no_warning(isolated: Settings, tmp_path: Any,
                                               browser: Any) -> None:
    from streams.kafka import create_topics
    from streams.ops.procs import Child

    create_topics(isolated)
    settings, child, url = start_console(isolated, tmp_path)
    page = browser.new_context().new_page()
    sign_in(page, url, "bench", PASSWORD)
    records = list(warned_decisions(settings, 400, "rc"))
    sent: dict[str, float] = {}
    producer = threading.Thread(target=lambda: sent.update(_produce(settings, records, 50)))
    producer.start()
    wait_for(lambda: page.evaluate("window.hireviewQueue.arrivals.size") > 100, 30,
             "the first warnings on the page")
    child.kill()  # mid-stream: the page loses its connection
    restarted = Child(settings, "console", tmp_path)
    producer.join()
    wait_for(lambda: page.evaluate("window.hireviewQueue.arrivals.size") >= len(records), 90,
             "every warning on the page after the restart", children=(restarted,))
    shown = set(page.evaluate("Array.from(window.hireviewQueue.rows.keys())"))
    assert shown == set(sent), f"missing {len(set(sent) - shown)} warnings"
    restarted.stop()

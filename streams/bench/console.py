"""``hireview bench console``: warnings → open console pages, in real headless Chromium.

Synthetic warned decisions are produced straight to hi.warnings (the worker is not what is
measured), at a steady rate and then in a burst, while N signed-in pages follow the live queue.
Each page records when every claim first arrived (``window.hireviewQueue.arrivals``) and the
longest gap between two animation frames; the bench also times a round trip into each page's
main thread during the burst (what a key press would wait for). Printed: latency p50/p99 per
phase, events lost (produced but never shown), longest frame gap, main-thread p99.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from streams.codec import Codec, from_json
from streams.kafka import create_topics, producer
from streams.ops.procs import Child, free_port, wait_for
from streams.settings import Settings
from streams.web.accounts import add_account

CHROMIUM = os.environ.get("HIREVIEW_CHROMIUM", "/usr/bin/chromium")
EXAMPLE = "examples/decision/warn-overlapping-stay.json"
PASSWORD = "bench-password-1"


def warned_decisions(settings: Settings, n: int, tag: str) -> Iterator[dict[str, Any]]:
    """``n`` distinct warned decisions (the catalogue's example, renamed), as Avro records."""
    codec = Codec.from_settings(settings)
    raw = json.loads((settings.avro_dir / EXAMPLE).read_text(encoding="utf-8"))
    base = from_json(codec.schema("decision"), raw)
    facilities = ("79001", "79022", "79023", "01001", "01020", "75101")
    for i in range(n):
        facility = facilities[i % len(facilities)]
        yield {**base, "facility": facility, "claim_id": f"{facility}_{tag}_{i:06d}",
               "person_key": f"{i:010d}", "submitted_at": datetime.now(UTC),
               "decided_at": datetime.now(UTC)}


def start_console(settings: Settings, folder: Path) -> tuple[Settings, Child, str]:
    """A web app child on a free port, with one central account; returns (settings, child,
    base URL) once it serves."""
    settings = settings.model_copy(update={"web_port": free_port(),
                                           "web_accounts": folder / "accounts.json"})
    add_account(folder / "accounts.json", "bench", "Bench", "central", "*", PASSWORD)
    child = Child(settings, "console", folder)
    url = f"http://127.0.0.1:{settings.web_port}"
    wait_for(lambda: _serving(url), 120, "the web app to serve", children=(child,))
    return settings, child, url


def _serving(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def sign_in(page: Any, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/login?next=/queue")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button.primary")
    page.wait_for_selector("#q-live.on", timeout=30_000)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _produce(settings: Settings, records: list[dict[str, Any]], rate: float) -> dict[str, float]:
    """Produce at ``rate``/s; returns key → produce time (epoch ms)."""
    codec = Codec.from_settings(settings)
    encode, topic = codec.encoder("decision"), settings.topic("hi.warnings")
    kafka = producer(settings, **{"linger.ms": 5})
    sent: dict[str, float] = {}
    start = time.monotonic()
    for i, d in enumerate(records):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        key = f"{d['facility']}|{d['claim_id']}|{d['version']}"
        sent[key] = time.time() * 1000
        kafka.produce(topic, key=d["facility"].encode(), value=encode(d))
        kafka.poll(0)
    kafka.flush(30)
    return sent


def run_console_bench(settings: Settings, steady: int = 50, burst: int = 200,
                      burst_seconds: int = 30, pages: int = 3) -> int:
    from playwright.sync_api import sync_playwright

    tag = uuid.uuid4().hex[:8]
    settings = settings.model_copy(update={"topic_prefix": f"bench-{tag}."})
    folder = settings.state_dir / "bench" / f"console-{tag}"
    create_topics(settings)
    settings, child, url = start_console(settings, folder)
    phases = {"steady": list(warned_decisions(settings, steady * 20, f"s{tag}")),
              "burst": list(warned_decisions(settings, burst * burst_seconds, f"b{tag}"))}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            opened = []
            for _ in range(pages):
                page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
                sign_in(page, url, "bench", PASSWORD)
                opened.append(page)
            sent_all: dict[str, dict[str, float]] = {}
            round_trips: list[float] = []
            sent_all["steady"] = _produce(settings, phases["steady"], steady)
            sent_all["burst"] = _burst_sampled(settings, phases["burst"], burst, opened,
                                               round_trips)
            total = sum(len(s) for s in sent_all.values())
            for page in opened:  # wait for the tail
                page.wait_for_function(f"window.hireviewQueue.arrivals.size >= {total}",
                                       timeout=60_000)
            figures = _figures(opened, sent_all, round_trips)
            browser.close()
    finally:
        child.stop()
    print(json.dumps(figures, indent=2))
    return 0


def _burst_sampled(settings: Settings, records: list[dict[str, Any]], rate: float,
                   pages: list[Any], trips: list[float]) -> dict[str, float]:
    """Produce the burst from a thread while this thread times round trips into each page's
    main thread (queued behind its work, as a key press would be). The sync Playwright API
    is not thread-safe, so the pages are only touched here."""
    result: dict[str, dict[str, float]] = {}
    thread = threading.Thread(target=lambda: result.update(sent=_produce(settings, records, rate)))
    thread.start()
    while thread.is_alive():
        for page in pages:
            t = time.perf_counter()
            page.evaluate("1")
            trips.append((time.perf_counter() - t) * 1000)
        time.sleep(0.2)
    thread.join()
    return result["sent"]


def _figures(pages: list[Any], sent: dict[str, dict[str, float]], trips: list[float]
             ) -> dict[str, Any]:
    out: dict[str, Any] = {"pages": len(pages)}
    arrivals = [dict(p.evaluate("Array.from(window.hireviewQueue.arrivals.entries())"))
                for p in pages]
    for phase, produced in sent.items():
        lat = [a[k] - t for a in arrivals for k, t in produced.items() if k in a]
        lost = sum(1 for a in arrivals for k in produced if k not in a)
        out[phase] = {"events": len(produced), "latency_ms_p50": round(_quantile(lat, .5), 1),
                      "latency_ms_p99": round(_quantile(lat, .99), 1), "lost": lost}
    out["max_frame_gap_ms"] = max(p.evaluate("window.hireviewQueue.maxFrameGap") for p in pages)
    out["main_thread_roundtrip_ms_p99"] = round(_quantile(trips, .99), 1)
    return out

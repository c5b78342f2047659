"""``hireview bench``: N simulated claims through the real pipeline, figures printed.

Measures, in one run: end-to-end claims/s (first claim sent → last decision produced),
submit→decision latency (Kafka timestamps of the decision vs the claim's send time),
decision→ClickHouse latency (the sink's histogram), the worker's peak RSS, and the raw ceiling:
consume + Avro decode only, no rules, no state.
"""

from __future__ import annotations

import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
from confluent_kafka import Consumer

from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics, deliver, producer
from streams.ops import services as infra
from streams.ops.procs import Child, free_port, group_stable, wait_for
from streams.settings import Settings
from streams.sim.publish import publish_reference


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _buckets(text: str, name: str) -> list[tuple[float, float]]:
    out = []
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket"):
            le = line.split('le="')[1].split('"')[0]
            out.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
    return out


def _histogram_quantile(text: str, name: str, q: float, since: str = "") -> float:
    """Quantile of a Prometheus histogram (linear inside the bucket), minus a baseline scrape."""
    base = dict(_buckets(since, name))
    buckets = [(le, n - base.get(le, 0.0)) for le, n in _buckets(text, name)]
    if not buckets or buckets[-1][1] == 0:
        return float("nan")
    rank, prev_le, prev_n = q * buckets[-1][1], 0.0, 0.0
    for le, n in buckets:
        if n >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_n) / max(n - prev_n, 1e-9))
        prev_le, prev_n = le, n
    return prev_le


class DecisionWatch(threading.Thread):
    """Records the Kafka timestamp of each first decision on hi.decisions."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.seen: dict[tuple[str, str, int], float] = {}
        self._halt = threading.Event()
        self._consumer = Consumer({"bootstrap.servers": settings.bootstrap,
                                   "group.id": f"bench-watch-{uuid.uuid4().hex[:6]}",
                                   "auto.offset.reset": "earliest"})
        self._consumer.subscribe([settings.topic("hi.decisions")])

    def run(self) -> None:
        while not self._halt.is_set():
            for msg in self._consumer.consume(1000, 0.2):
                if msg.error():
                    continue
                # The "claim" header names the decision without decoding it (saves CPU
                # that the worker and sink on this machine need).
                header = dict(msg.headers() or ()).get("claim") or b"|||"
                text = header.decode() if isinstance(header, bytes) else header
                facility, claim_id, version, _ = text.split("|")
                key = (facility, claim_id, int(version))
                self.seen.setdefault(key, msg.timestamp()[1] / 1000)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self._consumer.close()


def _idle(worker: Child, quiet: float = 0.05) -> float:
    """Wait until ``worker`` uses under ``quiet`` CPU seconds per second; when that began."""
    last, at = worker.cpu_seconds(), time.time()
    deadline = at + 600
    while time.time() < deadline:
        time.sleep(1.0)
        now, now_at = worker.cpu_seconds(), time.time()
        if now - last < quiet * (now_at - at):
            return at
        last, at = now, now_at
    raise TimeoutError("the worker did not become idle within 600 s")


def raw_ceiling(settings: Settings, decode: Any, expect: int) -> float:
    """Claims/s for consume + decode only, in one process (no rules, no state)."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap,
                         "group.id": f"bench-raw-{uuid.uuid4().hex[:6]}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([settings.topic("hi.claims")])
    n, started = 0, None
    deadline = time.monotonic() + 300
    while n < expect and time.monotonic() < deadline:
        for msg in consumer.consume(1000, 0.5):
            if msg.error():
                continue
            started = started or time.perf_counter()
            decode(msg.value(), "claim")
            n += 1
    consumer.close()
    return n / (time.perf_counter() - started) if started else 0.0


def _send(prod: Any, topic: str, items: list[tuple[Any, bytes, bytes]], rate: float,
          sent_at: dict[Any, float]) -> None:
    def stamped() -> Iterator[tuple[bytes, bytes]]:
        for ident, key, value in items:
            sent_at[ident] = time.time()
            yield key, value

    deliver(prod, topic, stamped(), rate=rate)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text: str = r.read().decode()
        return text


def _ms(values: list[float]) -> dict[str, float]:
    return {f"p{q}": round(_quantile(values, q / 100) * 1000, 1) for q in (50, 95, 99)}


def run_bench(settings: Settings, claims: int, as_json: bool = False) -> int:
    from streams.sim.generate import generate

    def say(message: str) -> None:
        if not as_json:
            print(message, flush=True)

    tag = uuid.uuid4().hex[:8]
    s = settings.model_copy(update={
        "topic_prefix": f"bench{tag}.", "app_id": f"hireview-bench-{tag}",
        "sink_group": f"hireview-bench-sink-{tag}", "clickhouse_database": f"hireview_bench_{tag}",
        "worker_web_port": free_port(), "sink_metrics_port": free_port(),
    })
    infra.up(s, progress=say)
    db.migrate(s, progress=say)
    create_topics(s)
    codec = Codec.from_settings(s)
    steady = max(500, claims // 5)  # phase 2: latency at a sustainable rate
    sim = generate(claims + steady, seed=42, violations=0.1)
    publish_reference(s, codec, sim.catalog_entries, sim.cards)
    enc = codec.encoder("claim")
    payloads = [((c.claim["facility"], c.claim["claim_id"], c.claim["version"]),
                 c.claim["person_key"].encode(), enc(c.claim)) for c in sim.claims]
    payloads, later = payloads[:claims], payloads[claims:]
    n = len(payloads)
    logs = s.state_dir / "bench" / tag
    worker, sink = Child(s, "worker", logs), Child(s, "sink", logs)
    watch = DecisionWatch(s)
    try:
        say(f"waiting for the worker and sink to join their groups ({n} claims ready)")
        wait_for(lambda: group_stable(s, s.app_id) and group_stable(s, s.sink_group), 180,
                 "consumer groups", children=(worker, sink))
        watch.start()
        cpu0 = (worker.cpu_seconds(), sink.cpu_seconds())
        prod, sent_at = producer(s, **{"linger.ms": 5}), dict[Any, float]()
        t0 = time.time()
        _send(prod, s.topic("hi.claims"), payloads, 0, sent_at)  # phase 1: as fast as possible
        say(f"published {n} claims in {time.time() - t0:.1f}s; waiting for decisions")
        wait_for(lambda: len(watch.seen) >= n, 900, "all decisions", interval=0.5,
                 children=(worker, sink))
        t_end = max(watch.seen.values())
        burst_lat = [watch.seen[k] - sent_at[k] for k in sent_at if k in watch.seen]
        # The practitioner stage goes on after the last first decision: wait until the
        # worker is idle, so its CPU per claim covers all the work and phase 2 starts clean.
        t_idle = _idle(worker)
        cpu = (worker.cpu_seconds() - cpu0[0], sink.cpu_seconds() - cpu0[1])
        client = db.connect(s)
        wait_for(lambda: client.execute("SELECT count() FROM decisions FINAL")[0][0] >= n, 600,
                 "decisions in ClickHouse", children=(worker, sink))
        rate = round(0.5 * n / (t_end - t0))
        say(f"phase 2: {len(later)} claims at {rate}/s (half the measured throughput)")
        before, steady_sent = _scrape(s.sink_metrics_port), dict[Any, float]()
        _send(prod, s.topic("hi.claims"), later, rate, steady_sent)
        total = n + len(later)
        wait_for(lambda: len(watch.seen) >= total, 600, "phase 2 decisions",
                 children=(worker, sink))
        wait_for(lambda: client.execute("SELECT count() FROM decisions FINAL")[0][0] >= total,
                 600, "phase 2 decisions in ClickHouse", children=(worker, sink))
        after = _scrape(s.sink_metrics_port)
        steady_lat = [watch.seen[k] - steady_sent[k] for k in steady_sent if k in watch.seen]
        rss = worker.peak_rss_mb()
    finally:
        watch.stop()
        worker.stop()
        sink.stop()
    ceiling = raw_ceiling(s, codec.decode, total)
    store = "hireview_decision_to_store_seconds"
    figures = {
        "claims": n,
        "end_to_end_claims_per_s": round(n / (t_end - t0), 1),
        # Until the worker is idle: the practitioner stage and its amendments done too.
        "all_stages_claims_per_s": round(n / (t_idle - t0), 1),
        # Phase 1 latency is mostly queueing: every claim is sent at once.
        "burst_submit_to_decision_ms": _ms(burst_lat),
        "steady_rate_claims_per_s": rate,
        "steady_claims": len(later),
        "steady_submit_to_decision_ms": _ms(steady_lat),
        "steady_decision_to_clickhouse_ms": {
            f"p{q}": round(_histogram_quantile(after, store, q / 100, before) * 1000, 1)
            for q in (50, 95, 99)},
        "worker_peak_rss_mb": round(rss, 1),
        # CPU the worker and sink used per claim: what one dedicated core would sustain.
        "worker_cpu_us_per_claim": round(cpu[0] / n * 1e6, 1),
        "worker_claims_per_core_s": round(n / cpu[0], 1) if cpu[0] else None,
        "sink_cpu_us_per_claim": round(cpu[1] / n * 1e6, 1),
        "raw_ceiling_claims_per_s": round(ceiling, 1),
    }
    db.connect(s).execute(f"DROP DATABASE IF EXISTS {s.clickhouse_database}")
    if as_json:
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    else:
        for k, v in figures.items():
            print(f"{k:28} {v}")
    return 0

"""One chaos run: publish simulated claims while faults hit the pipeline, wait until it is quiet,
then count (streams.ops.chaos.count) what Kafka and ClickHouse hold.

Every wait is bounded: the fault phase by the publishing time plus ``_FAULT_SLACK``, the quiet
wait by ``settle_timeout``. A run that cannot finish raises, and its caller reports it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.audit.compare import Lag, stage_lag
from streams.audit.kafka_log import group_lags
from streams.audit.run import collect, stages
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics
from streams.ops.chaos import count, evidence, faults
from streams.ops.chaos.history import ignored_codes, replayed_hits
from streams.ops.chaos.publisher import Publisher
from streams.ops.chaos.watch import UNDECIDED_METRIC, Counts, GapCounter, Recoveries
from streams.ops.procs import group_stable, scrape, wait_for
from streams.settings import Settings
from streams.sim.generate import Simulation, expected_hits, generate
from streams.sim.publish import publish_reference

_FAULT_SLACK = 600.0  # seconds the fault phase may run past the publishing time
_STEADY_KILL = 20.0  # a timed worker kill waits until the worker ran this long (or decided
#                      more than EARLY_MAX claims), so it is not an early kill in disguise


@dataclass(frozen=True)
class Spec:
    claims: int
    rate: float
    worker_kills: int
    early_kills: int
    sink_kills: int
    broker_kills: int
    clickhouse_stop: float
    quiet: float
    settle_timeout: float


@dataclass
class RunResult:
    index: int
    seed: int
    log_dir: str
    figures: dict[str, int] = field(default_factory=dict)  # sent, acked, decided, lost, ...
    offset_gaps: float | None = None
    audit_undecided: int | None = None
    undecided_gauge: float | None = None
    recovery: dict[str, list[float | None]] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    crashes: dict[str, int] = field(default_factory=dict)
    settle: str = ""
    lag: dict[str, int] = field(default_factory=dict)  # per stage, after the quiet wait
    seconds: float = 0.0
    examples: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def clean(self) -> bool:
        bad = ("lost", "stuck", "duplicated", "out_of_order", "incomplete_history", "wrong")
        return (self.error is None and not any(self.figures.get(k) for k in bad)
                and not self.audit_undecided and not self.offset_gaps
                and self.settle == "caught up")


def _lags(settings: Settings) -> list[Lag] | None:
    out: list[Lag] = []
    try:
        for s in stages(settings):
            out += group_lags(settings, s.group, list(s.topics))
    except Exception:  # broker restarting
        return None
    return out


class Run:
    def __init__(self, settings: Settings, spec: Spec, seed: int, log_dir: Path) -> None:
        self.s, self.spec, self.seed, self.dir = settings, spec, seed, log_dir
        self.log = faults.EventLog(log_dir / "events.log")
        self.rng = random.Random(f"{seed}/faults")
        self.recoveries = Recoveries()
        self.gaps = GapCounter(settings.worker_web_port)
        self.done: dict[str, int] = {k: 0 for k in ("worker", "early", "sink", "broker",
                                                    "clickhouse")}

    def execute(self, result: RunResult) -> None:
        started = time.monotonic()
        db.migrate(self.s, progress=lambda m: self.log("migrate", message=m))
        create_topics(self.s)
        sim = generate(self.spec.claims, seed=self.seed, violations=0.1)
        codec = Codec.from_settings(self.s)
        publish_reference(self.s, codec, sim.catalog_entries, sim.cards)
        enc = codec.encoder("claim")
        items = [((c.claim["facility"], c.claim["claim_id"], c.claim["version"]),
                  c.claim["person_key"].encode(), enc(c.claim)) for c in sim.claims]
        cluster = faults.Cluster(self.s, self.dir, self.log)
        counts = Counts(self.s)
        publisher = Publisher(self.s, items, self.spec.rate)
        try:
            wait_for(lambda: group_stable(self.s, self.s.app_id)
                     and group_stable(self.s, self.s.sink_group), 180,
                     "the worker and sink groups", children=(cluster.worker, cluster.sink))
            publisher.start()
            self.log("publishing", claims=len(items), rate=self.spec.rate)
            self._faults(cluster, counts, publisher)
            result.settle, result.lag = self._settle(cluster, counts)
            self.recoveries.close()
            self.gaps.scrape()
            result.undecided_gauge = scrape(self.s.sink_metrics_port, UNDECIDED_METRIC)
        finally:
            publisher.halt()
            cluster.close()
            counts.close()
        if publisher.error is not None:
            raise RuntimeError(f"publishing failed: {publisher.error}")
        result.crashes = dict(cluster.crashes)
        self._figures(result, sim, codec, publisher)
        result.offset_gaps = self.gaps.total
        result.recovery = self.recoveries.done
        result.faults = dict(self.done)
        result.seconds = round(time.monotonic() - started, 1)
        self.log("done", **result.figures)
        self.log.close()

    # --- the fault phase ----------------------------------------------------------------------
    def _faults(self, cluster: faults.Cluster, counts: Counts, publisher: Publisher) -> None:
        spec = self.spec
        seconds = spec.claims / spec.rate if spec.rate > 0 else 10.0
        timed, early = faults.plan(self.rng, seconds, spec.worker_kills, spec.sink_kills,
                                   spec.broker_kills, spec.clickhouse_stop, spec.early_kills)
        self.log("plan", timed=[(f.at, f.kind) for f in timed], early=early)
        kills = [f for f in timed if f.kind == faults.WORKER]
        others = [f for f in timed if f.kind != faults.WORKER]
        t0 = time.monotonic()
        deadline = t0 + seconds + _FAULT_SLACK
        start_count = counts.decisions() or 0
        early_at: int | None = None  # decisions after the restart at which to kill again
        clickhouse_back: float | None = None
        next_slow = 0.0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise TimeoutError(f"fault phase still running after {deadline - t0:.0f}s")
            decisions = counts.decisions()
            stored = None
            if now >= next_slow:  # ClickHouse (when up) and /metrics once a second
                next_slow = now + 1.0
                stored = None if cluster.clickhouse_down else counts.stored()
                self.gaps.scrape()
            self.recoveries.tick(decisions, stored)
            if cluster.check():
                self.gaps.restarted()
                start_count = counts.last_decisions
            since = (decisions or counts.last_decisions) - start_count
            kill: dict[str, Any] | None = None
            if early_at is not None and (since >= early_at
                                         or now - cluster.worker_started > 60):
                kill, early_at = {"early": True, "decisions_since_start": since}, None
                self.done["early"] += 1
            elif (early_at is None and kills and now - t0 >= kills[0].at
                  and (since > faults.EARLY_MAX or now - cluster.worker_started > _STEADY_KILL)):
                kills.pop(0)
                kill = {"early": False, "decisions_since_start": since}
                self.done["worker"] += 1
            elif others and now - t0 >= others[0].at:
                kind = others.pop(0).kind
                clickhouse_back = self._other(kind, cluster, counts) or clickhouse_back
            if kill is not None:
                self.gaps.scrape()
                cluster.kill_worker(**kill)
                self.gaps.restarted()
                time.sleep(0.3)  # what the dying process had in flight lands first
                start_count = counts.decisions() or counts.last_decisions
                self.recoveries.expect("early" if kill["early"] else "worker", now,
                                       start_count, "kafka")
                if early:
                    early_at = early.pop(0)
            if clickhouse_back is not None and now >= clickhouse_back:
                cluster.start_clickhouse()
                clickhouse_back = None
                self.recoveries.expect("clickhouse", time.monotonic(),
                                       counts.stored() or counts.last_stored, "clickhouse")
            if (not publisher.is_alive() and not kills and not others and early_at is None
                    and clickhouse_back is None):
                return
            time.sleep(0.02 if early_at is not None else 0.2)

    def _other(self, kind: str, cluster: faults.Cluster, counts: Counts) -> float | None:
        """A sink, broker or ClickHouse fault; returns when ClickHouse must start again."""
        now = time.monotonic()
        if kind == faults.SINK:
            cluster.kill_sink()
            time.sleep(0.3)
            stored = None if cluster.clickhouse_down else counts.stored()
            self.recoveries.expect("sink", now, stored or counts.last_stored, "clickhouse")
        elif kind == faults.BROKER:
            baseline = counts.last_decisions
            cluster.kill_broker()
            self.recoveries.expect("broker", now, baseline, "kafka")
        else:
            cluster.stop_clickhouse()
            self.done[kind] += 1
            return now + self.spec.clickhouse_stop
        self.done[kind] += 1
        return None

    # --- quiet, then count --------------------------------------------------------------------
    def _settle(self, cluster: faults.Cluster, counts: Counts) -> tuple[str, dict[str, int]]:
        """Wait until every stage caught up and nothing changed for ``quiet`` seconds
        ("caught up"), or nothing changed for 3 × ``quiet`` with lag left ("stalled"), or
        ``settle_timeout`` passed ("timeout"); returns that and the lag of each stage."""
        quiet, deadline = self.spec.quiet, time.monotonic() + self.spec.settle_timeout
        last: object = None
        changed = time.monotonic()
        while True:
            if cluster.check():
                self.gaps.restarted()
                changed = time.monotonic()
            lags = _lags(self.s)
            stored = counts.stored()
            self.recoveries.tick(counts.decisions(), stored)
            self.gaps.scrape()
            state = (None if lags is None else
                     tuple((x.group, x.topic, x.partition, x.committed, x.high) for x in lags),
                     stored)
            now = time.monotonic()
            if state != last:
                last, changed = state, now
            behind = {} if lags is None else {x.name: stage_lag(x, lags)
                                              for x in stages(self.s)}
            if lags is not None and not any(behind.values()) and now - changed >= quiet:
                outcome = "caught up"
            elif now - changed >= 3 * quiet:
                outcome = "stalled"  # nothing moves, yet a stage has not committed to the end
            elif now > deadline:
                outcome = "timeout"
            else:
                time.sleep(1.0)
                continue
            self.log("settled", outcome=outcome, lag=behind, behind=[
                (x.group, x.topic, x.partition, x.committed, x.high) for x in lags or ()
                if x.behind])
            return outcome, behind

    def _figures(self, result: RunResult, sim: Simulation, codec: Codec,
                 publisher: Publisher) -> None:
        ev, latest = evidence.gather(self.s, codec, publisher.acked)
        lost, stuck = count.lost_and_stuck(ev)
        ignored = ignored_codes(self.s)
        current_hits = {i: count.hits_of(d, ignored) for i, d in latest.items()}
        incomplete = count.differing(current_hits, replayed_hits(self.s, sim))
        codes = {i: frozenset(h["code"] for h in d["hits"]) for i, d in latest.items()}
        wrong = count.differing(codes, expected_hits(sim))
        sent = {(c.claim["facility"], c.claim["claim_id"], c.claim["version"])
                for c in sim.claims[:publisher.sent]}
        found = {"lost": lost, "stuck": stuck, "duplicated": count.duplicated(ev),
                 "out_of_order": count.out_of_order(ev), "incomplete_history": incomplete,
                 "wrong": wrong}
        result.figures = {"sent": publisher.sent, "acked": len(publisher.acked),
                          "decided": sum(1 for i in sent if ev.stored.get(i)),
                          **{k: len(v) for k, v in found.items()}}
        result.examples = {k: ["|".join(map(str, i)) for i in v[:5]] for k, v in found.items()
                           if v}
        result.audit_undecided = len(collect(self.s, older_than=0.0).outcome.undecided)

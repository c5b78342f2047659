"""The metric catalogue: every Prometheus metric hireview exports is declared here, once.

Each declaration names the processes that export it; ``Metrics.worker()``, ``.sink()``,
``.portal()`` and ``.web()`` build one process's metrics, with only that process's declarations
in its registry (a sink page shows no worker metric at zero). A metric of another process is present
as an attribute, so every process shares one typed ``Metrics``, but using it raises
``ForeignMetric``: a metric that would never be exported is a bug to hear about.

Dashboards (``dashboards/panels.yaml``, the generated ``pipeline.json``) and alert rules
(``dashboards/*.rules.yml``) may only reference names declared here; tests check it. The
metrics table in docs/ops-monitoring.md explains each one for operators.
A registry may be passed in; by default each call gets its own (tests, benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NoReturn

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

Process = Literal["worker", "sink", "portal", "web", "detect"]
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_WORKER: tuple[Process, ...] = ("worker",)
_SINK: tuple[Process, ...] = ("sink",)
_PORTAL: tuple[Process, ...] = ("portal",)
_WEB: tuple[Process, ...] = ("web",)
_DETECT: tuple[Process, ...] = ("detect",)  # the continuous hireview detect (streams/fund/)
# Consumer lag is read by every process that talks to Kafka, for every hireview consumer group
# (streams/lag.py): a group's lag stays measured while its own processes are down.
_ALL: tuple[Process, ...] = ("worker", "sink", "portal", "web")
_ROW_BUCKETS = (1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000)
_RUN_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


@dataclass(frozen=True)
class Declaration:
    field: str  # the attribute of ``Metrics``; the metric is named hireview_<field>
    kind: type[Counter] | type[Gauge] | type[Histogram]
    help: str
    processes: tuple[Process, ...]
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = _LATENCY_BUCKETS  # histograms only

    @property
    def name(self) -> str:
        return f"hireview_{self.field}"

    def build(self, registry: CollectorRegistry) -> Counter | Gauge | Histogram:
        if self.kind is Histogram:
            return Histogram(self.name, self.help, self.labels, buckets=self.buckets,
                             registry=registry)
        return self.kind(self.name, self.help, self.labels, registry=registry)


CATALOGUE: tuple[Declaration, ...] = (
    # --- worker ---
    Declaration("claims_total", Counter, "Claims consumed by the appraiser", _WORKER),
    Declaration("decisions_total", Counter, "Decisions emitted, by outcome", _WORKER,
                ("outcome",)),
    Declaration("rule_hits_total", Counter, "Rule hits, by rule code", _WORKER, ("code",)),
    Declaration("dead_letters_total", Counter,
                "Events sent to a dead-letter topic, by the topic they came from and reason",
                ("worker", "sink"), ("topic", "reason")),
    Declaration("reappraisals_total", Counter,
                "Claims judged again after a retroactive rule change, by whether it changed",
                _WORKER, ("changed",)),
    Declaration("amendments_total", Counter,
                "Partner hits routed to a claim's owner, by code and whether they amended it",
                _WORKER, ("code", "applied")),
    Declaration("offset_gaps_total", Counter,
                "Holes in an input partition's offsets seen by the offset guard (the worker "
                "stopped and re-read them); counted across restarts of one worker", _WORKER,
                ("topic", "partition")),
    Declaration("rejudged_total", Counter,
                "Later claims judged again because an earlier claim of the person arrived after "
                "them, by whether their decision changed", _WORKER, ("changed",)),
    Declaration("reviews_total", Counter,
                "hi.reviews events seen by the worker, by action and result (applied, replayed, "
                "stale: made on another revision, unknown_claim: not in the history, recorded: "
                "an action that changes no decision)", _WORKER, ("action", "result")),
    Declaration("appraise_seconds", Histogram, "Decode+enrich+rules time per claim", _WORKER,
                buckets=(1e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05)),
    Declaration("submit_to_decision_seconds", Histogram,
                "Claim submitted_at to decision emitted", _WORKER),
    Declaration("catalog_entries", Gauge, "Catalog rows and cards loaded in this worker",
                _WORKER, ("kind",)),
    Declaration("reference_age_seconds", Gauge,
                "Seconds since the newest record (Kafka time) of the catalog or card snapshot "
                "this worker holds; -1 while it holds none", _WORKER, ("kind",)),
    Declaration("reference_lists", Gauge,
                "Reference lists by scope (national: 1 when that list is in the state; facility: "
                "how many known facilities have their list in the state), kind and state "
                "(ok, missing: no rows, stale: no row valid today); streams/reference/status.py",
                ("worker", "portal"), ("scope", "kind", "state")),
    Declaration("reference_ok", Gauge,
                "1 when no reference list is missing or stale and cards are loaded, else 0",
                ("worker", "portal")),
    Declaration("rebalances_total", Counter,
                "Consumer group rebalances this process took part in, by group",
                ("worker", "sink"), ("group",)),
    # --- every Kafka process (streams/lag.py) ---
    Declaration("consumer_lag_messages", Gauge,
                "Records of a partition not yet committed by a consumer group", _ALL,
                ("group", "topic", "partition")),
    Declaration("consumer_lag_seconds", Gauge,
                "Age (now minus Kafka time) of the oldest record a group has not committed; "
                "0 when it is caught up", _ALL, ("group", "topic", "partition")),
    Declaration("consumed_total", Counter,
                "Records a consumer group committed, by topic (its throughput); counted from "
                "this process's start", _ALL, ("group", "topic")),
    # --- sink ---
    Declaration("sink_rows_total", Counter, "Rows inserted into ClickHouse, by table", _SINK,
                ("table",)),
    Declaration("sink_batches_total", Counter, "Batches inserted and committed", _SINK),
    Declaration("claims_undecided", Gauge,
                "Claim versions stored by the sink more than older_than_seconds ago (within "
                "audit_lookback_seconds) that still have no decision in ClickHouse; should be 0. "
                "Alert when > 0 for 5 min: a claim was skipped, is stuck or dead-lettered "
                "(run hireview audit to list them, --redrive to re-send them)", _SINK,
                ("older_than_seconds",)),
    Declaration("sink_insert_seconds", Histogram, "Time to insert one batch", _SINK),
    Declaration("sink_batch_rows", Histogram, "Rows (all tables) of one inserted batch", _SINK,
                buckets=_ROW_BUCKETS),
    Declaration("sink_retries_total", Counter, "Insert attempts that failed and were retried",
                _SINK),
    Declaration("decision_to_store_seconds", Histogram,
                "Decision decided_at to ClickHouse insert", _SINK),
    # --- portal ---
    Declaration("portal_requests_total", Counter,
                "HTTP requests answered, by method, route template and status", _PORTAL,
                ("method", "route", "status")),
    Declaration("portal_request_seconds", Histogram,
                "Time to answer a request, by method and route template", _PORTAL,
                ("method", "route")),
    # --- web app (hireview console) ---
    Declaration("web_requests_total", Counter,
                "Web app HTTP requests answered, by method, route template and status", _WEB,
                ("method", "route", "status")),
    Declaration("web_request_seconds", Histogram,
                "Time to answer a web app request (a live stream: its whole life), by method "
                "and route template", _WEB, ("method", "route")),
    Declaration("web_streams_open", Gauge, "Live queue streams (SSE) open now", _WEB),
    Declaration("web_reviews_published_total", Counter,
                "hi.reviews events the web app published and Kafka acknowledged, by action",
                _WEB, ("action",)),
    Declaration("web_queue_claims", Gauge, "Claims in the review queue, by status", _WEB,
                ("status",)),
    Declaration("portal_publish_failures_total", Counter,
                "Writes Kafka did not acknowledge in time (answered 503), by topic", _PORTAL,
                ("topic",)),
    Declaration("report_signings_total", Counter,
                "Report signing attempts through the portal, by field and result "
                "(signed, refused)", _PORTAL, ("field", "result")),
    # --- fund-use detector (hireview detect, continuous) ---
    Declaration("fund_refreshed_days_total", Counter,
                "facility_day days recomputed by the continuous refresh", _DETECT),
    Declaration("fund_refreshed_at_seconds", Gauge,
                "Unix time of the last finished facility_day refresh", _DETECT),
    Declaration("detect_runs_total", Counter, "Detector runs finished", _DETECT),
    Declaration("detect_run_seconds", Histogram,
                "Time of one detector run: read, detect, write", _DETECT,
                buckets=_RUN_BUCKETS),
    Declaration("anomalies_total", Counter,
                "Anomaly rows written, by level (watch, notice, cleared)", _DETECT, ("level",)),
)


class ForeignMetric(RuntimeError):
    """A process used a metric that belongs to another process."""


class _Elsewhere:
    """Stands in for another process's metric: any use raises ``ForeignMetric``."""

    def __init__(self, name: str, process: Process) -> None:
        self._what = f"{name} is not a {process} metric (see streams/metrics.py)"

    def __getattr__(self, _attr: str) -> NoReturn:
        raise ForeignMetric(self._what)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    process: Process
    # worker
    claims_total: Counter
    decisions_total: Counter
    rule_hits_total: Counter
    dead_letters_total: Counter
    reappraisals_total: Counter
    amendments_total: Counter
    offset_gaps_total: Counter
    rejudged_total: Counter
    reviews_total: Counter
    appraise_seconds: Histogram
    submit_to_decision_seconds: Histogram
    catalog_entries: Gauge
    reference_age_seconds: Gauge
    reference_lists: Gauge
    reference_ok: Gauge
    rebalances_total: Counter
    # every Kafka process
    consumer_lag_messages: Gauge
    consumer_lag_seconds: Gauge
    consumed_total: Counter
    # sink
    sink_rows_total: Counter
    sink_batches_total: Counter
    claims_undecided: Gauge
    sink_insert_seconds: Histogram
    sink_batch_rows: Histogram
    sink_retries_total: Counter
    decision_to_store_seconds: Histogram
    # portal
    portal_requests_total: Counter
    portal_request_seconds: Histogram
    portal_publish_failures_total: Counter
    report_signings_total: Counter
    # web app
    web_requests_total: Counter
    web_request_seconds: Histogram
    web_streams_open: Gauge
    web_reviews_published_total: Counter
    web_queue_claims: Gauge
    # fund-use detector
    fund_refreshed_days_total: Counter
    fund_refreshed_at_seconds: Gauge
    detect_runs_total: Counter
    detect_run_seconds: Histogram
    anomalies_total: Counter

    @classmethod
    def of(cls, process: Process, registry: CollectorRegistry | None = None) -> Metrics:
        """The metrics of ``process``; only its own are registered in ``registry``."""
        r = registry if registry is not None else CollectorRegistry()
        fields: dict[str, Any] = {
            d.field: d.build(r) if process in d.processes else _Elsewhere(d.name, process)
            for d in CATALOGUE}
        return cls(registry=r, process=process, **fields)

    @classmethod
    def worker(cls, registry: CollectorRegistry | None = None) -> Metrics:
        return cls.of("worker", registry)

    @classmethod
    def sink(cls, registry: CollectorRegistry | None = None) -> Metrics:
        return cls.of("sink", registry)

    @classmethod
    def portal(cls, registry: CollectorRegistry | None = None) -> Metrics:
        return cls.of("portal", registry)

    @classmethod
    def web(cls, registry: CollectorRegistry | None = None) -> Metrics:
        return cls.of("web", registry)

    @classmethod
    def detect(cls, registry: CollectorRegistry | None = None) -> Metrics:
        return cls.of("detect", registry)

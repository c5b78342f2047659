"""The one settings object: built once (``Settings.load()``), frozen, passed in everywhere.

Values come from ``HIREVIEW_*`` environment variables (e.g. ``HIREVIEW_KAFKA_PORT=39092``) or an
optional ``.env``-style file named by ``HIREVIEW_CONFIG``. Nothing here runs at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HIREVIEW_", frozen=True, extra="forbid")

    # --- where things live -------------------------------------------------------------------
    state_dir: Path = Field(ROOT / ".cache", description="Runtime state: service data, pids, logs")
    avro_dir: Path = Field(ROOT / "avro", description="Schemas, topic catalogue, examples")
    infra_dir: Path = Field(ROOT / "infra", description="Kafka pom/configs, ClickHouse config, DDL")

    # --- Kafka ----------------------------------------------------------------------------------
    kafka_host: str = Field("127.0.0.1", description="Broker host (loopback by default)")
    kafka_port: int = Field(39092, description="Broker PLAINTEXT port")
    kafka_controller_port: int = Field(39093, description="KRaft controller port")
    kafka_heap_mb: int = Field(768, description="Broker JVM max heap (MiB)")
    partitions: int = Field(4, ge=1, description="Partitions of hi.claims and topics keyed like it")
    topic_prefix: str = Field("", description="Prefix for every topic name (tests isolate with it)")
    schema_registry_url: str | None = Field(
        None, description="Confluent-compatible Schema Registry; file registry when unset"
    )

    # --- ClickHouse -----------------------------------------------------------------------------
    clickhouse_host: str = Field("127.0.0.1", description="ClickHouse host")
    clickhouse_port: int = Field(39000, description="ClickHouse native TCP port")
    clickhouse_http_port: int = Field(38123, description="ClickHouse HTTP port")
    clickhouse_database: str = Field("hireview", description="Database for hireview tables")

    # --- worker ---------------------------------------------------------------------------------
    app_id: str = Field("hireview-appraiser", description="Faust app id (consumer group, tables)")
    worker_id: str = Field("1", description="Unique per worker process of one app: its group "
                           "instance id and data dir (RocksDB allows one process per dir)")
    worker_web_host: str = Field("127.0.0.1", description="Bind address of the worker's web "
                                 "server (history page, metrics); loopback by default")
    worker_web_port: int = Field(36066, description="Faust web/metrics port of the worker")
    worker_history_secret: SecretStr | None = Field(None, description="Secret the worker's "
                                                   "history page requires (header "
                                                   "X-Hireview-Secret); default: the file "
                                                   "<state_dir>/worker-history.secret, made "
                                                   "at first start")
    history_keep_days: int = Field(400, description="Visits younger than this stay in history")
    history_min_visits: int = Field(6, description="Last N visits kept whatever their age")
    rocksdb_cache_mb: int = Field(32, description="Block cache per RocksDB partition (MiB)")
    worker_faust_fixes: bool = Field(True, description="Apply the corrections of "
                                     "streams/worker/faust_fixes.py (off only to reproduce the "
                                     "faust skip, e.g. in a chaos run; the offset guard stays)")
    worker_inject_gap: str | None = Field(None, description="Testing only: 'topic:partition:"
                                          "offset:count' drops count records after offset once "
                                          "(streams/worker/faults.py)")
    rules_params: Path | None = Field(None, description="Rule parameters file the worker and "
                                      "replay's 'current' use (default: rules/params.yaml); a "
                                      "rule change is deployed by changing it")

    # --- sink -----------------------------------------------------------------------------------
    sink_group: str = Field("hireview-sink", description="Consumer group of the ClickHouse sink")
    sink_batch_size: int = Field(5000, ge=1, description="Max rows per INSERT batch")
    sink_batch_seconds: float = Field(1.0, gt=0, description="Max seconds a batch waits")
    sink_metrics_port: int = Field(36067, description="Prometheus port of the sink")
    sink_instance_id: str = Field("1", description="Unique per sink process of one group: its "
                                  "static group membership (a restart resumes at once)")
    # hireview_claims_undecided, computed by the sink (streams/sink/undecided.py)
    audit_older_than_seconds: float = Field(60.0, ge=0, description="A stored claim with no "
                                            "decision for longer than this counts as undecided")
    audit_interval_seconds: float = Field(30.0, gt=0, description="Seconds between two "
                                          "undecided-claims queries of the sink")
    audit_lookback_seconds: int = Field(86400, gt=0, description="Only claims stored this "
                                        "recently are counted (bounds the query)")

    # --- portal (reception HTTP service, streams/portal/run.py) -------------------------------
    portal_host: str = Field("127.0.0.1", description="Bind address of the reception portal")
    portal_port: int = Field(36080, description="HTTP port of the reception portal")
    portal_max_body_mb: int = Field(16, ge=1, description="Largest request body accepted (MiB)")
    portal_credentials: Path = Field(ROOT / ".cache" / "portal-credentials.json",
                                     description="API key file (hashed keys, roles, scopes); "
                                     "default <state_dir>/portal-credentials.json")
    portal_ack_seconds: float = Field(10.0, gt=0, description="One request's deadline for Kafka's "
                                      "acknowledgements (claims, then receipts: the portal's "
                                      "producer gives a message up after half of it) before "
                                      "answering 503 with a delivery report per claim")
    # card lookup, results and district keys (streams/portal/api/cards.py, results_api.py, auth.py)
    portal_worker_url: str | None = Field(None, description="Web server of a worker, for visit "
                                          "history; default http://127.0.0.1:<worker_web_port>")
    portal_worker_timeout: float = Field(2.0, gt=0, description="Max wait for the worker's "
                                         "visit history before answering without it")
    portal_facility_register: Path = Field(ROOT / ".cache" / "facility-register.csv",
                                           description="CSV facility,district (PP-DDD): the "
                                           "facilities each district key covers; default "
                                           "<state_dir>/facility-register.csv")
    # request bounds (streams/portal/intake/limits.py): a hostile body is refused, 413/422
    portal_max_claims: int = Field(1000, ge=1, description="Claims in one request (JSON list "
                                   "items, or an envelope's HOSO and its SOLUONGHOSO)")
    portal_max_keys: int = Field(200, ge=1, description="Keys in one JSON object, child tags "
                                 "of one XML row")
    portal_max_values: int = Field(400_000, ge=1, description="Keys and list items in one JSON "
                                   "request, counted (':' and ',') before it is decoded")
    portal_max_string: int = Field(4096, ge=1, description="Characters of one JSON string or "
                                   "XML text (not NOIDUNGFILE, whose table is checked inside)")
    portal_max_depth: int = Field(16, ge=4, description="Nesting depth of a JSON body or of one "
                                  "XML document (a claim needs 4 in JSON, 6 in XML)")
    portal_max_lines: int = Field(5000, ge=1, description="Rows of one table of one claim "
                                  "(drugs, services, XML2-XML5)")
    portal_max_findings: int = Field(1000, ge=1, description="Finding entries answered per "
                                     "claim; more are counted in findings_omitted")
    portal_parse_seconds: float = Field(20.0, gt=0, description="Time budget to read one "
                                        "request's claims; beyond it the request is refused "
                                        "(422), never left to stall")
    portal_parse_workers: int = Field(2, ge=1, description="Requests parsed at once (the rest "
                                      "wait): a hostile body cannot take every thread")
    portal_parse_processes: bool = Field(True, description="Parse submissions in "
                                         "portal_parse_workers processes (spawned at start), "
                                         "not threads: a large body then leaves other "
                                         "requests their core and its memory goes with the "
                                         "process (streams/portal/parsepool.py)")

    # --- web app (hireview console: appraisers' console, later fund and ops pages) ----------
    web_host: str = Field("127.0.0.1", description="Bind address of the web app")
    web_port: int = Field(36090, description="HTTP port of the web app")
    web_accounts: Path | None = Field(None, description="Appraiser accounts file (hashed "
                                      "passwords, roles); default <state_dir>/web/accounts.json")
    web_session_hours: float = Field(8.0, gt=0, description="A sign-in lasts this long")
    web_take_minutes: float = Field(5.0, gt=0, description="A claim opened by an appraiser "
                                    "shows as taken this long unless renewed by the open page")
    web_explanation_days: int = Field(10, ge=1, description="Default days a facility has to "
                                      "answer a request for explanation")
    web_clock_seconds: float = Field(30.0, gt=0, description="Seconds between two checks for "
                                     "overdue explanation requests")

    # --- Prometheus (started by hireview infra up, streams/ops/prometheus.py) -----------------
    prometheus_host: str = Field("127.0.0.1", description="Bind address of Prometheus")
    prometheus_port: int = Field(39090, description="HTTP port of Prometheus (UI and query API)")
    prometheus_scrape_seconds: float = Field(2.0, gt=0, description="Scrape and rule "
                                             "evaluation interval")
    prometheus_retention: str = Field("7d", description="How long Prometheus keeps samples")
    lag_interval_seconds: float = Field(2.0, gt=0, description="Seconds between two consumer "
                                        "lag readings of a consuming process")

    # --- replay (hireview replay, streams/replay/run.py) ------------------------------------
    replay_workers: int = Field(1, ge=1, description="Processes of a replay (persons split by "
                                "hash); --workers overrides")
    replay_batch_size: int = Field(5000, ge=1, description="Replayed decisions per INSERT")

    # --- settlement and signed reports (hireview settle / reports, streams/settle/) ----------
    settle_signers: Path = Field(ROOT / ".cache" / "settle" / "signers.yaml", description=
                                 "Who signs reports: per field (preparer, head) a key and "
                                 "certificate file or a PKCS#11 token (docs/settlement.md); "
                                 "default <state_dir>/settle/signers.yaml")
    settle_trust_roots: Path = Field(ROOT / ".cache" / "settle" / "trust-roots.pem", description=
                                     "PEM file of the CA certificates reports verify will "
                                     "trust; default <state_dir>/settle/trust-roots.pem")
    settle_tsa_url: str | None = Field(None, description="RFC 3161 time-stamping service for "
                                       "the signatures (none: the signer's clock, as signed)")
    settle_agency: str | None = Field(None, description="The agency's name in the reports' "
                                      "masthead (default: from the province code)")
    # --- fund-use monitoring: notices (hireview notices, streams/fund/notices/) -------------
    notices_dir: Path | None = Field(None, description="Where `hireview notices` writes each "
                                     "notice's HTML and PDF (<dir>/<YYYYMM>/<facility>.<lang>"
                                     ".pdf); default <state_dir>/notices")
    # --- fund-use monitoring (hireview detect, streams/fund/) ----------------------------------
    fund_refresh_seconds: float = Field(60.0, gt=0, description="Seconds between two "
                                        "facility_day refreshes of a continuous detect")
    fund_refresh_margin_seconds: float = Field(300.0, ge=0, description="A refresh re-reads "
                                               "rows stored this long before its watermark "
                                               "(a sink batch stamped earlier, committed later)")
    fund_detect_hours: float = Field(24.0, gt=0, description="Hours between two detection "
                                     "runs of a continuous detect (each covers the previous "
                                     "and the current month)")
    fund_history_days: int = Field(200, ge=120, description="Days of facility_day the detector "
                                   "reads before the first month it evaluates")
    fund_min_visits: int = Field(100, ge=1, description="Visits a facility needs in a month "
                                 "for a notice (below it: watch at most)")
    fund_metrics_host: str = Field("127.0.0.1", description="Bind address of the continuous "
                                   "detect's /metrics")
    fund_metrics_port: int = Field(36068, description="Prometheus port of the continuous "
                                   "hireview detect")

    @model_validator(mode="before")
    @classmethod
    def _state_under_state_dir(cls, data: Any) -> Any:
        """Files that are state default to the state dir, so two installations with their own
        HIREVIEW_STATE_DIR never share API keys or the facility register."""
        if isinstance(data, dict):
            state = Path(data.get("state_dir") or ROOT / ".cache")
            data.setdefault("portal_credentials", state / "portal-credentials.json")
            data.setdefault("portal_facility_register", state / "facility-register.csv")
            data.setdefault("settle_signers", state / "settle" / "signers.yaml")
            data.setdefault("settle_trust_roots", state / "settle" / "trust-roots.pem")
        return data

    @classmethod
    def load(cls) -> Settings:
        """Build from the environment (and ``HIREVIEW_CONFIG`` file when given)."""
        config = os.environ.get("HIREVIEW_CONFIG")
        if config:
            return cls(_env_file=config)
        return cls()

    # --- derived --------------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def prometheus_url(self) -> str:
        return f"http://{self.prometheus_host}:{self.prometheus_port}"

    @property
    def targets_dir(self) -> Path:
        """File-based service discovery: a JSON file per running process (streams/scrape.py)."""
        return self.state_dir / "prometheus" / "targets"

    @property
    def web_dir(self) -> Path:
        """The web app's state: accounts, the session signing key, revoked sessions."""
        return self.state_dir / "web"

    @property
    def web_accounts_path(self) -> Path:
        return self.web_accounts or self.web_dir / "accounts.json"

    @property
    def notices_path(self) -> Path:
        return self.notices_dir or self.state_dir / "notices"

    def topic(self, name: str) -> str:
        """Full topic name for a catalogue name such as ``hi.claims``."""
        return f"{self.topic_prefix}{name}"

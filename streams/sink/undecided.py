"""``hireview_claims_undecided``: the audit's figure as a gauge, computed by the sink process.

The sink stores every hi.claims event in ``claims`` (with its ``ingested_at``) and every
decision in ``decisions``, so ClickHouse alone can tell which stored claim versions still have
no decision. Every ``audit_interval_seconds`` a thread counts the claim versions stored between
``audit_lookback_seconds`` and ``audit_older_than_seconds`` ago that have no decision row. The
query is bounded: one column scan of ``claims`` (``ingested_at``) and a primary-key lookup of
those claims in ``decisions``, with a time limit.

What it does not see (``hireview audit`` does): claims acknowledged by Kafka that the sink has
not stored yet (its lag on hi.claims, visible in the consumer-group lag), claims older than the
lookback, and the difference between a dead-lettered claim and a skipped one (both count here:
neither has a decision). While ClickHouse does not answer, the gauge keeps its last value and a
warning is logged.
"""

from __future__ import annotations

import logging
import threading

from streams.clickhouse.db import client as clickhouse_client
from streams.metrics import Metrics
from streams.settings import Settings

log = logging.getLogger(__name__)

_RECENT = ("SELECT facility, claim_id, version FROM claims "
           "WHERE ingested_at >= now() - %(lookback)s AND ingested_at < now() - %(older)s")
QUERY = (f"SELECT count() FROM (SELECT DISTINCT facility, claim_id, version FROM ({_RECENT})) "
         f"WHERE (facility, claim_id, version) NOT IN (SELECT facility, claim_id, version "
         f"FROM decisions WHERE (facility, claim_id, version) IN ({_RECENT}))")


class UndecidedGauge:
    """The thread that keeps ``metrics.claims_undecided`` current; ``stop()`` ends it."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self._settings = settings
        self._metrics = metrics  # the labelled gauge appears with the first count, not as 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="undecided-gauge", daemon=True)

    def start(self) -> UndecidedGauge:
        self._thread.start()
        return self

    def count(self) -> int:
        s = self._settings
        client = clickhouse_client(s)
        try:
            rows = client.execute(
                QUERY, {"lookback": int(s.audit_lookback_seconds),
                        "older": int(s.audit_older_than_seconds)},
                settings={"max_execution_time": max(1, int(s.audit_interval_seconds))})
        finally:
            client.disconnect()
        return int(rows[0][0])

    def _run(self) -> None:
        label, failing = f"{self._settings.audit_older_than_seconds:g}", False
        while True:
            try:
                self._metrics.claims_undecided.labels(label).set(self.count())
                failing = False
            except Exception as exc:  # ClickHouse down or tables not migrated yet
                if not failing:
                    log.warning("undecided-claims query failed (gauge keeps its value): %s", exc)
                failing = True
            if self._stop.wait(self._settings.audit_interval_seconds):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

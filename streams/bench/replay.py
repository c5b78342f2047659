"""Replay throughput: ``bench_replay`` (called by ``hireview bench rules``).

Stores ``claims`` simulated claim versions (event bytes + the decisions the worker would have
made, appraised here in arrival order) in a scratch database ``<database>_replay_bench``, then
times a real replay of them with the current rules: read from ClickHouse + decode + history
+ rules + decision + INSERT of the results. The scratch database is dropped afterwards.

Also timed in-process on the same claims, one core: decode of the stored JSON form alone (what
the replay reads, streams.sink.payload_json), Avro decode alone (its fallback), and appraise
(history + rules + decision) alone, to show where the time goes. A replay with unchanged rules must
reproduce every decision: ``affected_with_unchanged_rules`` is reported and should be 0.
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from typing import Any

from rules.engine import Engine
from streams.clickhouse import db
from streams.replay.run import run_replay
from streams.replay.store import Scope
from streams.settings import Settings
from streams.sink import payload_json as replay_json
from streams.sink.consumer import insert_tables
from streams.sink.payload_json import load_layout
from streams.sink.rows import decision_tables, payload_row
from streams.worker.processor import Enrichment, appraise


def bench_replay(settings: Settings, claims: int = 20000, workers: int = 2, seed: int = 7
                 ) -> dict[str, Any]:
    """Figures of one replay of ``claims`` simulated claims with ``workers`` processes."""
    scratch = settings.model_copy(update={
        "clickhouse_database": f"{settings.clickhouse_database}_replay_bench"})
    db.migrate(scratch, progress=lambda _m: None)
    client = db.connect(scratch)
    try:
        ref, scope, figures = _store(scratch, client, claims, seed)
        gc.collect()  # the set-up's garbage must not be copied into the forked processes
        result = run_replay(scratch, ref, scope, "current", workers=workers,
                            show_progress=False)
    finally:
        client.execute(f"DROP DATABASE IF EXISTS {scratch.clickhouse_database}")
        client.disconnect()
    return {
        "claims": result.replayed,
        "workers": workers,
        **figures,
        "replay_seconds": round(result.seconds, 3),
        "replay_claims_per_s": round(result.claims_per_second),
        "affected_with_unchanged_rules": result.impact.total.affected,
    }


def _store(settings: Settings, client: Any, claims: int, seed: int
           ) -> tuple[Enrichment, Scope, dict[str, float]]:
    """Simulate, time decode and appraise, and store payloads + decisions."""
    from streams.codec import Codec
    from streams.sim.generate import generate

    sim = generate(claims, seed=seed, violations=0.1)
    catalog, cards = sim.indexes()
    ref = Enrichment(Engine.load(), catalog, cards, settings.history_keep_days,
                     settings.history_min_visits)
    codec = Codec.from_settings(settings)
    encode = codec.encoder("claim")
    payloads = [encode(c.claim) for c in sim.claims]

    started = time.perf_counter()
    decoded = [codec.decode(p, "claim") for p in payloads]
    decode_us = (time.perf_counter() - started) / len(payloads) * 1e6
    now, layout = datetime.now(UTC), load_layout(codec.schemas_dir)
    if layout is None:
        raise RuntimeError(
            "avro/schemas/claim.avsc: no JSON form layout (streams.sink.payload_json)")
    stored = [payload_row(c, p, now, layout) for c, p in zip(decoded, payloads, strict=True)]
    forms = [row["claim_json"] for row in stored if row["claim_json"]]
    started = time.perf_counter()
    for form in forms:
        replay_json.loads(form, layout)
    json_us = (time.perf_counter() - started) / max(len(forms), 1) * 1e6
    visits: dict[str, Any] = {}
    decisions = []
    started = time.perf_counter()
    for claim in decoded:
        result = appraise(claim, visits.get(claim["person_key"], []), ref)
        visits[claim["person_key"]] = result.visits
        decisions.append(result.decision)
        decisions.extend(result.amendments)
    appraise_us = (time.perf_counter() - started) / len(decoded) * 1e6

    tables: dict[str, list[dict[str, Any]]] = {"decisions": [], "rule_hits": []}
    tables["claim_payloads"] = stored
    for d in decisions:
        for table, rows in decision_tables(d, now).items():
            tables[table].extend(rows)
    insert_tables(client, tables, db.insert_settings(client))
    days = [c["header"]["ngay_vao"].date() for c in decoded]
    lines = sum(len(c["drugs"]) + len(c["services"]) for c in decoded) / len(decoded)
    # decode_us_per_claim: what the replay does (the JSON form); the Avro decode is its fallback.
    figures = {"lines_per_claim": round(lines, 2), "decode_us_per_claim": round(json_us, 1),
               "avro_decode_us_per_claim": round(decode_us, 1),
               "json_forms": len(forms),
               "appraise_us_per_claim": round(appraise_us, 1)}
    return ref, Scope(min(days), max(days), "", settings.history_keep_days), figures


def main() -> int:
    import sys

    settings = Settings.load()
    claims = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    for workers in (1, 2):
        print(bench_replay(settings, claims, workers))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

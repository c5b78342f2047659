"""ClickHouse side of the replay: read stored claims with their real decisions, write results.

SQL is written for ClickHouse 18.16 and modern servers alike: ``ANY LEFT JOIN ... USING`` (a
missing right row gives default values: ``real_revision`` 0 = no decision), ``FINAL`` for the
deduplicated current rows, ``modulo(cityHash64(person_key), shards)`` to split persons across
processes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clickhouse_driver import Client

from streams.clickhouse.db import insert_rows
from streams.replay.core import REPLAY_COLUMNS, Row, Stored
from streams.replay.impact import Impact, Real

RUN_COLUMNS = (
    "run_id", "rules", "rules_version", "date_from", "date_to", "facility", "retroactive",
    "workers", "status", "started_at", "finished_at", "claims", "undecided", "affected",
    "outcome_changes", "approved_delta", "ver",
)


@dataclass(frozen=True)
class Scope:
    """Which claims a run replays: service dates ``start``..``end`` (inclusive), optionally one
    facility, with ``seed_days`` of earlier visits read as history only."""

    start: date
    end: date
    facility: str = ""
    seed_days: int = 400

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "facility": self.facility,
                "seed_from": self.start - timedelta(days=self.seed_days)}

    def replayed_filter(self) -> str:
        """SQL condition on claim_payloads: the claim is one to re-appraise."""
        where = "service_date >= %(start)s AND service_date <= %(end)s"
        return where + (" AND facility = %(facility)s" if self.facility else "")


def count_claims(client: Client, scope: Scope) -> int:
    rows = client.execute(f"SELECT count() FROM claim_payloads FINAL "
                          f"WHERE {scope.replayed_filter()}", scope.params())
    return int(rows[0][0])


def shard_query(scope: Scope, shards: int, shard: int, json_schema: str
                ) -> tuple[str, dict[str, Any]]:
    """Stored claims of the persons with a claim in scope (and in this shard), with history
    back to ``seed_from``, ordered by person then arrival; each with its real decision. Each
    claim comes as one ``event``: its JSON form when one was written with the schema tagged
    ``json_schema`` (``json_form`` = 1), else its Avro bytes — the big strings are what the
    server's FINAL, JOIN and sort spend their time on, so only one of them is carried."""
    hashed = f"modulo(cityHash64(person_key), {shards}) = {shard}" if shards > 1 else "1"
    usable = "claim_json_schema = %(json_schema)s AND notEmpty(claim_json)" if json_schema else "0"
    query = f"""
SELECT event, json_form, ({scope.replayed_filter()}) AS replay,
       real_revision, real_outcome, real_approved, real_rules_version, real_hit_codes
FROM
(
    SELECT facility, claim_id, version, person_key, submitted_at, service_date,
           {usable} AS json_form, if(json_form, claim_json, payload) AS event
    FROM claim_payloads FINAL
    WHERE service_date >= %(seed_from)s AND service_date <= %(end)s AND {hashed}
      AND person_key IN (SELECT person_key FROM claim_payloads
                         WHERE {scope.replayed_filter()} AND {hashed})
)
ANY LEFT JOIN
(
    SELECT facility, claim_id, version, revision AS real_revision, outcome AS real_outcome,
           approved AS real_approved, rules_version AS real_rules_version,
           hit_codes AS real_hit_codes
    FROM decisions FINAL
    WHERE service_date >= %(seed_from)s AND service_date <= %(end)s
) USING (facility, claim_id, version)
ORDER BY person_key, submitted_at, service_date, facility, claim_id, version
"""
    return query, {**scope.params(), "json_schema": json_schema}


def read_shard(client: Client, scope: Scope, shards: int, shard: int, json_schema: str
               ) -> Iterator[Stored]:
    """Stream the shard's stored claims (bytes columns: the payload is raw Avro), with the JSON
    forms tagged ``json_schema`` (``streams.sink.payload_json.Layout.tag``; "": Avro only)."""
    query, params = shard_query(scope, shards, shard, json_schema)
    for event, json_form, replay, revision, outcome, approved, rules_version, codes in (
            client.execute_iter(query, params,
                                settings={"strings_as_bytes": True, "max_block_size": 8192})):
        real = None if not revision else Real(
            int(revision), outcome.decode(), float(approved), rules_version.decode(),
            tuple(c.decode() for c in codes))
        if json_form:
            yield Stored(b"", bool(replay), real, event)
        else:
            yield Stored(event, bool(replay), real)


def write_results(client: Client, rows: Sequence[Row], settings: dict[str, Any]) -> None:
    if rows:
        insert_rows(client, "replay_decisions", REPLAY_COLUMNS, rows, settings)


def run_row(run_id: str, rules: str, rules_version: str, scope: Scope, retroactive: bool,
            workers: int, status: str, started_at: datetime, impact: Impact | None = None,
            ) -> dict[str, Any]:
    """A ``replay_runs`` row: ver 0 while running, 1 once finished (the last one wins)."""
    t = impact.total if impact else None
    done = status != "running"
    return {
        "run_id": run_id, "rules": rules, "rules_version": rules_version,
        "date_from": scope.start, "date_to": scope.end, "facility": scope.facility,
        "retroactive": int(retroactive), "workers": workers, "status": status,
        "started_at": started_at, "finished_at": datetime.now(UTC) if done else started_at,
        "claims": t.claims if t else 0, "undecided": impact.undecided if impact else 0,
        "affected": t.affected if t else 0, "outcome_changes": t.outcome_changes if t else 0,
        "approved_delta": t.delta_cents / 100 if t else 0.0, "ver": int(done),
    }


def write_run(client: Client, row: dict[str, Any]) -> None:
    insert_rows(client, "replay_runs", RUN_COLUMNS, [row])


def changed_payloads(client: Client, run_id: str) -> list[tuple[bytes, bytes]]:
    """(person_key, event bytes) of the claims whose replayed decision changed in ``run_id``,
    per person in arrival order (the order they must reach the worker again)."""
    rows = client.execute(
        "SELECT person_key, payload FROM claim_payloads FINAL "
        "WHERE (facility, claim_id, version) IN (SELECT facility, claim_id, version "
        "FROM replay_decisions FINAL WHERE run_id = %(run)s AND changed = 1) "
        "ORDER BY person_key, submitted_at, claim_id, version",
        {"run": run_id}, settings={"strings_as_bytes": True})
    return [(key, payload) for key, payload in rows]

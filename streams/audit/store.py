"""ClickHouse side of the audit: which of a set of claim versions have a decision stored."""

from __future__ import annotations

from collections.abc import Collection

from clickhouse_driver import Client

from streams.audit.compare import Identity

_CHUNK = 50_000
_STRUCTURE = [("facility", "String"), ("claim_id", "String"), ("version", "UInt32")]


def decided(client: Client, identities: Collection[Identity]) -> set[Identity]:
    """The ``identities`` with at least one row in ``decisions``.

    Existence needs no FINAL: any row of a claim version is a decision of it. The identities go
    to the server as an external table, so the lookup is one primary-key range read per chunk
    whatever the size of ``decisions``.
    """
    ids = list(identities)
    out: set[Identity] = set()
    for i in range(0, len(ids), _CHUNK):
        data = [{"facility": f, "claim_id": c, "version": v} for f, c, v in ids[i:i + _CHUNK]]
        rows = client.execute(
            "SELECT DISTINCT facility, claim_id, version FROM decisions "
            "WHERE (facility, claim_id, version) IN (SELECT facility, claim_id, version "
            "FROM audit_ids)",
            external_tables=[{"name": "audit_ids", "structure": _STRUCTURE, "data": data}])
        out.update((f, c, int(v)) for f, c, v in rows)
    return out

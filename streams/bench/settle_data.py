"""Decisions of a simulated settlement period, as the worker would emit them, written the way
the sink writes them (its row builders: decisions, rule_hits, decision_revisions).

Each claim gets an outcome drawn from the usual mix: accepted, a rule's line cut (CT02), a rule's
rejection (CB01), a warning still waiting for an appraiser (XC02), and an appraiser's line cut
(a second revision with a REVIEW hit, reviewed_by set). Some claims have a second version.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clickhouse_driver import Client

from streams.sink.consumer import insert_tables
from streams.sink.review_rows import decision_trail_tables

Record = dict[str, Any]
OUTCOMES = ("ACCEPT", "CUT", "REJECT", "WARN", "REVIEWED")
_WEIGHTS = (70, 12, 4, 6, 8)
_HIT = {"CT02": ("PARTIAL", "Unit price above the approved price"),
        "CB01": ("REJECT", "Card not valid on the visit date"),
        "XC02": ("WARNING", "Inpatient stays of the same person overlap at two facilities"),
        "REVIEW": ("PARTIAL", "Appraiser's line rejection")}


def hit(code: str, amount: float, line: int | None = 1) -> Record:
    severity, title = _HIT[code]
    return {"code": code, "rule_version": "2025-01-01", "severity": severity, "title": title,
            "message": title, "message_vi": title, "threshold": None, "legal_basis": "",
            "table": "XML1" if line is None else "XML2", "line": line, "amount": amount,
            "inputs": {}}


def decision(facility: str, claim_id: str, served: date, outcome: str, requested: float,
             rejected: float = 0.0, hits: Sequence[Record] = (), *, version: int = 1,
             revision: int = 1, reviewed_by: str = "", decided_at: datetime | None = None
             ) -> Record:
    at = decided_at or datetime.combine(served, time(3), UTC) + timedelta(days=2)
    return {"facility": facility, "claim_id": claim_id, "version": version,
            "revision": revision, "person_key": f"P{zlib.crc32(claim_id.encode()):010d}",
            "content_hash": f"sha256:{claim_id}:{version}", "submitted_at": at,
            "decided_at": at, "service_date": served, "outcome": outcome,
            "requested": requested, "approved": round(requested - rejected, 2),
            "rejected": rejected, "rules_version": "2025.03.1", "adjustments": [],
            "hits": list(hits), "reviewed_by": reviewed_by,
            "review_id": f"{zlib.crc32(f'{claim_id}|{revision}'.encode()):032x}"
            if reviewed_by else ""}


def claim_decisions(rng: random.Random, facility: str, claim_id: str, served: date
                    ) -> list[Record]:
    """The decision revisions of one claim (one or two), by the mix above."""
    amount = round(rng.uniform(50_000, 5_000_000), 2)
    kind = rng.choices(OUTCOMES, _WEIGHTS)[0]
    if kind == "ACCEPT":
        return [decision(facility, claim_id, served, "ACCEPT", amount)]
    if kind == "CUT":
        cut = round(amount * rng.uniform(0.05, 0.4), 2)
        return [decision(facility, claim_id, served, "PARTIAL_REJECT", amount, cut,
                         [hit("CT02", cut)])]
    if kind == "REJECT":
        return [decision(facility, claim_id, served, "REJECT", amount, amount,
                         [hit("CB01", amount, None)])]
    warn = decision(facility, claim_id, served, "WARN", amount, 0.0,
                    [hit("XC02", amount, None)])
    if kind == "WARN":
        return [warn]
    cut = round(amount * rng.uniform(0.1, 0.5), 2)
    reviewed = decision(facility, claim_id, served, "PARTIAL_REJECT", amount, cut,
                        [hit("XC02", amount, None), hit("REVIEW", cut)], revision=2,
                        reviewed_by="lan", decided_at=warn["decided_at"] + timedelta(days=3))
    return [warn, reviewed]


def simulate(facilities: Sequence[str], claims_per_facility: int, start: date, end: date,
             seed: int = 15) -> Iterator[Record]:
    """Every decision revision of ``claims_per_facility`` claims per facility served in
    [start, end]; one claim in 20 also has a second version."""
    rng = random.Random(seed)
    days = (end - start).days + 1
    for facility in facilities:
        for n in range(claims_per_facility):
            served = start + timedelta(days=rng.randrange(days))
            claim_id = f"{facility}_{served:%Y%m}_{n:06d}"
            yield from claim_decisions(rng, facility, claim_id, served)
            if rng.random() < 0.05:
                for d in claim_decisions(rng, facility, claim_id, served):
                    yield {**d, "version": 2}


def store(client: Client, decisions: Sequence[Record], now: datetime | None = None) -> int:
    """Write decisions as the sink does; returns the rows written."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    tables: dict[str, list[Record]] = {}
    for d in decisions:
        for table, rows in decision_trail_tables(d, now).items():
            tables.setdefault(table, []).extend(rows)
    insert_tables(client, tables)
    return sum(len(rows) for rows in tables.values())

"""What the claim view and the rule-quality page read from ClickHouse.

The claim itself is decoded from the Avro bytes the sink stored (claim_payloads), so the view
shows exactly what the facility sent, names of drugs and services included. One connection is
shared by request threads behind a lock (the driver is not thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from clickhouse_driver import Client

Record = dict[str, Any]

_PAYLOAD = ("SELECT payload FROM claim_payloads FINAL WHERE facility = %(f)s AND "
            "claim_id = %(c)s AND version = %(v)s LIMIT 1")
# The person's other visits, newest first, with their current decision.
_VISITS = """
SELECT c.facility, c.claim_id, c.version, c.ngay_vao, c.ngay_ra, c.ma_benh_chinh, c.ma_loai_kcb,
       c.t_bhtt, d.outcome, d.approved
FROM (SELECT * FROM claims FINAL WHERE person_key = %(p)s) AS c
LEFT JOIN (SELECT facility, claim_id, version, outcome, approved FROM decisions FINAL
           WHERE person_key = %(p)s) AS d
USING (facility, claim_id, version)
WHERE NOT (c.facility = %(f)s AND c.claim_id = %(c)s)
ORDER BY c.ngay_vao DESC LIMIT %(n)s
"""
_VISIT_COLUMNS = ("facility", "claim_id", "version", "admitted", "discharged", "diagnosis",
                  "kind", "t_bhtt", "outcome", "approved")
_REVISIONS = ("SELECT revision, outcome, requested, approved, rejected, reviewed_by, review_id, "
              "decided_at, hit_codes FROM decision_revisions FINAL WHERE facility = %(f)s AND "
              "claim_id = %(c)s AND version = %(v)s ORDER BY revision")
_REVISION_COLUMNS = ("revision", "outcome", "requested", "approved", "rejected", "reviewed_by",
                     "review_id", "decided_at", "hit_codes")
_QUALITY = "SELECT * FROM rule_quality ORDER BY reviewed DESC, code"


class ConsoleStore:
    def __init__(self, client: Client, decode: Callable[[bytes, str], Record]) -> None:
        self._client = client
        self._decode = decode
        self._lock = threading.Lock()

    def _rows(self, sql: str, params: Record, **settings: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            rows: list[tuple[Any, ...]] = self._client.execute(sql, params, settings=settings)
        return rows

    def claim(self, facility: str, claim_id: str, version: int) -> Record | None:
        """The claim as received, decoded; None until the sink has stored it."""
        rows = self._rows(_PAYLOAD, {"f": facility, "c": claim_id, "v": version},
                          strings_as_bytes=True)
        return self._decode(rows[0][0], "claim") if rows else None

    def visits(self, person_key: str, facility: str, claim_id: str, n: int = 6) -> list[Record]:
        rows = self._rows(_VISITS, {"p": person_key, "f": facility, "c": claim_id, "n": n})
        return [dict(zip(_VISIT_COLUMNS, r, strict=True)) for r in rows]

    def revisions(self, facility: str, claim_id: str, version: int) -> list[Record]:
        rows = self._rows(_REVISIONS, {"f": facility, "c": claim_id, "v": version})
        return [dict(zip(_REVISION_COLUMNS, r, strict=True)) for r in rows]

    def rule_quality(self) -> list[Record]:
        with self._lock:
            rows, columns = self._client.execute(_QUALITY, with_column_types=True)
        names = [c[0] for c in columns]
        return [dict(zip(names, r, strict=True)) for r in rows]

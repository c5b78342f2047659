"""The review trail on the REAL ClickHouse (18.16 here): a claim's reviews and revisions written
with the sink's row builders, twice (a replayed batch), read back through the tables and the
views rule_quality and explanations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rules.review import apply_review
from streams.clickhouse.db import connect, migrate
from streams.codec import from_json
from streams.settings import Settings
from streams.sink.consumer import insert_tables
from streams.sink.review_rows import decision_trail_tables, review_tables
from tests.unit.shared.examples import AVRO, codec_in

pytestmark = pytest.mark.clickhouse
NOW = datetime(2025, 3, 20, 3, 0, tzinfo=UTC)
Record = dict[str, Any]


def _example(tmp: Path, kind: str, name: str) -> Record:
    codec = codec_in(tmp)
    raw = json.loads((AVRO / "examples" / kind / f"{name}.json").read_text(encoding="utf-8"))
    record: Record = from_json(codec.schema(kind), raw)
    return record


def _store(settings: Settings, decisions: list[Record], reviews: list[Record]) -> None:
    tables: dict[str, list[Record]] = {}
    for tabled in [*(decision_trail_tables(d, NOW) for d in decisions),
                   *(review_tables(r, NOW) for r in reviews)]:
        for table, rows in tabled.items():
            tables.setdefault(table, []).extend(rows)
    insert_tables(connect(settings), tables)


def test_revisions_rule_quality_and_explanations(isolated: Settings, tmp_path: Path) -> None:
    migrate(isolated, progress=lambda _m: None)
    first = _example(tmp_path, "decision", "warn-overlapping-stay")
    request = _example(tmp_path, "review", "request-explanation")
    explain = _example(tmp_path, "review", "explain")
    confirm = _example(tmp_path, "review", "confirm")
    reject = {**_example(tmp_path, "review", "reject-lines"), "base_revision": 2,
              "request_id": request["review_id"]}
    # Made on a revision that had changed: the worker applies nothing, so rule_quality must
    # not count its verdict.
    stale = {**_example(tmp_path, "review", "clear-hits-after-explanation"),
             "review_id": "9" * 32, "base_revision": 1, "request_id": None,
             "at": datetime(2025, 3, 16, tzinfo=UTC)}  # the latest verdict by time
    second = apply_review(first, confirm, NOW)
    assert second is not None
    third = apply_review(second, reject, NOW + timedelta(seconds=1))
    assert third is not None and apply_review(third, stale, NOW) is None
    # A second request, unanswered past its due date: expired (its proposal applied).
    late = {**request, "review_id": "1" * 32, "base_revision": 3,
            "proposal": "REJECT_LINES", "lines": [{"table": "XML2", "line": 4,
                                                    "amount": 1000.0}]}
    expire = {**_example(tmp_path, "review", "expire"), "review_id": "2" * 32,
              "request_id": late["review_id"], "base_revision": 3, "proposal": "REJECT_LINES",
              "lines": late["lines"]}
    fourth = apply_review(third, expire, NOW + timedelta(seconds=2))
    assert fourth is not None
    waiting = {**request, "review_id": "3" * 32, "base_revision": 4}
    decisions = [first, second, third, fourth]
    reviews = [request, explain, confirm, reject, stale, late, expire, waiting,
               _example(tmp_path, "review", "unlock")]
    _store(isolated, decisions, reviews)
    _store(isolated, decisions, reviews)  # a replayed sink batch collapses
    client = connect(isolated)

    revisions = client.execute(
        "SELECT revision, reviewed_by, review_id, outcome, rejected FROM decision_revisions "
        "FINAL ORDER BY revision")
    assert [(r, by, rid) for r, by, rid, _, _ in revisions] == [
        (1, "", ""), (2, "lan", confirm["review_id"]), (3, "lan", reject["review_id"]),
        (4, "system", expire["review_id"])]
    assert revisions[2][3:] == ("PARTIAL_REJECT", Decimal("23520.00"))
    assert client.execute("SELECT revision, reviewed_by FROM decisions FINAL") == [(4, "system")]
    assert client.execute("SELECT count() FROM reviews FINAL")[0][0] == len(reviews)

    rows, columns = client.execute("SELECT * FROM rule_quality", with_column_types=True)
    quality = [dict(zip([c[0] for c in columns], r, strict=True)) for r in rows]
    (xc02,) = quality
    # Three applied verdicts on the one XC02 finding (CONFIRMED, CHANGED, CHANGED by the
    # expiry); the latest counts. The stale CLEARED does not.
    assert (xc02["code"], xc02["reviewed"], xc02["confirmed"], xc02["cleared"],
            xc02["changed"]) == ("XC02", 1, 0, 0, 1)
    assert xc02["changed_amount"] == Decimal("1659124.00") and xc02["cleared_share"] == 0

    found = client.execute("SELECT id, status, answers, answer, question, proposal, "
                           "line_tables, line_numbers, line_amounts FROM explanations "
                           "ORDER BY requested_at, id")
    by_id = {r[0]: r[1:] for r in found}
    assert set(by_id) == {request["review_id"], late["review_id"], waiting["review_id"]}
    decided = by_id[request["review_id"]]
    assert decided[:4] == ("decided", 1, explain["note"], request["note"])
    assert by_id[late["review_id"]][0] == "expired"
    assert by_id[late["review_id"]][4:] == ("REJECT_LINES", ["XML2"], [4],
                                            [Decimal("1000.00")])
    assert by_id[waiting["review_id"]][:2] == ("open", 0)

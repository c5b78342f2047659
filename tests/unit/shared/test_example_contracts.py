"""The examples of avro/ are the contracts between the processes: every claim example, sent as
a producer would, goes through the worker's processor and the sink's row builders; every
decision example, and every decision the processor makes of a claim example, goes through the
sink's row builders. The catalog and card examples are the workers' reference data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rules.engine import Engine
from streams.codec import Codec
from streams.sink import payload_json
from streams.sink.rows import (
    CLAIM_COLUMNS,
    DECISION_COLUMNS,
    HIT_COLUMNS,
    LINE_COLUMNS,
    PAYLOAD_COLUMNS,
    claim_tables,
    decision_tables,
    payload_row,
)
from streams.worker.processor import Appraisal, Enrichment, process
from tests.unit.shared.examples import AVRO, codec_in, example, reference

CLAIMS = sorted(AVRO.glob("examples/claim/*.json"))
DECISIONS = sorted(AVRO.glob("examples/decision/*.json"))
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
MONEY = ("t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bntt", "t_bncct", "t_bhtt",
         "t_nguonkhac")


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    return codec_in(tmp_path_factory.mktemp("reg"))


@pytest.fixture(scope="module")
def ref(codec: Codec) -> Enrichment:
    catalog, cards = reference(codec)
    assert len(catalog) and len(cards)
    return Enrichment(Engine.load(), catalog, cards)


def assert_decision_rows(decision: dict[str, Any]) -> None:
    tables = decision_tables(decision, NOW)
    assert set(tables) == {"decisions", "rule_hits"}
    (row,) = tables["decisions"]
    assert set(row) == set(DECISION_COLUMNS)
    assert all(set(hit) == set(HIT_COLUMNS) for hit in tables["rule_hits"])
    assert len(tables["rule_hits"]) == row["hit_count"] == len(decision["hits"])
    assert row["hit_codes"] == sorted({h["code"] for h in decision["hits"]})
    for key in ("facility", "claim_id", "version", "revision", "person_key", "outcome"):
        assert row[key] == decision[key], key
    for key in ("requested", "approved", "rejected"):
        assert row[key] == Decimal(f"{decision[key]:.2f}"), key
    assert row["requested"] == row["approved"] + row["rejected"]


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.name)
def test_claim_example_is_appraised_and_its_decision_stored(codec: Codec, ref: Enrichment,
                                                            path: Path) -> None:
    data, claim = example(codec, path)
    key = claim["person_key"].encode()
    out = process(codec.decode, key, data, lambda _key: [], ref)
    assert isinstance(out, Appraisal), out
    decision = out.decision
    for field in ("facility", "claim_id", "version", "person_key", "content_hash"):
        assert decision[field] == claim[field], field
    assert decision["requested"] == pytest.approx(claim["header"]["t_bhtt"])
    # What the worker sends is what the sink reads back.
    sent = codec.decode(codec.encode("decision", decision), "decision")
    assert_decision_rows(sent)
    # The same event again (at-least-once delivery): the stored decision, unchanged.
    again = process(codec.decode, key, data, lambda _key: out.visits, ref)
    assert isinstance(again, Appraisal) and again.replayed and again.decision == decision


@pytest.mark.parametrize("path", CLAIMS, ids=lambda p: p.name)
def test_claim_example_becomes_claim_line_and_payload_rows(codec: Codec, path: Path) -> None:
    data, claim = example(codec, path)
    tables = claim_tables(claim, NOW)
    (row,) = tables["claims"]
    assert set(row) == set(CLAIM_COLUMNS)
    lines = tables["claim_lines"]
    assert len(lines) == len(claim["drugs"]) + len(claim["services"]) > 0
    assert all(set(line) == set(LINE_COLUMNS) for line in lines)
    assert {line["claim_id"] for line in lines} == {claim["claim_id"]}
    for key in MONEY:
        assert row[key] == Decimal(f"{claim['header'][key]:.2f}"), key
    assert row["drug_lines"] == len(claim["drugs"])
    layout = payload_json.load_layout(AVRO / "schemas")
    assert layout is not None
    payload = payload_row(claim, data, NOW, layout)
    assert set(payload) == set(PAYLOAD_COLUMNS)
    assert payload["payload"] == data
    assert payload["claim_json_schema"] == layout.tag  # the exact form replay reads
    assert payload_json.loads(payload["claim_json"], layout) == claim


@pytest.mark.parametrize("path", DECISIONS, ids=lambda p: p.name)
def test_decision_example_becomes_decision_and_hit_rows(codec: Codec, path: Path) -> None:
    _data, decision = example(codec, path)
    assert_decision_rows(decision)


REVIEWS = sorted(AVRO.glob("examples/review/*.json"))


@pytest.mark.parametrize("path", REVIEWS, ids=lambda p: p.name)
def test_review_example_is_applied_by_the_worker_and_stored_by_the_sink(codec: Codec,
                                                                        path: Path) -> None:
    """Each review example is an action on the warn-overlapping-stay decision of the inpatient
    claim example: the worker's review step takes it as sent, and the new revision (if any) and
    the review itself become the sink's rows."""
    from rules.review import applies
    from streams.sink.review_rows import (
        REVIEW_COLUMNS,
        REVIEW_HIT_COLUMNS,
        REVISION_COLUMNS,
        decision_trail_tables,
        review_tables,
    )
    from streams.worker.processor import DeadLetter
    from streams.worker.review import decode_review, review_visit

    data, review = example(codec, path)
    _, decision = example(codec, AVRO / "examples/decision/warn-overlapping-stay.json")
    _, claim = example(codec, AVRO / "examples/claim/inpatient-pneumonia-20-lines.json")
    key = review["person_key"].encode()
    assert decode_review(codec.decode, key, data) == review
    visits = [{"facility": decision["facility"], "claim_id": decision["claim_id"],
               "version": decision["version"], "decision": decision}]
    step = review_visit(visits, review, NOW, lambda _identity: claim)
    assert not isinstance(step, DeadLetter), step
    _, revised, result = step
    assert result == ("applied" if applies(review) else "recorded")
    if revised is not None:
        assert revised["revision"] == 2 and revised["reviewed_by"] == review["actor"]
        sent = codec.decode(codec.encode("decision", revised), "decision")
        assert_decision_rows(sent)
        (row,) = decision_trail_tables(sent, NOW)["decision_revisions"]
        assert set(row) == set(REVISION_COLUMNS) and row["review_id"] == review["review_id"]
    tables = review_tables(review, NOW)
    assert [set(r) for r in tables["reviews"]] == [set(REVIEW_COLUMNS)]
    assert len(tables["review_hits"]) == len(review["hits"])
    assert all(set(r) == set(REVIEW_HIT_COLUMNS) for r in tables["review_hits"])

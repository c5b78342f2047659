"""The worker's review step: decoded and checked, applied once, re-emitted when redelivered,
stale, unknown or only recorded; line rejections capped by the stored claim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from streams.codec import Codec, from_json
from streams.worker.processor import DeadLetter
from streams.worker.review import decode_review, review_visit
from tests.unit.shared.examples import AVRO, codec_in

DECISION = AVRO / "examples/decision/warn-overlapping-stay.json"
CLAIM = AVRO / "examples/claim/inpatient-pneumonia-20-lines.json"  # the decision's claim
NOW = datetime(2025, 3, 6, tzinfo=UTC)


def _visits() -> list[dict[str, Any]]:
    d = {**json.loads(DECISION.read_text(encoding="utf-8")), "settled": [], "cleared": []}
    return [{"facility": d["facility"], "claim_id": d["claim_id"], "version": d["version"],
             "decision": d}]


def _review(visits: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    d = visits[0]["decision"]
    return {"review_id": "c" * 32, "facility": d["facility"], "claim_id": d["claim_id"],
            "version": d["version"], "person_key": d["person_key"],
            "base_revision": d["revision"], "action": "CONFIRM", "actor": "lan",
            "actor_role": "province", "note": "ok", "at": NOW, "request_id": None,
            "due": None, "proposal": None, "lines": [], "attachments": [],
            "hits": [{"key": "XC02|XML1|0|0", "code": "XC02", "amount": 1.0,
                      "verdict": "CONFIRMED"}], **more}


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    return codec_in(tmp_path_factory.mktemp("reg"))


def _claim(codec: Codec) -> dict[str, Any]:
    claim: dict[str, Any] = from_json(codec.schema("claim"),
                                      json.loads(CLAIM.read_text(encoding="utf-8")))
    return claim


def test_applied_then_a_redelivery_re_emits_the_same_revision() -> None:
    visits = _visits()
    review = _review(visits)
    step = review_visit(visits, review, NOW)
    assert not isinstance(step, DeadLetter)
    after, decision, result = step
    assert result == "applied" and decision is not None and decision["revision"] == 2
    assert after[0]["decision"] == decision and decision["reviewed_by"] == "lan"
    assert review_visit(after, review, NOW) == (after, decision, "replayed")


def test_stale_unknown_and_recorded_reviews_change_nothing() -> None:
    visits = _visits()
    stale = _review(visits, review_id="d" * 32, base_revision=9)
    assert review_visit(visits, stale, NOW) == (visits, None, "stale")
    unknown = _review(visits, claim_id="nope")
    assert review_visit(visits, unknown, NOW) == (visits, None, "unknown_claim")
    for action in ("REQUEST_EXPLANATION", "EXPLAIN", "UNLOCK"):
        assert review_visit(visits, _review(visits, action=action), NOW) == (
            visits, None, "recorded")


def test_a_line_rejection_is_capped_at_the_stored_claims_line(codec: Codec) -> None:
    visits, claim = _visits(), _claim(codec)
    line = claim["drugs"][1]  # XML2 line 2: T_BHTT 3,360
    review = _review(visits, action="REJECT_LINES",
                     lines=[{"table": "XML2", "line": line["stt"], "amount": 35000.0}])
    step = review_visit(visits, review, NOW, lambda _identity: claim)
    assert not isinstance(step, DeadLetter)
    decision = step[1]
    assert decision is not None and decision["rejected"] == line["t_bhtt"]
    (review_hit,) = [h for h in decision["hits"] if h["code"] == "REVIEW"]
    assert review_hit["amount"] == line["t_bhtt"]
    # Without the claim (pruned from the worker's table) the claim total is the only cap.
    step = review_visit(visits, review, NOW, lambda _identity: None)
    assert not isinstance(step, DeadLetter) and step[1] is not None
    assert step[1]["rejected"] == 35000.0


def test_a_rejection_of_a_line_the_claim_does_not_have_is_a_dead_letter(codec: Codec) -> None:
    visits, claim = _visits(), _claim(codec)
    review = _review(visits, action="REJECT_LINES",
                     lines=[{"table": "XML3", "line": 99, "amount": 10.0}])
    step = review_visit(visits, review, NOW, lambda _identity: claim)
    assert isinstance(step, DeadLetter) and step.reason == "bad_review"
    assert "XML3 line 99" in step.detail


def test_unusable_events_are_dead_letters_naming_the_problem(codec: Codec) -> None:
    visits = _visits()
    encode = codec.encoder("review")
    good = _review(visits)
    key = good["person_key"].encode()
    assert decode_review(codec.decode, key, encode(good)) == codec.decode(encode(good),
                                                                          "review")
    cases = {
        "no value": (key, None),
        "wire format": (key, b"{not avro}"),
        "does not match person_key": (b"someone-else", encode(good)),
        "lines[0].amount": (key, encode(_review(visits, action="REJECT_LINES", lines=[
            {"table": "XML2", "line": 2, "amount": float("nan")}]))),
        "lines: a line rejection": (key, encode(_review(visits, action="REJECT_LINES"))),
        "proposal": (key, encode(_review(visits, action="EXPIRE", request_id="a" * 32,
                                         actor="system", actor_role="system"))),
        "note: empty": (key, encode(_review(visits, note="  "))),
        "review_id": (key, encode(_review(visits, review_id="R-1"))),
    }
    for words, (k, v) in cases.items():
        got = decode_review(codec.decode, k, v)
        assert isinstance(got, DeadLetter) and got.reason == "bad_review", words
        assert words in got.detail, (words, got.detail)

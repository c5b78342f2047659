"""The pure pipeline: decode → appraise → decision, replay and cross-claim amendments."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.cases import base_case
from rules.engine import Engine
from streams.codec import Codec, NotWireFormat
from streams.worker import history as hist
from streams.worker.processor import Appraisal, DeadLetter, Enrichment, appraise, process

NOW = datetime(2025, 3, 6, tzinfo=UTC)


def claim(**header: Any) -> dict[str, Any]:
    c = copy.deepcopy(base_case().claim)
    c["header"].update(header)
    return c


def inpatient_at(facility: str, claim_id: str, start: datetime, days: int) -> dict[str, Any]:
    # Route 1.2 (thông tuyến): the card is registered at 79001, not at every facility (CB03).
    c = claim(ma_loai_kcb="03", ma_doituong_kcb="1.2", ngay_vao=start,
              ngay_ra=start + timedelta(days=days),
              ngay_ttoan=start + timedelta(days=days, minutes=30), so_ngay_dtri=days + 1)
    c.update(facility=facility, claim_id=claim_id, content_hash=f"h-{claim_id}")
    c["submitted_at"] = (start + timedelta(days=days, hours=-6)).replace(tzinfo=UTC)
    for line in c["drugs"] + c["services"]:  # order, execution and result inside the stay
        for name in ("ngay_yl", "ngay_th_yl", "ngay_kq"):
            if line.get(name) is not None:
                line[name] = start + timedelta(hours=1)
    return c


def test_clean_claim_is_accepted_and_recorded(ref: Enrichment) -> None:
    out = appraise(claim(), [], ref, now=lambda: NOW)
    assert out.decision["outcome"] == "ACCEPT" and out.decision["hits"] == []
    assert out.decision["requested"] == out.decision["approved"]
    assert [v["claim_id"] for v in out.visits] == [out.claim["claim_id"]]
    assert not out.replayed and out.review == []


def test_replay_re_emits_the_stored_decision(ref: Enrichment) -> None:
    first = appraise(claim(), [], ref, now=lambda: NOW)
    again = appraise(claim(), first.visits, ref, now=lambda: NOW + timedelta(hours=1))
    assert again.replayed and again.decision == first.decision
    assert again.visits == first.visits and again.amendments == []


def test_overlap_amends_the_earlier_claim_once(ref: Enrichment) -> None:
    start = datetime(2025, 3, 1, 8)
    a = inpatient_at("79001", "A1", start, 4)
    b = inpatient_at("79002", "B1", start + timedelta(days=2), 4)
    b["person_key"] = a["person_key"]
    first = appraise(a, [], ref, now=lambda: NOW)
    assert first.decision["outcome"] == "ACCEPT"
    second = appraise(b, first.visits, ref, now=lambda: NOW)
    assert [h["code"] for h in second.decision["hits"]] == ["XC02"]
    assert len(second.amendments) == 1
    amended = second.amendments[0]
    assert (amended["claim_id"], amended["revision"], amended["outcome"]) == ("A1", 2, "WARN")
    assert {d["claim_id"] for d in second.review} == {"A1", "B1"}
    stored = hist.find(second.visits, ("79001", "A1", 1))
    assert stored is not None and stored["decision"]["revision"] == 2
    # The same second claim replayed: nothing amended twice.
    replay = appraise(b, second.visits, ref, now=lambda: NOW)
    assert replay.replayed and replay.amendments == []


def test_process_dead_letters_bad_events(ref: Enrichment) -> None:
    def decode(data: bytes, reader: str) -> dict[str, Any]:
        if not data.startswith(b"\0"):
            raise NotWireFormat("bad magic byte")
        return claim()

    bad = process(decode, b"k", b"{json}", lambda k: [], ref)
    assert isinstance(bad, DeadLetter) and bad.reason == "not_wire_format"
    empty = process(decode, b"k", None, lambda k: [], ref)
    assert isinstance(empty, DeadLetter) and empty.reason == "empty"
    wrong_key = process(decode, b"someone-else", b"\0ok", lambda k: [], ref)
    assert isinstance(wrong_key, DeadLetter) and wrong_key.reason == "bad_key"
    good = process(decode, claim()["person_key"].encode(), b"\0ok", lambda k: [], ref)
    assert isinstance(good, Appraisal)


def test_decisions_encode_with_the_decision_schema(ref: Enrichment, tmp_path: Any) -> None:
    from streams.settings import Settings

    codec = Codec.from_settings(Settings.load())
    start = datetime(2025, 3, 1, 8)
    a = inpatient_at("79001", "A1", start, 4)
    b = inpatient_at("79002", "B1", start + timedelta(days=1), 2)
    out = appraise(b, appraise(a, [], ref, now=lambda: NOW).visits, ref, now=lambda: NOW)
    for d in (out.decision, *out.amendments):
        back = codec.decode(codec.encode("decision", d), "decision")
        assert back["hits"][0]["code"] == "XC02" and back["revision"] == d["revision"]


def test_reappraisal_with_unchanged_rules_keeps_the_decision(ref: Enrichment) -> None:
    first = appraise(claim(), [], ref, now=lambda: NOW)
    again = appraise(claim(), first.visits, ref, now=lambda: NOW, reappraise=True)
    assert again.replayed and again.decision == first.decision


def test_reappraisal_under_changed_rules_is_a_new_revision(ref: Enrichment) -> None:
    first = appraise(claim(), [], ref, now=lambda: NOW)
    # A retroactive change no claim can meet: every claim arrives "late".
    stricter = Engine.load(overrides={"SB01": {"max_hours": -1}})
    changed = Enrichment(stricter, ref.catalog, ref.cards)
    later = NOW + timedelta(days=30)
    out = appraise(claim(), first.visits, changed, now=lambda: later, reappraise=True)
    assert not out.replayed
    assert out.decision["revision"] == 2 and out.decision["decided_at"] == later
    assert out.decision["rules_version"] == stricter.version != ref.engine.version
    assert out.decision["outcome"] != first.decision["outcome"]
    assert out.visits[-1]["decision"] == out.decision


def test_stored_inpatient_flag_follows_the_xc02_parameters(ref: Enrichment) -> None:
    day_care = claim(ma_loai_kcb="04")
    assert appraise(day_care, [], ref, now=lambda: NOW).visits[-1]["inpatient"] is True
    narrower = Enrichment(Engine.load(overrides={"XC02": {"inpatient_types": ["03"]}}),
                          ref.catalog, ref.cards)
    assert appraise(day_care, [], narrower, now=lambda: NOW).visits[-1]["inpatient"] is False

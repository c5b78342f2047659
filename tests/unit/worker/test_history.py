from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from streams.worker import history as hist


def visit(claim_id: str, day: int, facility: str = "79001", version: int = 1) -> hist.Visit:
    admitted = datetime(2025, 1, 1, 8) + timedelta(days=day)
    return {
        "facility": facility, "claim_id": claim_id, "version": version, "content_hash": "h",
        "admitted": admitted, "discharged": admitted + timedelta(hours=2), "inpatient": False,
        "kind": "01", "diagnosis": "J00", "outcome": 1, "copay": 12000.0,
        "status": "under_appraisal",
        "decision": {"facility": facility, "claim_id": claim_id, "version": version,
                     "submitted_at": datetime(2025, 1, 1, 12, tzinfo=UTC),
                     "decided_at": datetime(2025, 1, 2, tzinfo=UTC),
                     "service_date": date(2025, 1, 1), "hits": []},
    }


def test_round_trip_keeps_local_and_utc_times_apart() -> None:
    visits = [visit("a", 0), visit("b", 3)]
    back = hist.loads(hist.dumps(visits))
    assert back == visits
    assert back[0]["admitted"].tzinfo is None
    assert back[0]["decision"]["decided_at"].tzinfo is not None
    assert isinstance(back[0]["decision"]["service_date"], date)


def test_visits_stored_before_the_care_fields_load_with_defaults() -> None:
    old = visit("a", 0)
    for name in ("kind", "diagnosis", "outcome", "copay"):
        del old[name]
    back = hist.loads(hist.dumps([old]))[0]
    assert (back["kind"], back["diagnosis"], back["outcome"], back["copay"]) == ("", "", 0, 0.0)


def test_loads_of_nothing_is_empty() -> None:
    assert hist.loads(None) == [] and hist.loads(b"") == []


def test_record_replaces_same_identity_and_keeps_order() -> None:
    visits = hist.record([visit("b", 5), visit("a", 1)], visit("c", 3), 400, 6)
    assert [v["claim_id"] for v in visits] == ["a", "c", "b"]
    again = hist.record(visits, {**visit("c", 3), "content_hash": "new"}, 400, 6)
    found = hist.find(again, ("79001", "c", 1))
    assert len(again) == 3 and found is not None and found["content_hash"] == "new"


def test_old_visits_expire_but_the_last_six_always_stay() -> None:
    visits: list[hist.Visit] = []
    for day in range(0, 1000, 100):  # ten visits over ~3 years
        visits = hist.record(visits, visit(f"c{day}", day), keep_days=400, min_visits=6)
    assert len(visits) == 6
    assert [v["claim_id"] for v in visits][-1] == "c900"
    recent: list[hist.Visit] = []
    for day in range(10):  # ten visits in ten days: all younger than keep_days
        recent = hist.record(recent, visit(f"d{day}", day), keep_days=400, min_visits=6)
    assert len(recent) == 10


def test_prior_hides_the_claim_itself_only() -> None:
    visits = [visit("a", 0), visit("a", 0, version=2), visit("b", 1)]
    claim = {"facility": "79001", "claim_id": "a", "version": 2}
    before = hist.prior(visits, claim)
    assert [(v["claim_id"], v["version"]) for v in before] == [("a", 1), ("b", 1)]

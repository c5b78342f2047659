"""The audit's comparison: acknowledged vs decided, the state of each undecided claim, lags."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from streams.audit.compare import (
    NO_EVENT,
    PASSED,
    PENDING,
    ClaimEvent,
    Lag,
    ReceiptRef,
    Stage,
    caught_up,
    compare,
    stage_lag,
)
from streams.audit.kafka_log import Window
from streams.audit.run import parse_instant

A, B, C = ("79001", "A", 1), ("79001", "B", 1), ("79001", "C", 2)


def event(partition: int, offset: int, ts: float, ident: tuple[str, str, int] | None
          ) -> ClaimEvent:
    return ClaimEvent(partition, offset, ts, ident)


def test_decided_claims_are_not_reported_and_undecided_ones_carry_position_and_age() -> None:
    events = [event(0, 0, 100.0, A), event(0, 1, 110.0, B), event(1, 0, 120.0, C)]
    out = compare(events, [], decided={A}, dead_lettered=set(), committed={}, now=130.0)
    assert [(u.identity, u.partition, u.offset, u.age) for u in out.undecided] == [
        (B, 0, 1, 20.0), (C, 1, 0, 10.0)]  # oldest first
    assert (out.claims, out.events) == (3, 3)


def test_bound_keeps_only_claims_at_least_that_old() -> None:
    events = [event(0, 0, 100.0, A), event(0, 1, 125.0, B)]
    out = compare(events, [], set(), set(), {}, now=130.0)
    assert [u.identity for u in out.past(10.0)] == [A]
    assert [u.identity for u in out.past(0.0)] == [A, B]


def test_state_says_whether_the_worker_group_committed_past_the_claim() -> None:
    events = [event(0, 5, 0.0, A), event(0, 9, 0.0, B), event(1, 3, 0.0, C)]
    out = compare(events, [], set(), set(), committed={0: 6, 1: 3}, now=60.0)
    states = {u.identity: u.state for u in out.undecided}
    assert states == {A: PASSED, B: PENDING, C: PENDING}  # committed = next offset to read


def test_dead_lettered_and_undecodable_events_are_counted_apart_not_undecided() -> None:
    events = [event(0, 0, 0.0, A), event(0, 1, 0.0, None), event(0, 2, 0.0, B)]
    out = compare(events, [], set(), dead_lettered={(0, 0)}, committed={}, now=60.0)
    assert [u.identity for u in out.undecided] == [B]
    assert (out.dead_lettered, out.undecodable, out.claims) == (1, 1, 1)


def test_a_claim_sent_twice_is_judged_by_its_first_event() -> None:
    events = [event(0, 7, 50.0, A), event(0, 2, 10.0, A)]  # a redrive, then the original
    (u,) = compare(events, [], set(), set(), {}, now=60.0).undecided
    assert (u.offset, u.age) == (2, 50.0)


def test_receipts_without_an_event_are_reported_unless_decided() -> None:
    receipts = [ReceiptRef(A, 10.0), ReceiptRef(B, 20.0), ReceiptRef(C, 30.0)]
    out = compare([event(0, 0, 5.0, A)], receipts, decided={B}, dead_lettered=set(),
                  committed={}, now=60.0)
    assert [(u.identity, u.state) for u in out.undecided] == [(A, PENDING), (C, NO_EVENT)]
    assert out.claims == 3


def test_lag_counts_from_the_log_start_when_nothing_was_committed() -> None:
    assert Lag("g", "t", 0, None, 3, 10).behind == 7
    assert Lag("g", "t", 0, 8, 3, 10).behind == 2
    assert Lag("g", "t", 0, 1, 3, 10).behind == 7  # committed below a truncated log start
    assert Lag("g", "t", 0, 10, 3, 10).behind == 0


def test_stages_are_caught_up_only_when_all_their_partitions_are() -> None:
    lags = [Lag("w", "claims", 0, 5, 0, 5), Lag("w", "practice", 0, 4, 0, 6),
            Lag("s", "claims", 0, 5, 0, 5), Lag("s", "decisions", 1, None, 0, 0)]
    stages = [Stage("appraisal", "w", ("claims",)), Stage("practitioner", "w", ("practice",)),
              Stage("sink", "s", ("claims", "decisions"))]
    assert caught_up(stages, lags) == {"appraisal": True, "practitioner": False, "sink": True}
    assert stage_lag(stages[1], lags) == 2


def test_instants_dates_cover_whole_utc_days_and_bad_text_is_refused() -> None:
    assert parse_instant("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_instant("2026-05-01", end=True) == datetime(2026, 5, 2, tzinfo=UTC)
    assert parse_instant("2026-05-01T07:30:00") == datetime(2026, 5, 1, 7, 30, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_instant("yesterday")


def test_window_holds_start_inclusive_end_exclusive() -> None:
    w = Window(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC))
    start = datetime(2026, 5, 1, tzinfo=UTC).timestamp()
    assert w.holds(start) and w.holds(start + 86399) and not w.holds(start + 86400)
    assert not w.holds(start - 1) and Window().holds(0.0)

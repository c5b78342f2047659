"""Chaos figures from synthetic evidence: lost, stuck, duplicated, out of order, differing."""

from __future__ import annotations

import random
from typing import Any

from streams.ops.chaos import faults
from streams.ops.chaos.count import (
    DecisionEvent,
    Evidence,
    Identity,
    Verdict,
    current,
    differing,
    duplicated,
    hits_of,
    lost_and_stuck,
    out_of_order,
    verdict,
)

ACCEPT: Verdict = ("ACCEPT", 10000, 0, ())
WARN: Verdict = ("WARN", 10000, 0, (("XC02", "XML1", -1, 10000),))


def ident(n: int) -> Identity:
    return ("79001", f"C{n:03d}", 1)


def dec(partition: int, offset: int, n: int, revision: int = 1, v: Verdict = ACCEPT
        ) -> DecisionEvent:
    return DecisionEvent(partition, offset, ident(n), revision, v)


def evidence(acked: dict[Identity, tuple[int, int]], decisions: list[DecisionEvent],
             stored: dict[Identity, int] | None = None, worker: dict[int, int] | None = None,
             sink: dict[int, int] | None = None) -> Evidence:
    if stored is None:
        stored = {d.identity: 1 for d in decisions}
    return Evidence(acked, decisions, stored, worker or {}, sink or {})


def test_undecided_claims_are_lost_once_a_stage_committed_past_them_else_stuck() -> None:
    acked = {ident(i): (0, i) for i in range(6)}
    decisions = [dec(0, 0, 0), dec(0, 1, 1), dec(0, 2, 4), dec(0, 3, 5)]
    stored = {ident(0): 1, ident(1): 1, ident(4): 0}  # claim 4 decided, not stored; 5 unstored
    ev = evidence(acked, decisions, stored, worker={0: 3}, sink={0: 3})
    lost, stuck = lost_and_stuck(ev)
    # 2: no decision, worker committed past offset 2 -> lost; 3: at the committed offset ->
    # stuck; 4: its decision is below the sink's commit -> lost; 5: decision not committed yet.
    assert lost == [ident(2), ident(4)]
    assert stuck == [ident(3), ident(5)]


def test_nothing_lost_or_stuck_when_every_acknowledged_claim_is_stored() -> None:
    acked = {ident(i): (0, i) for i in range(3)}
    ev = evidence(acked, [dec(0, i, i) for i in range(3)], worker={0: 3}, sink={0: 3})
    assert lost_and_stuck(ev) == ([], [])


def test_a_replayed_identical_decision_is_not_a_duplicate_but_two_lineages_are() -> None:
    decisions = [dec(0, 0, 1), dec(0, 5, 1),  # at-least-once replay: same verdict
                 dec(0, 1, 2), dec(0, 6, 2, v=WARN),  # revision 1 decided twice, differently
                 dec(0, 2, 3), dec(0, 3, 3, revision=2, v=WARN)]  # an amendment: fine
    stored = {ident(1): 1, ident(2): 1, ident(3): 1, ident(4): 2}  # 4: FINAL left two rows
    assert duplicated(evidence({}, decisions, stored)) == [ident(2), ident(4)]


def test_out_of_order_flags_claims_decided_after_a_later_offset_of_their_partition() -> None:
    # Claims at offsets 0..5 of partition 0; the worker skipped 2 and 3, decided 4 and 5, and
    # a restart decided 2 and 3 afterwards. Partition 1 is in order.
    acked = {ident(i): (0, i) for i in range(6)} | {ident(10 + i): (1, i) for i in range(3)}
    decisions = [dec(0, 0, 0), dec(0, 1, 1), dec(0, 2, 4), dec(0, 3, 5), dec(0, 4, 2),
                 dec(0, 5, 3), dec(0, 6, 4),  # 4 re-emitted after the restart: not its first
                 dec(1, 0, 10), dec(1, 1, 11), dec(1, 2, 12)]
    assert out_of_order(evidence(acked, decisions)) == [ident(2), ident(3)]


def test_in_order_with_replays_and_amendments_is_not_out_of_order() -> None:
    acked = {ident(i): (0, i) for i in range(4)}
    decisions = [dec(0, 0, 0), dec(0, 1, 1), dec(0, 2, 0, revision=2, v=WARN), dec(0, 3, 2),
                 dec(0, 4, 1), dec(0, 5, 2), dec(0, 6, 3)]  # restart replayed 1 and 2
    assert out_of_order(evidence(acked, decisions)) == []


def test_undecided_claims_do_not_count_as_out_of_order() -> None:
    acked = {ident(i): (0, i) for i in range(3)}
    assert out_of_order(evidence(acked, [dec(0, 0, 0), dec(0, 1, 2)])) == []


def test_current_is_the_highest_revision_and_the_last_of_equal_ones() -> None:
    a, b, c = dec(0, 0, 1), dec(0, 1, 1, revision=2, v=WARN), dec(0, 2, 1, revision=1)
    assert current([a, b, c])[ident(1)] is b
    d = dec(0, 3, 2, v=WARN)
    assert current([dec(0, 0, 2), d])[ident(2)] is d


def test_differing_compares_only_claims_present_on_both_sides() -> None:
    actual = {ident(1): "x", ident(2): "y", ident(3): "z"}
    expected = {ident(1): "x", ident(2): "other", ident(4): "w"}
    assert differing(actual, expected) == [ident(2)]


def decision(hits: list[dict[str, Any]]) -> dict[str, Any]:
    return {"outcome": "WARN", "approved": 100.004, "rejected": 0.0, "hits": hits}


def test_hits_ignore_the_given_codes_and_normalise_lines_and_cents() -> None:
    d = decision([{"code": "XC03", "table": "XML1", "line": None, "amount": 5.0},
                  {"code": "CT02", "table": "XML2", "line": 3, "amount": 1.005},
                  {"code": "XC02", "table": "XML1", "line": None, "amount": 100.0}])
    assert hits_of(d, frozenset({"XC03"})) == (("CT02", "XML2", 3, 100),
                                               ("XC02", "XML1", -1, 10000))
    assert verdict(d)[:3] == ("WARN", 10000, 0) and len(verdict(d)[3]) == 3


def test_fault_plan_is_reproducible_and_inside_the_publishing_time() -> None:
    one = faults.plan(random.Random(7), 100.0, 3, 1, 1, 60.0, 2)
    assert one == faults.plan(random.Random(7), 100.0, 3, 1, 1, 60.0, 2)
    timed, early = one
    assert [f.kind for f in timed].count(faults.WORKER) == 3 and len(timed) == 6
    assert all(10.0 <= f.at <= 90.0 for f in timed) and timed == sorted(timed)
    assert len(early) == 2 and all(1 <= n <= faults.EARLY_MAX for n in early)

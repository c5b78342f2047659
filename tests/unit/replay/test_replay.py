"""Replay, pure parts: history rebuilt per person in stream order, seeds, amendments, impact."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rules.cases import base_case
from rules.engine import Engine
from streams.replay.core import REPLAY_COLUMNS, Replayer, Stored, replay_all
from streams.replay.impact import Impact, Real, render
from streams.settings import ROOT
from streams.sink import payload_json as replay_json
from streams.worker.processor import Enrichment

CLOCK = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ref() -> Enrichment:
    ctx = base_case().context()
    return Enrichment(Engine.load(), ctx.catalog, ctx.cards)  # type: ignore[arg-type]


def stay(claim_id: str, facility: str, person: str, day: int, hours: int = 48,
         submitted_hour: int = 0) -> dict[str, Any]:
    """An inpatient stay of ``person`` admitted on March ``day`` for ``hours``."""
    claim = copy.deepcopy(base_case().claim)
    admitted = datetime(2025, 3, day, 8, 0)
    claim.update(claim_id=claim_id, facility=facility, person_key=person,
                 submitted_at=CLOCK - timedelta(days=60) + timedelta(hours=submitted_hour))
    claim["header"].update(ma_loai_kcb="03", ngay_vao=admitted,
                           ngay_ra=admitted + timedelta(hours=hours))
    return claim


def run(ref: Enrichment, items: list[tuple[dict[str, Any], bool, Real | None]]
        ) -> tuple[Replayer, list[dict[str, Any]]]:
    payloads = {f"p{i}".encode(): claim for i, (claim, _, _) in enumerate(items)}
    replayer = Replayer(payloads.__getitem__, ref, "run-1", clock=lambda: CLOCK)
    stream = [Stored(f"p{i}".encode(), replay, real) for i, (_, replay, real) in enumerate(items)]
    rows = [row for batch in replay_all(replayer, stream, batch=1) for row in batch]
    return replayer, rows


def codes(row: dict[str, Any]) -> set[str]:
    return set(row["hit_code"])


def test_seed_claim_is_history_only_and_makes_the_overlap_visible(ref: Enrichment) -> None:
    seed = stay("S1", "79002", "P1", day=1)
    later = stay("L1", "79001", "P1", day=2, submitted_hour=5)
    _, rows = run(ref, [(seed, False, None), (later, True, None)])
    assert [r["claim_id"] for r in rows] == ["L1"]  # the seed is not re-appraised or written
    assert "XC02" in codes(rows[0])
    assert set(rows[0]) == set(REPLAY_COLUMNS)


def test_later_overlap_amends_the_earlier_replayed_claim(ref: Enrichment) -> None:
    first = stay("A1", "79002", "P1", day=1)
    second = stay("B1", "79001", "P1", day=2, submitted_hour=5)
    _, rows = run(ref, [(first, True, None), (second, True, None)])
    by_id = {r["claim_id"]: r for r in rows}
    assert "XC02" in codes(by_id["B1"])
    assert "XC02" in codes(by_id["A1"])  # the amended decision, not the first one


def test_history_does_not_leak_between_persons(ref: Enrichment) -> None:
    first = stay("A1", "79002", "P1", day=1)
    other = stay("B1", "79001", "P2", day=2)
    _, rows = run(ref, [(first, True, None), (other, True, None)])
    assert all("XC02" not in codes(r) for r in rows)
    assert len(rows) == 2


def test_stream_order_decides_which_claim_sees_which(ref: Enrichment) -> None:
    # Without the overlap partner before it, the same claim alone has no XC02.
    alone = stay("B1", "79001", "P1", day=2)
    _, rows = run(ref, [(alone, True, None)])
    assert "XC02" not in codes(rows[0])


def test_replay_compares_with_the_real_decision(ref: Enrichment) -> None:
    first = stay("A1", "79002", "P1", day=1)
    second = stay("B1", "79001", "P1", day=2, submitted_hour=5)
    _, baseline = run(ref, [(first, True, None), (second, True, None)])
    # Real decisions made without XC02 (say, before the rule existed): both claims change.
    reals = {r["claim_id"]: Real(1, "ACCEPT", r["requested"], "old",
                                 tuple(sorted(codes(r) - {"XC02"}))) for r in baseline}
    replayer, rows = run(ref, [(first, True, reals["A1"]), (second, True, reals["B1"])])
    assert [r["changed"] for r in rows] == [1, 1]
    assert rows[0]["real_outcome"] == "ACCEPT" and rows[0]["real_revision"] == 1
    impact = replayer.impact
    assert impact.total.claims == 2 and impact.total.affected == 2
    assert impact.by_rule["XC02"].gained == 2 and impact.by_rule["XC02"].lost == 0
    assert impact.by_facility["79001"].affected == 1


def real(outcome: str, approved: float, *codes: str) -> Real:
    return Real(2, outcome, approved, "rules-old", tuple(codes))


def decision(facility: str, outcome: str, approved: float, *codes: str) -> dict[str, Any]:
    return {"facility": facility, "outcome": outcome, "approved": approved,
            "hits": [{"code": c} for c in codes]}


def test_impact_counts_per_facility_and_rule_in_cents() -> None:
    a, b = Impact(), Impact()
    assert a.add(decision("79001", "PARTIAL_REJECT", 70.10, "CT02"), real("ACCEPT", 100.0))
    assert not a.add(decision("79001", "ACCEPT", 50.0), real("ACCEPT", 50.0))
    assert a.add(decision("01002", "WARN", 20.0, "XC02"), real("WARN", 20.0, "XC01"))
    assert not b.add(decision("01002", "ACCEPT", 1.0), None)  # nothing to compare with
    assert b.add(decision("79001", "ACCEPT", 100.0), real("PARTIAL_REJECT", 99.99, "CT02"))
    a.merge(b)
    assert (a.total.claims, a.total.affected, a.total.outcome_changes) == (4, 3, 2)
    assert a.total.delta_cents == -2990 + 0 + 1
    assert a.undecided == 1
    f = a.by_facility["79001"]
    assert (f.claims, f.affected, f.outcome_changes, f.delta_cents) == (3, 2, 2, -2989)
    ct02 = a.by_rule["CT02"]
    assert (ct02.affected, ct02.gained, ct02.lost, ct02.delta_cents) == (2, 1, 1, -2989)
    assert (a.by_rule["XC02"].gained, a.by_rule["XC01"].lost) == (1, 1)
    text = render(a, "run-9")
    assert "3 affected" in text and "-29.89" in text and "without a real decision" in text


def _no_avro(_data: bytes) -> dict[str, Any]:
    raise AssertionError("a claim with a JSON form was decoded from its Avro bytes")


def test_json_forms_replay_like_the_avro_bytes(ref: Enrichment) -> None:
    layout = replay_json.load_layout(ROOT / "avro" / "schemas")
    assert layout is not None
    items: list[tuple[dict[str, Any], bool, Real | None]] = [
        (stay("S1", "79002", "P1", day=1), False, None),
        (stay("A1", "79003", "P1", day=3, submitted_hour=2), True, None),
        (stay("B1", "79001", "P1", day=4, submitted_hour=5), True, None),
        (stay("C1", "79001", "P2", day=2), True, None)]
    _, from_avro = run(ref, items)
    forms = [replay_json.dumps(claim, layout) for claim, _, _ in items]
    assert all(forms)
    replayer = Replayer(_no_avro, ref, "run-1", clock=lambda: CLOCK, layout=layout)
    stream = [Stored(b"", replay, real, form)
              for form, (_, replay, real) in zip(forms, items, strict=True)]
    rows = [row for batch in replay_all(replayer, stream, batch=1) for row in batch]
    assert rows == from_avro and len(rows) == 3
    assert "XC02" in codes(rows[1])  # the seed, read from its form, is in the history
    assert replayer.from_json == 4 and replayer.impact.errors == 0


def test_a_damaged_json_form_counts_as_an_error(ref: Enrichment) -> None:
    layout = replay_json.load_layout(ROOT / "avro" / "schemas")
    assert layout is not None
    good = replay_json.dumps(stay("A1", "79001", "P1", day=1), layout)
    replayer = Replayer(_no_avro, ref, "run-1", clock=lambda: CLOCK, layout=layout)
    rows = [row for batch in replay_all(replayer, [
        Stored(b"", True, None, b"[\"79001\""),  # cut short
        Stored(b"", False, None, b"{}"),  # a seed: not counted
        Stored(b"", True, None, good),
    ], batch=1) for row in batch]
    assert [r["claim_id"] for r in rows] == ["A1"]
    assert replayer.impact.errors == 1 and replayer.from_json == 1
    # Forms, but no layout to read them with: errors, never a crash.
    blind = Replayer(_no_avro, ref, "run-1", clock=lambda: CLOCK)
    assert list(replay_all(blind, [Stored(b"", True, None, good)], batch=1)) == []
    assert blind.impact.errors == 1

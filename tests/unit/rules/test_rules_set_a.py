"""Card/benefit, money and catalog rules (set A): what the YAML cases cannot express.

Parameter versions other than the published ones, the parser behind CT03-CT05, amounts of
several rules on one line adding up without overlap, one defect reported under one code, and
silence on the simulator's clean claims.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.base import Hit, Record
from rules.cases import Case, base_case, cases_for, deep_merge
from rules.catalogue._tender import Bid, parse_tender, same_bid
from rules.context import Context
from rules.engine import Engine
from rules.params import in_force

SET_A = frozenset({"CB02", "CB03", "CB04", "CB05", "CB06", "CB07", "CB08", "CT03", "CT04",
                   "CT05", "CT06", "CT07", "MN02", "MN03", "MN04", "MN05", "MN06"})


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _hits(engine: Engine, claim: Record, case: Case | None = None) -> list[Hit]:
    ctx = (case or base_case()).context()
    return engine.evaluate(Context(claim, ctx.catalog, ctx.cards))


def _patched(patch: dict[str, Any]) -> Record:
    merged: Record = deep_merge(base_case().claim, patch)
    return merged


@pytest.mark.parametrize(
    ("text", "bid"),
    [
        ("1422/QĐ-BVĐK;G1;N4;2025", Bid("1422/qđ-bvđk", 1, 4, 2025)),
        ("G0;N1;2024", Bid("", 0, 1, 2024)),
        (" 12/QĐ-SYT ; G99 ; N99 ; 2023 ", Bid("12/qđ-syt", 99, 99, 2023)),
        ("G1;N0;2024", None),
        ("G100;N1;2024", None),
        ("G1;N4", None),
        ("1422/QĐ;G1;N4;24", None),
        ("", None),
    ],
)
def test_parse_tender(text: str, bid: Bid | None) -> None:
    assert parse_tender(text) == bid


def test_same_bid_ignores_a_missing_decision_only() -> None:
    full, short = Bid("1422/qđ-bv", 1, 4, 2024), Bid("", 1, 4, 2024)
    assert same_bid(full, short) and same_bid(short, full)
    assert not same_bid(full, Bid("1500/qđ-bv", 1, 4, 2024))
    assert not same_bid(full, Bid("1422/qđ-bv", 1, 4, 2023))


def test_ct03_strict_version_needs_a_facility_row() -> None:
    (case,) = [c for c in cases_for("CT01") if c.name == "national_list_fallback"]
    published = Engine.load()
    assert "CT03" not in {h.code for h in _hits(published, case.claim, case)}
    strict = Engine.load(overrides={"CT03": {"require_facility_row": ["DRUG"]}})
    (hit,) = [h for h in _hits(strict, case.claim, case) if h.code == "CT03"]
    assert hit.rule_version == "CT03@2024-07-01+local"
    assert (hit.table, hit.line, hit.amount) == ("XML2", 1, 12000.0)


def test_ct04_version_requiring_drug_bids() -> None:
    claim = _patched({"drugs": {1: {"tt_thau": None}}})
    assert "CT04" not in {h.code for h in _hits(Engine.load(), claim)}
    strict = Engine.load(overrides={"CT04": {"required_for": ["DRUG", "SUPPLY"]}})
    (hit,) = [h for h in _hits(strict, claim) if h.code == "CT04"]
    assert (hit.table, hit.line, hit.inputs["problem"]) == ("XML2", 2, "TT_THAU is empty")


def test_base_salary_follows_the_visit_date(engine: Engine) -> None:
    versions = engine.params["CB06"]
    salary = {d: in_force(versions, d).values["base_salary_vnd"]  # type: ignore[union-attr]
              for d in (date(2024, 6, 30), date(2024, 7, 1), date(2026, 1, 1))}
    assert salary == {date(2024, 6, 30): 1800000, date(2024, 7, 1): 2340000,
                      date(2026, 1, 1): 2340000}


def test_benefit_and_arithmetic_excess_add_up(engine: Engine) -> None:
    # Drug line 1 (15,000 at 80 % on a level-4 card) claimed at 95 % and with 500 VND more on
    # top of that: CB02 prices the share (2,250), MN02 the arithmetic (500), no overlap.
    claim = _patched({"header": {"t_bncct": 23870.0, "t_bhtt": 109230.0},
                      "drugs": {0: {"muc_huong": 95.0, "t_bncct": 250.0, "t_bhtt": 14750.0}}})
    amounts = {h.code: h.amount for h in _hits(engine, claim)}
    assert amounts == {"CB02": 2250.0, "MN02": 500.0}
    assert sum(amounts.values()) == 14750.0 - 15000.0 * 0.80


@pytest.mark.parametrize(
    ("patch", "codes"),
    [
        # A header total alone is off (the simulator's MN01 injection): MN01 only.
        ({"header": {"t_bhtt": 106580.0}}, {"MN01"}),
        ({"header": {"t_tongchi_bv": 134100.0}}, {"MN01"}),
        # A line's T_BHTT raised, nothing else: MN02 (fund money) and MN01 (header vs lines).
        ({"drugs": {0: {"t_bhtt": 13000.0}}}, {"MN01", "MN02"}),
        # ... with the header following the line: MN02 only (not MN04, not MN05).
        ({"header": {"t_bhtt": 107480.0}, "drugs": {0: {"t_bhtt": 13000.0}}}, {"MN02"}),
        # A quantity changed without recomputing the line's amounts: MN03 only.
        ({"drugs": {1: {"so_luong": 15.0}}}, {"MN03"}),
    ],
)
def test_one_defect_one_money_code(engine: Engine, patch: dict[str, Any], codes: set[str]) -> None:
    assert {h.code for h in _hits(engine, _patched(patch))} == codes


def test_set_a_is_silent_on_simulated_clean_claims(engine: Engine) -> None:
    from streams.sim.generate import generate

    sim = generate(600, seed=41, violations=0.0)
    catalog, cards = sim.indexes()
    routes = set()
    for sc in sim.claims:
        routes.add(sc.claim["header"]["ma_doituong_kcb"])
        hits = engine.evaluate(Context(sc.claim, catalog, cards))
        mine = [h.message for h in hits if h.code in SET_A]
        assert not mine, f"{sc.claim['claim_id']}: {mine}"
    assert {"1.1", "1.3", "3.2", "3.3"} <= routes  # routes CB02-CB07 look at were exercised

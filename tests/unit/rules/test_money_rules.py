"""Money rules (MN..) beyond their YAML cases: one defect is reported under one code."""

from __future__ import annotations

from typing import Any

import pytest

from rules.base import Record
from rules.cases import base_case, deep_merge
from rules.catalogue._money import MONEY_EPS, fund_share
from rules.context import Context
from rules.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.mark.parametrize(
    ("patch", "codes"),
    [
        # The header asks the fund more than the lines (the simulator's MN01 injection):
        # MN01 (the excess) only: MN05 leaves a header that differs from its lines alone.
        ({"header": {"t_bhtt": 106580.0}}, {"MN01"}),
        ({"header": {"t_bhtt": 106580.0, "t_bncct": 26520.0}}, {"MN01"}),
        # A grand total alone is off: no fund money at stake, MN07 warns.
        ({"header": {"t_tongchi_bv": 134100.0}}, {"MN07"}),
        # A line's T_BHTT raised, nothing else: MN02 (fund money) and MN07 (the header now
        # claims less than the lines, which costs the fund nothing).
        ({"drugs": {0: {"t_bhtt": 13000.0}}}, {"MN07", "MN02"}),
        # ... with the header following the line: MN02 only (not MN04, not MN05).
        ({"header": {"t_bhtt": 107480.0}, "drugs": {0: {"t_bhtt": 13000.0}}}, {"MN02"}),
        # A quantity changed without recomputing the line's amounts: MN03 only.
        ({"drugs": {1: {"so_luong": 15.0}}}, {"MN03"}),
    ],
)
def test_one_defect_one_money_code(engine: Engine, patch: dict[str, Any], codes: set[str]) -> None:
    ctx = base_case().context()
    claim: Record = deep_merge(base_case().claim, patch)
    assert {h.code for h in engine.evaluate(Context(claim, ctx.catalog, ctx.cards))} == codes


def test_fund_share_and_the_money_epsilon() -> None:
    line = {"so_luong": 3.0, "tyle_tt_bh": 100.0, "muc_huong": 80.0}
    assert fund_share(line, 5000.0) == pytest.approx(12000.0)
    # The epsilon absorbs float error of 2-decimal sums, never a whole đồng or cent.
    assert 0.1 + 0.2 - 0.3 < MONEY_EPS < 0.01

"""Card and benefit rules (CB..) beyond their YAML cases: the card helpers, parameters that
follow the visit date, and a benefit excess adding up with a money excess on one line."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.base import Hit, Record
from rules.cases import base_case, deep_merge
from rules.catalogue._card import card_level, first_card
from rules.context import Context
from rules.engine import Engine
from rules.params import in_force


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _hits(engine: Engine, patch: dict[str, Any]) -> list[Hit]:
    ctx = base_case().context()
    claim: Record = deep_merge(base_case().claim, patch)
    return engine.evaluate(Context(claim, ctx.catalog, ctx.cards))


def test_the_first_card_and_its_level() -> None:
    assert first_card("DN4797912345678; HT3797912345679") == "DN4797912345678"
    assert first_card("DN4797912345678") == "DN4797912345678"
    assert first_card("") == "" and first_card(None) == ""
    assert card_level("DN4797912345678;HT3797912345679") == 4
    assert card_level("DNX797912345678") is None and card_level(None) is None


def test_base_salary_follows_the_visit_date(engine: Engine) -> None:
    versions = engine.params["CB06"]
    salary = {d: in_force(versions, d).values["base_salary_vnd"]  # type: ignore[union-attr]
              for d in (date(2024, 6, 30), date(2024, 7, 1), date(2026, 1, 1))}
    assert salary == {date(2024, 6, 30): 1800000, date(2024, 7, 1): 2340000,
                      date(2026, 1, 1): 2340000}


def test_benefit_and_arithmetic_excess_add_up(engine: Engine) -> None:
    # Drug line 1 (15,000 at 80 % on a level-4 card) claimed at 95 % and with 500 VND more on
    # top of that: CB02 prices the share (2,250), MN02 the arithmetic (500), no overlap.
    patch = {"header": {"t_bncct": 23870.0, "t_bhtt": 109230.0},
             "drugs": {0: {"muc_huong": 95.0, "t_bncct": 250.0, "t_bhtt": 14750.0}}}
    amounts = {h.code: h.amount for h in _hits(engine, patch)}
    assert amounts == {"CB02": 2250.0, "MN02": 500.0}
    assert sum(amounts.values()) == 14750.0 - 15000.0 * 0.80

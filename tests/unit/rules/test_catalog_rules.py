"""Catalog rules (CT..) beyond their YAML cases: the tender parser behind CT03-CT05 and
parameter versions other than the published ones."""

from __future__ import annotations

import pytest

from rules.base import Hit, Record
from rules.cases import Case, base_case, cases_for, deep_merge
from rules.context import Context
from rules.engine import Engine
from rules.tender import Bid, parse_tender, same_bid, tender_problem


def _hits(engine: Engine, claim: Record, case: Case | None = None) -> list[Hit]:
    ctx = (case or base_case()).context()
    return engine.evaluate(Context(claim, ctx.catalog, ctx.cards))


@pytest.mark.parametrize(
    ("text", "bid"),
    [
        ("1422/QĐ-BVĐK;G1;N4;2025", Bid("1422/qđ-bvđk", 1, 4, 2025)),
        ("G0;N1;2024", Bid("", 0, 1, 2024)),
        (" 12/QĐ-SYT ; G99 ; N99 ; 2023 ", Bid("12/qđ-syt", 99, 99, 2023)),
        ("G1;N0;2024", Bid("", 1, 0, 2024)),
        ("1422/QĐ-SYT;G1;N4;2024;79000", Bid("1422/qđ-syt", 1, 4, 2024, "79000")),
        ("1422/QĐ-SYT ; G1 ; N4 ; 2024 ; 01a23 ", Bid("1422/qđ-syt", 1, 4, 2024, "01A23")),
        ("1422/QĐ-SYT;G1;N4;2024;790001", None),
        ("1422/QĐ-SYT;G1;N4;2024;", None),
        ("G100;N1;2024", None),
        ("G1;N4", None),
        ("1422/QĐ;G1;N4;24", None),
        ("", None),
    ],
)
def test_parse_tender(text: str, bid: Bid | None) -> None:
    assert parse_tender(text) == bid


def test_n0_and_g0_lawful_for_supplies_only() -> None:
    n0, g0 = Bid("", 1, 0, 2024), Bid("", 0, 1, 2024)
    assert tender_problem(n0, "SUPPLY") is None and tender_problem(g0, "SUPPLY") is None
    assert "N0" in (tender_problem(n0, "DRUG") or ("",))[0]
    assert "G0" in (tender_problem(g0, "DRUG") or ("",))[0]
    assert tender_problem(Bid("", 1, 4, 2024, "79000"), "DRUG") is None


def test_same_bid_compares_units_named_on_both() -> None:
    a, b = Bid("12/qđ", 1, 4, 2024, "79000"), Bid("12/qđ", 1, 4, 2024, "01000")
    assert not same_bid(a, b)
    assert same_bid(a, a._replace(unit="")) and same_bid(a._replace(unit=""), b)


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
    claim: Record = deep_merge(base_case().claim, {"drugs": {1: {"tt_thau": None}}})
    assert "CT04" not in {h.code for h in _hits(Engine.load(), claim)}
    strict = Engine.load(overrides={"CT04": {"required_for": ["DRUG", "SUPPLY"]}})
    (hit,) = [h for h in _hits(strict, claim) if h.code == "CT04"]
    assert (hit.table, hit.line, hit.inputs["problem"]) == ("XML2", 2, "TT_THAU is empty")

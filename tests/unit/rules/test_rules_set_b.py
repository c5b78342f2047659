"""Clinical, billing, staff and equipment rules (CL.., ST..) beyond their YAML cases, and the
catalog method they rely on (CatalogSnapshot.has)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rules.base import Params, Record, Severity
from rules.cases import Case, base_case, cases_for, deep_merge
from rules.catalogue._clinical import derived, excess_from_end, initials, split_codes
from rules.context import Context
from rules.decision import decide
from rules.engine import Engine
from streams.reference.catalog import CatalogSnapshot, entry_key

SET_B = ("CL01", "CL02", "CL03", "CL04", "CL05", "CL06", "CL07", "CL08", "CL09", "CL10", "CL11",
         "CL12", "CL13", "ST01", "ST02")


def _row(kind: str, code: str, facility: str, start: date, end: date | None = None) -> Record:
    return {"kind": kind, "code": code, "facility": facility, "name": "", "unit": "",
            "ma_nhom": 0, "price": 0.0, "tt_thau": None, "valid_from": start, "valid_to": end,
            "attributes": {}}


def _case(code: str, name: str) -> Case:
    (case,) = [c for c in cases_for(code) if c.name == name]
    return case


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


# --- CatalogSnapshot.has ------------------------------------------------------------------------

def test_has_answers_per_kind_and_facility() -> None:
    cat = CatalogSnapshot()
    assert not cat.has("STAFF", "79001")
    cat.put(_row("STAFF", "BS001", "79001", date(2024, 1, 1)))
    cat.put(_row("EQUIPMENT", "XN.1", "", date(2024, 1, 1)))  # national: no facility's list
    assert cat.has("STAFF", "79001")
    assert not cat.has("STAFF", "79002") and not cat.has("EQUIPMENT", "79001")
    assert cat.has("EQUIPMENT", "")


def test_has_follows_replacements_and_deletions() -> None:
    cat = CatalogSnapshot()
    first = _row("STAFF", "BS001", "79001", date(2024, 1, 1))
    second = _row("STAFF", "BS001", "79001", date(2025, 1, 1))
    other = _row("STAFF", "BS002", "79001", date(2024, 1, 1))
    for row in (first, first, second, other):  # the repeated put replaces, it does not add
        cat.put(row)
    for row in (first, second):
        cat.delete(entry_key(row))
    assert cat.has("STAFF", "79001")  # BS002 is still listed
    cat.delete(entry_key(other))
    assert not cat.has("STAFF", "79001") and len(cat) == 0
    cat.put(other)  # an emptied slot filled again counts again
    assert cat.has("STAFF", "79001")


# --- helpers ------------------------------------------------------------------------------------

def test_excess_is_taken_from_the_latest_lines() -> None:
    lines = [{"so_luong": 2.0, "stt": 1}, {"so_luong": 1.0, "stt": 2}, {"so_luong": 3.0, "stt": 3}]
    assert [(x["stt"], u) for x, u in excess_from_end(lines, 2)] == [(2, 1.0), (3, 3.0)]
    assert excess_from_end(lines, 6) == []
    assert [(x["stt"], u) for x, u in excess_from_end(lines, 5.5)] == [(3, 0.5)]


def test_derived_values_follow_the_parameter_version() -> None:
    one = Params("ZZ@1", date(2024, 1, 1), None, {"groups": [1, 2]})
    two = Params("ZZ@2", date(2025, 1, 1), None, {"groups": [3]})
    calls: list[str] = []

    def build(values: Any) -> frozenset[int]:
        calls.append("built")
        return frozenset(values["groups"])

    assert derived(one, "test.groups", build) == {1, 2}
    assert derived(one, "test.groups", build) == {1, 2} and len(calls) == 1
    assert derived(two, "test.groups", build) == {3} and len(calls) == 2


def test_small_parsers() -> None:
    assert split_codes(" BS001 ; ;BS002") == ["BS001", "BS002"]
    assert split_codes("") == [] and split_codes(None) == [] and split_codes(" X ") == ["X"]
    assert initials([("O00", "O9A"), ("N40", "P51")]) == frozenset("OoNnOoPp")


# --- behaviour beyond single-hit cases ----------------------------------------------------------

def test_declared_drug_days_reject_each_line_share(engine: Engine) -> None:
    case = _case("CL07", "declared_31_days")
    hits = [h for h in engine.evaluate(case.context()) if h.code == "CL07"]
    assert [(h.table, h.line) for h in hits] == [("XML2", 1), ("XML2", 2)]
    assert [h.amount for h in hits] == [pytest.approx(12000 / 31, abs=0.005),
                                        pytest.approx(24640 / 31, abs=0.005)]
    assert all(h.severity is Severity.WARNING for h in hits)
    decision = decide(case.claim, hits, engine.version, case.claim["submitted_at"])
    assert decision["outcome"] == "WARN" and decision["rejected"] == 0


def test_partial_hits_become_line_adjustments(engine: Engine) -> None:
    case = _case("CL01", "excess_taken_from_latest_bed_line")
    hits = engine.evaluate(case.context())
    decision = decide(case.claim, hits, engine.version, case.claim["submitted_at"])
    assert decision["outcome"] == "PARTIAL_REJECT"
    assert decision["adjustments"] == [
        {"table": "XML3", "line": 1, "code": "CL01", "requested": 30960.0, "rejected": 15480.0}]
    assert decision["approved"] == pytest.approx(106480 - 15480)


def test_parameters_are_data(engine: Engine) -> None:
    two_full = Engine.load(overrides={"CL05": {"outpatient_full": 2}})
    case = _case("CL05", "quantity_two_at_full_rate")
    assert [h.code for h in engine.evaluate(case.context())] == ["CL05"]
    assert two_full.evaluate(case.context()) == []
    strict = Engine.load(overrides={"CL08": {"max_per_claim": {"22.0121.1370": 0}}})
    (hit,) = strict.evaluate(base_case().context())
    assert hit.code == "CL08" and hit.rule_version == "CL08@2024-07-01+local"


class _FindOnly:
    """A catalog without ``has`` (like a test double): no optional lists."""

    def __init__(self, inner: CatalogSnapshot) -> None:
        self.inner = inner

    def find(self, kind: str, facility: str, code: str, on: date) -> Record | None:
        return self.inner.find(kind, facility, code, on)


def test_optional_lists_need_has_or_require_list(engine: Engine) -> None:
    case = _case("ST01", "performer_not_listed")
    ctx = case.context()
    assert [h.code for h in engine.evaluate(ctx)] == ["ST01"]
    blind = Context(case.claim, _FindOnly(ctx.catalog), ctx.cards)  # type: ignore[arg-type]
    assert engine.evaluate(blind) == []
    # require_list: true checks even a facility without a list: every practitioner is unknown.
    strict = Engine.load(overrides={"ST01": {"require_list": True}})
    plain = base_case().context()
    hits = strict.evaluate(plain)
    assert {h.code for h in hits} == {"ST01"} and len(hits) == 5


def test_no_set_b_rule_fires_on_the_base_claim_with_both_lists(engine: Engine) -> None:
    """The base claim stays clean when the facility has complete staff and equipment lists."""
    case = base_case()
    ctx = case.context()
    for code, scope in (("BS001", "1;4;13"), ("KTV01", "1"), ("DD01", "")):
        row = _row("STAFF", code, "79001", date(2024, 1, 1))
        row["attributes"] = {"scope": scope} if scope else {}
        ctx.catalog.put(row)  # type: ignore[attr-defined]
    machine = _row("EQUIPMENT", "XN.1.79001.1", "79001", date(2024, 1, 1))
    machine["attributes"] = {"services": "22.0121.1370"}
    ctx.catalog.put(machine)  # type: ignore[attr-defined]
    assert engine.evaluate(ctx) == []
    moved = deep_merge(case.claim, {"services": {1: {"ma_may": "XN.1.79001.2"}}})
    assert [h.code for h in engine.evaluate(Context(moved, ctx.catalog, ctx.cards))] == ["ST02"]


def test_every_set_b_rule_is_registered_with_its_family(engine: Engine) -> None:
    families = {r.meta.code: r.meta.family for r in engine.rules if r.meta.code in SET_B}
    assert sorted(families) == sorted(SET_B)
    assert {families[c] for c in SET_B if c.startswith("CL")} == {"clinical"}
    assert {families["ST01"], families["ST02"]} == {"staff"}

"""Staff and equipment rules (ST..) beyond their YAML cases: the optional facility lists they
check only where the catalog has one (``CatalogIndex.has``)."""

from __future__ import annotations

from datetime import date

import pytest

from rules.base import Record
from rules.cases import base_case, cases_for, deep_merge
from rules.context import Catalog, Context
from rules.engine import Engine


def _row(kind: str, code: str, facility: str, start: date) -> Record:
    return {"kind": kind, "code": code, "facility": facility, "name": "", "unit": "",
            "ma_nhom": 0, "price": 0.0, "tt_thau": None, "valid_from": start, "valid_to": None,
            "attributes": {}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


class _FindOnly:
    """A catalog without ``has`` (like a test double): no optional lists."""

    def __init__(self, inner: Catalog) -> None:
        self.inner = inner

    def find(self, kind: str, facility: str, code: str, on: date) -> Record | None:
        return self.inner.find(kind, facility, code, on)


def test_optional_lists_need_has_or_require_list(engine: Engine) -> None:
    (case,) = [c for c in cases_for("ST01") if c.name == "performer_not_listed"]
    ctx = case.context()
    assert [h.code for h in engine.evaluate(ctx)] == ["ST01"]
    blind = Context(case.claim, _FindOnly(ctx.catalog), ctx.cards)
    assert engine.evaluate(blind) == []
    # require_list: true checks even a facility without a list: every practitioner is unknown.
    strict = Engine.load(overrides={"ST01": {"require_list": True}})
    hits = strict.evaluate(base_case().context())
    assert {h.code for h in hits} == {"ST01"} and len(hits) == 5


def test_the_base_claim_is_clean_with_both_lists(engine: Engine) -> None:
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

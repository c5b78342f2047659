"""The engine: line indexing, parameter versions by service date, errors, fingerprints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from rules.base import (
    ClaimRule,
    Hit,
    LineRule,
    Params,
    Record,
    RuleInputError,
    RuleMeta,
    Severity,
)
from rules.cases import base_case, cases_for, deep_merge
from rules.context import Context
from rules.engine import Engine
from rules.params import ParamTable
from streams.bench.engine import measure, scaled

ON = date(2024, 7, 1)


def _meta(code: str, start: date = ON) -> RuleMeta:
    return RuleMeta(code, f"test.{code.lower()}", code, "test", Severity.WARNING, "basis", start)


class CountingLineRule(LineRule):
    def __init__(self, code: str, scope: tuple[str, ...]) -> None:
        self.meta = _meta(code)
        self.scope = scope
        self.seen: list[tuple[str, int, Any]] = []

    def check(
        self, ctx: Context, p: Params, line: Record, kind: str, entry: Record | None
    ) -> Hit | None:
        self.seen.append((kind, line["stt"], entry))
        return None


class VersionEcho(ClaimRule):
    """Always hits; the message is the parameter value in force."""

    def __init__(self, code: str = "ZZ01", start: date = ON, *param_names: str) -> None:
        self.meta = replace(_meta(code, start), param_names=param_names)
        self.calls = 0

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        self.calls += 1
        return (self.meta.hit(p, str(p.values.get("value")), amount=0, inputs={}),)


class CountingCatalog:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, date]] = []

    def find(self, kind: str, facility: str, code: str, on: date) -> Record | None:
        self.calls.append((kind, facility, code, on))
        return {"kind": kind, "code": code}


class NoCards:
    def find(self, card_no: str) -> Record | None:
        return None


def _open(code: str, **values: Any) -> ParamTable:
    return {code: (Params(f"{code}@1", ON, None, values),)}


def test_line_rules_see_each_line_of_their_kind_once() -> None:
    drug_only = CountingLineRule("ZZ01", ("DRUG",))
    supply_only = CountingLineRule("ZZ02", ("SUPPLY",))
    everything = CountingLineRule("ZZ03", ("DRUG", "SERVICE", "SUPPLY"))
    claim_rule = VersionEcho("ZZ04")
    params = {**_open("ZZ01"), **_open("ZZ02"), **_open("ZZ03"), **_open("ZZ04")}
    engine = Engine.build([drug_only, supply_only, everything, claim_rule], params)
    catalog = CountingCatalog()
    claim = base_case().claim  # 2 drugs; services: 2 services + 1 supply (MA_NHOM 10)
    ctx = Context(claim=claim, catalog=catalog, cards=NoCards())

    hits = engine.evaluate(ctx)

    assert [h.code for h in hits] == ["ZZ04"] and claim_rule.calls == 1
    assert [(k, s) for k, s, _ in drug_only.seen] == [("DRUG", 1), ("DRUG", 2)]
    assert [(k, s) for k, s, _ in supply_only.seen] == [("SUPPLY", 3)]
    assert [(k, s) for k, s, _ in everything.seen] == [
        ("DRUG", 1), ("DRUG", 2), ("SERVICE", 1), ("SERVICE", 2), ("SUPPLY", 3)]
    # One catalog lookup per line, whatever the number of rules; supplies by MA_VAT_TU.
    assert [(k, c) for k, _, c, _ in catalog.calls] == [
        ("DRUG", "40.17"), ("DRUG", "40.1021"), ("SERVICE", "02.1896"),
        ("SERVICE", "22.0121.1370"), ("SUPPLY", "N03.03.070")]
    assert all(on == date(2025, 3, 1) for *_, on in catalog.calls)
    assert everything.seen[0][2] == {"kind": "DRUG", "code": "40.17"}  # the entry is passed on


def test_no_catalog_lookups_without_line_rules() -> None:
    engine = Engine.build([VersionEcho()], _open("ZZ01"))
    catalog = CountingCatalog()
    engine.evaluate(Context(claim=base_case().claim, catalog=catalog, cards=NoCards()))
    assert catalog.calls == []


def _on(day: str) -> Record:
    patch = {"header": {"ngay_vao": datetime.fromisoformat(day)}}
    merged: Record = deep_merge(base_case().claim, patch)
    return merged


def test_parameter_version_follows_the_service_date() -> None:
    rule = VersionEcho("ZZ01", ON, "value")
    params = {"ZZ01": (Params("ZZ01@2024-07-01", ON, date(2025, 2, 28), {"value": 24}),
                       Params("ZZ01@2025-03-01", date(2025, 3, 1), None, {"value": 48}))}
    engine = Engine.build([rule], params)
    ctx = base_case().context()

    def run(day: str) -> tuple[str, str]:
        (hit,) = engine.evaluate(Context(_on(day), ctx.catalog, ctx.cards))
        return hit.rule_version, hit.message

    assert run("2025-02-28 23:59") == ("ZZ01@2024-07-01", "24")
    assert run("2025-03-01 00:00") == ("ZZ01@2025-03-01", "48")


def test_rules_out_of_force_do_not_run() -> None:
    early = VersionEcho("ZZ01", start=date(2025, 3, 2))
    params = {"ZZ01": (Params("ZZ01@x", ON, None, {}),)}
    engine = Engine.build([early], params)
    ctx = base_case().context()  # service date 2025-03-01
    assert engine.evaluate(ctx) == [] and early.calls == 0
    assert len(engine.evaluate(Context(_on("2025-03-02 07:00"), ctx.catalog, ctx.cards))) == 1


def test_real_catalogue_before_its_start_date_checks_nothing() -> None:
    broken = deep_merge(base_case().claim, {"header": {
        "ngay_vao": datetime(2024, 6, 30, 8, 0), "ngay_ra": datetime(2024, 6, 29, 8, 0),
        "t_thuoc": 1.0}})
    ctx = base_case().context()
    assert Engine.load().evaluate(Context(broken, ctx.catalog, ctx.cards)) == []


def test_version_is_stable_and_tracks_parameters() -> None:
    a, b = Engine.load(), Engine.load()
    assert a.version == b.version and a.version.startswith("rules-")
    local = Engine.load(overrides={"SB01": {"max_hours": 48}})
    assert local.version != a.version
    assert Engine.load(overrides={"SB01": {"max_hours": 24}}).version == a.version


def test_overrides_change_behaviour_and_mark_the_version() -> None:
    (late,) = [c for c in cases_for("SB01") if c.name == "one_minute_late"]
    engine = Engine.load(overrides={"SB01": {"max_hours": 25}})
    assert engine.evaluate(late.context()) == []
    with pytest.raises(ValueError, match="unknown rule code 'QQ01'"):
        Engine.load(overrides={"QQ01": {"x": 1}})
    strict = Engine.load(overrides={"SB01": {"max_hours": 0}})
    (hit,) = strict.evaluate(base_case().context())
    assert hit.rule_version == "SB01@2024-07-01+local"


def test_missing_field_is_named() -> None:
    claim = dict(base_case().claim)
    del claim["drugs"]
    ctx = base_case().context()
    with pytest.raises(RuleInputError, match="79001/79001_2025_03_BN0001_01/v1.*'drugs'"):
        Engine.load().evaluate(Context(claim, ctx.catalog, ctx.cards))


def test_naive_submission_time_is_rejected_clearly() -> None:
    claim = {**base_case().claim, "submitted_at": datetime(2025, 3, 1, 11, 0)}
    ctx = base_case().context()
    with pytest.raises(RuleInputError, match="submitted_at"):
        Engine.load().evaluate(Context(claim, ctx.catalog, ctx.cards))


def test_hit_record_matches_the_avro_rulehit() -> None:
    hit = VersionEcho().meta.hit(Params("v", ON, None), "m", amount=1.234, inputs={"a": "b"},
                                 table="XML2", line=3)
    rec = hit.to_record()
    schema = json.loads((Path(__file__).parents[3] / "avro/schemas/decision.avsc").read_text())
    hits = next(f for f in schema["fields"] if f["name"] == "hits")
    assert list(rec) == [f["name"] for f in hits["type"]["items"]["fields"]]
    assert rec["severity"] == "WARNING" and rec["amount"] == 1.23 and rec["line"] == 3


def test_measure_reports_positive_figures() -> None:
    case = base_case()
    ctx = case.context()
    claim = scaled(case.claim, 20)
    assert len(claim["drugs"]) + len(claim["services"]) == 20
    assert Engine.load().evaluate(Context(claim, ctx.catalog, ctx.cards)) == []  # still clean
    figures = measure(Engine.load(), [claim], ctx.catalog, ctx.cards, min_seconds=0.01)
    assert figures["lines_per_claim"] == 20 and figures["hits"] == 0
    assert 0 < figures["us_per_claim"] < 10_000


def test_received_at_is_the_submission_time() -> None:
    ctx = base_case().context()
    assert ctx.received_at == datetime(2025, 3, 1, 4, 0, tzinfo=UTC)

"""Go-live modes (rules/golive.py): observe records and moves nothing, warn turns a rejection
into manual review, enforce is the rule as written; per rule, per facility, versioned by date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from rules.base import Record
from rules.cases import Case, cases_for
from rules.context import Context
from rules.decision import decide, needs_review
from rules.engine import Engine
from rules.golive import dump, modes_on, stage
from rules.params import ParamsError, read_params
from rules.registry import all_rules

NOW = datetime(2025, 3, 2, tzinfo=UTC)


def _case(code: str, name: str) -> Case:
    return next(c for c in cases_for(code) if c.name == name)


def _decide(engine: Engine, case: Case, facility: str | None = None) -> Record:
    ctx = case.context()
    if facility is not None:
        ctx = Context(claim={**case.claim, "facility": facility}, catalog=ctx.catalog,
                      cards=ctx.cards, history=ctx.history)
    claim, hits = ctx.claim, engine.evaluate(ctx)
    return decide(claim, hits, engine.version, NOW)


def _engine(mode: str, codes: tuple[str, ...] = ("CT01",), start: date = date(2025, 1, 1),
            facilities: tuple[str, ...] = ()) -> Engine:
    return Engine.build(all_rules(), stage(read_params(), codes, mode, start, facilities))


UNKNOWN_DRUG = _case("CT01", "unknown_drug_code")  # a PARTIAL of 12,000 when enforced


def test_enforce_is_the_rule_as_written() -> None:
    d = _decide(Engine.load(), UNKNOWN_DRUG)
    assert (d["outcome"], d["rejected"]) == ("PARTIAL_REJECT", 12000.0)
    assert [(h["code"], h["severity"], h["mode"]) for h in d["hits"]] == [
        ("CT01", "PARTIAL", "enforce")]


def test_observe_records_the_hit_and_moves_nothing() -> None:
    d = _decide(_engine("observe"), UNKNOWN_DRUG)
    assert (d["outcome"], d["rejected"], d["adjustments"]) == ("ACCEPT", 0.0, [])
    (hit,) = d["hits"]
    assert (hit["code"], hit["severity"], hit["mode"], hit["amount"]) == (
        "CT01", "PARTIAL", "observe", 12000.0)
    assert hit["rule_version"] == "CT01@2025-01-01"
    assert not needs_review(d)


def test_observed_warning_rule_does_not_queue_the_claim() -> None:
    case = _case("CT04", "group_n0")  # CT04 is a WARNING rule
    assert needs_review(_decide(Engine.load(), case))
    d = _decide(_engine("observe", ("CT04",)), case)
    assert d["outcome"] == "ACCEPT" and not needs_review(d)


def test_warn_turns_a_rejection_into_review_keeping_the_amount() -> None:
    d = _decide(_engine("warn"), UNKNOWN_DRUG)
    assert (d["outcome"], d["rejected"]) == ("WARN", 0.0)
    (hit,) = d["hits"]
    assert (hit["severity"], hit["mode"], hit["amount"]) == ("WARNING", "warn", 12000.0)
    assert needs_review(d)


def test_a_facility_can_be_observed_while_the_others_enforce() -> None:
    engine = _engine("observe", facilities=("79001",))
    assert _decide(engine, UNKNOWN_DRUG)["outcome"] == "ACCEPT"  # the case's facility 79001
    other = _decide(engine, UNKNOWN_DRUG, facility="79002")
    assert other["outcome"] == "PARTIAL_REJECT"
    assert other["hits"][0]["mode"] == "enforce"


def test_modes_are_versioned_by_service_date() -> None:
    later = _engine("observe", start=date(2025, 3, 2))  # the case's visit is 2025-03-01
    d = _decide(later, UNKNOWN_DRUG)
    assert d["outcome"] == "PARTIAL_REJECT" and d["hits"][0]["rule_version"] == "CT01@2024-07-01"
    assert modes_on(later.params, date(2025, 3, 2))["CT01"]["mode"] == "observe"
    assert "CT01" not in modes_on(later.params, date(2025, 3, 1))


def test_staging_changes_the_fingerprint_and_enforce_everywhere_does_not() -> None:
    published = Engine.load()
    assert _engine("observe").version != published.version
    assert _engine("enforce").version != published.version  # a new version id, same behaviour
    assert Engine.load().version == published.version


def test_every_rule_observed_rejects_no_claim_of_any_case() -> None:
    """The first day: every rule observed, every case's hits recorded, nothing rejected."""
    engine = _engine("observe", tuple(r.meta.code for r in all_rules()), date(2020, 1, 1))
    enforced = Engine.load()
    failing = 0
    for rule in all_rules():
        for case in cases_for(rule.meta.code):
            d, real = _decide(engine, case), _decide(enforced, case)
            where = (rule.meta.code, case.name)
            assert d["rejected"] == 0.0 and d["outcome"] == "ACCEPT", where
            assert [h["code"] for h in d["hits"]] == [h["code"] for h in real["hits"]], where
            assert {h["mode"] for h in d["hits"]} <= {"observe"}, where
            failing += real["outcome"] != "ACCEPT"
    assert failing > 100  # the cases do reject and warn when enforced


def test_dumped_file_reads_back_to_the_same_table(tmp_path: Path) -> None:
    staged = stage(read_params(), ["CT01", "MN01"], "warn", date(2026, 12, 1), ["79001"])
    path = tmp_path / "params.yaml"
    path.write_text(dump(staged), encoding="utf-8")
    assert read_params(path) == staged
    assert "*id" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "message"), [
    ("CT01:\n- {version: v, effective_from: 2024-07-01, mode: shadow}\n", "mode: expected one of"),
    ("CT01:\n- {version: v, effective_from: 2024-07-01, facility_modes: {79001: warn}}\n",
     "must be a quoted string"),
    ("CT01:\n- {version: v, effective_from: 2024-07-01, facility_modes: {'79001': off}}\n",
     "facility_modes.79001: expected one of"),
])
def test_bad_modes_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=message):
        read_params(path)


def test_stage_refuses_unknown_codes_and_modes() -> None:
    with pytest.raises(ParamsError, match="unknown rule code 'XX99'"):
        stage(read_params(), ["XX99"], "warn", date(2026, 1, 1))
    with pytest.raises(ParamsError, match="mode: expected one of"):
        stage(read_params(), ["CT01"], "loud", date(2026, 1, 1))

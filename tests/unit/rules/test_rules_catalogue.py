"""The catalogue itself: every rule documented, based in law, parametrised and covered by cases."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from rules.base import ClaimRule, Params, Rule, RuleMeta, Severity
from rules.cases import all_cases, case_files, cases_for, load_cases
from rules.context import Context
from rules.docs import describe, example_hits, render_markdown, rule_doc
from rules.engine import Engine
from rules.params import ParamsError, check_against, read_params
from rules.registry import all_rules, check_unique

RULES = all_rules()
CODES = [r.meta.code for r in RULES]
CASES = all_cases()  # loaded once: reading every case file takes a quarter of a second


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _rule(code: str) -> Rule:
    return next(r for r in RULES if r.meta.code == code)


def test_the_eight_contract_codes_are_registered() -> None:
    assert {"CB01", "CT01", "CT02", "MN01", "TM01", "XC01", "XC02", "SB01"} <= set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_rule_is_documented(code: str) -> None:
    rule = _rule(code)
    doc = rule_doc(rule)
    for section in ("Why:", "Anti-pattern:", "Best practice:"):
        assert section in doc, f"{code}: module docstring lacks a '{section}' section"
    assert doc.startswith(f"{code}:"), f"{code}: docstring must start with '{code}: <message>'"


@pytest.mark.parametrize("code", CODES)
def test_rule_metadata(code: str) -> None:
    m = _rule(code).meta
    assert re.fullmatch(r"[A-Z]{2}\d{2}", m.code)
    assert re.fullmatch(r"[a-z_]+\.[a-z_.]+", m.name) and m.name.startswith(f"{m.family}.")
    assert m.title and m.legal_basis.strip(), f"{code}: legal basis is required"
    assert isinstance(m.severity, Severity)
    assert m.effective_to is None or m.effective_to >= m.effective_from


@pytest.mark.parametrize("code", CODES)
def test_rule_has_cases(code: str) -> None:
    cases = [c for c in CASES if c.code == code]
    passes = [c for c in cases if c.expect == "pass"]
    fails = [c for c in cases if c.expect == "fail"]
    assert len(passes) >= 2 and len(fails) >= 2, f"{code}: need >= 2 pass and >= 2 fail cases"
    assert len({c.name for c in cases}) == len(cases), f"{code}: case names must be unique"
    file = cases[0].source
    assert file.name.startswith(f"{code.lower()}_")
    module = type(_rule(code)).__module__.rsplit(".", 1)[-1]
    assert file.stem == module, f"{code}: cases belong next to the rule as {module}.yml"


@pytest.mark.parametrize("code", CODES)
def test_rule_has_parameters(code: str) -> None:
    versions = read_params()[code]
    check_against(_rule(code).meta, versions)
    assert all(p.version.startswith(f"{code}@") for p in versions)


# The families of the registry, in its order, with the code prefixes each one holds.
FAMILIES = {"card": ("CB",), "clinical": ("CL",), "catalog": ("CT",), "money": ("MN",),
            "submission": ("SB",), "time": ("TM",), "staff": ("ST",), "cross_claim": ("XC",)}


def test_the_registry_is_grouped_by_family() -> None:
    families = [r.meta.family for r in RULES]
    runs = [f for i, f in enumerate(families) if i == 0 or families[i - 1] != f]
    assert runs == list(FAMILIES), "each family's rules must be listed together, in order"
    for rule in RULES:
        assert rule.meta.code[:2] in FAMILIES[rule.meta.family], rule.meta.code
    assert sorted(CODES, key=lambda c: (runs.index(_rule(c).meta.family), c)) == CODES


def test_every_rule_is_silent_on_the_simulators_clean_claims(engine: Engine) -> None:
    from streams.sim.generate import generate

    sim = generate(600, seed=41, violations=0.0)
    catalog, cards = sim.indexes()
    routes = set()
    for sc in sim.claims:
        routes.add(sc.claim["header"]["ma_doituong_kcb"])
        hits = engine.evaluate(Context(sc.claim, catalog, cards))
        assert not hits, f"{sc.claim['claim_id']}: {[h.message for h in hits]}"
    assert {"1.1", "1.3", "3.2", "3.3"} <= routes  # routes CB02-CB07 look at were exercised


def test_no_orphan_case_files() -> None:
    for path in case_files():
        assert {c.code for c in load_cases(path)} <= set(CODES), f"{path.name} names no rule"
    assert {c.code for c in all_cases()} == set(CODES)


def test_duplicate_codes_and_names_raise() -> None:
    rules = all_rules()
    with pytest.raises(ValueError, match="duplicate rule code CB01"):
        check_unique([*rules, rules[0]])
    twin = ClaimRule()
    twin.meta = replace(rules[1].meta, code="ZZ99")
    with pytest.raises(ValueError, match="duplicate rule name"):
        check_unique([*rules, twin])
    with pytest.raises(ValueError, match="registered twice"):
        Engine.build([*rules, rules[0]], read_params())


def test_params_missing_for_a_rule_fail_the_build() -> None:
    params = read_params()
    del params["SB01"]
    with pytest.raises(ParamsError, match="SB01: no parameter versions"):
        Engine.build(all_rules(), params)
    with pytest.raises(ValueError, match="unknown rule codes"):
        Engine.build(all_rules(), {**read_params(), "QQ01": read_params()["TM01"]})


_META = RuleMeta("ZZ01", "test.zz", "t", "test", Severity.WARNING, "basis", date(2025, 1, 1),
                 param_names=("limit",))


@pytest.mark.parametrize(
    ("versions", "error"),
    [
        ((Params("a", date(2025, 1, 1), None, {}),), "lacks parameters"),
        ((Params("a", date(2025, 1, 1), None, {"limit": 1, "x": 2}),), "undeclared"),
        ((Params("a", date(2025, 1, 2), None, {"limit": 1}),), "starts 2025-01-02"),
        ((Params("a", date(2025, 1, 1), date(2025, 5, 31), {"limit": 1}),
          Params("b", date(2025, 6, 2), None, {"limit": 2})), "gap"),
        ((Params("a", date(2025, 1, 1), date(2025, 6, 30), {"limit": 1}),
          Params("b", date(2025, 6, 1), None, {"limit": 2})), "overlap"),
        ((Params("a", date(2025, 1, 1), date(2025, 6, 30), {"limit": 1}),), "ends 2025-06-30"),
    ],
)
def test_params_versions_are_checked(versions: tuple[Params, ...], error: str) -> None:
    with pytest.raises(ParamsError, match=error):
        check_against(_META, versions)


def test_contiguous_versions_pass() -> None:
    check_against(_META, (Params("a", date(2024, 1, 1), date(2025, 5, 31), {"limit": 1}),
                          Params("b", date(2025, 6, 1), None, {"limit": 2})))


def test_malformed_params_file_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "params.yaml"
    bad.write_text("SB01:\n  - version: SB01@x\n    effective_from: soon\n    params: {}\n")
    with pytest.raises(ParamsError, match=r"SB01\[0\]\.effective_from"):
        read_params(bad)


def test_reference_document_lists_everything(engine: Engine) -> None:
    doc = render_markdown(engine)
    assert engine.version in doc
    for rule in engine.rules:
        assert f"## {rule.meta.code}" in doc and rule.meta.legal_basis in doc
        for case in CASES:
            if case.code == rule.meta.code:
                assert f"| {case.name} |" in doc
    for versions in engine.params.values():
        for p in versions:
            assert p.version in doc


def test_reference_document_shows_each_rules_first_example_in_both_languages(
    engine: Engine,
) -> None:
    doc = render_markdown(engine)
    for rule in engine.rules:
        code = rule.meta.code
        section = doc[doc.index(f"## {code}\n"):]
        end = section.find("\n## ", 1)
        section = section if end < 0 else section[:end]
        first = next(c for c in CASES if c.code == code and c.expect == "fail")
        hit = example_hits(engine, first)[0]
        assert f"Case `{first.name}`:" in section, code
        english, vietnamese = f"- EN: {hit.message}", f"- VI: {hit.message_vi}"
        assert english in section and vietnamese in section, code
        assert section.index(vietnamese) == section.index(english) + len(english) + 1  # beside


def test_describe_one_rule(engine: Engine) -> None:
    text = describe("sb01", engine)
    assert text.startswith("## SB01") and "`max_hours` = 24" in text and "exactly_24_hours" in text
    with pytest.raises(LookupError, match="unknown rule code 'ZZ99'"):
        describe("ZZ99", engine)


def test_describe_shows_both_messages_of_every_fail_case(engine: Engine) -> None:
    text = describe("CL01", engine)
    fails = [c for c in cases_for("CL01") if c.expect == "fail"]
    assert len(fails) >= 2
    for case in fails:
        hits = example_hits(engine, case)
        assert hits, case.id
        for hit in hits:
            assert f"- EN: {hit.message}" in text and f"- VI: {hit.message_vi}" in text
            assert f"threshold: {hit.threshold}" in text

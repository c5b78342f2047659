"""Every hit explains itself twice: in English and in Vietnamese, with the same figures.

Each rule's fail cases (rules/catalogue/*.yml) are run through the engine; every hit of the
case's rule must carry both messages, the Vietnamese one really Vietnamese (a letter with a
diacritic), every number of the English message also in the Vietnamese one, and the threshold
applied where the rule compares an input with a limit.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rules.base import Hit, Severity
from rules.cases import Case, all_cases
from rules.engine import Engine

FAIL_CASES = [case for case in all_cases() if case.expect == "fail"]

# Letters only Vietnamese (of the languages our data holds) writes: vowels with tone marks or
# with breve, circumflex or horn, and đ. Plain ASCII text has none of them.
_VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]"
)
# A number as the messages print it: 12, 15000.00, 3.1 (route), 40.17 (drug), 2025-03-01 → 3.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# Rules that compare an input with a limit: their hits must say which limit (Hit.threshold).
WITH_THRESHOLD = {
    "CB01", "CB02", "CB05", "CB06", "CB07", "CL01", "CL02", "CL03", "CL04", "CL05", "CL06",
    "CL07", "CL08", "CL10", "CL11", "CL13", "CT02", "CT06", "MN01", "MN02", "MN03", "MN04",
    "MN05", "MN06", "SB01",
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def numbers(text: str) -> set[str]:
    return set(_NUMBER.findall(text))


def check_messages(hit: Hit, where: str) -> None:
    assert hit.message.strip(), f"{where}: empty English message"
    assert hit.message_vi.strip(), f"{where}: empty Vietnamese message ({hit.message!r})"
    assert _VIETNAMESE.search(hit.message_vi.lower()), (
        f"{where}: message_vi has no Vietnamese letter: {hit.message_vi!r}")
    missing = numbers(hit.message) - numbers(hit.message_vi)
    assert not missing, (f"{where}: numbers {sorted(missing)} of the English message are not in "
                         f"the Vietnamese one:\n  {hit.message}\n  {hit.message_vi}")
    assert hit.threshold is None or hit.threshold.strip(), f"{where}: blank threshold"


def test_the_checks_can_fail() -> None:
    good = Hit("ZZ01", "ZZ01@1", Severity.WARNING, "t", "Line 2 is 15000.00 VND over", "basis",
               message_vi="Dòng 2 vượt 15000.00 VND", threshold="±1 VND")
    check_messages(good, "good")
    for bad in (replace(good, message_vi=""),
                replace(good, message_vi="Dong 2 vuot 15000.00 VND"),  # no diacritics
                replace(good, message_vi="Dòng 2 vượt 1500.00 VND"),  # another figure
                replace(good, threshold=" ")):
        with pytest.raises(AssertionError):
            check_messages(bad, "bad")


@pytest.mark.parametrize("case", FAIL_CASES, ids=lambda c: c.id)
def test_fail_case_hits_explain_themselves_in_both_languages(engine: Engine, case: Case) -> None:
    mine = [hit for hit in engine.evaluate(case.context()) if hit.code == case.code]
    assert mine, f"{case.id}: expected a {case.code} hit"
    for hit in mine:
        where = f"{case.id} {hit.table}/{hit.line}"
        check_messages(hit, where)
        if case.code in WITH_THRESHOLD:
            assert hit.threshold, f"{where}: {case.code} compares with a limit; threshold is empty"
        record = hit.to_record()  # what the decision carries (Avro RuleHit)
        assert (record["message_vi"], record["threshold"]) == (hit.message_vi, hit.threshold)


def test_every_rule_has_a_fail_case_checked() -> None:
    codes = {case.code for case in all_cases()}
    assert {case.code for case in FAIL_CASES} == codes
    assert codes >= WITH_THRESHOLD


def test_overlap_partner_hit_is_explained_in_both_languages(engine: Engine) -> None:
    # XC02's mirror hit for the earlier claim is built outside check(): it needs both too.
    case = next(c for c in FAIL_CASES if c.code == "XC02")
    hits = engine.evaluate(case.context())
    pairs = engine.partner_hits(case.claim, hits, case.history)
    assert pairs
    for _visit, hit in pairs:
        check_messages(hit, "XC02 partner")
        assert case.claim["claim_id"] in hit.message_vi

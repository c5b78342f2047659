"""The explicit list of rules in the catalogue.

Adding a rule means adding it here. Codes are never reused: a retired rule stays listed in the
comment below with the date it was retired, and its code is not given to another rule.
"""

from __future__ import annotations

from rules.base import Rule
from rules.catalogue.cb01_card_validity import CardValidity
from rules.catalogue.ct01_not_in_catalog import NotInCatalog
from rules.catalogue.ct02_price_above_approved import PriceAboveApproved
from rules.catalogue.mn01_header_totals import HeaderTotals
from rules.catalogue.sb01_late_submission import LateSubmission
from rules.catalogue.tm01_discharge_before_admission import DischargeBeforeAdmission
from rules.catalogue.xc01_resubmitted_under_appraisal import ResubmittedUnderAppraisal
from rules.catalogue.xc02_overlapping_stays import OverlappingStays

# Retired codes: none yet.


def all_rules() -> list[Rule]:
    """Fresh instances of every rule; raises if two share a code or a name."""
    rules: list[Rule] = [
        CardValidity(),
        NotInCatalog(),
        PriceAboveApproved(),
        HeaderTotals(),
        DischargeBeforeAdmission(),
        ResubmittedUnderAppraisal(),
        OverlappingStays(),
        LateSubmission(),
    ]
    check_unique(rules)
    return rules


def check_unique(rules: list[Rule]) -> None:
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for rule in rules:
        m = rule.meta
        if m.code in codes:
            raise ValueError(f"duplicate rule code {m.code}: {codes[m.code]} and {m.name}")
        if m.name in names:
            raise ValueError(f"duplicate rule name {m.name}: {names[m.name]} and {m.code}")
        codes[m.code] = m.name
        names[m.name] = m.code

"""The explicit list of rules in the catalogue, grouped by family; the engine runs them in this
order.

Adding a rule means adding it here. Codes are never reused: a retired rule stays listed in the
comment below with the date it was retired, and its code is not given to another rule.
"""

from __future__ import annotations

from rules.base import Rule

# --- card and benefit (CB)
from rules.catalogue.cb01_card_validity import CardValidity
from rules.catalogue.cb02_benefit_level import BenefitLevel
from rules.catalogue.cb03_route_vs_registered_facility import RouteVsRegisteredFacility
from rules.catalogue.cb04_referral_missing import ReferralMissing
from rules.catalogue.cb05_copayment_exempt_charged import CopaymentWhileExempt
from rules.catalogue.cb06_small_bill_copayment import SmallBillCopayment
from rules.catalogue.cb07_off_route_rate import OffRouteRate
from rules.catalogue.cb08_card_replaced import CardReplaced
from rules.catalogue.cb09_yearly_copayment_ceiling import CopaymentAfterCeiling

# --- clinical (CL)
from rules.catalogue.cl01_bed_days_exceed_stay import BedDaysExceedStay
from rules.catalogue.cl02_short_stay_bed_days import ShortStayBedDays
from rules.catalogue.cl03_short_stay_type import ShortStayType
from rules.catalogue.cl04_outpatient_bed_days import OutpatientBedDays
from rules.catalogue.cl05_extra_consultation_fees import ExtraConsultationFees
from rules.catalogue.cl06_long_outpatient_visit import LongOutpatientVisit
from rules.catalogue.cl07_outpatient_drug_supply import OutpatientDrugSupply
from rules.catalogue.cl08_repeated_lab_test import RepeatedLabTest
from rules.catalogue.cl09_diagnosis_sex_mismatch import DiagnosisSexMismatch
from rules.catalogue.cl10_diagnosis_age_mismatch import DiagnosisAgeMismatch
from rules.catalogue.cl11_line_times_out_of_order import LineTimesOutOfOrder
from rules.catalogue.cl12_surgery_without_anaesthesia import SurgeryWithoutAnaesthesia
from rules.catalogue.cl13_further_surgery_full_rate import FurtherSurgeryFullRate

# --- catalog (CT)
from rules.catalogue.ct01_not_in_catalog import NotInCatalog
from rules.catalogue.ct02_price_above_approved import PriceAboveApproved
from rules.catalogue.ct03_not_approved_for_facility import NotApprovedForFacility
from rules.catalogue.ct04_tender_data_malformed import TenderDataMalformed
from rules.catalogue.ct05_tender_mismatch import TenderMismatch
from rules.catalogue.ct06_supply_ceiling import SupplyCeiling
from rules.catalogue.ct07_included_item_billed import IncludedItemBilled

# --- money (MN)
from rules.catalogue.mn01_header_totals import HeaderTotals
from rules.catalogue.mn02_line_fund_share import LineFundShare
from rules.catalogue.mn03_line_amount_formula import LineAmountFormula
from rules.catalogue.mn04_line_split import LineSplit
from rules.catalogue.mn05_header_split import HeaderSplit
from rules.catalogue.mn06_fee_for_service_total import FeeForServiceTotal
from rules.catalogue.mn07_header_category_totals import HeaderCategoryTotals

# --- timing: submission and times (SB, TM)
from rules.catalogue.sb01_late_submission import LateSubmission
from rules.catalogue.tm01_discharge_before_admission import DischargeBeforeAdmission

# --- staff and equipment (ST)
# isort: split
from rules.catalogue.st01_practitioner_not_listed import PractitionerNotListed
from rules.catalogue.st02_machine_code import MachineCode

# --- cross-claim (XC)
from rules.catalogue.xc01_resubmitted_under_appraisal import ResubmittedUnderAppraisal
from rules.catalogue.xc02_overlapping_stays import OverlappingStays
from rules.catalogue.xc03_practitioner_overlap import PractitionerOverlap
from rules.catalogue.xc04_same_day_facilities import SameDayFacilities
from rules.catalogue.xc05_visit_frequency import VisitFrequency

# Retired codes: none yet.


def all_rules() -> list[Rule]:
    """Fresh instances of every rule; raises if two share a code or a name."""
    rules: list[Rule] = [
        # --- card and benefit (CB)
        CardValidity(),
        BenefitLevel(),
        RouteVsRegisteredFacility(),
        ReferralMissing(),
        CopaymentWhileExempt(),
        SmallBillCopayment(),
        OffRouteRate(),
        CardReplaced(),
        CopaymentAfterCeiling(),
        # --- clinical (CL)
        BedDaysExceedStay(),
        ShortStayBedDays(),
        ShortStayType(),
        OutpatientBedDays(),
        ExtraConsultationFees(),
        LongOutpatientVisit(),
        OutpatientDrugSupply(),
        RepeatedLabTest(),
        DiagnosisSexMismatch(),
        DiagnosisAgeMismatch(),
        LineTimesOutOfOrder(),
        SurgeryWithoutAnaesthesia(),
        FurtherSurgeryFullRate(),
        # --- catalog (CT)
        NotInCatalog(),
        PriceAboveApproved(),
        NotApprovedForFacility(),
        TenderDataMalformed(),
        TenderMismatch(),
        SupplyCeiling(),
        IncludedItemBilled(),
        # --- money (MN)
        HeaderTotals(),
        LineFundShare(),
        LineAmountFormula(),
        LineSplit(),
        HeaderSplit(),
        FeeForServiceTotal(),
        HeaderCategoryTotals(),
        # --- timing: submission and times (SB, TM)
        LateSubmission(),
        DischargeBeforeAdmission(),
        # --- staff and equipment (ST)
        PractitionerNotListed(),
        MachineCode(),
        # --- cross-claim (XC)
        ResubmittedUnderAppraisal(),
        OverlappingStays(),
        PractitionerOverlap(),
        SameDayFacilities(),
        VisitFrequency(),
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

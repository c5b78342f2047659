"""SB02: a facility's monthly summary differs from the sum of the claims it sent.

Why:
    Each month a facility reports its totals for insured care (report 01/BH; month-end data by
    the 5th, TT 48/2017/TT-BYT Art. 7), and payment is settled on that summary. The agency must
    answer summary mismatches within 48 h (TT 12/2026/TT-BTC Art. 9(2)). A summary above the
    claims asks the fund to pay for care no appraised claim supports; below them, claims are
    missing from the settlement.

Anti-pattern:
    Checking the summary against claims as first sent (later versions replace them), against
    the service month instead of the settlement month, or with exact equality on money rounded
    claim by claim.

Best practice:
    Compare with the latest version of every claim of the facility whose settlement
    (NGAY_TTOAN, else NGAY_RA) falls in the month: the number of claims exactly, each money total
    within ±1 VND per claim (rounding is per claim). One finding per total that is off, with the
    reported value, the sum of claims and the difference, in English and Vietnamese.

Not a per-claim rule: it compares one facility-month with many claims, so it does not run in the
rule engine but when a summary arrives (``POST /api/v1/summaries``) against ClickHouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from rules.base import RuleMeta, Severity

META = RuleMeta(
    code="SB02",
    name="submission.monthly_summary_mismatch",
    title="Monthly summary differs from the sum of the claims sent",
    family="submission",
    severity=Severity.WARNING,
    legal_basis=(
        "TT 12/2026/TT-BTC Art. 9(2) (summary mismatches); TT 48/2017/TT-BYT Art. 7 "
        "(month-end data, report 01/BH)"
    ),
    effective_from=date(2024, 7, 1),
)
TOLERANCE_VND_PER_CLAIM = 1.0  # the ±1 VND of the money identities, once per claim summed
# Totals of the summary, with their Vietnamese names.
TOTALS = {
    "t_tongchi_bh": "tổng chi phí trong phạm vi BHYT",
    "t_bhtt": "quỹ BHYT thanh toán",
    "t_bncct": "người bệnh cùng chi trả",
    "t_bntt": "người bệnh tự trả",
}


@dataclass(frozen=True)
class Finding:
    field: str
    reported: float
    claims_sum: float
    threshold: str
    message: str
    message_vi: str

    @property
    def difference(self) -> float:
        return round(self.reported - self.claims_sum, 2)

    def to_dict(self) -> dict[str, Any]:
        return {"code": META.code, "field": self.field, "reported": self.reported,
                "claims_sum": self.claims_sum, "difference": self.difference,
                "threshold": self.threshold, "message": self.message,
                "message_vi": self.message_vi, "legal_basis": META.legal_basis}


def compare(reported: Mapping[str, float], sums: Mapping[str, float]) -> list[Finding]:
    """Findings for every total of ``reported`` that ``sums`` (the claims) does not match.

    Both hold ``claims`` (a count) and the money ``TOTALS``; a total missing from ``reported``
    is not checked.
    """
    out = []
    count, claims = int(reported["claims"]), int(sums["claims"])
    if count != claims:
        out.append(Finding("claims", count, claims, "exact",
                           f"The summary reports {count} claims; {claims} were sent.",
                           f"Bảng tổng hợp báo cáo {count} hồ sơ; đã gửi {claims} hồ sơ."))
    limit = TOLERANCE_VND_PER_CLAIM * max(claims, 1)
    for name, name_vi in TOTALS.items():
        if name not in reported:
            continue
        value, total = float(reported[name]), float(sums[name])
        if abs(value - total) > limit + 1e-6:
            diff = value - total
            out.append(Finding(
                name, value, total, f"±{limit:.0f} VND",
                f"{name.upper()} reported {value:.2f} VND; the claims add up to {total:.2f} VND "
                f"(difference {diff:+.2f} VND).",
                f"{name.upper()} ({name_vi}) báo cáo {value:.2f} VND; tổng các hồ sơ là "
                f"{total:.2f} VND (chênh lệch {diff:+.2f} VND).",
            ))
    return out

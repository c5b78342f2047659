"""SB01: the claim was sent more than 24 hours after payment (NGAY_TTOAN).

Why:
    Facilities must send the claim data right after the visit ends (TT 48/2017/TT-BYT Art. 6(1));
    the social-security agency's process (Decision 1553/QĐ-BHXH) counts 24 hours from settlement.
    Late data cannot be appraised while the patient is still reachable and hides batching of
    claims before a settlement period closes.

Anti-pattern:
    Comparing the local settlement time with the UTC receipt time as if both were in one zone
    (every claim looks 7 hours later than it is), or using processing time instead of the time
    the claim was received.

Best practice:
    Convert NGAY_TTOAN from facility local time (Vietnam, UTC+7, no daylight saving) to UTC,
    subtract it from the receipt time and warn when the delay is strictly greater than the limit;
    exactly 24 hours is on time. A claim without NGAY_TTOAN is not checked. The warning moves
    no money (amount 0): lateness alone does not make care unpayable.

    Backfill: a claim imported after the fact (a deployment's first day loads past claims, or
    an outage is caught up from the facility's files) carries ``sent_at``, when the facility
    originally sent it; lateness is judged against that, never against the import's wall clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, timedelta

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleInputError, RuleMeta, Severity
from rules.context import Context

META = RuleMeta(
    code="SB01",
    name="submission.late_after_payment",
    title="Claim sent more than 24 h after payment (NGAY_TTOAN)",
    family="submission",
    severity=Severity.WARNING,
    legal_basis=(
        "Decision 1553/QĐ-BHXH (send within 24 h of settlement); TT 48/2017/TT-BYT Art. 6(1)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("max_hours", "utc_offset_hours"),
)


class LateSubmission(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        paid_local = ctx.claim["header"]["ngay_ttoan"]
        if paid_local is None:
            return NO_HITS
        sent = ctx.claim.get("sent_at")
        received = sent if sent is not None else ctx.claim["submitted_at"]
        field = "sent_at" if sent is not None else "submitted_at"
        if received.tzinfo is None:
            raise RuleInputError(f"{field}: expected an aware UTC datetime, got a naive one")
        offset = p.values["utc_offset_hours"]
        paid_utc = paid_local.replace(tzinfo=UTC) - timedelta(hours=offset)
        delay_s = (received - paid_utc).total_seconds()
        max_hours = p.values["max_hours"]
        if delay_s <= max_hours * 3600:
            return NO_HITS
        limit = f"{max_hours:g}"
        inputs = {
            "ngay_ttoan_local": paid_local.isoformat(sep=" "),
            "utc_offset_hours": f"{offset:g}",
            f"{field}_utc": received.astimezone(UTC).isoformat(sep=" "),
            "delay_hours": f"{delay_s / 3600:.2f}",
            "max_hours": limit,
        }
        delay, paid = f"{delay_s / 3600:.1f}", f"{paid_local:%Y-%m-%d %H:%M}"
        message = (
            f"Claim received {delay} h after settlement at {paid} (local); the limit is "
            f"{limit} h."
        )
        message_vi = (
            f"Hồ sơ được nhận sau {delay} giờ kể từ thời điểm thanh toán {paid} (giờ địa "
            f"phương); thời hạn gửi là {limit} giờ."
        )
        return (META.hit(p, message, amount=0.0, inputs=inputs, message_vi=message_vi,
                         threshold=f"{limit} h"),)

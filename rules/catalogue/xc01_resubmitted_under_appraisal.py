"""XC01: the same claim was sent again with different content while under appraisal.

Why:
    Data sent for appraisal may be replaced only with the social-security agency's approval
    (Decision 1553/QĐ-BHXH). A new version of a claim key (facility + MA_LK) with other content,
    arriving while an earlier version is still being appraised, may be a correction, or an
    attempt to swap the claim under the appraiser; either way a person must look. It is also the
    streaming form of the portal's duplicate check (VSS error 61).

Anti-pattern:
    Silently keeping the last version (the earlier appraisal is lost), or rejecting every resend
    (legitimate, approved corrections are blocked).

Best practice:
    Keep the person's history; when an earlier version of the same key is still under appraisal
    and its content hash differs, warn for the whole claimed amount and name both versions. A
    resend with identical content is a replay, not a resubmission, and is not flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.context import Context

META = RuleMeta(
    code="XC01",
    name="cross_claim.resubmitted_under_appraisal",
    title="Same claim key resubmitted with different content while under appraisal",
    family="cross_claim",
    severity=Severity.WARNING,
    legal_basis="Decision 1553/QĐ-BHXH (replacing data under appraisal); VSS error 61 (duplicate)",
    effective_from=date(2024, 7, 1),
    param_names=("blocking_status",),
)

_STATUS_VI = {"under_appraisal": "đang trong quá trình giám định"}


class ResubmittedUnderAppraisal(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        if not ctx.history:
            return NO_HITS
        claim = ctx.claim
        facility, claim_id, version = claim["facility"], claim["claim_id"], claim["version"]
        content_hash, status = claim["content_hash"], p.values["blocking_status"]
        earlier = [
            v for v in ctx.history
            if v["claim_id"] == claim_id and v["facility"] == facility
            and v["version"] < version and v["status"] == status
            and v["content_hash"] != content_hash
        ]
        if not earlier:
            return NO_HITS
        last = max(earlier, key=lambda v: v["version"])
        t_bhtt = claim["header"]["t_bhtt"]
        inputs = {
            "facility": facility,
            "claim_id": claim_id,
            "version": str(version),
            "content_hash": content_hash,
            "earlier_version": str(last["version"]),
            "earlier_content_hash": last["content_hash"],
            "earlier_status": last["status"],
            "t_bhtt": money(t_bhtt),
        }
        message = (
            f"Claim {facility}/{claim_id} version {version} replaces version {last['version']} "
            f"with different content while that version is still {status}."
        )
        message_vi = (
            f"Hồ sơ {facility}/{claim_id} lần gửi {version} thay thế lần gửi {last['version']} "
            f"bằng nội dung khác trong khi lần gửi đó vẫn {_STATUS_VI.get(status, status)}."
        )
        return (META.hit(p, message, amount=t_bhtt, inputs=inputs, message_vi=message_vi),)

"""CL12: a surgery billed without its anaesthesia method (PP_VO_CAM).

Why:
    Surgery (MA_NHOM 8) is priced by technique and by anaesthesia: the same operation under
    general or local anaesthesia is a different price item. QĐ 130 (as amended by QĐ 4750)
    makes PP_VO_CAM mandatory on surgery lines (1 general, 2 local/regional, 3 acupuncture
    anaesthesia, 4 other), and the portal-mirroring checks refuse surgery without it. Without the
    method the fund cannot tell whether the price billed is the right one.

Anti-pattern:
    Accepting any non-empty value (0 or 9 are not methods), or applying the check to claims sent
    in the old 4210 format, whose XML3 had no such field.

Best practice:
    For lines of the ``surgery_groups`` reject the line's T_BHTT when PP_VO_CAM is empty or not in
    ``valid_methods``; skip claims whose source standard is in ``skip_standards`` (QD4210).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import GROUP, derived, groups_of
from rules.context import Context

META = RuleMeta(
    code="CL12",
    name="clinical.surgery_without_anaesthesia_method",
    title="Surgery (MA_NHOM 8) without a valid anaesthesia method (PP_VO_CAM)",
    family="clinical",
    severity=Severity.PARTIAL,
    legal_basis=(
        "QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML3 PP_VO_CAM (required for MA_NHOM 8); "
        "TT 39/2024/TT-BYT Art. 4(d) (surgery prices by technique and anaesthesia)"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("surgery_groups", "valid_methods", "skip_standards"),
)


_SURGERY = groups_of("surgery_groups")


class SurgeryWithoutAnaesthesia(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        claim = ctx.claim
        groups = derived(p, "CL12.surgery_groups", _SURGERY)
        services = claim["services"]
        if groups.isdisjoint(map(GROUP, services)):
            return NO_HITS
        valid = p.values["valid_methods"]
        hits: list[Hit] = []
        for line in services:
            if line["ma_nhom"] not in groups or line["pp_vo_cam"] in valid:
                continue
            if claim["source_standard"] in p.values["skip_standards"]:
                return NO_HITS
            method = line["pp_vo_cam"]
            inputs = {
                "ma_dich_vu": line["ma_dich_vu"],
                "ma_nhom": str(line["ma_nhom"]),
                "pp_vo_cam": "" if method is None else str(method),
                "valid_methods": ",".join(str(m) for m in valid),
                "line_t_bhtt": money(line["t_bhtt"]),
            }
            surgery, methods = f"{line['ma_dich_vu']} ({line['ten']})", inputs["valid_methods"]
            if method is None:
                shown, shown_vi = "empty", "để trống"
            else:
                shown, shown_vi = f"{method}, not a method", f"{method}, không phải mã hợp lệ"
            message = (
                f"Surgery {surgery} billed with PP_VO_CAM {shown}; the anaesthesia method must "
                f"be one of {methods}."
            )
            message_vi = (
                f"Phẫu thuật {surgery} được đề nghị thanh toán với PP_VO_CAM {shown_vi}; "
                f"phương pháp vô cảm phải là một trong các mã {methods}."
            )
            hits.append(META.hit(p, message, amount=line["t_bhtt"], inputs=inputs,
                                 table="XML3", line=line["stt"], message_vi=message_vi))
        return hits

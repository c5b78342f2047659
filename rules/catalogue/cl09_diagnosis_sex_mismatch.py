"""CL09: a diagnosis that exists for one sex only, on a patient of the other sex.

Why:
    Pregnancy (ICD-10 O00–O99), disorders of the female genital tract (N70–N98) or of the male
    genital organs (N40–N51) cannot belong to a patient of the other sex. Such a claim is a data
    error, care billed on the wrong person's record, or a borrowed card. The MoH ICD-10 list
    marks sex-restricted codes (QĐ 4469/QĐ-BYT; TT 06/2026 list with sex flags), and checking
    that care is consistent with the patient belongs to automatic appraisal
    (TT 12/2026/TT-BTC Art. 10(1)(i)).

Anti-pattern:
    Testing the first characters of the code: the male range N40–N51 crosses a decade (a test
    for "N4" misses N50 and N51) and N99, right after the female N70–N98, is for both sexes.
    Or flagging patients whose sex is recorded as undetermined (GIOI_TINH 3).

Best practice:
    Keep the sex-restricted ICD-10 ranges as versioned data (``female_icd`` / ``male_icd``:
    inclusive [first, last] 3-character categories), compare the category of the main and every
    secondary diagnosis, and only for GIOI_TINH 1 (male) and 2 (female). Warn for the claim's
    T_BHTT: the appraiser must decide whether the record or the person is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import derived, initials, split_codes
from rules.context import Context

META = RuleMeta(
    code="CL09",
    name="clinical.diagnosis_sex_mismatch",
    title="Diagnosis restricted to the other sex",
    family="clinical",
    severity=Severity.WARNING,
    legal_basis=(
        "ICD-10 (QĐ 4469/QĐ-BYT) sex-restricted categories; TT 12/2026/TT-BTC Art. 10(1)(i); "
        "QĐ 130/QĐ-BYT XML1 GIOI_TINH, MA_BENH_CHINH, MA_BENH_KT"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("female_icd", "male_icd"),
)

_MALE, _FEMALE = 1, 2
_SEX_VI = {"male": "nam", "female": "nữ"}


def _female_initials(v: Mapping[str, Any]) -> frozenset[str]:
    return initials(tuple(r) for r in v["female_icd"])


def _male_initials(v: Mapping[str, Any]) -> frozenset[str]:
    return initials(tuple(r) for r in v["male_icd"])


def in_ranges(category: str, ranges: Sequence[Sequence[str]]) -> bool:
    return any(first <= category <= last for first, last in ranges)


class DiagnosisSexMismatch(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        sex = header["gioi_tinh"]
        if sex == _MALE:
            letters = derived(p, "CL09.female", _female_initials)
        elif sex == _FEMALE:
            letters = derived(p, "CL09.male", _male_initials)
        else:
            return NO_HITS
        if not header["ma_benh_kt"] and header["ma_benh_chinh"].lstrip()[:1] not in letters:
            return NO_HITS
        ranges, other = (
            (p.values["female_icd"], "female") if sex == _MALE else (p.values["male_icd"], "male")
        )
        codes = [header["ma_benh_chinh"], *split_codes(header["ma_benh_kt"])]
        wrong = [c for c in codes if in_ranges(c.strip().upper()[:3], ranges)]
        if not wrong:
            return NO_HITS
        patient = "male" if sex == _MALE else "female"
        shown = ", ".join(wrong)
        inputs = {
            "gioi_tinh": str(sex),
            "ma_benh_chinh": header["ma_benh_chinh"],
            "ma_benh_kt": header["ma_benh_kt"],
            "restricted_codes": ";".join(wrong),
            "restricted_to": other,
            "ranges": ";".join(f"{a}-{b}" for a, b in ranges),
            "t_bhtt": money(header["t_bhtt"]),
        }
        message = (
            f"Diagnosis {shown} applies to {other} patients only, but the patient is "
            f"recorded as {patient} (GIOI_TINH {sex})."
        )
        message_vi = (
            f"Mã bệnh {shown} chỉ dùng cho người bệnh {_SEX_VI[other]}, nhưng người bệnh được "
            f"ghi giới tính {_SEX_VI[patient]} (GIOI_TINH {sex})."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi),)

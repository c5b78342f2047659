"""CL10: a diagnosis restricted to an age band, on a patient outside it.

Why:
    Some ICD-10 categories describe one period of life only: conditions originating in the
    perinatal period (P00–P96) and the liveborn-infant codes (Z38) belong to babies in their
    first year. On an older patient they reveal a data error, a claim on the wrong record (the
    mother's card used for the child, or the reverse) or a borrowed card. Consistency of the
    care with the patient is part of automatic appraisal (TT 12/2026/TT-BTC Art. 10(1)(i)).

Anti-pattern:
    Computing the age as visit year − birth year (a child born in December is "1" in January
    after 3 weeks), or measuring it on the claim's settlement date instead of the visit date.

Best practice:
    Keep the age bands as versioned data (``age_icd``: rows of inclusive [first, last] ICD-10
    categories with min_years / max_years in completed years), compute the completed years from
    NGAY_SINH to the visit date (NGAY_VAO), and warn for the claim's T_BHTT when the main or a
    secondary diagnosis falls outside its band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rules.base import NO_HITS, ClaimRule, Hit, Params, RuleMeta, Severity, money
from rules.catalogue._clinical import derived, initials, split_codes
from rules.context import Context

META = RuleMeta(
    code="CL10",
    name="clinical.diagnosis_age_mismatch",
    title="Diagnosis restricted to an age band the patient is outside of",
    family="clinical",
    severity=Severity.WARNING,
    legal_basis=(
        "ICD-10 (QĐ 4469/QĐ-BYT) age-restricted categories (P00–P96 perinatal); "
        "TT 12/2026/TT-BTC Art. 10(1)(i); QĐ 130/QĐ-BYT XML1 NGAY_SINH, MA_BENH_CHINH, MA_BENH_KT"
    ),
    effective_from=date(2024, 7, 1),
    param_names=("age_icd",),
)


def _initials(v: Mapping[str, Any]) -> frozenset[str]:
    return initials((band["first"], band["last"]) for band in v["age_icd"])


def completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class DiagnosisAgeMismatch(ClaimRule):
    meta = META

    def check(self, ctx: Context, p: Params) -> Sequence[Hit]:
        header = ctx.claim["header"]
        if not header["ma_benh_kt"] and header["ma_benh_chinh"].lstrip()[:1] not in derived(
            p, "CL10.initials", _initials
        ):
            return NO_HITS
        bands = p.values["age_icd"]
        codes = [header["ma_benh_chinh"], *split_codes(header["ma_benh_kt"])]
        age: int | None = None
        wrong: list[str] = []
        limits: list[str] = []  # "first-last: min-max" per wrong code (units added per language)
        for code in codes:
            category = code.strip().upper()[:3]
            for band in bands:
                if not band["first"] <= category <= band["last"]:
                    continue
                if age is None:
                    age = completed_years(header["ngay_sinh"].date(), header["ngay_vao"].date())
                if not band["min_years"] <= age <= band["max_years"]:
                    wrong.append(code)
                    limits.append(
                        f"{band['first']}-{band['last']}: {band['min_years']}-"
                        f"{band['max_years']}"
                    )
                break
        if not wrong:
            return NO_HITS
        born = header["ngay_sinh"].date().isoformat()
        bands_en = [f"{band} y" for band in limits]
        inputs = {
            "ngay_sinh": born,
            "ngay_vao": header["ngay_vao"].date().isoformat(),
            "age_years": str(age),
            "restricted_codes": ";".join(wrong),
            "bands": ";".join(bands_en),
            "t_bhtt": money(header["t_bhtt"]),
        }
        shown, threshold = ", ".join(wrong), "; ".join(bands_en)
        message = (
            f"Diagnosis {shown} is for patients aged {threshold}, but the patient is {age} "
            f"(born {born})."
        )
        message_vi = (
            f"Mã bệnh {shown} chỉ dùng cho người bệnh trong độ tuổi "
            f"{'; '.join(f'{band} tuổi' for band in limits)}, nhưng người bệnh {age} tuổi "
            f"(sinh ngày {born})."
        )
        return (META.hit(p, message, amount=header["t_bhtt"], inputs=inputs,
                         message_vi=message_vi, threshold=threshold),)

"""Injectors for the clinical/billing (CL01-CL13) and staff/equipment (ST01-ST02) rules.

Each returns False when the draft cannot carry the violation (the scheduler then draws another
visit). Added lines come from the facility's own catalog prices and staff, inside the visit.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from streams.sim.catalog import LISTED_TIERS, Catalog
from streams.sim.claims import Draft
from streams.sim.edit import lines, maker, surgeries

_BEDS = frozenset({14, 15, 16})
_DAY = timedelta(hours=24)
# CL07 daily maxima by unit (rules/params.yaml): a quantity above 30 × this is flagged.
_DAILY_MAX = {"viên": 6, "gói": 4}
_FEMALE_ONLY, _MALE_ONLY = "N76.0", "N40"  # CL09 ranges N70-N98 / N40-N51
_NEWBORN = "P59.9"  # CL10: perinatal jaundice, under 1 year only


def _ward_hours(draft: Draft) -> float:
    h = draft.header
    start = h["ngay_vao_noi_tru"] or h["ngay_vao"]
    return float((h["ngay_ra"] - start) / timedelta(hours=1))


def _beds(draft: Draft) -> list[dict[str, Any]]:
    return [r for r in draft.claim["services"] if r["ma_nhom"] in _BEDS]


def payable_bed_days(h: dict[str, Any]) -> int:
    """The bed days of a stay of a day or more as CL01 counts them (TT 22/2023 Art. 6)."""
    start = h["ngay_vao_noi_tru"] or h["ngay_vao"]
    plus_one = h["ma_loai_rv"] in (2, 5) or h["ket_qua_dtri"] in (5, 6, 8)
    days: int = (h["ngay_ra"].date() - start.date()).days
    return days + plus_one


def fit_bed_days(draft: Draft) -> None:
    """After a stay was moved in time (its ward admission may now fall after midnight while its
    discharge does not), bill no more bed days than the counting gives: the last bed lines
    give up the extra days, as a hospital's software would bill the moved stay."""
    h, beds = draft.header, _beds(draft)
    if h["ma_loai_kcb"] != "03" or not beds or _ward_hours(draft) < 24:
        return
    extra = sum(r["so_luong"] for r in beds) - max(payable_bed_days(h), 1)
    if extra <= 0:
        return
    gone: list[int] = []
    for row in reversed(beds):
        take = min(extra, row["so_luong"])
        row["so_luong"] -= take
        extra -= take
        if row["so_luong"] <= 0:
            gone.append(id(row))
        if extra <= 0:
            break
    services = [r for r in draft.claim["services"] if id(r) not in gone]
    for number, row in enumerate(services, 1):
        row["stt"] = number
    draft.claim["services"] = services
    draft.refinalize()


def bed_days_exceed_stay(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL01: the last bed line billed for more days than the stay has."""
    h, beds = draft.header, _beds(draft)
    if h["ma_loai_kcb"] != "03" or not beds or _ward_hours(draft) < 25:
        return False
    days = payable_bed_days(h)
    billed = sum(r["so_luong"] for r in beds)
    beds[-1]["so_luong"] = float(beds[-1]["so_luong"] + days - billed + rng.randint(1, 2))
    draft.refinalize()
    return True


def short_stay_beds(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL02: a ward admission (NGAY_VAO_NOI_TRU) 5-22 h before discharge, with two or more bed
    days; NGAY_VAO and the line times stay as they were, so CL11 and CL01 stay silent."""
    h, beds = draft.header, _beds(draft)
    hours = (h["ngay_ra"] - h["ngay_vao"]) / timedelta(hours=1)
    if h["ma_loai_kcb"] != "03" or not beds or hours < 7:
        return False
    most = min(22 * 60, int(hours * 60) - 60)
    h["ngay_vao_noi_tru"] = h["ngay_ra"] - timedelta(minutes=rng.randint(5 * 60, most))
    if sum(r["so_luong"] for r in beds) < 2:  # one night: the calendar allows two days
        beds[-1]["so_luong"] = beds[-1]["so_luong"] + 1.0
        draft.refinalize()
    return True


def short_stay_type(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL03: an inpatient stay of many hours typed 09 (under 4 h)."""
    if draft.header["ma_loai_kcb"] != "03" or _ward_hours(draft) < 5:
        return False
    draft.header["ma_loai_kcb"] = "09"
    return True


def outpatient_bed(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL04: a bed day billed on an outpatient visit."""
    h = draft.header
    if h["ma_loai_kcb"] != "01":
        return False
    at = draft.claim["services"][0]["ngay_yl"]
    maker(rng, catalog, draft).bed("bed_internal", h["ma_khoa"], at, f"H{rng.randint(1, 99):03d}")
    draft.refinalize()
    return True


def extra_consultation(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL05: a second consultation at the full rate on an outpatient visit."""
    h = draft.header
    if h["ma_loai_kcb"] != "01":
        return False
    at = draft.claim["services"][0]["ngay_yl"]
    key = rng.choice(("kham_noi", "kham_tmh", "kham_mat", "kham_da"))
    maker(rng, catalog, draft).service(key, 1, h["ma_khoa"], at, at, None)
    draft.refinalize()
    return True


def long_outpatient(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL06: an outpatient visit that began more than a day before it ended."""
    h = draft.header
    if h["ma_loai_kcb"] != "01":
        return False
    h["ngay_vao"] = h["ngay_vao"] - _DAY - timedelta(minutes=rng.randint(30, 20 * 60))
    return True


def long_supply(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL07: an outpatient drug supplied for well over 30 days."""
    if draft.header["ma_loai_kcb"] != "01":
        return False
    rows = [r for r in draft.claim["drugs"] if r["don_vi_tinh"].lower() in _DAILY_MAX]
    if not rows:
        return False
    row = rng.choice(rows)
    row["so_luong"] = float(30 * _DAILY_MAX[row["don_vi_tinh"].lower()] + rng.randint(10, 60))
    draft.refinalize()
    return True


def repeated_test(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL08: HbA1c (once per claim) billed twice, by the claim's first service."""
    services = draft.claim["services"]
    at = services[0]["ngay_yl"]
    present = any(r["ma_dich_vu"] == catalog.items["hba1c"].code for r in services)
    lm = maker(rng, catalog, draft)
    lm.service("hba1c", 1 if present else 2, draft.header["ma_khoa"], at, at, at)
    draft.claim["lab_results"] += lm.results
    draft.refinalize()
    return True


def _add_diagnosis(draft: Draft, icd: str) -> None:
    h = draft.header
    h["ma_benh_kt"] = ";".join(c for c in (h["ma_benh_kt"], icd) if c)


def sex_mismatch(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL09: a secondary diagnosis of the other sex."""
    _add_diagnosis(draft, _FEMALE_ONLY if draft.header["gioi_tinh"] == 1 else _MALE_ONLY)
    return True


def age_mismatch(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL10: a newborn's diagnosis on a patient aged one year or more."""
    h = draft.header
    born, day = h["ngay_sinh"].date(), h["ngay_vao"].date()
    if (day.year - born.year - ((day.month, day.day) < (born.month, born.day))) < 1:
        return False
    _add_diagnosis(draft, _NEWBORN)
    return True


def times_out_of_order(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL11: one line executed before it was ordered."""
    rows = [r for _, r in lines(draft) if r.get("ngay_th_yl") and r["ngay_th_yl"] > r["ngay_yl"]]
    if not rows:
        return False
    row = rng.choice(rows)
    row["ngay_th_yl"] = row["ngay_yl"] - timedelta(minutes=rng.randint(1, 30))
    return True


def _operate(rng: random.Random, draft: Draft, catalog: Catalog, anaesthesia: int | None,
             count: int) -> None:
    h = draft.header
    at = h["ngay_vao_noi_tru"] + timedelta(minutes=30)
    lm = maker(rng, catalog, draft)
    for _ in range(count):
        lm.service("appendectomy", 1, h["ma_khoa"], at, at + timedelta(minutes=20),
                   at + timedelta(minutes=80), anaesthesia=anaesthesia)
    draft.refinalize()


def no_anaesthesia(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL12: a surgery without its anaesthesia method."""
    if draft.header["ngay_vao_noi_tru"] is None:
        return False
    done = surgeries(draft)
    if done:
        rng.choice(done)["pp_vo_cam"] = None
    else:
        _operate(rng, draft, catalog, None, 1)
    return True


def further_surgery(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """CL13: a second operation the same day at the full rate."""
    if draft.header["ngay_vao_noi_tru"] is None or surgeries(draft):
        return False  # claims with their own operation: its day is not chosen here
    _operate(rng, draft, catalog, 1, 2)
    return True


def practitioner_not_listed(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """ST01: one line ordered by a practitioner outside the facility's staff list."""
    if draft.visit.facility.tier not in LISTED_TIERS:
        return False
    _, row = rng.choice(list(lines(draft)))
    row["ma_bac_si"] = f"{rng.randint(1, 999_999):06d}/NGOAI-CCHN"  # no listed licence has it
    return True


def machine_missing(rng: random.Random, draft: Draft, catalog: Catalog) -> bool:
    """ST02: a test or imaging line without its machine code."""
    rows = [r for r in draft.claim["services"] if r["ma_nhom"] in (1, 2, 3)]
    if not rows:
        return False
    rng.choice(rows)["ma_may"] = None
    return True


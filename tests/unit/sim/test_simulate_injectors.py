"""The injectors one by one: what each changes in a claim, and when it declines a draft.

The end-to-end guarantee (only the labelled rule fires) is test_simulate_vs_rules; these check
the shape of each injection directly on the claims, independently of the rules.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from streams.sim.catalog import VISITING
from streams.sim.claims import Draft, build_claim, choose_visit
from streams.sim.generate import Simulation, generate, reference
from streams.sim.violations import CODES, INPATIENT_ONLY, OUTPATIENT_ONLY, SINGLE, inject

PAID = datetime(2026, 5, 20, 10, 30)


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return generate(3000, seed=41, violations=0.8)


def by_code(sim: Simulation) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for c in sim.claims:
        for code in c.labels:
            out.setdefault(code, []).append(c.claim)
    return out


def all_lines(claim: dict[str, Any]) -> list[dict[str, Any]]:
    return [*claim["drugs"], *claim["services"]]


def test_xc03_pairs_two_patients_at_two_facilities_with_one_visiting_practitioner() -> None:
    claims = by_code(generate(1500, seed=5, violations=0.5))["XC03"]
    assert claims and len(claims) % 2 == 0
    performers = [{row["nguoi_thuc_hien"] for row in c["services"]} & set(VISITING)
                  for c in claims]
    assert all(len(p) == 1 for p in performers)
    by_who: dict[str, list[dict[str, Any]]] = {}
    for c, p in zip(claims, performers, strict=True):
        by_who.setdefault(next(iter(p)), []).append(c)
    for pair in by_who.values():
        assert len({c["facility"] for c in pair}) >= 2
        assert len({c["person_key"] for c in pair}) >= 2


def test_single_claim_codes_are_all_but_the_scheduled_ones() -> None:
    scheduled = {"XC01", "XC02", "XC03", "SB01", "XC04", "XC05", "CB09"}
    assert set(CODES) - set(SINGLE) == scheduled
    assert not INPATIENT_ONLY & OUTPATIENT_ONLY
    assert set(SINGLE) | scheduled >= INPATIENT_ONLY | OUTPATIENT_ONLY


def test_unknown_code_is_refused_by_name() -> None:
    ref = reference(60, seed=1)
    rng = random.Random(1)
    person = ref.world.persons[0]
    draft = build_claim(rng, ref.catalog, choose_visit(rng, ref.world, person, False), PAID)
    with pytest.raises(ValueError, match="code: 'SB01'"):
        inject("SB01", rng, draft, ref.catalog)


def test_visit_type_follows_the_code(sim: Simulation) -> None:
    for code, claims in by_code(sim).items():
        kinds = Counter(c["header"]["ma_loai_kcb"] for c in claims)
        if code in OUTPATIENT_ONLY:
            assert set(kinds) == {"01"}, code
        elif code in INPATIENT_ONLY:
            assert set(kinds) <= {"03", "09"}, code


def test_injections_look_as_labelled(sim: Simulation) -> None:
    claims = by_code(sim)
    for c in claims["CB04"]:
        assert c["header"]["ma_doituong_kcb"] == "1.3" and not c["header"]["giay_chuyen_tuyen"]
    for c in claims["CB03"]:
        assert c["header"]["ma_doituong_kcb"] == "1.1" and c["header"]["ma_dkbd"] != c["facility"]
    for c in claims["CB05"]:
        assert c["header"]["ngay_mien_cct"] <= c["header"]["ngay_vao"].date()
    cards = {card["card_no"]: card for card in sim.cards}
    for c in claims["CB08"]:
        card = cards[c["header"]["ma_the_bhyt"]]
        assert card["replaced_by"] and card["person_key"] == c["person_key"]
    for c in claims["CL03"]:
        assert c["header"]["ma_loai_kcb"] == "09"
    for c in claims["CL06"]:
        h = c["header"]
        assert (h["ngay_ra"] - h["ngay_vao"]).total_seconds() > 24 * 3600
    for c in claims["CL04"]:
        assert any(s["ma_nhom"] == 15 for s in c["services"])
    for c in claims["CL09"]:
        assert ("N76.0" if c["header"]["gioi_tinh"] == 1 else "N40") in c["header"]["ma_benh_kt"]
    for c in claims["CL11"]:
        assert any(r.get("ngay_th_yl") and r["ngay_th_yl"] < r["ngay_yl"] for r in all_lines(c))
    for c in claims["CL12"]:
        assert any(s["ma_nhom"] == 8 and s["pp_vo_cam"] is None for s in c["services"])
    for c in claims["CL13"]:
        assert sum(s["ma_nhom"] == 8 for s in c["services"]) == 2
    for c in claims["CT06"]:
        assert any(s["t_trantt"] and s["t_trantt"] < s["t_bhtt"] for s in c["services"])
    for c in claims["ST02"]:
        assert any(s["ma_nhom"] in (1, 2, 3) and not s["ma_may"] for s in c["services"])
    for c in claims["MN06"]:
        h = c["header"]
        fee = sum(r["t_bhtt"] for r in all_lines(c) if r["ma_pttt"] == 1)
        assert abs(h["t_bhtt_gdv"] - fee) >= 10


def test_clean_claims_carry_none_of_the_injected_marks() -> None:
    sim = generate(1500, seed=42, violations=0.0)
    for c in sim.claims:
        h = c.claim["header"]
        assert h["ngay_mien_cct"] is None and h["ma_loai_kcb"] in ("01", "03")
        assert not any(s["t_trantt"] for s in c.claim["services"])
        assert sum(s["ma_nhom"] == 8 for s in c.claim["services"]) <= 1
        for s in c.claim["services"]:
            if s["ma_nhom"] in (1, 2, 3):
                assert s["ma_may"]


def test_an_injector_declines_a_draft_that_cannot_carry_it() -> None:
    ref = reference(200, seed=5)
    rng = random.Random(5)
    outpatient: Draft | None = None
    for person in ref.world.persons:
        outpatient = build_claim(rng, ref.catalog, choose_visit(rng, ref.world, person, False),
                                 PAID)
        break
    assert outpatient is not None
    before = outpatient.claim["header"]["ma_loai_kcb"]
    assert not inject("CL03", rng, outpatient, ref.catalog)  # CL03 needs an inpatient stay
    assert not inject("CL01", rng, outpatient, ref.catalog)
    assert outpatient.claim["header"]["ma_loai_kcb"] == before


@pytest.mark.parametrize("code", SINGLE)
def test_every_code_fits_some_visit_of_each_type_it_is_planned_on(code: str) -> None:
    """The scheduler draws visits until one fits: each planned visit type must admit it."""
    ref = reference(300, seed=9)
    rng = random.Random(code)
    types = [True] if code in INPATIENT_ONLY else [False] if code in OUTPATIENT_ONLY \
        else [True, False]
    for inpatient in types:
        fits = 0
        for _ in range(300):
            person = rng.choice(ref.world.persons)
            visit = choose_visit(rng, ref.world, person, inpatient)
            fits += inject(code, rng, build_claim(rng, ref.catalog, visit, PAID), ref.catalog)
        assert fits >= 3, (code, inpatient, fits)

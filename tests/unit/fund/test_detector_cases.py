"""Detector behaviour on small hand-made registers: a facility that joins the data late is
not an anomaly, an invalid register row names its field, peer groups fall back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streams.fund.detector import detect
from streams.fund.peers import peer_groups
from streams.fund.series import FacilityInfo
from streams.jurisdiction import FacilityRegister, JurisdictionError
from streams.sim.fund_series import simulate


def test_a_facility_without_history_is_not_judged_on_its_first_months() -> None:
    sim = simulate(facilities=40, days=300, seed=2, inject_share=0.0)
    s = sim.series
    for column in s.data.values():  # the last facility appears on day 150
        column[-1, :150] = 0.0
    found = detect(s, s.day(0), s.day(s.days - 1))
    late = s.facilities[-1].facility
    assert not [a for a in found if a.facility == late and a.period_start < s.day(150 + 60)]


def test_peer_groups_fall_back_to_wider_scopes_when_small() -> None:
    fac = [FacilityInfo(f"79{i:03d}", "79", 4, "health_station") for i in range(6)]
    fac += [FacilityInfo("79100", "79", 2, "public_hospital"),
            FacilityInfo("01100", "01", 2, "public_hospital")]
    groups = peer_groups(fac, min_peers=5)
    scopes = [groups.scope[g] for g in groups.of]
    assert scopes[:6] == ["tier_province_kind"] * 6
    assert scopes[6:] == ["all", "all"]  # two provincial hospitals: too few anywhere smaller
    assert np.array_equal(groups.members[groups.of[0]], np.arange(6))


def test_register_reads_optional_columns_and_names_a_bad_one(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("facility,district,name,tier,kind\n79001,79-760,BV A,2,public_hospital\n"
                    "79002,79-760,,,\n", encoding="utf-8")
    entries = FacilityRegister.load(path).entries()
    assert [(e.facility, e.tier, e.kind, e.province) for e in entries] == [
        ("79001", 2, "public_hospital", "79"), ("79002", 0, "", "79")]
    path.write_text("facility,district,tier\n79001,79-760,7\n", encoding="utf-8")
    with pytest.raises(JurisdictionError, match="line 2: tier: '7'"):
        FacilityRegister.load(path)
    path.write_text("facility,district,kind\n79001,79-760,spa\n", encoding="utf-8")
    with pytest.raises(JurisdictionError, match="line 2: kind: 'spa'"):
        FacilityRegister.load(path)

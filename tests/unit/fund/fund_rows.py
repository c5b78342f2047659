"""Claims and decisions as the sink stores them (its own row builders), for the analytics
tests on both engines: a re-inserted batch, a decision revision, a corrected claim version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streams.sink.rows import claim_tables, decision_tables
from tests.unit.sink.test_sink_rows import NOW, make_claim, make_decision, make_hit

Tables = dict[str, list[dict[str, Any]]]


def batches(now: datetime = NOW) -> list[Tables]:
    """What the sink would insert, batch by batch, for three claims of 79001 on 2025-03-01:
    LK1 inpatient (decided, then revised), LK2 outpatient referred in and out (decided),
    LK3 whose version 2 moves it to 2025-03-02 (undecided)."""
    lk1 = claim_tables(make_claim("LK1"), now)
    lk2 = claim_tables(make_claim("LK2", ma_loai_kcb="01", so_ngay_dtri=0,
                                  ma_doituong_kcb="1.3", ma_loai_rv=2), now)
    lk3 = claim_tables(make_claim("LK3", ma_loai_kcb="01", so_ngay_dtri=0), now)
    lk3_v2 = claim_tables(make_claim("LK3", version=2, ma_loai_kcb="01", so_ngay_dtri=0,
                                     ngay_vao=datetime(2025, 3, 2, 8, 0)), now)
    d1 = decision_tables(make_decision("LK1"), now)
    d1_rev2 = decision_tables(make_decision(
        "LK1", revision=2, rejected=500.0,
        hits=[make_hit(), make_hit("XC02", table="", line=None)]), now)
    d2 = decision_tables(make_decision("LK2", rejected=0.0, outcome="ACCEPT", hits=[]), now)
    return [lk1, lk2, lk3, lk1, d1, d2, d1, d1_rev2, lk3_v2, d1_rev2,
            claim_tables(make_claim("LK4", ma_loai_kcb="01", so_ngay_dtri=0,
                                    ngay_vao=datetime(2025, 3, 5, 9, 0)), now)]


def correction(now: datetime = NOW) -> Tables:
    """Stored after a first refresh: LK4, alone on 2025-03-05, is corrected to 2025-03-02,
    which leaves 03-05 without any claim (its row must then count nothing)."""
    return claim_tables(make_claim("LK4", version=2, ma_loai_kcb="01", so_ngay_dtri=0,
                                   ngay_vao=datetime(2025, 3, 2, 9, 0)), now)


# What facility_day must hold after the batches and the correction: (day, facility) -> values.
EXPECTED = {
    ("2025-03-01", "79001"): {
        "visits": 2, "outpatient": 1, "inpatient": 1, "admissions": 1, "bed_days": 3,
        "referrals_in": 1, "referrals_out": 1, "total_cost": 2 * 54086.42,
        "hi_cost": 2 * 39269.14, "approved": (39269.14 - 500.0) + 39269.14,
        "rejected": 500.0, "drug_cost": 2 * 3086.42, "supply_cost": 2 * 1000.0,
        "service_cost": 2 * 50000.0, "inpatient_cost": 54086.42, "decided": 2,
        "hit_codes": ["CT01", "XC02"], "hit_claims": [1, 1]},
    ("2025-03-02", "79001"): {
        "visits": 2, "outpatient": 2, "inpatient": 0, "admissions": 0, "bed_days": 0,
        "referrals_in": 0, "referrals_out": 0, "total_cost": 2 * 54086.42,
        "hi_cost": 2 * 39269.14, "approved": 0.0, "rejected": 0.0, "decided": 0,
        "hit_codes": [], "hit_claims": []},
    ("2025-03-05", "79001"): {
        "visits": 0, "outpatient": 0, "total_cost": 0.0, "hi_cost": 0.0, "decided": 0,
        "hit_codes": [], "hit_claims": []},
}

"""Blood (MA_NHOM 7, 17) written in the services table (XML3) is judged as the drug line it is:
looked up in the drug list by its code, priced by DON_GIA_BH, every hit pointing at its XML3 row.
"""

from __future__ import annotations

import copy
from datetime import date

from rules.base import BLOOD_GROUPS, DRUG, SERVICE, SUPPLY, Record, as_drug_line, line_kind
from rules.cases import base_case
from rules.context import Context
from rules.engine import Engine

BLOOD = "BLOOD.HC.350"  # a made-up code of the blood price list


class DrugList:
    """Knows one blood product in the DRUG list at a set price; nothing else at all."""

    def __init__(self, price: float, listed: bool = True) -> None:
        self.price, self.listed = price, listed
        self.asked: list[tuple[str, str]] = []

    def find(self, kind: str, facility: str, code: str, on: date) -> Record | None:
        self.asked.append((kind, code))
        if self.listed and kind == DRUG and code == BLOOD:
            return {"kind": DRUG, "facility": "", "code": code, "price": self.price,
                    "valid_from": date(2024, 1, 1), "valid_to": None, "tt_thau": None,
                    "ma_nhom": 7, "attributes": {}}
        return None


class NoCards:
    def find(self, card_no: str) -> Record | None:
        return None


def _claim_with_blood(price: float) -> Record:
    claim = copy.deepcopy(base_case().claim)
    row = copy.deepcopy(claim["services"][0])
    row.update(stt=9, ma_nhom=7, ma_dich_vu=BLOOD, ma_vat_tu=None, so_luong=1.0,
               don_gia_bv=price, don_gia_bh=price, tyle_tt_bh=100.0, tyle_tt_dv=100.0,
               thanh_tien_bv=price, thanh_tien_bh=price, muc_huong=80.0,
               t_bhtt=round(price * 0.8, 2), t_bncct=round(price * 0.2, 2), t_bntt=0.0,
               t_nguonkhac=0.0, ngay_kq=None, nguoi_thuc_hien="")
    claim["services"].append(row)
    return claim


def test_a_blood_row_of_xml3_is_of_kind_drug_never_a_supply_or_service() -> None:
    assert {7, 17} == BLOOD_GROUPS
    assert line_kind({"ma_nhom": 7}) == DRUG and line_kind({"ma_nhom": 17}) == DRUG
    assert line_kind({"ma_nhom": 10}) == SUPPLY and line_kind({"ma_nhom": 18}) == SERVICE
    view = as_drug_line({"ma_dich_vu": "", "ma_vat_tu": "M1", "don_gia_bh": 5.0})
    assert view["ma_thuoc"] == "M1" and view["don_gia"] == 5.0


def test_blood_in_xml3_is_looked_up_in_the_drug_list_and_hits_name_xml3() -> None:
    engine = Engine.load()
    listed = DrugList(price=1_000_000.0)
    hits = engine.evaluate(Context(claim=_claim_with_blood(1_000_000.0), catalog=listed,
                                   cards=NoCards()))
    # Looked up as a drug by its code, and never as a service or supply.
    assert (DRUG, BLOOD) in listed.asked
    assert all(code != BLOOD for kind, code in listed.asked if kind != DRUG)
    ct01 = [h for h in hits if h.code == "CT01" and h.line == 9]
    assert ct01 == []  # listed: not "not in catalog"

    dearer = engine.evaluate(Context(claim=_claim_with_blood(1_200_000.0),
                                     catalog=DrugList(price=1_000_000.0), cards=NoCards()))
    ct02 = [h for h in dearer if h.code == "CT02" and h.line == 9]
    assert len(ct02) == 1 and ct02[0].table == "XML3", ct02
    assert ct02[0].inputs["kind"] == DRUG and ct02[0].inputs["don_gia"] == "1200000.00"
    assert ct02[0].amount == round(200_000 * 0.8, 2)


def test_an_unlisted_blood_row_is_ct01_on_its_xml3_row() -> None:
    hits = Engine.load().evaluate(Context(claim=_claim_with_blood(900_000.0),
                                          catalog=DrugList(0.0, listed=False), cards=NoCards()))
    mine = [h for h in hits if h.code == "CT01" and h.line == 9]
    assert len(mine) == 1 and mine[0].table == "XML3" and mine[0].inputs["kind"] == DRUG

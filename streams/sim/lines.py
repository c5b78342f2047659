"""XML2 and XML3 rows of one claim, priced from the catalog (money is filled later)."""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Any

from streams.sim.catalog import MACHINE_TYPES, MACHINES_PER_TYPE, Catalog, Item
from streams.sim.world import Facility

_RESULT_ROWS = {"cbc": 18, "urine": 10, "electrolytes": 3}  # XML4 indicator rows per test
_MACHINE = dict(zip((1, 2, 3), MACHINE_TYPES, strict=True))  # machine type by cost group
_PERFORMED = frozenset({1, 2, 3, 8, 18})  # groups that need NGUOI_THUC_HIEN


class LineMaker:
    """Appends rows for one facility; the facility's approved prices apply."""

    def __init__(self, rng: random.Random, catalog: Catalog, facility: Facility) -> None:
        self.rng = rng
        self.catalog = catalog
        self.facility = facility
        self.doctor = rng.choice(facility.doctors)
        self.drugs: list[dict[str, Any]] = []
        self.services: list[dict[str, Any]] = []
        self.results = 0

    def count(self) -> int:
        return len(self.drugs) + len(self.services)

    def drug(self, key: str, qty: float, dept: str, ordered: datetime,
             given: datetime | None) -> None:
        item = self.catalog.items[key]
        price, tender = self.catalog.approved(self.facility.code, item)
        if self.rng.random() < 0.2:  # bought below the approved price
            price = float(max(1, math.floor(price * self.rng.uniform(0.9, 1.0))))
        self.drugs.append({
            "stt": len(self.drugs) + 1,
            "ma_thuoc": item.code,
            "ma_nhom": item.ma_nhom,
            "ten_thuoc": item.name,
            "don_vi_tinh": item.unit,
            "tt_thau": tender,
            "pham_vi": 1,
            "so_luong": float(qty),
            "don_gia": price,
            "tyle_tt_bh": item.tyle_bh,
            "thanh_tien_bv": 0.0,
            "thanh_tien_bh": 0.0,
            "muc_huong": 100.0,
            "t_nguonkhac": 0.0,
            "t_bntt": 0.0,
            "t_bncct": 0.0,
            "t_bhtt": 0.0,
            "ma_khoa": dept,
            "ma_bac_si": self.doctor,
            "ma_dich_vu": None,
            "ngay_yl": ordered,
            "ngay_th_yl": given,
            "ma_pttt": 1,
        })

    def service(self, key: str, qty: float, dept: str, ordered: datetime,
                done: datetime | None, result: datetime | None,
                anaesthesia: int | None = None) -> None:
        item = self.catalog.items[key]
        price, _ = self.catalog.approved(self.facility.code, item)
        group = item.ma_nhom
        price_bv = price
        if group != 13 and self.facility.tier in ("private", "central") \
                and self.rng.random() < 0.2:  # facility charges more; the patient pays the rest
            price_bv = max(price, float(round(price * self.rng.uniform(1.05, 1.3), -2)))
        machine = None
        if group in _MACHINE:
            number = self.rng.randint(1, MACHINES_PER_TYPE)
            machine = f"{_MACHINE[group]}.1.{self.facility.code}.{number}"
            self.results += _RESULT_ROWS.get(key, 1)
        performer = self.rng.choice(self.facility.staff) if group in _PERFORMED else ""
        self._xml3(item, qty, price_bv, price, dept, ordered, done, result, performer=performer,
                   machine=machine, anaesthesia=anaesthesia)

    def bed(self, key: str, dept: str, at: datetime, bed_code: str) -> None:
        item = self.catalog.items[key]
        price, _ = self.catalog.approved(self.facility.code, item)
        self._xml3(item, 1, price, price, dept, at, at, None, bed=bed_code)

    def supply(self, key: str, qty: float, dept: str, at: datetime) -> None:
        item = self.catalog.items[key]
        price, tender = self.catalog.approved(self.facility.code, item)
        self._xml3(item, qty, price, price, dept, at, at, None, tender=tender)

    def _xml3(self, item: Item, qty: float, price_bv: float, price_bh: float, dept: str,
              ordered: datetime, done: datetime | None, result: datetime | None, *,
              performer: str = "", machine: str | None = None, anaesthesia: int | None = None,
              bed: str | None = None, tender: str | None = None) -> None:
        supply = item.kind == "SUPPLY"
        self.services.append({
            "stt": len(self.services) + 1,
            "ma_dich_vu": "" if supply else item.code,
            "ma_vat_tu": item.code if supply else None,
            "ma_nhom": item.ma_nhom,
            "ten": item.name,
            "don_vi_tinh": item.unit,
            "pham_vi": 1,
            "so_luong": float(qty),
            "don_gia_bv": price_bv,
            "don_gia_bh": price_bh,
            "tt_thau": tender,
            "tyle_tt_dv": 100.0,
            "tyle_tt_bh": 100.0,
            "thanh_tien_bv": 0.0,
            "thanh_tien_bh": 0.0,
            "t_trantt": None,
            "muc_huong": 100.0,
            "t_nguonkhac": 0.0,
            "t_bntt": 0.0,
            "t_bncct": 0.0,
            "t_bhtt": 0.0,
            "ma_khoa": dept,
            "ma_giuong": bed,
            "ma_bac_si": self.doctor,
            "nguoi_thuc_hien": performer,
            "ngay_yl": ordered,
            "ngay_th_yl": done,
            "ngay_kq": result,
            "ma_pttt": 1,
            "pp_vo_cam": anaesthesia,
            "ma_may": machine,
        })

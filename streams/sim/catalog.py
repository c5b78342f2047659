"""Simulated national and facility catalogs, as CatalogEntry records (catalog_entry.avsc).

National entries are valid from before the simulated period with no end. Some codes also have an
older, closed price version; some codes were removed before the period (their only entry has
ended: CT01 bait); some products are on no list at all. Hospitals, private clinics and commune
stations have approved entries for part of the list at a price at or below the national one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from streams.sim.data import (
    DRUGS,
    EXPIRED_DRUGS,
    EXPIRED_SERVICES,
    EXPIRED_SUPPLIES,
    SERVICES,
    SUPPLIES,
    UNLISTED_DRUGS,
    UNLISTED_SERVICES,
    UNLISTED_SUPPLIES,
)
from streams.sim.world import Facility

DRUG, SERVICE, SUPPLY = "DRUG", "SERVICE", "SUPPLY"
STAFF, EQUIPMENT = "STAFF", "EQUIPMENT"
# Facilities of these tiers send STAFF and EQUIPMENT lists (ST01/ST02 check them); the others
# do not, so both branches of CatalogSnapshot.has are exercised.
LISTED_TIERS = frozenset({"central", "provincial", "district"})
MACHINE_TYPES = ("XN", "CD", "TD")  # test, imaging, function-test machines (lines.py)
MACHINES_PER_TYPE = 3
# Consultation price by facility tier relative to the national ceiling (hospital grade).
_CONSULT_FACTOR = {"central": 1.0, "provincial": 1.0, "district": 0.9, "commune": 0.76,
                   "private": 1.0}


@dataclass(frozen=True)
class Item:
    """A billable item as the claim generator uses it."""

    kind: str
    code: str
    name: str
    unit: str
    ma_nhom: int
    price: float  # national price (the approved price when the facility has none)
    tt_thau: str | None = None
    tyle_bh: float = 100.0


@dataclass
class Catalog:
    items: dict[str, Item]  # by data key (data.py), only codes valid over the period
    entries: list[dict[str, Any]]
    by_facility: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    expired: dict[str, list[Item]] = field(default_factory=dict)  # by kind
    unlisted: dict[str, list[Item]] = field(default_factory=dict)  # by kind
    _by_code: dict[tuple[str, str], Item] = field(default_factory=dict, repr=False)

    def item(self, kind: str, code: str) -> Item:
        """The period-valid item with this code (the codes clean claims use)."""
        if not self._by_code:
            self._by_code = {(i.kind, i.code): i for i in self.items.values()}
        return self._by_code[(kind, code)]

    def approved(self, facility: str, item: Item) -> tuple[float, str | None]:
        """Price and tender CatalogSnapshot.find gives on any day of the period."""
        entry = self.by_facility.get((facility, item.kind, item.code))
        if entry is None:
            return item.price, item.tt_thau
        return entry["price"], entry["tt_thau"]


def _drug_code(i: int) -> str:
    # 37 is coprime with 900: distinct 3-digit suffixes for the first 900 positions.
    return f"40.{(37 * i + 11) % 900 + 100}"


def _tender(rng: random.Random, year: int, issuer: str = "SYT") -> str:
    return f"{rng.randint(100, 2999)}/QĐ-{issuer};G{rng.randint(1, 3)};N{rng.randint(1, 5)};{year}"


def build_catalog(rng: random.Random, facilities: list[Facility], period_start: date) -> Catalog:
    national_from = date(period_start.year - 1, 1, 1)
    items: dict[str, Item] = {}
    for i, d in enumerate(DRUGS):
        code = "40.17" if d.key == "oxy" else _drug_code(i)
        items[d.key] = Item(DRUG, code, d.name, d.unit, 4, float(d.price),
                            _tender(rng, national_from.year), float(d.tyle_bh))
    for s in SERVICES:
        items[s.key] = Item(SERVICE, s.code, s.name, s.unit, s.ma_nhom, float(s.price))
    for v in SUPPLIES:
        items[v.key] = Item(SUPPLY, v.code, v.name, v.unit, 10, float(v.price),
                            _tender(rng, national_from.year))
    expired = {
        DRUG: [Item(DRUG, _drug_code(len(DRUGS) + j), d.name, d.unit, 4, float(d.price),
                    _tender(rng, national_from.year - 3)) for j, d in enumerate(EXPIRED_DRUGS)],
        SERVICE: [Item(SERVICE, s.code, s.name, s.unit, s.ma_nhom, float(s.price))
                  for s in EXPIRED_SERVICES],
        SUPPLY: [Item(SUPPLY, v.code, v.name, v.unit, 10, float(v.price))
                 for v in EXPIRED_SUPPLIES],
    }
    unlisted = {
        DRUG: [Item(DRUG, f"40.{1900 + 37 * j}", d.name, d.unit, 4, float(d.price))
               for j, d in enumerate(UNLISTED_DRUGS)],
        SERVICE: [Item(SERVICE, s.code, s.name, s.unit, s.ma_nhom, float(s.price))
                  for s in UNLISTED_SERVICES],
        SUPPLY: [Item(SUPPLY, v.code, v.name, v.unit, 10, float(v.price))
                 for v in UNLISTED_SUPPLIES],
    }

    entries: list[dict[str, Any]] = []
    for item in items.values():
        entries.append(_entry(item, "", item.price, item.tt_thau, national_from, None))
        if rng.random() < 0.15:  # an older price version, closed the day before the current one
            old = round(item.price * rng.uniform(0.85, 1.1))
            entries.append(_entry(item, "", float(old), item.tt_thau,
                                  national_from - timedelta(days=730),
                                  national_from - timedelta(days=1)))
    for kind_items in expired.values():
        for item in kind_items:
            ended = period_start - timedelta(days=rng.randint(90, 400))
            entries.append(_entry(item, "", item.price, item.tt_thau,
                                  ended - timedelta(days=1000), ended))

    catalog = Catalog(items, entries, {}, expired, unlisted)
    for f in facilities:
        _facility_entries(rng, catalog, f, period_start)
        if f.tier in LISTED_TIERS:
            catalog.entries.extend(_lists(f, national_from))
    catalog.entries.extend(_visiting_rows(national_from))
    return catalog


# Visiting practitioners (streams/sim/visiting.py, XC03): registered at every facility by a
# national STAFF row, never drawn for clean claims.
VISITING = tuple(f"{900000 + i:06d}/TW-CCHN" for i in range(1, 9))


def _visiting_rows(since: date) -> list[dict[str, Any]]:
    return [{"kind": STAFF, "code": code, "facility": "", "name": code, "unit": "",
             "ma_nhom": 0, "price": 0.0, "tt_thau": None, "valid_from": since,
             "valid_to": None, "attributes": {"licence": code}} for code in VISITING]


def _lists(f: Facility, since: date) -> list[dict[str, Any]]:
    """STAFF rows for every practitioner and EQUIPMENT rows for every machine the clean claims
    of ``f`` name, valid over the whole period, without scope/services limits."""
    rows = []
    for code in (*f.doctors, *f.staff):
        rows.append({"kind": STAFF, "code": code, "facility": f.code, "name": code, "unit": "",
                     "ma_nhom": 0, "price": 0.0, "tt_thau": None, "valid_from": since,
                     "valid_to": None, "attributes": {"licence": code}})
    for kind in MACHINE_TYPES:
        for i in range(1, MACHINES_PER_TYPE + 1):
            code = f"{kind}.1.{f.code}.{i}"
            rows.append({"kind": EQUIPMENT, "code": code, "facility": f.code, "name": code,
                         "unit": "", "ma_nhom": 0, "price": 0.0, "tt_thau": None,
                         "valid_from": since, "valid_to": None, "attributes": {}})
    return rows


def _facility_entries(rng: random.Random, catalog: Catalog, f: Facility,
                      period_start: date) -> None:
    approved_from = period_start - timedelta(days=rng.randint(60, 300))
    for item in catalog.items.values():
        if item.ma_nhom == 13:
            price = round(item.price * _CONSULT_FACTOR[f.tier])
        elif f.tier != "commune" and item.kind in (DRUG, SUPPLY) and rng.random() < 0.3:
            price = round(item.price * rng.uniform(0.8, 1.0))  # won the tender below the ceiling
        else:
            continue
        tt_thau = _tender(rng, approved_from.year, "BV") if item.kind != SERVICE else None
        entry = _entry(item, f.code, float(price), tt_thau, approved_from, None)
        catalog.by_facility[(f.code, item.kind, item.code)] = entry
        catalog.entries.append(entry)


def _entry(item: Item, facility: str, price: float, tt_thau: str | None, valid_from: date,
           valid_to: date | None) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "code": item.code,
        "facility": facility,
        "name": item.name,
        "unit": item.unit,
        "ma_nhom": item.ma_nhom,
        "price": price,
        "tt_thau": tt_thau,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }

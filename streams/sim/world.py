"""The simulated world: facilities in several provinces and tiers, insured persons, their cards."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from streams.sim.data import FAMILY, GIVEN_F, GIVEN_M, MIDDLE_F, MIDDLE_M, PROVINCES, Province

TIERS = ("central", "provincial", "district", "commune", "private")
INPATIENT_TIERS = frozenset({"central", "provincial", "district"})
_TIER_NAME = {
    "central": "Bệnh viện Trung ương mô phỏng",
    "provincial": "Bệnh viện Đa khoa tỉnh mô phỏng",
    "district": "Trung tâm Y tế huyện mô phỏng",
    "commune": "Trạm Y tế xã mô phỏng",
    "private": "Phòng khám đa khoa tư nhân mô phỏng",
}
# Facilities per province by tier (central hospitals come from PROVINCES).
_COUNTS = {"provincial": (1, 2), "district": (2, 4), "commune": (4, 7), "private": (1, 3)}
_REPLACED_EVERY = 10  # every 10th person also has a replaced card in the registry
# One other group per benefit level, for replaced cards (docs/claim-standard.md, "Cards").
_GROUP_LEVEL = (("TE", 1), ("CC", 1), ("CB", 2), ("HN", 2), ("HT", 3), ("CN", 3), ("DN", 4),
                ("GD", 4), ("QN", 5), ("CA", 5))
_FIRST_NO = {"central": 1, "provincial": 10, "district": 20, "private": 50, "commune": 100}


@dataclass(frozen=True)
class Facility:
    code: str  # MA_CSKCB: province (2) + number (3)
    name: str
    tier: str
    province: str
    doctors: tuple[str, ...]  # practising-licence numbers, e.g. 000543/HCM-CCHN
    staff: tuple[str, ...]  # technicians and nurses who perform services

    @property
    def inpatient(self) -> bool:
        return self.tier in INPATIENT_TIERS


@dataclass(frozen=True)
class Person:
    person_key: str  # 10-digit social-insurance number
    name: str
    sex: int  # 1 male, 2 female
    birth: date
    citizen_id: str
    province: str
    card: dict[str, Any] = field(repr=False)  # as avro/schemas/card.avsc
    # An earlier card (another group, same level) the registry knows was replaced by ``card``:
    # clean claims never use it, CB08 injections do.
    old_card: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def card_no(self) -> str:
        no: str = self.card["card_no"]
        return no

    @property
    def benefit_level(self) -> int:
        level: int = self.card["benefit_level"]
        return level


@dataclass
class World:
    facilities: list[Facility]
    persons: list[Person]
    by_code: dict[str, Facility] = field(default_factory=dict)
    by_province: dict[str, list[Facility]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for f in self.facilities:
            self.by_code[f.code] = f
            self.by_province.setdefault(f.province, []).append(f)

    def in_province(self, province: str, *tiers: str) -> list[Facility]:
        return [f for f in self.by_province[province] if f.tier in tiers]


def build_world(rng: random.Random, persons: int, period_start: date) -> World:
    """Facilities of every province, then ``persons`` people with cards valid over the period."""
    facilities: list[Facility] = []
    licence = iter(rng.sample(range(1, 999_999), 4000))
    for prov in PROVINCES:
        for tier in TIERS:
            count = prov.central if tier == "central" else rng.randint(*_COUNTS[tier])
            for i in range(count):
                no = _FIRST_NO[tier] + i
                n_doc = {"central": 12, "provincial": 10, "district": 6}.get(tier, 3)
                facilities.append(Facility(
                    code=f"{prov.code}{no:03d}",
                    name=f"{_TIER_NAME[tier]} số {i + 1} {prov.name}",
                    tier=tier,
                    province=prov.code,
                    doctors=tuple(f"{next(licence):06d}/{prov.abbr}-CCHN" for _ in range(n_doc)),
                    staff=tuple(f"{next(licence):06d}/{prov.abbr}-CCHN" for _ in range(n_doc)),
                ))
    world = World(facilities, [])
    world.persons = _persons(rng, world, persons, period_start)
    return world


def _persons(rng: random.Random, world: World, count: int, period_start: date) -> list[Person]:
    weights = [p.weight for p in PROVINCES]
    # "99" is no province code: the numbers are recognisably synthetic and never collide.
    numbers = rng.sample(range(10**8), count)
    out: list[Person] = []
    for number in numbers:
        prov = rng.choices(PROVINCES, weights)[0]
        sex = rng.choice((1, 2))
        birth = period_start - timedelta(days=rng.randint(200, 90 * 365))
        person_key = f"99{number:08d}"
        card = _card(rng, world, prov, person_key, birth, period_start)
        # 12 digits shaped like a CCCD, but "099" is no province of birth: recognisably fake.
        century_sex = sex - 1 + (2 if birth.year >= 2000 else 0)
        citizen_id = f"099{century_sex}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
        card["citizen_id"] = citizen_id
        old = _replaced(card) if len(out) % _REPLACED_EVERY == 0 else None
        out.append(Person(person_key, _name(rng, sex), sex, birth, citizen_id, prov.code, card,
                          old))
    return out


def _replaced(card: dict[str, Any]) -> dict[str, Any]:
    """The card ``card`` replaced: another group of the same benefit level, still in its
    validity period (a group change, so CB01 stays silent), pointing to ``card``."""
    level = card["benefit_level"]
    group = next(g for g, lv in _GROUP_LEVEL if lv == level and g != card["group_code"])
    return {**card, "card_no": f"{group}{card['card_no'][2:]}", "group_code": group,
            "replaced_by": card["card_no"]}


def _name(rng: random.Random, sex: int) -> str:
    middle, given = (MIDDLE_M, GIVEN_M) if sex == 1 else (MIDDLE_F, GIVEN_F)
    return f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}"


def _group(rng: random.Random, age: int) -> tuple[str, int]:
    """Beneficiary group and benefit digit, consistent with age (docs/claim-standard.md)."""
    if age < 6:
        return "TE", 1
    if age < 18:
        return rng.choice((("HS", 4), ("HS", 4), ("GD", 4), ("HN", 2)))
    if age >= 60:
        return rng.choice((("HT", 3), ("HT", 3), ("GD", 4), ("CB", 2), ("CC", 1)))
    return rng.choices((("DN", 4), ("GD", 4), ("HC", 4), ("SV", 4), ("CN", 3), ("HN", 2),
                        ("QN", 5), ("CA", 5)), (40, 25, 8, 5, 6, 6, 3, 2))[0]


def _card(rng: random.Random, world: World, prov: Province, person_key: str, birth: date,
          period_start: date) -> dict[str, Any]:
    age = (period_start - birth).days // 365
    group, level = _group(rng, age)
    if group == "SV" and age > 24:
        group = "DN"
    primary = rng.choices(("commune", "district", "private"), (50, 35, 15))[0]
    registered = rng.choice(world.in_province(prov.code, primary))
    # Valid from well before the period (claims may start up to ~45 days before it) to after it.
    valid_from = period_start - timedelta(days=rng.randint(60, 330))
    years_insured = rng.randint(0, 12)
    return {
        "card_no": f"{group}{level}{prov.code}{person_key}",
        "person_key": person_key,
        "citizen_id": None,
        "group_code": group,
        "benefit_level": level,
        "province": prov.code,
        "registered_facility": registered.code,
        "valid_from": valid_from,
        "valid_to": period_start + timedelta(days=rng.randint(60, 400)),
        "five_year_date": (valid_from - timedelta(days=365 * (years_insured - 5)))
        if years_insured >= 5 else None,
        "replaced_by": None,
    }

"""XC03 in the simulator: visiting practitioners registered everywhere, and the injection.

A few practitioners have a national STAFF row (valid at every facility, so ST01 is quiet) and
are never drawn for clean claims, so clean claims cannot put one practitioner in two places.
The injection gives a performed service line of ``first`` (person A at facility F1) and one of a
new visit of another person at another facility F2 the same visiting practitioner, and moves
the second visit so that both lines start at the same minute: at least ``min_minutes`` of
overlap, over XC03's tolerance.
"""

from __future__ import annotations

import random
from typing import Any

from streams.sim.catalog import VISITING, Catalog
from streams.sim.claims import Draft, build_claim, choose_visit
from streams.sim.money import SUPPLY_GROUPS
from streams.sim.violations import shift
from streams.sim.world import Person, World


def _performed(draft: Draft) -> list[dict[str, Any]]:
    return [row for row in draft.claim["services"]
            if row["nguoi_thuc_hien"] and row["ma_nhom"] not in SUPPLY_GROUPS]


def two_places(rng: random.Random, world: World, catalog: Catalog, first: Draft
               ) -> tuple[Person, Draft] | None:
    """Another person's visit elsewhere whose performed line overlaps one of ``first``'s,
    both performed by one visiting practitioner; None when the drafts cannot carry it."""
    mine = _performed(first)
    if not mine:
        return None
    person = rng.choice(world.persons)
    if person.person_key == first.visit.person.person_key:
        return None
    visit = choose_visit(rng, world, person, False, exclude=first.claim["facility"])
    if visit.facility.code == first.claim["facility"]:
        return None
    second = build_claim(rng, catalog, visit, first.header["ngay_ttoan"])
    theirs = _performed(second)
    if not theirs:
        return None
    a, b = rng.choice(mine), rng.choice(theirs)
    shift(second, (a["ngay_th_yl"] or a["ngay_yl"]) - (b["ngay_th_yl"] or b["ngay_yl"]))
    who = rng.choice(VISITING)
    a["nguoi_thuc_hien"] = b["nguoi_thuc_hien"] = who
    return person, second

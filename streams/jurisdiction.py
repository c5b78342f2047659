"""Jurisdictions: who may see and act on which facility's claims, shared by the portal's API
keys and the web app's appraiser accounts.

Roles and scopes (a request names the facility ``MA_CSKCB`` it acts on):
- ``facility``: scope is its own 5-character MA_CSKCB; only that facility (portal keys only).
- ``district``: scope ``PP-DDD`` (province code, 3-digit district code of the national list of
  administrative units, e.g. ``01-001``); the facilities the facility register assigns to it.
- ``province``: scope is a 2-digit province code; facilities whose code starts with it.
- ``central``: scope ``*``; every facility.

Why a register for districts: MA_CSKCB encodes only the province (its first 2 digits), so which
district a facility belongs to is data the agency keeps, in a CSV file ``facility,district``.
A row whose district lies in another province than the facility code is refused.

The same file is the facility register of fund-use monitoring (docs/fund-monitoring.md): it may
carry more columns after the first two, by header name — ``name``, ``tier`` (1 central,
2 provincial, 3 district, 4 commune) and ``kind`` (one of KINDS) — which peer groups need.
A file with only the first two columns reads as before.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("facility", "district", "province", "central")
KINDS = ("public_hospital", "private_hospital", "clinic", "health_station")
TIERS = (1, 2, 3, 4)
AGENCY_ROLES = ("district", "province", "central")
FACILITY_CODE = re.compile(r"[0-9A-Za-z]{5}")
_DISTRICT = re.compile(r"[0-9]{2}-[0-9]{3}")
_SCOPES = {"facility": FACILITY_CODE, "district": _DISTRICT, "province": re.compile(r"[0-9]{2}"),
           "central": re.compile(r"\*")}
_SCOPE_HELP = {"facility": "a 5-character MA_CSKCB",
               "district": "province-district code PP-DDD such as 01-001",
               "province": "a 2-digit province code", "central": "'*'"}


class JurisdictionError(ValueError):
    """A bad role/scope pair or register row; the message names the field."""


def check(role: str, scope: str, roles: tuple[str, ...] = ROLES) -> None:
    """Raise ``JurisdictionError`` unless ``role``/``scope`` are a valid pair among ``roles``."""
    if role not in roles:
        raise JurisdictionError(f"role: {role!r} is not one of {', '.join(roles)}")
    if not _SCOPES[role].fullmatch(scope):
        raise JurisdictionError(f"scope: {scope!r} is not valid for role {role} "
                                f"(expected {_SCOPE_HELP[role]})")


@dataclass(frozen=True)
class Jurisdiction:
    """A role, its scope and, for a district, the facilities the register puts in it."""

    role: str
    scope: str
    area: frozenset[str] = frozenset()

    def covers(self, facility: str) -> bool:
        """May this role act on ``facility``'s data?"""
        if self.role == "central":
            return True
        if self.role == "province":
            return facility[:2] == self.scope
        if self.role == "district":
            return facility in self.area
        return facility == self.scope


@dataclass(frozen=True)
class RegisteredFacility:
    """One register row: tier 0 and kind '' when the file does not say."""

    facility: str
    district: str
    name: str = ""
    tier: int = 0
    kind: str = ""

    @property
    def province(self) -> str:
        return self.facility[:2]


class FacilityRegister:
    """Which district each facility belongs to (``facility -> PP-DDD``), and the optional
    attributes of each (``entries``)."""

    def __init__(self, districts: dict[str, str] | None = None,
                 entries: dict[str, RegisteredFacility] | None = None) -> None:
        self._district = dict(districts or {})
        self._entries = dict(entries or {})

    def entries(self) -> list[RegisteredFacility]:
        """Every facility with its attributes, in code order."""
        return [self._entries.get(f) or RegisteredFacility(f, d)
                for f, d in sorted(self._district.items())]

    def __len__(self) -> int:
        return len(self._district)

    def district(self, facility: str) -> str | None:
        return self._district.get(facility)

    def known(self) -> frozenset[str]:
        """Every facility the register lists."""
        return frozenset(self._district)

    def facilities(self, district: str) -> frozenset[str]:
        return frozenset(f for f, d in self._district.items() if d == district)

    @classmethod
    def load(cls, path: Path) -> FacilityRegister:
        """Read the CSV ``facility,district`` (header row first); a missing file is an empty
        register: district keys then cover no facility."""
        if not path.exists():
            return cls()
        districts: dict[str, str] = {}
        entries: dict[str, RegisteredFacility] = {}
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = csv.reader(f)
            header = [h.strip().lower() for h in next(rows, [])]
            if header[:2] != ["facility", "district"]:
                raise JurisdictionError(f"{path}: line 1: expected the header 'facility,district'")
            extra = {name: i for i, name in enumerate(header) if name in ("name", "tier", "kind")}
            for line, row in enumerate(rows, 2):
                if not row or not "".join(row).strip():
                    continue
                facility, district = (row + ["", ""])[0].strip(), (row + ["", ""])[1].strip()
                where = f"{path}: line {line}"
                if not FACILITY_CODE.fullmatch(facility):
                    raise JurisdictionError(f"{where}: facility: {facility!r} is not a "
                                          "5-character MA_CSKCB")
                if not _DISTRICT.fullmatch(district):
                    raise JurisdictionError(f"{where}: district: {district!r} is not PP-DDD")
                if facility[:2] != district[:2]:
                    raise JurisdictionError(f"{where}: district {district} is not in the province "
                                          f"of facility {facility} ({facility[:2]})")
                if districts.get(facility, district) != district:
                    raise JurisdictionError(f"{where}: facility {facility} is already in district "
                                          f"{districts[facility]}")
                districts[facility] = district
                entries[facility] = _attributes(facility, district, row, extra, where)
        return cls(districts, entries)


def _attributes(facility: str, district: str, row: list[str], columns: dict[str, int],
                where: str) -> RegisteredFacility:
    """The optional columns of a register row, checked."""
    def cell(name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    tier_text, kind = cell("tier"), cell("kind")
    if tier_text and not (tier_text.isdigit() and int(tier_text) in TIERS):
        raise JurisdictionError(f"{where}: tier: {tier_text!r} is not 1, 2, 3 or 4")
    if kind and kind not in KINDS:
        raise JurisdictionError(f"{where}: kind: {kind!r} is not one of {', '.join(KINDS)}")
    return RegisteredFacility(facility, district, cell("name"),
                              int(tier_text) if tier_text else 0, kind)

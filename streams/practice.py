"""Practitioner schedules for XC03, as pure functions: claims re-keyed by practitioner.

    claim agent ── shifts (key: practitioner) ──▶ hi.practice ──▶ practitioner agent
        schedule table (key: practitioner) ── overlap? ──▶ hi.amendments (key: person), one per
        claim of the pair ──▶ amendment agent: the person's visit gets a new decision revision.

A shift is ``rules.catalogue.xc03_practitioner_overlap.shifts`` output; on the topic and in the
table it is orjson with ISO local times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from rules.base import Hit, Params, Severity
from rules.catalogue import xc03_practitioner_overlap as xc03
from rules.engine import Engine

Record = dict[str, Any]
_MAX_SHIFTS = 500  # per practitioner: a week of a busy practitioner's claims


def shifts_of(claim: Record, engine: Engine) -> list[Record]:
    """The claim's shifts when XC03 is in force on its service date, else none."""
    p = engine.params_for(xc03.CODE, claim["header"]["ngay_vao"].date())
    return xc03.shifts(claim, p.values) if p is not None else []


def dump_shift(shift: Record) -> bytes:
    return orjson.dumps(shift)


def load_shift(data: bytes) -> Record:
    shift: Record = orjson.loads(data)
    _restore(shift)
    return shift


def _restore(shift: Record) -> None:
    shift["intervals"] = [(datetime.fromisoformat(s), datetime.fromisoformat(e))
                          for s, e in shift["intervals"]]
    shift["service_date"] = date.fromisoformat(shift["service_date"])


def dump_schedule(schedule: list[Record]) -> bytes:
    return orjson.dumps(schedule)


def load_schedule(data: bytes | None) -> list[Record]:
    if not data:
        return []
    schedule: list[Record] = orjson.loads(data)
    for shift in schedule:
        _restore(shift)
    return schedule


def _identity(shift: Record) -> tuple[str, str, int]:
    return (shift["facility"], shift["claim_id"], shift["version"])


@dataclass(frozen=True)
class Amendment:
    """A hit to add to the decision of one claim version (sent to its person's partition)."""

    person_key: str
    facility: str
    claim_id: str
    version: int
    hit: Hit

    def dumps(self) -> bytes:
        return orjson.dumps({"person_key": self.person_key, "facility": self.facility,
                             "claim_id": self.claim_id, "version": self.version,
                             "hit": self.hit.to_record()})

    @classmethod
    def loads(cls, data: bytes) -> Amendment:
        raw = orjson.loads(data)
        h = raw["hit"]
        hit = Hit(code=h["code"], rule_version=h["rule_version"],
                  severity=Severity(h["severity"]), title=h["title"], message=h["message"],
                  legal_basis=h["legal_basis"], table=h["table"], line=h["line"],
                  amount=h["amount"], inputs=h["inputs"], message_vi=h.get("message_vi", ""),
                  threshold=h.get("threshold"))
        return cls(raw["person_key"], raw["facility"], raw["claim_id"], raw["version"], hit)


def on_shift(
    schedule: list[Record], shift: Record, engine: Engine, now: float
) -> tuple[list[Record], list[Amendment]]:
    """Add ``shift`` to its practitioner's ``schedule``; amendments for every overlap found.

    A shift seen before (at-least-once redelivery) changes nothing. Shifts are kept for the
    rule's ``keep_days`` after they arrived (``now``, epoch seconds): by arrival, not by their
    own times, because claims of other persons come from other partitions, out of time order.
    """
    me = _identity(shift)
    if any(_identity(s) == me for s in schedule):
        return schedule, []
    p: Params | None = engine.params_for(xc03.CODE, shift["service_date"])
    if p is None:
        return schedule, []
    horizon = now - p.values["keep_days"] * 86400.0
    kept = [s for s in schedule if s["seen_at"] >= horizon]
    amendments = []
    for other, hit_mine, hit_other in xc03.find(shift, kept, p):
        amendments.append(Amendment(shift["person_key"], *me, hit_mine))
        amendments.append(Amendment(other["person_key"], *_identity(other), hit_other))
    kept.append({**shift, "seen_at": now})
    return kept[-_MAX_SHIFTS:], amendments

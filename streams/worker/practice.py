"""Practitioner schedules for the engine's shift rule, as pure functions: claims re-keyed by
practitioner.

    claim agent ── shifts (key: practitioner) ──▶ hi.practice ──▶ practitioner agent
        schedule table (keys: practitioner|day, and practitioner for the index of days)
        ── overlap? ──▶ hi.amendments (key: person), one per claim of the pair ──▶ amendment
        agent: the person's visit gets a new decision revision.

A shift is what the shift rule extracts from a claim (``rules.cross_claim``); on the topic and
in the table it is orjson with ISO local times. The rule judges the overlaps and says how long a
day is kept; this module only files shifts and sends what the rule finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import orjson

from rules.base import Hit, Params, Severity
from rules.engine import Engine

Record = dict[str, Any]
_MAX_DAYS = 31  # days one shift is filed under
_TOUCH_SECONDS = 3600.0  # a day's last-touched time is refreshed at most hourly


def shifts_of(claim: Record, engine: Engine) -> list[Record]:
    """The claim's shifts when a shift rule is in force on its service date, else none."""
    return engine.shifts(claim)


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


class Store(Protocol):
    """The schedule table: bytes keys and values (the worker's faust table, a dict in tests)."""

    def get(self, key: bytes) -> bytes | None: ...

    def __setitem__(self, key: bytes, value: bytes) -> None: ...

    def __delitem__(self, key: bytes) -> None: ...


def _bucket_key(practitioner: str, day: date) -> bytes:
    return f"{practitioner}|{day.isoformat()}".encode()


def _days(shift: Record) -> list[date]:
    """Calendar days the shift's intervals touch (capped: a stay's bed-day line can span weeks)."""
    days: set[date] = set()
    for start, end in shift["intervals"]:
        day = start.date()
        while day <= end.date() and len(days) < _MAX_DAYS:
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def _load_bucket(data: bytes | None) -> list[Record]:
    if not data:
        return []
    bucket: list[Record] = orjson.loads(data)
    for shift in bucket:
        _restore(shift)
    return bucket


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
                  threshold=h.get("threshold"), mode=h.get("mode", "enforce"))
        return cls(raw["person_key"], raw["facility"], raw["claim_id"], raw["version"], hit)


def on_shift(store: Store, shift: Record, engine: Engine, now: float) -> list[Amendment]:
    """Add ``shift`` to its practitioner's schedule in ``store``; amendments for each overlap.

    The schedule is bucketed by practitioner and calendar day (key ``practitioner|YYYY-MM-DD``)
    so a busy practitioner's shift is compared with that day's work only. An index (key
    ``practitioner|days``) records when each day was last touched (``now``, epoch seconds); days
    untouched for the rule's ``keep_days`` are deleted. By arrival, not by the shifts' own
    times: claims of other persons come from other partitions, out of time order.

    A shift seen before (at-least-once redelivery) changes no bucket but gets its amendments
    again: a crash can land the bucket's changelog write and lose the amendment sends, and the
    amendment agent drops a hit a decision already carries. It is compared with the shifts filed
    before it, as on its first delivery.
    """
    found_rule = engine.shift_rule(shift["service_date"])
    if found_rule is None:
        return []
    rule, p = found_rule
    who, me = shift["practitioner"], _identity(shift)
    index_key = f"{who}|days".encode()
    raw_index = store.get(index_key)
    index: dict[str, float] = orjson.loads(raw_index) if raw_index else {}
    found: dict[tuple[str, str, int], tuple[Record, Hit, Hit]] = {}
    buckets = []
    redelivered = False
    for day in _days(shift):
        key = _bucket_key(who, day)
        raw = store.get(key)
        bucket = _load_bucket(raw)
        at = next((i for i, s in enumerate(bucket) if _identity(s) == me), None)
        if at is not None:
            redelivered, bucket = True, bucket[:at]
        for other, hit_mine, hit_other in rule.overlaps(shift, bucket, p):
            found.setdefault(_identity(other), (other, hit_mine, hit_other))
        buckets.append((day, key, raw))
    if not redelivered:
        _file(store, shift, buckets, index, index_key, rule.keep_days(p), now)
    return _amendments(shift, found, p)


def _file(store: Store, shift: Record, buckets: list[tuple[date, bytes, bytes | None]],
          index: dict[str, float], index_key: bytes, keep_days: float, now: float) -> None:
    """Append ``shift`` to its day buckets; refresh and expire the practitioner's day index."""
    who = shift["practitioner"]
    mine = dump_shift(shift)
    touched = False  # the index is rewritten only when it changes by more than an hour
    for day, key, raw in buckets:  # append without re-serialising the bucket: raw JSON lists
        store[key] = raw[:-1] + b"," + mine + b"]" if raw else b"[" + mine + b"]"
        if now - index.get(day.isoformat(), float("-inf")) > _TOUCH_SECONDS:
            index[day.isoformat()], touched = now, True
    horizon = now - keep_days * 86400.0
    for day_text in [d for d, seen in index.items() if seen < horizon]:
        del store[f"{who}|{day_text}".encode()]
        del index[day_text]
        touched = True
    if touched:
        store[index_key] = orjson.dumps(index)


def _amendments(shift: Record, found: dict[tuple[str, str, int], tuple[Record, Hit, Hit]],
                p: Params) -> list[Amendment]:
    """Two amendments per overlap: one for each claim of the pair."""
    me = _identity(shift)
    amendments = []
    for other, hit_mine, hit_other in found.values():
        # Each claim's hit under the go-live mode of its own facility.
        theirs = _identity(other)
        amendments.append(Amendment(shift["person_key"], *me, hit_mine.staged(p.mode_for(me[0]))))
        amendments.append(Amendment(other["person_key"], *theirs,
                                    hit_other.staged(p.mode_for(theirs[0]))))
    return amendments

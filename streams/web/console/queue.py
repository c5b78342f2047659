"""The live review queue, as pure state: built from hi.warnings, hi.decisions and hi.reviews.

One entry per claim version that needed an appraiser: its latest decision revision, the warnings
still pending (hits whose key an appraiser has not settled), the explanation request if any, and
who has it open. Every change gets the next sequence number, and the log of (seq, key) lets a
live page ask "what changed after seq N" (streams/web/console/live.py). The feed thread writes,
request handlers read: one lock guards everything.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from rules.decision import acts, hit_keys
from streams.jurisdiction import Jurisdiction

Record = dict[str, Any]
DECISIVE = {"CONFIRM", "REJECT_LINES", "REJECT_CLAIM", "CLEAR_HITS", "EXPIRE"}


def entry_key(facility: str, claim_id: str, version: int) -> str:
    return f"{facility}|{claim_id}|{version}"


def pending_hits(decision: Record) -> list[tuple[str, Record]]:
    """(key, hit) of the WARNING hits no appraiser has settled yet."""
    settled = set(decision.get("settled") or ())
    return [(k, h) for k, h in zip(hit_keys(decision["hits"]), decision["hits"], strict=True)
            if h["severity"] == "WARNING" and k not in settled and acts(h)]


@dataclass
class Entry:
    key: str
    decision: Record
    district: str
    request: Record | None = None  # the open REQUEST_EXPLANATION
    answer: Record | None = None  # the facility's EXPLAIN of that request
    reviews: list[Record] = field(default_factory=list)  # the trail, in arrival order
    taken_by: str | None = None
    taken_until: float = 0.0

    @property
    def facility(self) -> str:
        return str(self.decision["facility"])

    def status(self, now: float) -> str:
        if not pending_hits(self.decision):
            return "resolved"
        if self.request is not None:
            if self.answer is not None:
                return "answered"
            due = self.request.get("due")
            return "overdue" if due is not None and _ms(due) / 1000 < now else "requested"
        return "open"

    def row(self, now: float) -> Record:
        """What the queue page shows (JSON)."""
        d = self.decision
        pending = pending_hits(d)
        taken = self.taken_by if self.taken_until > now else None
        return {
            "key": self.key, "facility": d["facility"], "province": d["facility"][:2],
            "district": self.district, "claim_id": d["claim_id"], "version": d["version"],
            "revision": d["revision"], "outcome": d["outcome"],
            "requested": float(d["requested"]), "approved": float(d["approved"]),
            "at_stake": round(sum(float(h.get("amount") or 0) for _, h in pending), 2),
            "rules": sorted({h["code"] for _, h in pending}),
            "severities": sorted({h["severity"] for h in d["hits"]}),
            "submitted_at": _ms(d["submitted_at"]), "decided_at": _ms(d["decided_at"]),
            "status": self.status(now),
            "due": _ms(self.request["due"]) if self.request and self.request.get("due") else None,
            "taken_by": taken, "taken_until": self.taken_until if taken else None,
        }


def _ms(value: Any) -> int:
    """An Avro timestamp-millis as decoded (aware datetime) or already milliseconds."""
    if isinstance(value, int | float):
        return int(value)
    return int(value.timestamp() * 1000)


class Queue:
    def __init__(self, district_of: Any = None, log_size: int = 200_000) -> None:
        self._entries: dict[str, Entry] = {}
        self._log: deque[tuple[int, str]] = deque(maxlen=log_size)
        self._seq = 0
        self._lock = threading.Lock()
        self._district_of = district_of or (lambda _f: "")
        self._early: dict[str, list[Record]] = {}  # reviews read before their warning

    # --- writes (the feed thread) ------------------------------------------------------------
    def _changed(self, key: str) -> None:
        self._seq += 1
        self._log.append((self._seq, key))

    def on_warning(self, decision: Record) -> None:
        """A decision that needs review (hi.warnings)."""
        self.on_decision(decision, create=True)

    def on_decision(self, decision: Record, create: bool = False) -> None:
        """A decision revision (hi.decisions): updates an entry, creates one only from
        hi.warnings. An older revision than the entry's is ignored (topics interleave)."""
        key = entry_key(decision["facility"], decision["claim_id"], decision["version"])
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                if not create:
                    return
                entry = Entry(key, decision, self._district_of(decision["facility"]))
                self._entries[key] = entry
                for review in self._early.pop(key, []):
                    self._apply_review(entry, review)
            elif decision["revision"] < entry.decision["revision"]:
                return
            else:
                entry.decision = decision
            self._changed(key)

    def on_review(self, review: Record) -> None:
        key = entry_key(review["facility"], review["claim_id"], review["version"])
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._early.setdefault(key, []).append(review)
                return
            if any(r["review_id"] == review["review_id"] for r in entry.reviews):
                return  # read again after a restart of the feed
            self._apply_review(entry, review)
            self._changed(key)

    @staticmethod
    def _apply_review(entry: Entry, review: Record) -> None:
        entry.reviews.append(review)
        action = review["action"]
        if action == "REQUEST_EXPLANATION":
            entry.request, entry.answer = review, None
        elif action == "EXPLAIN" and entry.request is not None \
                and review.get("request_id") == entry.request["review_id"]:
            entry.answer = review
        elif action in DECISIVE and entry.request is not None:
            entry.request = entry.answer = None  # decided: the request is closed

    def take(self, key: str, user: str, now: float, seconds: float) -> str | None:
        """Open ``key`` for ``user`` until ``now + seconds``; returns who holds it (``user``
        on success, another appraiser when taken), None when there is no such entry."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.taken_by not in (None, user) and entry.taken_until > now:
                return entry.taken_by
            entry.taken_by, entry.taken_until = user, now + seconds
            self._changed(key)
            return user

    def release(self, key: str, user: str) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.taken_by == user:
                entry.taken_by, entry.taken_until = None, 0.0
                self._changed(key)

    def expire_takes(self, now: float) -> None:
        """A stale take returns the claim to the queue: tell open pages."""
        with self._lock:
            for entry in self._entries.values():
                if entry.taken_by is not None and entry.taken_until <= now:
                    entry.taken_by, entry.taken_until = None, 0.0
                    self._changed(entry.key)

    # --- reads ---------------------------------------------------------------------------------
    @property
    def seq(self) -> int:
        return self._seq

    def get(self, key: str) -> Entry | None:
        with self._lock:
            return self._entries.get(key)

    def rows(self, who: Jurisdiction, now: float) -> list[Record]:
        with self._lock:
            return [e.row(now) for e in self._entries.values() if who.covers(e.facility)]

    def changes(self, after: int, who: Jurisdiction, now: float) -> list[Record] | None:
        """Rows changed after sequence ``after`` that ``who`` may see; None when the log no
        longer reaches back that far (the page then needs a full snapshot)."""
        with self._lock:
            if after > self._seq or (self._log and self._log[0][0] > after + 1):
                return None
            keys: set[str] = set()
            for seq, key in reversed(self._log):  # newest first: stop at what the page has
                if seq <= after:
                    break
                keys.add(key)
            return [self._entries[k].row(now) for k in keys
                    if who.covers(self._entries[k].facility)]

    def counts(self, now: float) -> dict[str, int]:
        """Claims per status (the web app's ``hireview_web_queue_claims``)."""
        out = dict.fromkeys(("open", "requested", "answered", "overdue", "resolved"), 0)
        with self._lock:
            for entry in self._entries.values():
                out[entry.status(now)] += 1
        return out

    def overdue(self, now: float) -> list[Entry]:
        """Entries whose explanation request is past due and unanswered."""
        with self._lock:
            return [e for e in self._entries.values() if e.status(now) == "overdue"]

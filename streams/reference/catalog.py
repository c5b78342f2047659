"""In-memory catalog and card indexes every worker builds from the compacted topics.

Why not a Faust GlobalTable: with several workers it can loop in recovery (faust #283), and the
catalogs are small read-mostly data; a dict per worker, fed by a plain consumer, is simpler.
"""

from __future__ import annotations

from bisect import insort
from datetime import date
from typing import Any

Entry = dict[str, Any]
_FAR = date.max


def entry_key(entry: Entry) -> str:
    """Kafka key of a catalog row: one row per kind, facility, code and validity start."""
    return f"{entry['kind']}|{entry['facility']}|{entry['code']}|{entry['valid_from'].isoformat()}"


class CatalogSnapshot:
    """Catalog rows indexed by (kind, facility, code), each list sorted by validity start."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], list[tuple[date, Entry]]] = {}
        # Codes with rows per (kind, facility): answers has() without scanning every row.
        self._codes: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return sum(len(v) for v in self._rows.values())

    def put(self, entry: Entry) -> None:
        """Add or replace the row with the same key (compaction semantics)."""
        slot_key = (entry["kind"], entry["facility"], entry["code"])
        before = self._rows.get(slot_key, ())
        slot = [t for t in before if t[0] != entry["valid_from"]]
        insort(slot, (entry["valid_from"], entry), key=lambda t: t[0])
        # Swap in a new list: readers in another thread never see a half-updated slot.
        self._rows[slot_key] = slot
        if not before:
            self._count(entry["kind"], entry["facility"], 1)

    def delete(self, key: str) -> None:
        kind, facility, code, start = key.split("|")
        slot = self._rows.get((kind, facility, code))
        if slot:
            rest = [t for t in slot if t[0].isoformat() != start]
            self._rows[(kind, facility, code)] = rest
            if not rest:
                self._count(kind, facility, -1)

    def _count(self, kind: str, facility: str, step: int) -> None:
        self._codes[(kind, facility)] = self._codes.get((kind, facility), 0) + step

    def has(self, kind: str, facility: str) -> bool:
        """True when ``facility`` has rows of ``kind`` of its own (any code, any date).

        Rules whose list is optional (STAFF, EQUIPMENT) check only facilities that have one.
        """
        return self._codes.get((kind, facility), 0) > 0

    def rows(self, kind: str, facility: str, code: str | None = None) -> list[Entry]:
        """Every version of ``facility``'s own rows of ``kind`` (``""``: the national list),
        of one ``code`` when given, sorted by code then validity start. No national fallback:
        this is the list as uploaded, for look-ups and exports (the portal), not for rules."""
        if code is not None:
            return [entry for _, entry in self._rows.get((kind, facility, code), ())]
        # A copy of the items: the feed thread may add slots while we read.
        slots = sorted(((c, slot) for (k, f, c), slot in list(self._rows.items())
                        if k == kind and f == facility), key=lambda t: t[0])
        return [entry for _, slot in slots for _, entry in slot]

    def find(self, kind: str, facility: str, code: str, on: date) -> Entry | None:
        """The facility's entry valid on ``on``, else the national one, else None."""
        for owner in (facility, ""):
            for start, entry in reversed(self._rows.get((kind, owner, code), ())):
                if start <= on <= (entry["valid_to"] or _FAR):
                    return entry
        return None


class CardRegistry:
    """Registered cards by card number (hi.cards is compacted by card number), with indexes by
    person (social-insurance number) and citizen id for the portal's card lookup."""

    def __init__(self) -> None:
        self._cards: dict[str, Entry] = {}
        # person_key / citizen_id -> card numbers. Sets are replaced, never mutated in place:
        # the feed thread writes while portal threads read.
        self._by_person: dict[str, frozenset[str]] = {}
        self._by_citizen: dict[str, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._cards)

    def put(self, card: Entry) -> None:
        old = self._cards.get(card["card_no"])
        self._cards[card["card_no"]] = card
        if old is not None:
            self._unindex(old)
        self._index(card)

    def delete(self, card_no: str) -> None:
        old = self._cards.pop(card_no, None)
        if old is not None:
            self._unindex(old)

    def find(self, card_no: str) -> Entry | None:
        return self._cards.get(card_no)

    def find_by_person(self, person_key: str) -> list[Entry]:
        """Every registered card (current and replaced) of a social-insurance number."""
        return self._lookup(self._by_person, person_key)

    def find_by_citizen(self, citizen_id: str) -> list[Entry]:
        """Every registered card (current and replaced) carrying this citizen id (CCCD)."""
        return self._lookup(self._by_citizen, citizen_id)

    def _lookup(self, index: dict[str, frozenset[str]], key: str) -> list[Entry]:
        cards = (self._cards.get(no) for no in sorted(index.get(key, ())))
        return [c for c in cards if c is not None]

    def _index(self, card: Entry) -> None:
        no = card["card_no"]
        self._by_person[card["person_key"]] = self._by_person.get(card["person_key"],
                                                                  frozenset()) | {no}
        if card.get("citizen_id"):
            cid = card["citizen_id"]
            self._by_citizen[cid] = self._by_citizen.get(cid, frozenset()) | {no}

    def _unindex(self, card: Entry) -> None:
        for index, key in ((self._by_person, card["person_key"]),
                           (self._by_citizen, card.get("citizen_id"))):
            if not key or key not in index:
                continue
            rest = index[key] - {card["card_no"]}
            if rest:
                index[key] = rest
            else:
                del index[key]

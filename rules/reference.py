"""The catalog and card indexes rules read through (``rules.context.Catalog`` / ``Cards``).

Here, not in ``streams``, because which row a rule sees is rule semantics: the facility's own
row valid on the day, else the national one; a row replaces the row of the same kind, facility,
code and validity start. The worker's snapshot (``streams.reference.catalog``) extends these
indexes with what the feed and the portal need, so the rule cases run on the same look-up as
the worker.
"""

from __future__ import annotations

from bisect import insort
from datetime import date
from typing import Any

Entry = dict[str, Any]
_FAR = date.max


def entry_key(entry: Entry) -> str:
    """Identity of a catalog row (its Kafka key): kind, facility, code and validity start."""
    return f"{entry['kind']}|{entry['facility']}|{entry['code']}|{entry['valid_from'].isoformat()}"


class CatalogIndex:
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
        """Remove the row whose :func:`entry_key` is ``key`` (a tombstone)."""
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

    def coverage(self, on: date) -> dict[tuple[str, str], tuple[int, int]]:
        """Per (kind, owner; "" = national): codes with rows, and codes with a row valid on
        ``on`` (a list whose rows have all ended is stale). One pass over every row."""
        out: dict[tuple[str, str], tuple[int, int]] = {}
        for (kind, owner, _code), slot in list(self._rows.items()):
            if not slot:
                continue
            codes, valid = out.get((kind, owner), (0, 0))
            live = any(start <= on <= (e["valid_to"] or _FAR) for start, e in slot)
            out[(kind, owner)] = (codes + 1, valid + live)
        return out

    def find(self, kind: str, facility: str, code: str, on: date) -> Entry | None:
        """The facility's entry valid on ``on``, else the national one, else None."""
        for owner in (facility, ""):
            for start, entry in reversed(self._rows.get((kind, owner, code), ())):
                if start <= on <= (entry["valid_to"] or _FAR):
                    return entry
        return None


class CardIndex:
    """Registered cards by card number (the registry is compacted by card number)."""

    def __init__(self) -> None:
        self._cards: dict[str, Entry] = {}

    def __len__(self) -> int:
        return len(self._cards)

    def put(self, card: Entry) -> None:
        self._cards[card["card_no"]] = card

    def delete(self, card_no: str) -> Entry | None:
        """Remove a card; returns the card removed (None when it was not registered)."""
        return self._cards.pop(card_no, None)

    def find(self, card_no: str) -> Entry | None:
        return self._cards.get(card_no)

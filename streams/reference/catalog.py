"""In-memory catalog and card indexes every worker builds from the compacted topics.

Why not a Faust GlobalTable: with several workers it can loop in recovery (faust #283), and the
catalogs are small read-mostly data; a dict per worker, fed by a plain consumer, is simpler.
The look-up rules rely on is ``rules.reference``'s; these add what the portal reads.
"""

from __future__ import annotations

from rules.reference import CardIndex, CatalogIndex
from rules.reference import Entry as Entry  # re-exported with the key: the feed's and uploads'
from rules.reference import entry_key as entry_key


class CatalogSnapshot(CatalogIndex):
    """Catalog rows indexed by (kind, facility, code), each list sorted by validity start."""

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


class CardRegistry(CardIndex):
    """Registered cards by card number (hi.cards is compacted by card number), with indexes by
    person (social-insurance number) and citizen id for the portal's card lookup."""

    def __init__(self) -> None:
        super().__init__()
        # person_key / citizen_id -> card numbers. Sets are replaced, never mutated in place:
        # the feed thread writes while portal threads read.
        self._by_person: dict[str, frozenset[str]] = {}
        self._by_citizen: dict[str, frozenset[str]] = {}

    def put(self, card: Entry) -> None:
        old = self.find(card["card_no"])
        super().put(card)
        if old is not None:
            self._unindex(old)
        self._index(card)

    def delete(self, card_no: str) -> Entry | None:
        old = super().delete(card_no)
        if old is not None:
            self._unindex(old)
        return old

    def find_by_person(self, person_key: str) -> list[Entry]:
        """Every registered card (current and replaced) of a social-insurance number."""
        return self._lookup(self._by_person, person_key)

    def find_by_citizen(self, citizen_id: str) -> list[Entry]:
        """Every registered card (current and replaced) carrying this citizen id (CCCD)."""
        return self._lookup(self._by_citizen, citizen_id)

    def _lookup(self, index: dict[str, frozenset[str]], key: str) -> list[Entry]:
        cards = (self.find(no) for no in sorted(index.get(key, ())))
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

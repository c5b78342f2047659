"""The catalog and card indexes rules read through (rules.reference)."""

from __future__ import annotations

from datetime import date

from rules.base import Record
from rules.reference import CardIndex, CatalogIndex, entry_key


def _row(kind: str, code: str, facility: str, start: date, end: date | None = None) -> Record:
    return {"kind": kind, "code": code, "facility": facility, "name": "", "unit": "",
            "ma_nhom": 0, "price": 0.0, "tt_thau": None, "valid_from": start, "valid_to": end,
            "attributes": {}}


def test_find_prefers_the_facility_row_valid_on_the_day() -> None:
    cat = CatalogIndex()
    national = _row("DRUG", "40.17", "", date(2024, 1, 1))
    old = _row("DRUG", "40.17", "79001", date(2024, 1, 1), date(2024, 12, 31))
    new = _row("DRUG", "40.17", "79001", date(2025, 1, 1))
    for row in (national, new, old):  # arrival order does not matter
        cat.put(row)
    assert cat.find("DRUG", "79001", "40.17", date(2024, 6, 1)) is old
    assert cat.find("DRUG", "79001", "40.17", date(2025, 6, 1)) is new
    assert cat.find("DRUG", "79002", "40.17", date(2025, 6, 1)) is national
    assert cat.find("DRUG", "79001", "40.17", date(2023, 6, 1)) is None
    assert cat.find("SERVICE", "79001", "40.17", date(2025, 6, 1)) is None


def test_has_answers_per_kind_and_facility() -> None:
    cat = CatalogIndex()
    assert not cat.has("STAFF", "79001")
    cat.put(_row("STAFF", "BS001", "79001", date(2024, 1, 1)))
    cat.put(_row("EQUIPMENT", "XN.1", "", date(2024, 1, 1)))  # national: no facility's list
    assert cat.has("STAFF", "79001")
    assert not cat.has("STAFF", "79002") and not cat.has("EQUIPMENT", "79001")
    assert cat.has("EQUIPMENT", "")


def test_has_follows_replacements_and_deletions() -> None:
    cat = CatalogIndex()
    first = _row("STAFF", "BS001", "79001", date(2024, 1, 1))
    second = _row("STAFF", "BS001", "79001", date(2025, 1, 1))
    other = _row("STAFF", "BS002", "79001", date(2024, 1, 1))
    for row in (first, first, second, other):  # the repeated put replaces, it does not add
        cat.put(row)
    for row in (first, second):
        cat.delete(entry_key(row))
    assert cat.has("STAFF", "79001")  # BS002 is still listed
    cat.delete(entry_key(other))
    assert not cat.has("STAFF", "79001") and len(cat) == 0
    cat.put(other)  # an emptied slot filled again counts again
    assert cat.has("STAFF", "79001")


def test_cards_by_number() -> None:
    cards = CardIndex()
    card = {"card_no": "DN4797912345678", "person_key": "0000000001"}
    cards.put(card)
    assert cards.find("DN4797912345678") is card and len(cards) == 1
    assert cards.delete("DN4797912345678") is card and cards.find("DN4797912345678") is None
    assert cards.delete("DN4797912345678") is None

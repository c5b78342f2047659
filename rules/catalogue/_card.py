"""Helpers shared by the card and benefit rules (CB..): the card number and its level.

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations


def first_card(cards: str | None) -> str:
    """The first card number of MA_THE_BHYT (``""`` when there is none)."""
    if not cards:
        return ""
    return cards.split(";", 1)[0].strip() if ";" in cards else cards


def card_level(cards: str | None) -> int | None:
    """Benefit digit of the first card (position 3 of the card number), None if not a digit."""
    digit = first_card(cards)[2:3]
    return int(digit) if digit.isdigit() else None

"""What a rule looks at for one claim: the claim, the reference data, the person's history.

The lowest layer of ``rules/``: it imports nothing from the package, so the rule vocabulary
(``rules.base``), the engine and every rule can import it without a cycle. ``Catalog`` and
``Cards`` are protocols; ``rules.reference`` holds the indexes that implement them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

Record = dict[str, Any]


class Catalog(Protocol):
    def find(self, kind: str, facility: str, code: str, on: date) -> Record | None: ...


class Cards(Protocol):
    def find(self, card_no: str) -> Record | None: ...


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at for one claim. Rules must not modify any of it."""

    claim: Record
    catalog: Catalog
    cards: Cards
    history: Sequence[Record] = ()  # the person's earlier visits (docs/contracts.md)
    schedule: Sequence[Record] = ()  # practitioners' shifts elsewhere (rules.cross_claim)

    @property
    def received_at(self) -> datetime:
        received: datetime = self.claim["submitted_at"]
        return received

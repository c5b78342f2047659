"""A claim's money as the settlement counts it, split by who decided it.

Every decision keeps ``requested = approved + rejected``. The settlement splits that further:
``requested = approved + rejected_rule + rejected_review + under_review``, where

- ``under_review`` is what a claim still waiting for an appraiser (outcome WARN) would be paid:
  not paid yet, carried into a later settlement once the review ends;
- ``rejected_review`` is the appraiser's cut: the hits of code ``REVIEW`` that the reviews added
  to the claim's current revision (capped at the claim's rejection);
- ``rejected_rule`` is the rest of the rejection, made by the automatic rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def money(value: object) -> Decimal:
    """Exact VND with 2 decimals (ClickHouse Decimal(18, 2) comes back as Decimal already)."""
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True)
class Amounts:
    requested: Decimal = ZERO
    approved: Decimal = ZERO
    rejected_rule: Decimal = ZERO
    rejected_review: Decimal = ZERO
    under_review: Decimal = ZERO

    @classmethod
    def of_decision(cls, outcome: str, requested: object, approved: object, rejected: object,
                    review_cut: object) -> Amounts:
        req, appr, rej = money(requested), money(approved), money(rejected)
        by_review = min(rej, money(review_cut))
        if outcome == "WARN":
            return cls(req, ZERO, rej - by_review, by_review, appr)
        return cls(req, appr, rej - by_review, by_review, ZERO)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))

    @property
    def rejected(self) -> Decimal:
        return self.rejected_rule + self.rejected_review

    @property
    def zero(self) -> bool:
        return all(getattr(self, f.name) == ZERO for f in fields(self))

    def as_dict(self) -> dict[str, Decimal]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def total(items: Iterable[Amounts]) -> Amounts:
        out = Amounts()
        for item in items:
            out = out + item
        return out


AMOUNT_FIELDS = tuple(f.name for f in fields(Amounts))

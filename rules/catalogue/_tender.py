"""Helpers shared by the catalog rules that read tender data (CT03, CT04, CT05): TT_THAU parsed
into a bid, and when two bids are the same.

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_TENDER = re.compile(r"^\s*(?:([^;]*?)\s*;\s*)?G(\d{1,2})\s*;\s*N(\d{1,2})\s*;\s*(\d{4})\s*$")


class Bid(NamedTuple):
    """A parsed TT_THAU: award decision ("" when left out), package, group, year."""

    decision: str
    package: int
    group: int
    year: int


@lru_cache(maxsize=8192)  # a few thousand distinct bids recur across every claim
def parse_tender(text: str) -> Bid | None:
    """``decision;Gnn;Nn;yyyy`` (decision optional) → Bid; None when malformed or group N0."""
    m = _TENDER.match(text)
    if m is None or int(m.group(3)) == 0:
        return None
    decision = " ".join(m.group(1).split()).casefold() if m.group(1) else ""
    return Bid(decision, int(m.group(2)), int(m.group(3)), int(m.group(4)))


def same_bid(a: Bid, b: Bid) -> bool:
    """Same package, group and year, and the same decision when both name one."""
    return (a.package, a.group, a.year) == (b.package, b.group, b.year) and (
        not a.decision or not b.decision or a.decision == b.decision
    )

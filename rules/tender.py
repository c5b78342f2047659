"""Tender data (TT_THAU): the one parser behind the catalog rules (CT03-CT05) and the catalog
loader, so a bid the loader accepts is a bid the rules can read, and the other way round.

The lawful forms (QĐ 130/QĐ-BYT, XML2 and XML3 TT_THAU, as amended by QĐ 4750/QĐ-BYT):

- ``decision;Gnn;Nn;yyyy`` — the award decision, the package, the group, the year the decision
  was issued; the decision part is left out by some exporters (``Gnn;Nn;yyyy``).
- ``decision;Gnn;Nn;yyyy;CCCCC`` — the same with a fifth part, the 5-character code of the unit
  that ran the tender (a provincial procurement centre, a hospital buying for a group of
  facilities). Exporters of facilities that buy under another unit's tender write it for most
  drugs; two bids that both name a unit are the same bid only with the same unit.
- Groups: drugs are tendered in groups N1-N5 (technical criteria groups) and the field allows
  N1-N99; medical supplies are often bought outside any technical group, written ``N0``.
  ``N0`` is lawful for supplies only. Package ``G0`` (no package) likewise for supplies only.

Parsing is separate from judging: :func:`parse_tender` reads any of these shapes, and
:func:`tender_problem` says whether the bid is lawful for a drug or a supply.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_TENDER = re.compile(
    r"^\s*(?:([^;]*?)\s*;\s*)?G(\d{1,2})\s*;\s*N(\d{1,2})\s*;\s*(\d{4})"
    r"(?:\s*;\s*([0-9A-Za-z]{5}))?\s*$"
)
DRUG, SUPPLY = "DRUG", "SUPPLY"
FORMS = "decision;Gnn;Nn;yyyy or decision;Gnn;Nn;yyyy;<5-character unit code>"
FORMS_VI = "số quyết định;Gnn;Nn;yyyy hoặc số quyết định;Gnn;Nn;yyyy;<mã đơn vị 5 ký tự>"


class Bid(NamedTuple):
    """A parsed TT_THAU: award decision ("" when left out), package, group, year, and the code
    of the unit that ran the tender ("" when left out)."""

    decision: str
    package: int
    group: int
    year: int
    unit: str = ""


@lru_cache(maxsize=8192)  # a few thousand distinct bids recur across every claim
def parse_tender(text: str) -> Bid | None:
    """Any lawful shape of TT_THAU → Bid (decision folded for comparison); None when unreadable.

    Group and package 0 parse: whether they are lawful depends on the kind
    (:func:`tender_problem`)."""
    m = _TENDER.match(text)
    if m is None:
        return None
    decision = " ".join(m.group(1).split()).casefold() if m.group(1) else ""
    return Bid(decision, int(m.group(2)), int(m.group(3)), int(m.group(4)),
               (m.group(5) or "").upper())


def tender_problem(bid: Bid, kind: str) -> tuple[str, str] | None:
    """Why ``bid`` is not lawful for a line of ``kind`` (English, Vietnamese); None when it is."""
    if kind == SUPPLY:
        return None  # G0-G99 and N0-N99: supplies may be bought outside packages and groups
    if bid.group == 0:
        return ("group N0 is only for medical supplies; drugs are tendered in groups N1-N99",
                "nhóm N0 chỉ dùng cho vật tư y tế; thuốc thuộc nhóm N1-N99")
    if bid.package == 0:
        return ("package G0 is only for medical supplies; drugs are tendered in packages G1-G99",
                "gói G0 chỉ dùng cho vật tư y tế; thuốc thuộc gói G1-G99")
    return None


def same_bid(a: Bid, b: Bid) -> bool:
    """Same package, group and year; and the same decision, and unit, when both name one."""
    return (a.package, a.group, a.year) == (b.package, b.group, b.year) and (
        not a.decision or not b.decision or a.decision == b.decision
    ) and (not a.unit or not b.unit or a.unit == b.unit)

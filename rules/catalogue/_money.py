"""Helpers shared by the money rules (MN..): the one money epsilon and the fund's share.

Not a rule: the leading underscore keeps it out of the case files and the registry.
"""

from __future__ import annotations

from rules.base import Record

MONEY_EPS = 1e-6  # float sums of 2-decimal amounts: exactly 1 VND off counts as within ±1 VND


def fund_share(line: Record, price: float) -> float:
    """SO_LUONG × price × TYLE_TT_BH/100 × MUC_HUONG/100 (not rounded)."""
    share: float = line["so_luong"] * price * line["tyle_tt_bh"] * line["muc_huong"] * 1e-4
    return share

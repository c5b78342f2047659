"""Small edits injectors make to a draft: pick a line, add lines, name another bid."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

from streams.sim.catalog import DRUG, SERVICE, SUPPLY, Catalog
from streams.sim.claims import Draft
from streams.sim.lines import LineMaker
from streams.sim.money import SUPPLY_GROUPS

Row = dict[str, Any]
_BID = re.compile(r"^(\d+)/([^;]+);G(\d+);N(\d+);(\d{4})$")


def lines(draft: Draft) -> Iterator[tuple[str, Row]]:
    """(kind, row) of every line of the draft."""
    for row in draft.claim["drugs"]:
        yield DRUG, row
    for row in draft.claim["services"]:
        yield (SUPPLY if row["ma_nhom"] in SUPPLY_GROUPS else SERVICE), row


def code_of(kind: str, row: Row) -> str:
    code: str = row["ma_thuoc"] if kind == DRUG else row["ma_vat_tu"] if kind == SUPPLY \
        else row["ma_dich_vu"]
    return code


def maker(rng: random.Random, catalog: Catalog, draft: Draft) -> LineMaker:
    """A LineMaker that appends to the draft's own lines, ordered by the draft's doctor (so a
    listed practitioner, and ST01 stays silent)."""
    lm = LineMaker(rng, catalog, draft.visit.facility)
    lm.drugs, lm.services = draft.claim["drugs"], draft.claim["services"]
    first = (draft.claim["drugs"] or draft.claim["services"])[0]
    lm.doctor = first["ma_bac_si"]
    return lm


def other_bid(rng: random.Random, tt_thau: str) -> str | None:
    """A well-formed bid of the same year that is not ``tt_thau`` (another package)."""
    m = _BID.match(tt_thau)
    if m is None:
        return None
    package = int(m.group(3)) % 3 + 1
    return f"{rng.randint(3000, 3999)}/QĐ-BV;G{package};N{m.group(4)};{m.group(5)}"


def surgeries(draft: Draft) -> list[Row]:
    return [r for r in draft.claim["services"] if r["ma_nhom"] == 8]

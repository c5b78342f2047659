"""How a claim's findings are answered: grouped (the default) or all of them.

A real 101-claim envelope drew 6,407 findings, one decimal-comma note per value, and a single
blocking code was buried among thousands of notes. So each claim's answer lists its findings
blocking first, grouped per (code, table, field): one entry with the first finding's message, a
``count`` and the first ``rows`` it happened on (all rows, up to ``MAX_BLOCKING_ROWS``, for a
blocking code: the facility must fix each one). The size of a claim's answer then depends on
how many kinds of deviation it has, not on how many lines. ``?findings=all`` gives every finding
on its own (``count`` 1), in the same shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Query

from streams.portal.errors import Finding

Mode = Literal["grouped", "all"]
FindingsQuery = Annotated[Mode, Query(
    description="grouped (default): blocking first, one entry per code, table and field with "
    "a count and the first rows; all: every finding on its own")]
FIRST_ROWS = 5  # rows named for an informational group
MAX_BLOCKING_ROWS = 100  # rows named for a blocking group


def answer(findings: Iterable[Finding], mode: Mode = "grouped") -> list[dict[str, Any]]:
    """The findings of one claim (or envelope) as answered: blocking first."""
    ordered = sorted(findings, key=lambda f: not f.blocking)  # stable: sent order kept
    if mode == "all":
        return [f.to_dict() | {"count": 1, "rows": [f.row]} for f in ordered]
    groups: dict[tuple[str, str, str, bool], list[Finding]] = {}
    for f in ordered:
        groups.setdefault((f.code, f.table, f.field, f.empty), []).append(f)
    out = []
    for members in groups.values():
        first = members[0]
        limit = MAX_BLOCKING_ROWS if first.blocking else FIRST_ROWS
        out.append(first.to_dict() | {"count": len(members),
                                      "rows": [f.row for f in members[:limit]]})
    return out


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    """Counts of one claim's findings: ``blocking`` and ``informational``."""
    blocking = informational = 0
    for f in findings:
        if f.blocking:
            blocking += 1
        else:
            informational += 1
    return {"blocking": blocking, "informational": informational}

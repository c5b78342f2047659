"""Fixtures of the worker's pure pipeline tests."""

from __future__ import annotations

import pytest

from rules.cases import base_case
from rules.engine import Engine
from streams.worker.processor import Enrichment


@pytest.fixture(scope="module")
def ref() -> Enrichment:
    """The engine with the base case's catalog and cards; a second facility (79002) has the
    same list, for the cross-facility tests."""
    case = base_case()
    ctx = case.context()
    for row in case.catalog:
        ctx.catalog.put({**row, "facility": "79002"})  # type: ignore[attr-defined]
    return Enrichment(Engine.load(), ctx.catalog, ctx.cards)  # type: ignore[arg-type]

"""The tables the notices and fund pages read hold every column of the contract between the
two halves of issue 13, with its type (columns may be added, never renamed or dropped)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fund_contract import CONTRACT_DDL
from tests.unit.fund.chdb_engine import Chdb


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chdb]:
    ch = Chdb(Path(tmp_path_factory.mktemp("contract")))
    yield ch
    ch.close()


def _contract() -> dict[str, list[tuple[str, str]]]:
    out = {}
    for ddl in CONTRACT_DDL:
        table = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", ddl).group(1)  # type: ignore[union-attr]
        body = ddl[ddl.index("(") + 1:ddl.index("ENGINE")].rsplit(")", 1)[0]
        columns = re.findall(r"(\w+) (\w+(?:\('[^']*'\))?)", body)
        out[table] = [(name, kind) for name, kind in columns]
    return out


@pytest.mark.parametrize("table", sorted(_contract()))
def test_every_contract_column_is_there_with_its_type(engine: Chdb, table: str) -> None:
    have = {name: kind for name, kind, *_ in engine.query(f"DESCRIBE TABLE {table}")}
    for name, kind in _contract()[table]:
        assert name in have, f"{table}.{name} missing"
        assert have[name] == kind, f"{table}.{name}: {have[name]} is not {kind}"

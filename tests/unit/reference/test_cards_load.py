"""``hireview cards load``: the card extract checked row by row, derived fields agreeing with the
card number, all or nothing unless --partial."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastavro import parse_schema

from streams.reference.cards import load_cards, read_cards
from streams.settings import ROOT, Settings

SCHEMA = parse_schema(json.loads((ROOT / "avro/schemas/card.avsc").read_text()))
SAMPLE = ROOT / "infra" / "catalogs" / "cards.csv"
HEADER = "card_no,citizen_id,registered_facility,valid_from,valid_to,benefit_level\n"


def test_the_sample_extract_loads_with_derived_fields() -> None:
    cards, findings = read_cards(SAMPLE.read_text(encoding="utf-8"), SCHEMA)
    assert findings == [] and len(cards) == 5
    first = cards[0]
    assert (first["group_code"], first["benefit_level"], first["province"],
            first["person_key"]) == ("DN", 4, "79", "0000000001")
    assert cards[1]["five_year_date"].isoformat() == "2021-06-01"
    assert cards[3]["replaced_by"] == "GD4790000000005"


def test_every_bad_field_is_named() -> None:
    text = HEADER + "\n".join([
        "DN47900000001,,79001,2026-01-01,2026-12-31,",  # 13 characters
        "DN4790000000001,12,79001,2026-01-01,2026-12-31,",  # citizen id
        "DN4790000000001,,7900,2026-01-01,2026-12-31,",  # facility
        "DN4790000000001,,79001,2026-02-30,2026-12-31,",  # date
        "DN4790000000001,,79001,2026-12-31,2026-01-01,",  # to before from
        "DN4790000000001,,79001,2026-01-01,2026-12-31,3",  # benefit level disagrees
    ])
    cards, findings = read_cards(text, SCHEMA)
    assert cards == []
    assert [(f.row, f.field, f.code) for f in findings] == [
        (1, "card_no", "invalid_format"), (2, "citizen_id", "invalid_format"),
        (3, "registered_facility", "invalid_format"), (4, "valid_from", "invalid_date"),
        (5, "valid_to", "out_of_range"), (6, "benefit_level", "mismatch")]


def test_all_or_nothing_unless_partial(tmp_path: Path) -> None:
    path = tmp_path / "cards.csv"
    path.write_text(HEADER + "DN4790000000001,,79001,2026-01-01,2026-12-31,\n"
                    "XX,,79001,2026-01-01,2026-12-31,\n", encoding="utf-8")
    sent: list[list[dict[str, Any]]] = []
    lines: list[str] = []
    assert load_cards(Settings(), path, publish=lambda c: sent.append(list(c)),
                      out=lines.append) == 1
    assert sent == [] and any("nothing published" in line for line in lines)
    assert load_cards(Settings(), path, partial=True, publish=lambda c: sent.append(list(c)),
                      out=lines.append) == 1
    assert [c["card_no"] for c in sent[0]] == ["DN4790000000001"]

"""``hireview cards load FILE.csv``: HI cards from the agency's card extract into ``hi.cards``.

A fresh installation has no cards: CB01 (card validity), CB08 (replaced card) and CB09 (the
five-year date) can then judge only what the claim itself says. The extract is a CSV with a
header row (UTF-8, optional BOM):

    card_no,citizen_id,registered_facility,valid_from,valid_to,five_year_date,replaced_by

``card_no`` (15 characters: group, benefit digit, province, 10-digit social-insurance number)
also gives ``group_code``, ``benefit_level``, ``province`` and ``person_key``, so those columns
may be left out; when given they must agree. Every row is checked (findings name row, column
and problem); as for catalogs, a file with a bad row publishes nothing unless ``--partial``.
Published rows are acknowledged by Kafka (keyed by card number, compacted) before the summary.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.validation import ValidationError, validate

from streams.kafka import DeliveryFailed, create_topics, deliver, producer
from streams.reference.values import Row, RowFinding, as_date, as_text
from streams.settings import Settings

CARD_NO = re.compile(r"([A-Z]{2})([1-5])(\d{2})(\d{10})")
FACILITY = re.compile(r"[0-9A-Za-z]{5}")
COLUMNS = ("card_no", "citizen_id", "group_code", "benefit_level", "province", "person_key",
           "registered_facility", "valid_from", "valid_to", "five_year_date", "replaced_by")
_DERIVED = ("group_code", "benefit_level", "province", "person_key")


def check_card(number: int, data: dict[str, Any], schema: Any) -> tuple[dict[str, Any] | None,
                                                                           list[RowFinding]]:
    """One extract row → a Card record (card.avsc), or None with the findings."""
    row = Row(number)
    for name in data:
        if name not in COLUMNS:
            row.bad(name, "unknown_field", f"not a card column ({', '.join(COLUMNS)})")
    card_no = as_text(data.get("card_no")).upper()
    m = CARD_NO.fullmatch(card_no)
    if m is None:
        row.bad("card_no", "invalid_format", "expected 2 letters, the benefit digit 1-5, a "
                "2-digit province and the 10-digit social-insurance number", card_no)
        return None, row.found
    derived = {"group_code": m[1], "benefit_level": m[2], "province": m[3], "person_key": m[4]}
    for name in _DERIVED:
        given = as_text(data.get(name))
        if given and given != derived[name]:
            row.bad(name, "mismatch", f"the card number says {derived[name]}", given)
    citizen = as_text(data.get("citizen_id")) or None
    if citizen is not None and not re.fullmatch(r"\d{12}", citizen):
        row.bad("citizen_id", "invalid_format", "expected 12 digits (CCCD)", citizen)
    facility = as_text(data.get("registered_facility"))
    if not FACILITY.fullmatch(facility):
        row.bad("registered_facility", "invalid_format" if facility else "required",
                "expected the 5-character MA_CSKCB of the registered primary-care facility",
                facility)
    valid_from = as_date("valid_from", data.get("valid_from"), row)
    valid_to = as_date("valid_to", data.get("valid_to"), row)
    if valid_from and valid_to and valid_to < valid_from:
        row.bad("valid_to", "out_of_range", f"is before valid_from {valid_from}", valid_to)
    five = (as_date("five_year_date", data["five_year_date"], row)
            if as_text(data.get("five_year_date")) else None)
    replaced = as_text(data.get("replaced_by")).upper() or None
    if replaced is not None and not CARD_NO.fullmatch(replaced):
        row.bad("replaced_by", "invalid_format", "expected a 15-character card number", replaced)
    if row.found:
        return None, row.found
    card = {"card_no": card_no, "person_key": m[4], "citizen_id": citizen, "group_code": m[1],
            "benefit_level": int(m[2]), "province": m[3], "registered_facility": facility,
            "valid_from": valid_from, "valid_to": valid_to, "five_year_date": five,
            "replaced_by": replaced}
    try:
        validate(card, schema, raise_errors=True)
    except ValidationError as exc:
        row.bad("card_no", "invalid", f"does not fit card.avsc: {exc}")
        return None, row.found
    return card, []


def read_cards(text: str, schema: Any) -> tuple[list[dict[str, Any]], list[RowFinding]]:
    cards, findings = [], []
    for number, data in enumerate(csv.DictReader(io.StringIO(text)), 1):
        card, found = check_card(number, {k.strip(): v for k, v in data.items() if k}, schema)
        findings += found
        if card is not None:
            cards.append(card)
    return cards, findings


def load_cards(settings: Settings, path: Path, partial: bool = False,
               publish: Callable[[Sequence[dict[str, Any]]], None] | None = None,
               out: Callable[[str], None] = print) -> int:
    """The command: 0 all published, 1 some rows rejected, 2 nothing readable."""
    import json

    schema = parse_schema(json.loads((settings.avro_dir / "schemas" / "card.avsc").read_text()))
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hireview cards load: {path}: {exc}", file=sys.stderr)
        return 2
    cards, findings = read_cards(text, schema)
    out(f"{path}: {len(cards) + len({f.row for f in findings})} card rows")
    if cards and (partial or not findings):
        try:
            (publish or _kafka(settings))(cards)
        except DeliveryFailed as exc:
            print(f"hireview cards load: {exc}", file=sys.stderr)
            return 2
    published = len(cards) if cards and (partial or not findings) else 0
    out(f"rows published: {published}, rejected: {len({f.row for f in findings})}")
    if findings and not partial:
        out("nothing published: fix the rows below (or pass --partial)")
    for finding in findings[:20]:
        out(f"  {finding}")
    return 1 if findings else 0


def _kafka(settings: Settings) -> Callable[[Sequence[dict[str, Any]]], None]:
    from streams.codec import Codec

    create_topics(settings)
    encode = Codec.from_settings(settings).encoder("card")
    kafka, topic = producer(settings), settings.topic("hi.cards")

    def publish(cards: Sequence[dict[str, Any]]) -> None:
        deliver(kafka, topic, [(c["card_no"].encode(), encode(c)) for c in cards], timeout=60.0)

    return publish

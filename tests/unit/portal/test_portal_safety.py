"""Portal parsing: hostile and malformed input only ever gives typed errors."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from fastavro.validation import validate

from streams.portal.intake import (
    EnvelopeResult,
    MalformedXml,
    NotAnEnvelope,
    PortalInputError,
    TooLarge,
    UnsafeXml,
    claim_to_json,
    parse_envelope,
    parse_json_claim,
    stamp,
)
from streams.portal.intake.xmlsafe import TooDeep, parse_xml
from tests.unit.portal.portal_fixtures import (
    claim,
    envelope,
)
from tests.unit.portal.test_portal_parse import (
    PARSED,
    SUBMITTED,
    b64,
    one,
    parse,
    record,
)

# --- safety --------------------------------------------------------------------------------------
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                * 10) for i in range(1, 10))
          + b"]><GIAMDINHHS>&lol9;</GIAMDINHHS>")
UNSAFE = {
    "billion_laughs": LAUGHS,
    "xxe_file": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><GIAMDINHHS>&e;'
                b"</GIAMDINHHS>",
    "xxe_http": b'<!DOCTYPE x [<!ENTITY e SYSTEM "http://127.0.0.1:9/x">]><x>&e;</x>',
    "external_dtd": b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>',
    "parameter_entity": b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><x/>',
    "plain_dtd": b"<!-- <x> --><!DOCTYPE x []><x/>",
    "utf16": '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY e "1">]><x>&e;</x>'
             .encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_unsafe_xml_is_refused(name: str) -> None:
    with pytest.raises(UnsafeXml):
        parse(UNSAFE[name])


@pytest.mark.parametrize("name", ["billion_laughs", "xxe_file"])
def test_unsafe_xml_inside_a_table_refuses_the_envelope(name: str) -> None:
    spec = claim(1)
    spec.raw["XML2"] = b64(UNSAFE[name])
    with pytest.raises(UnsafeXml):
        parse(envelope([spec]))


@pytest.mark.parametrize(("data", "line", "column"), [
    (b"<GIAMDINHHS><a></GIAMDINHHS>", 1, 17), (b"<GIAMDINHHS>\n&e;</GIAMDINHHS>", 2, 0),
    (b"", 1, 0), (b"\xff\xfe\x00<", 1, 1), (b"<a>\n\n  <b>\xff</b></a>", 3, 5),
    (b'<?xml version="1.0" encoding="x-unknown"?><a/>', 1, 0),
    (b'<?xml version="1.0" encoding="unicode_escape"?><a/>', 1, 0),
    (b'<?xml version="1.0" encoding="utf-7"?><a/>', 1, 0)])
def test_malformed_xml_names_line_and_column(data: bytes, line: int, column: int) -> None:
    with pytest.raises(MalformedXml) as caught:
        parse(data)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(caught.value)


def test_oversize_and_not_an_envelope() -> None:
    data = envelope([claim(1)])
    with pytest.raises(TooLarge) as caught:
        parse_envelope(data, max_bytes=len(data) - 1)
    assert caught.value.limit == len(data) - 1
    assert parse_envelope(data, max_bytes=len(data)).claims[0].accepted
    with pytest.raises(NotAnEnvelope):
        parse(b"<TONG_HOP><MA_LK>1</MA_LK></TONG_HOP>")


def test_a_malformed_table_blocks_only_its_claim() -> None:
    spec = claim(2)
    spec.raw["XML3"] = b64(b"<CHITIEU_CHITIET_DVKT_VTYT><x></CHITIEU_CHITIET_DVKT_VTYT>")
    result = parse(envelope([claim(1), spec]))
    assert result.claims[0].accepted and not result.claims[1].accepted
    [f] = result.claims[1].findings
    assert f.code == "P005" and f.table == "XML3" and "line 1, column" in f.message


def test_deep_nesting_is_refused_without_crashing() -> None:
    data = b"<GIAMDINHHS>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</GIAMDINHHS>"
    with pytest.raises(TooDeep) as refused:
        parse(data)
    assert refused.value.limit == 16 and refused.value.status == 422


NASTY = ["", " ", "abc", "1e400", "9" * 500, "-1", "２０２５", "\u0663", "1,2,3", "NaN", "inf",
         "0x10", "1_000", "20251301", "999999999999", "202502300000", "Nhóm 99", "0", "00000000",
         "99999999999999", "<", "&amp;", "1.5", ";;;", "\u00a0"]


def _allowed(outcome: EnvelopeResult) -> None:
    for c in outcome.claims:
        assert c.accepted == (c.record is not None)
        if c.record is not None:
            validate(stamp(c.record, version=1, submitted_at=SUBMITTED), PARSED,
                     raise_errors=True)


@pytest.mark.parametrize("mode", ["base64", "plain"])
def test_random_byte_mutations_give_only_typed_errors(mode: str) -> None:
    rng = random.Random(f"portal-{mode}")
    base = envelope([claim(1), claim(2, inpatient=True)], mode=mode)
    results = errors = 0
    for _ in range(400):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.5:
                data[at] = rng.randrange(256)
            elif choice < 0.75:
                del data[at:at + rng.randint(1, 20)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 5)))
        try:
            _allowed(parse(bytes(data)))
            results += 1
        except PortalInputError:
            errors += 1
    assert results and errors  # both paths were exercised


def test_random_field_values_give_findings_or_valid_records() -> None:
    rng = random.Random("portal-values")
    for _ in range(300):
        spec = claim(1)
        for _ in range(rng.randint(1, 6)):
            rows = rng.choice([[spec.xml1], spec.xml2, spec.xml3, spec.xml4])
            row = rng.choice(rows)
            row[rng.choice(sorted(row))] = rng.choice(NASTY)
        _allowed(parse(envelope([spec], mode=rng.choice(["base64", "plain", "text"]))))


def test_random_json_values_give_findings_or_valid_records() -> None:
    rng = random.Random("portal-json")
    base = claim_to_json(record(one(envelope([claim(1)]))))
    values: list[Any] = [*NASTY, None, True, 1.5, -3, 10**20, [], {}, float("inf")]
    for _ in range(300):
        obj = json.loads(json.dumps(base))
        for _ in range(rng.randint(1, 4)):
            targets = [obj, obj["header"], obj["drugs"], obj["services"]]
            target = rng.choice(targets)
            if isinstance(target, list):  # a line, when the list is still a list of objects
                target = target[0] if target and isinstance(target[0], dict) else obj
            if isinstance(target, dict):
                target[rng.choice(sorted(target))] = rng.choice(values)
        result = parse_json_claim(obj)
        assert result.accepted == (result.record is not None)
        if result.record is not None:
            validate(stamp(result.record, version=1, submitted_at=SUBMITTED), PARSED,
                     raise_errors=True)


def test_parse_xml_rejects_non_bytes() -> None:
    with pytest.raises(TypeError):
        parse_xml("<a/>", max_bytes=10)  # type: ignore[arg-type]

"""The JSON form of decoded claims (streams.sink.payload_json): exact round trip against fastavro's
decoding, the schema layout and tag, and refusal of anything that would not restore exactly."""

from __future__ import annotations

import copy
import io
import json
import math
from datetime import date, datetime
from typing import Any

import orjson
import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streams.registry import fingerprint
from streams.settings import ROOT
from streams.sim.generate import generate
from streams.sink import payload_json as rj

SCHEMAS = ROOT / "avro" / "schemas"


@pytest.fixture(scope="module")
def raw_schema() -> dict[str, Any]:
    return dict(json.loads((SCHEMAS / "claim.avsc").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def layout() -> rj.Layout:
    found = rj.load_layout(SCHEMAS)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def decoded(raw_schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Simulated claims (violations of every kind included) as fastavro decodes them."""
    parsed = parse_schema(raw_schema)
    out = []
    for sc in generate(300, seed=5, violations=0.5).claims:
        buf = io.BytesIO()
        schemaless_writer(buf, parsed, sc.claim)
        buf.seek(0)
        record = schemaless_reader(buf, parsed, None)
        assert isinstance(record, dict)
        out.append(record)
    return out


def test_the_form_restores_exactly_what_fastavro_decoded(
    decoded: list[dict[str, Any]], layout: rj.Layout
) -> None:
    assert any(c["header"]["ngay_vao_noi_tru"] for c in decoded)  # both branches of unions
    assert any(c["header"]["ngay_vao_noi_tru"] is None for c in decoded)
    for claim in decoded:
        form = rj.dumps(claim, layout)
        assert form, claim["claim_id"]
        back = rj.loads(form, layout)
        assert back == claim
        # == already tells a naive datetime from an aware one; the types must match too.
        assert type(back["header"]["gt_the_tu"]) is date
        assert back["submitted_at"].tzinfo is not None
        assert back["header"]["ngay_vao"].tzinfo is None
        assert len(form) < len(orjson.dumps(claim)) / 2  # values only: no keys


def _logical_fields(node: Any, path: str, out: dict[str, str]) -> None:
    """path -> logicalType of every logical-type field of a schema (unions and arrays walked)."""
    if isinstance(node, list):
        for branch in node:
            _logical_fields(branch, path, out)
    elif isinstance(node, dict):
        if "logicalType" in node:
            out[path] = node["logicalType"]
        elif node.get("type") == "record":
            for field in node["fields"]:
                _logical_fields(field["type"], f"{path}.{field['name']}".lstrip("."), out)
        elif node.get("type") == "array":
            _logical_fields(node["items"], f"{path}[]", out)
        elif isinstance(node.get("type"), dict | list):
            _logical_fields(node["type"], path, out)


def test_the_restored_fields_are_the_logical_type_fields_of_the_schema(
    raw_schema: dict[str, Any]
) -> None:
    found: dict[str, str] = {}
    _logical_fields(raw_schema, "", found)
    times = {"timestamp-millis", "local-timestamp-millis"}
    listed = {
        "times": {*rj.CLAIM_TIMES, *(f"header.{n}" for n in rj.HEADER_TIMES),
                  *(f"drugs[].{n}" for n in rj.DRUG_TIMES),
                  *(f"services[].{n}" for n in rj.SERVICE_TIMES)},
        "dates": {f"header.{n}" for n in rj.HEADER_DATES},
    }
    assert listed == {"times": {p for p, t in found.items() if t in times},
                      "dates": {p for p, t in found.items() if t == "date"}}
    assert set(found.values()) <= times | {"date"}  # no other logical type to restore


def test_layout_follows_the_schema_and_its_tag_is_the_fingerprint(
    raw_schema: dict[str, Any], layout: rj.Layout
) -> None:
    assert layout.tag == fingerprint(raw_schema)
    assert layout.claim == tuple(f["name"] for f in raw_schema["fields"])
    assert layout.claim[layout.positions[0]] == "header"
    assert layout.header[:2] == ("ma_bn", "ho_ten")
    changed = copy.deepcopy(raw_schema)
    changed["fields"][-1]["default"] = 7  # a new default is a new reader: a new tag
    assert rj.layout_of(changed).tag != layout.tag


def test_a_schema_of_another_shape_has_no_layout(raw_schema: dict[str, Any], tmp_path: Any
                                                 ) -> None:
    other = copy.deepcopy(raw_schema)
    for field in other["fields"]:
        if field["name"] == "header":
            field["type"] = "ClaimHeader"  # a reference to a named type: not restored here
    with pytest.raises(ValueError, match="claim schema: no JSON form for this shape"):
        rj.layout_of(other)
    (tmp_path / "claim.avsc").write_text(json.dumps(other))
    assert rj.load_layout(tmp_path) is None


@pytest.mark.parametrize("spoil", ["nan", "inf", "extra key", "missing key", "not a dict"])
def test_no_form_when_it_would_not_restore_exactly(
    decoded: list[dict[str, Any]], layout: rj.Layout, spoil: str
) -> None:
    claim = copy.deepcopy(next(c for c in decoded if c["drugs"]))
    if spoil == "nan":
        claim["header"]["can_nang"] = math.nan  # orjson would write null
    elif spoil == "inf":
        claim["drugs"][0]["so_luong"] = math.inf
    elif spoil == "extra key":
        claim["services_extra"] = 1
    elif spoil == "missing key":
        del claim["drugs"][0]["ngay_yl"]
    else:
        claim["header"] = list(claim["header"].values())
    assert rj.dumps(claim, layout) == b""


@pytest.mark.parametrize(("data", "problem"), [
    (b"{not json", "JSONDecodeError"),
    (b"[1, 2]", "ValueError"),  # too few values for the claim's fields
    (b"null", "TypeError"),
])
def test_a_damaged_form_is_a_value_error_naming_the_form(
    layout: rj.Layout, data: bytes, problem: str
) -> None:
    with pytest.raises(ValueError, match=f"claim JSON form: {problem}"):
        rj.loads(data, layout)


def test_a_bad_time_in_a_form_is_a_value_error(decoded: list[dict[str, Any]],
                                               layout: rj.Layout) -> None:
    values = orjson.loads(rj.dumps(decoded[0], layout))
    values[layout.claim.index("submitted_at")] = "yesterday"
    with pytest.raises(ValueError, match="claim JSON form: ValueError: Invalid isoformat"):
        rj.loads(orjson.dumps(values), layout)
    values[layout.claim.index("submitted_at")] = datetime(2025, 1, 1).isoformat()
    assert rj.loads(orjson.dumps(values), layout)["submitted_at"] == datetime(2025, 1, 1)

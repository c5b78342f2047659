"""The Confluent wire-format codec and the file registry."""

from __future__ import annotations

import copy
import json
import struct
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from streams.codec import (
    AvroDecodeError,
    Codec,
    EncodeError,
    IncompatibleSchema,
    InvalidMessage,
    NotWireFormat,
    UnknownSchema,
    bench,
    from_json,
    load_subjects,
    to_json,
)
from streams.registry import FileRegistry, RegistryError, SchemaNotFound, registry_for
from streams.settings import Settings

AVRO = Path(__file__).resolve().parents[3] / "avro"
SCHEMAS = AVRO / "schemas"
V0_DIR = AVRO / "examples" / "claim" / "_v0"
SUBJECTS = load_subjects(AVRO / "topics.yaml")


def example(rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((AVRO / "examples" / rel).read_text(encoding="utf-8"))
    return data


def schema(name: str, folder: Path = SCHEMAS) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / f"{name}.avsc").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def registry(tmp_path: Path) -> FileRegistry:
    return FileRegistry(tmp_path / "registry.json")


@pytest.fixture
def codec(registry: FileRegistry) -> Codec:
    return Codec(registry, SCHEMAS, SUBJECTS)


@pytest.fixture
def claim() -> dict[str, Any]:
    record: dict[str, Any] = from_json(
        schema("claim"), example("claim/inpatient-pneumonia-20-lines.json"))
    return record


class CountingRegistry:
    """Wraps a registry and counts the calls, to prove the codec caches."""

    def __init__(self, inner: FileRegistry) -> None:
        self.inner = inner
        self.gets = 0
        self.registers = 0

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        self.registers += 1
        return self.inner.register(subject, schema)

    def get(self, schema_id: int) -> dict[str, Any]:
        self.gets += 1
        return self.inner.get(schema_id)


# --- wire format -------------------------------------------------------------------------------
def test_wire_format_header(codec: Codec, registry: FileRegistry, claim: dict[str, Any]) -> None:
    data = codec.encode("claim", claim)
    magic, schema_id = struct.unpack(">BI", data[:5])
    assert magic == 0
    assert schema_id == registry.subjects()["hi.claims-value"][0]["id"]
    assert registry.get(schema_id) == schema("claim")


def test_decoded_types_match_the_contract(codec: Codec, claim: dict[str, Any]) -> None:
    out = codec.decode(codec.encode("claim", claim), "claim")
    assert out["submitted_at"] == datetime(2025, 3, 6, 4, 5, 12, 345000, tzinfo=UTC)
    assert out["header"]["ngay_vao"] == datetime(2025, 3, 1, 8, 30)  # naive local time
    assert out["header"]["gt_the_den"] == date(2025, 12, 31)
    assert len(out["drugs"]) + len(out["services"]) == 20


def test_subject_and_schema_name_share_one_id(codec: Codec, registry: FileRegistry) -> None:
    decision = from_json(schema("decision"), example("decision/accept-outpatient.json"))
    by_name = codec.encode("decision", decision)
    by_subject = codec.encode("hi.warnings-value", decision)
    assert by_name == by_subject
    subjects = registry.subjects()
    assert subjects["hi.decisions-value"][0]["id"] == subjects["hi.warnings-value"][0]["id"]


def test_encoder_registers_once(registry: FileRegistry, claim: dict[str, Any]) -> None:
    counting = CountingRegistry(registry)
    codec = Codec(counting, SCHEMAS, SUBJECTS)
    encode = codec.encoder("claim")
    assert codec.encoder("claim") is encode
    for _ in range(3):
        encode(claim)
    assert counting.registers == 1


def test_unknown_schema_name_is_refused(codec: Codec) -> None:
    with pytest.raises(ValueError, match=r"no schema 'claims'.*'claim'"):
        codec.encoder("claims")


# --- decode errors -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "kind", "reason", "message"),
    [
        (b"", NotWireFormat, "not_wire_format", "0 bytes: too short"),
        (b"\x00\x00\x01", NotWireFormat, "not_wire_format", "3 bytes: too short"),
        (b'{"facility": "79001"}', NotWireFormat, "not_wire_format",
         "bad magic byte 0x7b: not Confluent wire format"),
        (b"\x01\x00\x00\x00\x01\x02", NotWireFormat, "not_wire_format", "bad magic byte 0x01"),
        (b"\x00\x00\x00\x00\x2a\x02", UnknownSchema, "unknown_schema", "unknown schema id 42"),
    ],
)
def test_not_decodable_header(
    codec: Codec, data: bytes, kind: type[InvalidMessage], reason: str, message: str
) -> None:
    with pytest.raises(kind, match=message) as caught:
        codec.decode(data, "claim")
    assert caught.value.reason == reason
    assert isinstance(caught.value, InvalidMessage)


@pytest.mark.parametrize("cut", [6, 40, 400, -1])
def test_truncated_body(codec: Codec, claim: dict[str, Any], cut: int) -> None:
    data = codec.encode("claim", claim)
    with pytest.raises(AvroDecodeError, match=r"schema id \d+: Avro body does not decode") as c:
        codec.decode(data[:cut], "claim")
    assert c.value.reason == "avro_decode"


def test_trailing_bytes(codec: Codec) -> None:
    card = from_json(schema("card"), example("card/dn-employee.json"))
    with pytest.raises(AvroDecodeError, match="3 bytes left after the record"):
        codec.decode(codec.encode("card", card) + b"xyz", "card")


def test_wrong_reader_schema(codec: Codec) -> None:
    card = from_json(schema("card"), example("card/dn-employee.json"))
    with pytest.raises(IncompatibleSchema, match=r"vn.hireview.Card.*cannot be read as 'claim'"):
        codec.decode(codec.encode("card", card), "claim")


def test_registry_outage_is_not_a_bad_message(registry: FileRegistry) -> None:
    class Down:
        def register(self, subject: str, schema: dict[str, Any]) -> int:
            raise RegistryError("down")

        def get(self, schema_id: int) -> dict[str, Any]:
            raise RegistryError("registry unreachable")

    with pytest.raises(RegistryError):  # must stop the consumer, not feed the DLQ
        Codec(Down(), SCHEMAS, SUBJECTS).decode(b"\x00\x00\x00\x00\x01\x02", "claim")


def test_writer_schema_fetched_once(registry: FileRegistry, claim: dict[str, Any]) -> None:
    data = Codec(registry, SCHEMAS, SUBJECTS).encode("claim", claim)
    counting = CountingRegistry(registry)
    fresh = Codec(counting, SCHEMAS, SUBJECTS)  # a consumer process: cold caches
    for _ in range(5):
        assert fresh.decode(data, "claim")["claim_id"] == claim["claim_id"]
    assert counting.gets == 1


# --- encode errors and the JSON form -----------------------------------------------------------
def test_encode_error_names_the_field(codec: Codec, claim: dict[str, Any]) -> None:
    bad = copy.deepcopy(claim)
    del bad["header"]["ma_bn"]
    with pytest.raises(EncodeError, match=r"cannot encode claim: .*ma_bn"):
        codec.encode("claim", bad)
    bad = copy.deepcopy(claim)
    bad["services"][3]["so_luong"] = "two"
    with pytest.raises(EncodeError, match=r"so_luong.*'two'"):
        codec.encode("claim", bad)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("header", "ngay_vao"), "2025-03-01T08:30:00+07:00", r"\$.header.ngay_vao.*no offset"),
        (("submitted_at",), "2025-03-06T04:05:12", r"\$.submitted_at.*needs Z"),
        (("header", "gt_the_tu"), "01/01/2025", r"\$.header.gt_the_tu.*not a valid date"),
        (("header", "ma_the"), "DN4790123456789", r"\$.header: unknown field.*ma_the"),
    ],
)
def test_json_form_errors(path: tuple[str, ...], value: str, message: str) -> None:
    obj = example("claim/outpatient-acute-uri.json")
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=message):
        from_json(schema("claim"), obj)


def test_json_form_timestamps() -> None:
    card_schema = schema("decision")
    obj = example("decision/accept-outpatient.json")
    obj["decided_at"] = "2025-03-03T10:41:07.412+07:00"  # any offset; stored as UTC
    record = from_json(card_schema, obj)
    assert record["decided_at"] == datetime(2025, 3, 3, 3, 41, 7, 412000, tzinfo=UTC)
    assert to_json(card_schema, record)["decided_at"] == "2025-03-03T03:41:07.412Z"
    assert record["service_date"] == date(2025, 3, 3)


# --- schema evolution --------------------------------------------------------------------------
def test_event_written_with_the_old_schema_decodes_with_defaults(registry: FileRegistry) -> None:
    old = Codec(registry, V0_DIR, {"hi.claims-value": "claim"})  # a producer not yet upgraded
    v0 = from_json(schema("claim", V0_DIR), example("claim/_v0/outpatient-v0.json"))
    data = old.encode("hi.claims-value", v0)

    current = Codec(registry, SCHEMAS, SUBJECTS)
    current.encoder("claim")  # the upgraded producer registers version 2
    versions = registry.subjects()["hi.claims-value"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["id"] != versions[1]["id"]

    out = current.decode(data, "claim")
    assert out["lab_results"] == 0 and out["clinical_notes"] == 0  # the new fields' defaults
    assert [d["ngay_th_yl"] for d in out["drugs"]] == [None, None]
    assert out["header"] == v0["header"] and out["claim_id"] == v0["claim_id"]
    # and new events keep decoding with the same reader
    new = from_json(schema("claim"), example("claim/outpatient-acute-uri.json"))
    assert current.decode(current.encode("claim", new), "claim")["lab_results"] == 3


# --- file registry -----------------------------------------------------------------------------
def test_file_registry_ids_are_stable(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    reg = FileRegistry(path)
    claim_id = reg.register("hi.claims-value", schema("claim"))
    card_id = reg.register("hi.cards-value", schema("card"))
    assert (claim_id, card_id) == (1, 2)
    assert reg.register("hi.claims-value", schema("claim")) == claim_id  # identical: same id
    assert reg.register("other-value", schema("claim")) == claim_id  # ids are global
    reloaded = FileRegistry(path)
    assert reloaded.get(claim_id) == schema("claim")
    assert reloaded.register("hi.cards-value", schema("card")) == card_id
    assert reloaded.subjects() == reg.subjects()
    assert [p.name for p in tmp_path.iterdir()] == ["registry.json"]  # no temp file left


def test_file_registry_changed_schema_is_a_new_version(tmp_path: Path) -> None:
    reg = FileRegistry(tmp_path / "registry.json")
    first = reg.register("hi.cards-value", schema("card"))
    changed = schema("card")
    changed["fields"][0]["doc"] += " (changed)"
    second = reg.register("hi.cards-value", changed)
    assert second == first + 1
    assert [v["version"] for v in reg.subjects()["hi.cards-value"]] == [1, 2]
    assert FileRegistry(tmp_path / "registry.json").get(first) == schema("card")  # old kept


def test_file_registry_two_processes_keep_both(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    a, b = FileRegistry(path), FileRegistry(path)  # both read the (empty) file first
    card = a.register("hi.cards-value", schema("card"))
    entry = b.register("hi.catalog.drugs-value", schema("catalog_entry"))
    assert card != entry
    assert a.get(entry) == schema("catalog_entry")  # a re-reads on a miss
    both = FileRegistry(path).subjects()
    assert set(both) == {"hi.cards-value", "hi.catalog.drugs-value"}


def test_file_registry_unknown_and_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    with pytest.raises(SchemaNotFound, match="unknown schema id 7"):
        FileRegistry(path).get(7)
    path.write_text("{not json")
    with pytest.raises(RegistryError, match="not valid"):
        FileRegistry(path)


def test_registry_for_settings(tmp_path: Path) -> None:
    reg = registry_for(Settings(avro_dir=tmp_path, schema_registry_url=None))
    assert isinstance(reg, FileRegistry) and reg.path == tmp_path / "registry.json"


def test_bench_reports_figures(codec: Codec, claim: dict[str, Any]) -> None:
    figures = bench(codec, "claim", claim, n=5)
    assert figures["bytes"] == len(codec.encode("claim", claim))
    assert figures["encode_us"] > 0 and figures["decode_us"] > 0

"""avro/ is data: every example fits its schema and survives the codec; the catalogue is whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastavro import parse_schema
from fastavro.validation import validate

from streams.codec import Codec, from_json, load_subjects, to_json
from streams.kafka import topic_specs
from streams.registry import FileRegistry, fingerprint
from streams.settings import Settings

AVRO = Path(__file__).resolve().parents[3] / "avro"
SCHEMAS = AVRO / "schemas"
EXAMPLES = sorted(AVRO.glob("examples/*/*.json"))
V0_DIR = AVRO / "examples" / "claim" / "_v0"
TOPICS: list[dict[str, Any]] = yaml.safe_load((AVRO / "topics.yaml").read_text())["topics"]
CLAIMS_FAMILY = {"hi.claims", "hi.decisions", "hi.warnings", "hi.reviews"}
INTERNAL = {"hi.claims.dlq", "hi.sink.dlq", "hi.receipts", "hi.practice", "hi.amendments"}
# JSON events of the analytics side, documented in docs/fund-monitoring.md (no Avro schema).
ANALYTICS = {"hi.anomalies"}
REFERENCE = {"hi.catalog.drugs", "hi.catalog.services", "hi.catalog.supplies",
             "hi.catalog.staff", "hi.catalog.equipment", "hi.cards"}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def contains(expected: Any, actual: Any, path: str = "$") -> None:
    """Every value given in ``expected`` is in ``actual`` (which may add schema defaults)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        for key, value in expected.items():
            assert key in actual, f"{path}.{key} lost"
            contains(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            contains(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


@pytest.fixture(scope="module")
def codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    registry = FileRegistry(tmp_path_factory.mktemp("reg") / "registry.json")
    return Codec(registry, SCHEMAS, load_subjects(AVRO / "topics.yaml"))


def test_there_are_examples_for_every_schema() -> None:
    for schema in SCHEMAS.glob("*.avsc"):
        assert list((AVRO / "examples" / schema.stem).glob("*.json")), f"no example for {schema}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_validates(path: Path) -> None:
    schema = load(SCHEMAS / f"{path.parent.name}.avsc")
    assert validate(from_json(schema, load(path)), parse_schema(schema), raise_errors=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_round_trips_through_the_codec(codec: Codec, path: Path) -> None:
    name, example = path.parent.name, load(path)
    record = from_json(codec.schema(name), example)
    data = codec.encode(name, record)
    decoded = codec.decode(data, name)
    contains(record, decoded)
    contains(example, to_json(codec.schema(name), decoded))
    assert codec.encode(name, decoded) == data  # defaults filled in change nothing on the wire


def test_old_claim_example_fits_the_old_schema() -> None:
    schema = load(V0_DIR / "claim.avsc")
    for path in V0_DIR.glob("*.json"):
        assert validate(from_json(schema, load(path)), parse_schema(schema), raise_errors=True)


def walk_fields(schema: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, field) for every field of every record inside ``schema``."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, list):
        for branch in schema:
            found += walk_fields(branch, where)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            for field in schema["fields"]:
                found.append((f"{where}.{field['name']}", field))
                found += walk_fields(field["type"], f"{where}.{field['name']}")
        else:
            for key in ("type", "items", "values"):
                if isinstance(schema.get(key), dict | list):
                    found += walk_fields(schema[key], where)
    return found


@pytest.mark.parametrize("path", [*SCHEMAS.glob("*.avsc"), V0_DIR / "claim.avsc"],
                         ids=lambda p: p.name)
def test_every_field_has_a_doc(path: Path) -> None:
    fields = walk_fields(load(path), path.stem)
    assert len(fields) > 5
    undocumented = [where for where, field in fields if not field.get("doc", "").strip()]
    assert not undocumented, f"fields without doc: {undocumented}"


def test_topics_are_the_catalogue_of_contracts() -> None:
    names = [t["name"] for t in TOPICS]
    assert len(names) == len(set(names)), "duplicate topic"
    assert set(names) == CLAIMS_FAMILY | REFERENCE | INTERNAL | ANALYTICS
    for topic in TOPICS:
        for key in ("description", "key", "value", "schema", "partitions", "cleanup_policy",
                    "retention_ms", "producers", "consumers", "compatibility"):
            assert key in topic, f"{topic['name']} has no {key}"
        assert topic["producers"] and topic["consumers"], topic["name"]


def test_topic_schemas_exist_and_every_schema_is_used() -> None:
    used = set()
    for topic in TOPICS:
        schema = topic["schema"]
        if schema is None:
            # raw bytes of a bad event, the portal's receipts, the worker's internal re-keying,
            # the detector's JSON anomalies
            assert topic["name"] in INTERNAL | ANALYTICS
            continue
        assert schema["subject"] == f"{topic['name']}-value"  # TopicNameStrategy
        assert (AVRO / schema["file"]).is_file(), f"{topic['name']}: {schema['file']} missing"
        assert topic["compatibility"] == "BACKWARD"
        assert (AVRO / topic["examples"]).is_dir()
        used.add(Path(schema["file"]).stem)
    assert used == {p.stem for p in SCHEMAS.glob("*.avsc")}


def test_partitions_and_compaction() -> None:
    by_name = {t["name"]: t for t in TOPICS}
    for name in CLAIMS_FAMILY:
        assert by_name[name]["partitions"] == "settings.partitions"
        assert by_name[name]["cleanup_policy"] == "delete"
    for name in REFERENCE:
        assert by_name[name]["cleanup_policy"] == "compact"
    specs = {s["name"]: s for s in topic_specs(Settings(partitions=7, avro_dir=AVRO))}
    assert {specs[n]["partitions"] for n in CLAIMS_FAMILY} == {7}
    assert specs["hi.cards"]["config"]["cleanup.policy"] == "compact"


def test_committed_registry_holds_the_current_schemas(tmp_path: Path) -> None:
    """avro/registry.json pins the ids; a schema change must register (and commit) a new one."""
    copy = tmp_path / "registry.json"
    shutil.copy(AVRO / "registry.json", copy)
    before = copy.read_text()
    registry = FileRegistry(copy)
    for subject, name in load_subjects(AVRO / "topics.yaml").items():
        latest = registry.subjects()[subject][-1]
        assert latest["fingerprint"] == fingerprint(load(SCHEMAS / f"{name}.avsc")), (
            f"{subject}: avro/schemas/{name}.avsc changed; register it (avro/README.md)"
        )
    Codec(registry, SCHEMAS, load_subjects(AVRO / "topics.yaml")).register_all()
    assert copy.read_text() == before


def money(rows: list[dict[str, Any]], key: str) -> float:
    return sum(float(r[key]) for r in rows)


@pytest.mark.parametrize("path", sorted(AVRO.glob("examples/claim/*.json")), ids=lambda p: p.name)
def test_claim_examples_add_up(path: Path) -> None:
    """Examples are realistic: the header totals are the sums of the lines (MN01 passes)."""
    claim = load(path)
    h, lines = claim["header"], claim["drugs"] + claim["services"]
    supplies = [s for s in claim["services"] if s["ma_nhom"] in (10, 11)]
    assert abs(h["t_thuoc"] - money(claim["drugs"], "thanh_tien_bv")) <= 1
    assert abs(h["t_vtyt"] - money(supplies, "thanh_tien_bv")) <= 1
    for key in ("thanh_tien_bv", "thanh_tien_bh"):
        total = "t_tongchi_bv" if key == "thanh_tien_bv" else "t_tongchi_bh"
        assert abs(h[total] - money(lines, key)) <= 1
    for key in ("t_bntt", "t_bncct", "t_bhtt"):
        assert abs(h[key] - money(lines, key)) <= 1
    parts = h["t_bntt"] + h["t_bncct"] + h["t_bhtt"] + h["t_nguonkhac"]
    assert abs(h["t_tongchi_bv"] - parts) <= 1
    assert claim["person_key"] in (h["ma_the_bhyt"] or "") or claim["person_key"] == h["so_cccd"]


@pytest.mark.parametrize("path", sorted(AVRO.glob("examples/decision/*.json")),
                         ids=lambda p: p.name)
def test_decision_examples_balance(path: Path) -> None:
    decision = load(path)
    assert abs(decision["requested"] - decision["approved"] - decision["rejected"]) < 0.01
    rejected = sum(a["rejected"] for a in decision["adjustments"])
    if decision["outcome"] == "PARTIAL_REJECT":
        assert abs(rejected - decision["rejected"]) < 0.01

"""The examples of avro/ as the processes see them: wire bytes, decoded records, and the
catalog and card examples loaded as a worker's reference data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streams.codec import Codec, from_json, load_subjects
from streams.reference.catalog import CardRegistry, CatalogSnapshot
from streams.registry import FileRegistry

AVRO = Path(__file__).resolve().parents[3] / "avro"


def codec_in(directory: Path) -> Codec:
    """A codec with its own file registry (the committed avro/registry.json stays untouched)."""
    registry = FileRegistry(directory / "registry.json")
    return Codec(registry, AVRO / "schemas", load_subjects(AVRO / "topics.yaml"))


def example(codec: Codec, path: Path) -> tuple[bytes, dict[str, Any]]:
    """The example as a producer sends it (wire bytes) and as a consumer decodes it."""
    name = path.parent.name
    data = codec.encode(name, from_json(codec.schema(name), json.loads(path.read_text())))
    return data, codec.decode(data, name)


def reference(codec: Codec) -> tuple[CatalogSnapshot, CardRegistry]:
    catalog, cards = CatalogSnapshot(), CardRegistry()
    for path in AVRO.glob("examples/catalog_entry/*.json"):
        catalog.put(example(codec, path)[1])
    for path in AVRO.glob("examples/card/*.json"):
        cards.put(example(codec, path)[1])
    return catalog, cards

"""``hireview catalogs load``: national (or one facility's) lists from CSV or JSON files.

Rows are checked exactly like portal uploads (``streams.reference.rows``) and published to the
compacted ``hi.catalog.<kind>`` topics keyed by ``entry_key``, acknowledged by Kafka before the
summary is printed. As on the portal, an upload is all or nothing by default (see
``streams/portal/api/catalogs.py`` for why); ``--partial`` publishes the valid rows anyway.

``CatalogPublisher`` is also the portal's publisher.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from confluent_kafka import Producer

from streams.kafka import DeliveryFailed, catalog_topics, create_topics, deliver, producer
from streams.reference.catalog import entry_key
from streams.reference.rows import (
    KINDS,
    Entry,
    UploadError,
    check_rows,
    load_entry_schema,
    read_rows,
)
from streams.reference.values import RowFinding
from streams.settings import Settings

FACILITY = re.compile(r"[0-9A-Za-z]{5}")  # MA_CSKCB, as portal credentials scope it
_SHOWN = 20  # findings listed in the summary; the counts cover them all


class PublishFailed(RuntimeError):
    """Kafka did not acknowledge every row in time: the caller may retry the same rows (same
    keys, so the compacted topic keeps one value each)."""


class Publish(Protocol):
    def __call__(self, kind: str, entries: Sequence[Entry],
                 progress: Callable[[int], None] | None = None) -> None:
        """Publish records to hi.catalog.<kind>; return once all are acknowledged."""


class CatalogPublisher:
    """CatalogEntry records to ``hi.catalog.<kind>`` (Avro, key ``entry_key``), acks awaited."""

    def __init__(self, settings: Settings, kafka: Producer,
                 encode: Callable[[Mapping[str, Any]], bytes], timeout: float) -> None:
        self._topics = catalog_topics(settings)
        self._producer = kafka
        self._encode = encode
        self._timeout = timeout

    def __call__(self, kind: str, entries: Sequence[Entry],
                 progress: Callable[[int], None] | None = None) -> None:
        topic = self._topics[KINDS[kind]]
        items = [(entry_key(e).encode(), self._encode(e)) for e in entries]  # encode all first
        try:
            deliver(self._producer, topic, items, timeout=self._timeout, progress=progress)
        except DeliveryFailed as exc:
            raise PublishFailed(str(exc)) from exc


def kafka_publisher(settings: Settings, timeout: float) -> CatalogPublisher:
    """A publisher on its own acks=all producer (topics created when missing)."""
    from streams.codec import Codec

    create_topics(settings)
    encode = Codec.from_settings(settings).encoder("catalog_entry")
    return CatalogPublisher(settings, producer(settings), encode, timeout)


@dataclass
class LoadSummary:
    read: int = 0
    published: int = 0
    findings: list[RowFinding] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({f.row for f in self.findings})


def load_file(settings: Settings, kind: str, path: Path, *, facility: str = "",
              partial: bool = False, publish: Publish | None = None,
              out: Callable[[str], None] = print) -> LoadSummary:
    """Check and publish one file; ``UploadError`` when it cannot be read at all."""
    if facility and not FACILITY.fullmatch(facility):
        raise UploadError("bad_facility", f"--facility {facility!r}: expected a 5-character "
                          "MA_CSKCB (leave it out for the national list)")
    fmt = {".csv": "csv", ".json": "json"}.get(path.suffix.lower())
    if fmt is None:
        raise UploadError("unsupported_format", f"{path.name}: expected a .csv or .json file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UploadError("unreadable", f"{path}: {exc.strerror}") from None
    rows = read_rows(kind, data, fmt)
    total = len(rows)
    step = max(1000, total // 10)
    target = f"facility {facility}" if facility else "the national list"
    out(f"{path}: {total} {kind} rows for {target}")

    def report(label: str) -> Callable[[int], None]:
        return lambda n: out(f"  {label} {n}/{total}") if n % step == 0 else None

    checked = check_rows(kind, rows, facility, load_entry_schema(settings.avro_dir),
                         progress=report("checked"))
    summary = LoadSummary(read=checked.read, findings=checked.findings)
    entries = [e for _, e in checked.entries]
    if entries and (partial or not checked.findings):
        if publish is None:
            publish = kafka_publisher(settings, timeout=60.0)
        publish(kind, entries, report("published"))
        summary.published = len(entries)
    for line in summary_lines(summary, partial):
        out(line)
    return summary


def summary_lines(summary: LoadSummary, partial: bool) -> list[str]:
    lines = [f"rows read: {summary.read}, published: {summary.published}, "
             f"rejected: {summary.rejected}"]
    if summary.findings and not partial:
        lines.append("nothing published: the upload is all or nothing; fix the rows below "
                     "(or pass --partial to publish the valid rows)")
    counts = Counter((f.field, f.code) for f in summary.findings)
    lines += [f"  {n} x {name}: {code}" for (name, code), n in counts.most_common()]
    lines += [f"  {f}" for f in summary.findings[:_SHOWN]]
    if len(summary.findings) > _SHOWN:
        lines.append(f"  ... and {len(summary.findings) - _SHOWN} more finding(s)")
    return lines


def run_load(settings: Settings, kind: str, path: Path, facility: str = "",
             partial: bool = False) -> int:
    """The CLI command: 0 all rows published, 1 some rows rejected, 2 nothing readable."""
    try:
        summary = load_file(settings, kind, path, facility=facility, partial=partial)
    except (UploadError, PublishFailed) as exc:
        print(f"hireview catalogs load: {exc}", file=sys.stderr)
        return 2
    return 1 if summary.findings else 0

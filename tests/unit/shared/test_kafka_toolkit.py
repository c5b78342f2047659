"""streams.kafka without a broker: the topic lookups read avro/topics.yaml, dead-letter headers,
and the delivery tracking of ``Outbox``/``deliver`` on a producer with a tiny local queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.kafka import (
    DETAIL_LIMIT,
    DeliveryFailed,
    Outbox,
    catalog_topics,
    dead_letter_headers,
    deliver,
    topic_schemas,
)
from streams.reference.rows import KINDS
from streams.settings import Settings

AVRO = Path(__file__).resolve().parents[3] / "avro"
TOPICS: list[dict[str, Any]] = yaml.safe_load((AVRO / "topics.yaml").read_text())["topics"]


# --- topic lookups ---------------------------------------------------------------------------
def test_topic_schemas_cover_every_topic_with_a_schema_under_the_prefix() -> None:
    schemas = topic_schemas(Settings(avro_dir=AVRO, topic_prefix="t1."))
    with_schema = {t["name"] for t in TOPICS if t["schema"]}
    assert set(schemas) == {f"t1.{n}" for n in with_schema}
    assert schemas["t1.hi.claims"] == "claim" and schemas["t1.hi.decisions"] == "decision"
    assert schemas["t1.hi.cards"] == "card" and schemas["t1.hi.catalog.staff"] == "catalog_entry"
    assert "t1.hi.receipts" not in schemas  # JSON, no schema


def test_every_catalog_kind_has_its_topic() -> None:
    topics = catalog_topics(Settings(avro_dir=AVRO, topic_prefix="t2."))
    assert set(topics) == set(KINDS.values())  # every kind an upload can carry
    assert {kind: topics[entry] for kind, entry in KINDS.items()} == {
        kind: f"t2.hi.catalog.{kind}" for kind in KINDS}


def test_lookups_follow_the_file_not_a_table_in_the_code(tmp_path: Path) -> None:
    data = {"topics": [dict(t) for t in TOPICS]}
    for t in data["topics"]:
        if t["name"] == "hi.catalog.drugs":
            t["name"], t["schema"] = "hi.medicines", {"file": "schemas/medicine.avsc"}
    (tmp_path / "topics.yaml").write_text(yaml.safe_dump(data))
    settings = Settings(avro_dir=tmp_path)
    assert catalog_topics(settings)["DRUG"] == "hi.medicines"
    assert topic_schemas(settings)["hi.medicines"] == "medicine"
    assert "hi.catalog.drugs" not in topic_schemas(settings)


# --- dead-letter headers ---------------------------------------------------------------------
def test_dead_letter_headers_say_why_and_where_from() -> None:
    headers = dead_letter_headers("avro_decode", ValueError("bad union index 7"), "t.hi.claims",
                                  3, 1042)
    assert headers == [("reason", b"avro_decode"), ("detail", b"bad union index 7"),
                       ("topic", b"t.hi.claims"), ("partition", b"3"), ("offset", b"1042")]


def test_dead_letter_detail_is_bounded() -> None:
    long = "Trường không hợp lệ; " * 500  # well past the limit, multi-byte text
    detail = dict(dead_letter_headers("invalid_record", long, "t", 0, 0))["detail"].decode()
    assert len(long) > DETAIL_LIMIT and len(detail) == DETAIL_LIMIT
    assert detail.endswith("…") and long.startswith(detail[:-1])
    short = dict(dead_letter_headers("x", "exactly" * 10, "t", 0, 0))["detail"]
    assert short == b"exactly" * 10


# --- delivery tracking -----------------------------------------------------------------------
class TinyQueue:
    """A producer whose local queue holds ``capacity`` messages: ``produce`` raises
    ``BufferError`` when it is full, and a poll that may block answers one message (keys in
    ``hold`` never get an answer, keys in ``fail`` fail)."""

    def __init__(self, capacity: int, hold: frozenset[bytes] = frozenset(),
                 fail: frozenset[bytes] = frozenset()) -> None:
        self.capacity, self.hold, self.fail = capacity, hold, fail
        self.queue: list[tuple[str, bytes | None, Any]] = []
        self.acked: list[tuple[str, bytes | None]] = []
        self.full = 0  # how often produce found the queue full

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                headers: Any = None, on_delivery: Any = None) -> None:
        if len(self.queue) >= self.capacity:
            self.full += 1
            raise BufferError("Local: Queue full")
        self.queue.append((topic, key, on_delivery))

    def poll(self, timeout: float = -1) -> int:
        if timeout == 0:
            return 0  # nothing answered yet
        for i, (topic, key, callback) in enumerate(self.queue):
            if key not in self.hold:
                del self.queue[i]
                failed = key in self.fail
                callback("broker said no" if failed else None, None)
                if not failed:
                    self.acked.append((topic, key))
                return 1
        return 0


def test_deliver_survives_a_full_local_queue() -> None:
    prod = TinyQueue(capacity=3)
    items = [(f"k{i}".encode(), b"v") for i in range(50)]
    assert deliver(prod, "t", items, timeout=5) == 50  # type: ignore[arg-type]
    assert prod.full > 0, "the queue never filled: the test proves nothing"
    assert prod.acked == [("t", k) for k, _ in items]  # all of them, in order


def test_a_wait_waits_for_its_own_messages_only() -> None:
    prod: Any = TinyQueue(capacity=100, hold=frozenset({b"other"}))
    theirs, mine = Outbox(prod, "claims"), Outbox(prod, "receipts")
    theirs.send(b"other", b"1")  # another request's message, never answered here
    mine.send(b"a", b"2")
    mine.send(b"b", b"3")
    assert mine.wait(timeout=5) == 2
    with pytest.raises(DeliveryFailed, match=r"claims: 1 message\(s\) not delivered: "
                                             r"1 unacknowledged after 0.05s") as info:
        theirs.wait(timeout=0.05)
    assert info.value.unacknowledged == 1 and info.value.failed == []


def test_failures_name_topic_and_count_and_are_handed_back() -> None:
    prod: Any = TinyQueue(capacity=2, fail=frozenset({b"k1", b"k3"}))
    with pytest.raises(DeliveryFailed, match=r"hi.cards: 2 message\(s\) not delivered: "
                                             r"2 failed \(first: broker said no\)") as info:
        deliver(prod, "hi.cards", [(f"k{i}".encode(), b"v") for i in range(5)], timeout=5,
                headers=[("h", b"1")])
    assert [m[0] for m in info.value.failed] == [b"k1", b"k3"]
    assert all(m[2] == [("h", b"1")] for m in info.value.failed)  # enough to send them again
    assert len(prod.acked) == 3

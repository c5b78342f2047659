"""Receipts: which version of each claim the portal accepted, and appraiser unlocks.

One ``Receipt`` per claim key ``facility|ma_lk`` (the latest accepted version). Kept in the
compacted topic ``hi.receipts`` (JSON value, key ``facility|ma_lk``): read to the end into memory
at start-up (``load_receipts``), and every change is written with acks=all before the portal
answers. A single portal instance owns the topic: two instances would each hand out versions
from their own memory (a second instance needs a partitioned owner, not built yet).

Order of writes for a submission (see service.py): the claim event is acknowledged on
``hi.claims`` first, then the receipt. A crash in between loses only the receipt: the resent
claim gets the same version again and the same (facility, claim_id, version) event is published
twice, which the sink and ClickHouse collapse. The other order could acknowledge a receipt for a
claim Kafka never got, and a resubmission would then be answered "duplicate" and lost.

An unlock (``unlocked_version``) lets the next submission replace that version although its
appraisal started (Decision 1553); a new version clears it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace

from confluent_kafka import Consumer, Message, Producer

from streams.claim import claim_key
from streams.kafka import DeliveryFailed, deliver, read_to_end
from streams.settings import Settings

TOPIC = "hi.receipts"
Write = Callable[[list[tuple[str, bytes]]], None]  # (key, JSON value) pairs, acknowledged


class ReceiptWriteFailed(Exception):
    """The receipt log did not acknowledge a write in time."""


@dataclass(frozen=True)
class Receipt:
    facility: str
    claim_id: str
    version: int
    content_hash: str
    receipt: str
    person_key: str
    submitted_at: str  # ISO-8601 UTC of the accepted version
    unlocked_version: int | None = None
    unlocked_by: str | None = None
    unlocked_at: str | None = None

    @property
    def key(self) -> str:
        return claim_key(self.facility, self.claim_id)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Receipt:
        raw = json.loads(data)
        return cls(**{k: raw.get(k) for k in cls.__dataclass_fields__})


def receipt_id(facility: str, claim_id: str, version: int, content_hash: str) -> str:
    """Deterministic: the same accepted content under the same version has the same receipt."""
    text = f"{facility}|{claim_id}|{version}|{content_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class ReceiptStore:
    """The in-memory receipts, written through to ``write`` (the topic) before they change."""

    def __init__(self, write: Write, receipts: Iterable[Receipt] = ()) -> None:
        self._write = write
        self._by_key = {r.key: r for r in receipts}
        self._unwritten: list[Receipt] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, facility: str, claim_id: str) -> Receipt | None:
        return self._by_key.get(claim_key(facility, claim_id))

    def put(self, receipts: list[Receipt]) -> None:
        """Persist then remember; raises ``ReceiptWriteFailed`` (memory unchanged) on failure.
        Receipts of delivered claims not yet written (``put_delivered``) go first."""
        if not receipts and not self._unwritten:
            return
        with self._lock:
            batch = self._unwritten + receipts
            self._write([(r.key, r.to_json()) for r in batch])
            self._unwritten = []
            for r in receipts:
                self._by_key[r.key] = r

    def put_delivered(self, receipts: list[Receipt]) -> None:
        """The receipts of claims already delivered: remembered even when the write fails
        (raised after), so this process never gives their version to other content; the
        write is retried before the next one."""
        if not receipts:
            return
        try:
            self.put(receipts)
        except ReceiptWriteFailed:
            with self._lock:
                for r in receipts:
                    self._by_key[r.key] = r
                self._unwritten.extend(receipts)
            raise

    @property
    def unwritten(self) -> int:
        """Receipts of delivered claims still to be written to the topic."""
        return len(self._unwritten)

    def unlock(self, facility: str, claim_id: str, *, by: str, at: str) -> Receipt | None:
        """Allow the current version to be replaced; ``None`` when the claim is unknown."""
        current = self.get(facility, claim_id)
        if current is None:
            return None
        unlocked = replace(current, unlocked_version=current.version, unlocked_by=by,
                           unlocked_at=at)
        self.put([unlocked])
        return unlocked


# --- Kafka ---------------------------------------------------------------------------------
def kafka_writer(settings: Settings, producer: Producer, timeout: float) -> Write:
    """A ``Write`` producing to ``hi.receipts`` and waiting (bounded) for its own acks."""
    topic = settings.topic(TOPIC)

    def write(items: list[tuple[str, bytes]]) -> None:
        try:
            deliver(producer, topic, ((k.encode("utf-8"), v) for k, v in items), timeout=timeout)
        except DeliveryFailed as exc:
            raise ReceiptWriteFailed(str(exc)) from exc

    return write


def load_receipts(settings: Settings, write: Write, timeout: float = 60.0) -> ReceiptStore:
    """Read ``hi.receipts`` from the beginning to its current end into a ``ReceiptStore``."""
    name = settings.topic(TOPIC)
    consumer = Consumer({"bootstrap.servers": settings.bootstrap,
                         "group.id": f"hireview-portal-load-{name}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    latest: dict[str, Receipt | None] = {}

    def apply(msg: Message) -> None:
        value = msg.value()
        latest[(msg.key() or b"").decode("utf-8")] = (Receipt.from_json(value) if value
                                                      else None)  # null = tombstone

    try:
        read_to_end(consumer, [name], apply, timeout)
    finally:
        consumer.close()
    return ReceiptStore(write, [r for r in latest.values() if r is not None])

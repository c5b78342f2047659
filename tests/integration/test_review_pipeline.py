"""A review through the running pipeline: REAL Kafka, the worker and sink as processes, REAL
ClickHouse. A claim is appraised; an appraiser's review on hi.reviews becomes the next revision,
attributed to them, in decision_revisions and decisions, and rule_quality counts its verdicts;
a second review made on the old revision is stale and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.decision import hit_keys
from streams.clickhouse import db
from streams.codec import Codec
from streams.kafka import create_topics, publish
from streams.ops.procs import Child, wait_for
from streams.settings import Settings
from streams.sim.publish import publish_reference
from tests.integration.records import records
from tests.integration.test_pipeline import counter
from tests.unit.shared.examples import AVRO, example

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]
CLAIM = AVRO / "examples" / "claim" / "inpatient-pneumonia-20-lines.json"


def test_a_review_is_the_appraisers_revision_in_clickhouse(isolated: Settings,
                                                           tmp_path: Path) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    create_topics(isolated)
    codec = Codec.from_settings(isolated)
    entries = [example(codec, p)[1] for p in AVRO.glob("examples/catalog_entry/*.json")]
    cards = [example(codec, p)[1] for p in AVRO.glob("examples/card/*.json")]
    publish_reference(isolated, codec, entries, cards)
    data, claim = example(codec, CLAIM)
    publish(isolated, isolated.topic("hi.claims"), [(claim["person_key"].encode(), data)])
    client = db.connect(isolated)
    worker, sink = Child(isolated, "worker", tmp_path), Child(isolated, "sink", tmp_path)
    children = (worker, sink)
    wait_for(lambda: client.execute("SELECT count() FROM decision_revisions")[0][0] > 0, 180,
             "the claim's first revision stored", children=children)
    (first,) = records(isolated, codec, "hi.decisions", "decision")
    keys = hit_keys(first["hits"])
    price = next(k for k in keys if k.startswith("CT02|"))  # the rules cut a price: cleared
    warning = [k for k, h in zip(keys, first["hits"], strict=True)
               if h["severity"] == "WARNING"]
    assert warning, first["hits"]
    amounts = dict(zip(keys, (h["amount"] for h in first["hits"]), strict=True))

    def review(verdicts: dict[str, str], base: int) -> tuple[bytes, bytes]:
        record = {"review_id": uuid.uuid4().hex, "facility": claim["facility"],
                  "claim_id": claim["claim_id"], "version": claim["version"],
                  "person_key": claim["person_key"], "base_revision": base,
                  "action": "CLEAR_HITS", "actor": "lan", "actor_role": "province",
                  "note": "giá thuốc đúng theo kết quả đấu thầu", "at": datetime.now(UTC),
                  "request_id": None, "due": None, "proposal": None, "lines": [],
                  "attachments": [],
                  "hits": [{"key": k, "code": k.split("|")[0], "amount": amounts[k],
                            "verdict": v} for k, v in verdicts.items()]}
        return claim["person_key"].encode(), codec.encoder("review")(record)

    applied = review({price: "CLEARED", **dict.fromkeys(warning, "CONFIRMED")},
                     first["revision"])
    # Made on the same (by then old) revision: stale. Its CLEARED verdicts must not count.
    stale = review(dict.fromkeys(warning, "CLEARED"), first["revision"])
    publish(isolated, isolated.topic("hi.reviews"), [applied, stale])
    try:
        wait_for(lambda: counter(isolated.worker_web_port, "hireview_reviews_total") >= 2
                 and client.execute("SELECT count() FROM reviews")[0][0] >= 2
                 and client.execute("SELECT count() FROM decision_revisions FINAL")[0][0] >= 2,
                 120, "both reviews seen, the new revision stored", children=children)
    finally:
        worker.stop()
        sink.stop()

    revisions = client.execute(
        "SELECT revision, reviewed_by, rejected FROM decision_revisions FINAL ORDER BY revision")
    assert [(r, by) for r, by, _ in revisions] == [(1, ""), (2, "lan")]
    cut = next(h["amount"] for h in first["hits"] if h["code"] == "CT02")
    assert float(revisions[1][2]) == pytest.approx(first["rejected"] - cut)
    assert client.execute("SELECT revision, reviewed_by, outcome FROM decisions FINAL") == [
        (2, "lan", "PARTIAL_REJECT")]
    (second,) = records(isolated, codec, "hi.decisions", "decision")[1:]
    assert second["cleared"] == [price] and set(second["settled"]) == {price, *warning}
    rows, columns = client.execute("SELECT * FROM rule_quality ORDER BY code",
                                   with_column_types=True)
    quality = {r[0]: dict(zip([c[0] for c in columns], r, strict=True)) for r in rows}
    assert quality["CT02"]["reviewed"] == 1 and quality["CT02"]["cleared"] == 1
    assert quality["CT02"]["cleared_share"] == 1.0
    for code in {k.split("|")[0] for k in warning}:
        assert (quality[code]["confirmed"], quality[code]["cleared"]) == (1, 0), quality[code]

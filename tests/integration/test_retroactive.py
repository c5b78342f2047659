"""A retroactive rule change, end to end through the REAL Kafka and ClickHouse.

Claims are appraised by a worker running lenient rules (CT02 never rejects a price). The rules
then change (the worker's parameter file is the published one again, whose CT02 version is in
force on those dates). ``hireview replay --retroactive --apply`` finds the range, replays it and
re-sends the changed claims with the ``reappraise`` header; the worker, restarted on the new
rules, issues new decision revisions that land in ClickHouse; unchanged claims keep theirs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest

from rules.engine import Engine
from streams.clickhouse import db
from streams.ops.procs import Child, wait_for
from streams.replay.run import command
from streams.settings import Settings
from streams.sim.publish import simulate_and_publish
from tests.integration.test_pipeline import current_decisions
from tests.integration.test_replay import lenient_ct02

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]


def revisions(settings: Settings) -> dict[tuple[str, str, int], tuple[int, str, frozenset[str]]]:
    rows = db.connect(settings).execute(
        "SELECT facility, claim_id, version, revision, rules_version, hit_codes "
        "FROM decisions FINAL")
    return {(f, c, int(v)): (int(r), rv, frozenset(h)) for f, c, v, r, rv, h in rows}


def stable(settings: Settings, n: int) -> bool:
    return len(current_decisions(settings)) == n


def test_retroactive_change_reaches_the_stored_decisions(isolated: Settings,
                                                         tmp_path: Path) -> None:
    db.migrate(isolated, progress=lambda _m: None)
    lenient = isolated.model_copy(update={"rules_params": lenient_ct02(tmp_path)})
    with contextlib.redirect_stdout(io.StringIO()):
        sim = simulate_and_publish(isolated, claims=600, rate=0, violations=0.5, seed=11)
    n = len(sim.claims)
    priced = {(c.claim["facility"], c.claim["claim_id"], c.claim["version"])
              for c in sim.claims if "CT02" in c.labels}
    assert priced

    sink = Child(isolated, "sink", tmp_path)
    worker = Child(lenient, "worker", tmp_path / "lenient")
    try:
        wait_for(lambda: stable(isolated, n), 300, "the lenient decisions",
                 children=(worker, sink))
        worker.stop()
        before = revisions(isolated)
        assert not any("CT02" in codes for _, _, codes in before.values())
        wait_for(lambda: db.connect(isolated).execute(
            "SELECT count() FROM claim_payloads FINAL")[0][0] >= n, 60, "stored claims",
            children=(sink,))

        out = io.StringIO()
        args = argparse.Namespace(retroactive=True, apply=True, rules=None, date_from=None,
                                  date_to=None, facility=None, workers=1)
        with contextlib.redirect_stdout(out):
            assert command(isolated, args) == 0
        assert "retroactive: CT02" in out.getvalue(), out.getvalue()

        worker = Child(isolated, "worker", tmp_path / "current")  # the published rules
        current = Engine.load().version

        def reappraised() -> bool:
            now = revisions(isolated)
            return all(now[k][0] > before[k][0] and "CT02" in now[k][2] for k in priced)

        wait_for(reappraised, 300, "new revisions of the re-priced claims",
                 children=(worker, sink))
    finally:
        worker.stop()
        sink.stop()

    after = revisions(isolated)
    assert set(after) == set(before)
    for key in priced:
        revision, rules_version, codes = after[key]
        assert revision == before[key][0] + 1 and rules_version == current, key
    changed = {k for k in after if after[k] != before[k]}
    assert changed >= priced
    # Claims the new rules judge as before keep their decision and revision.
    untouched = [k for k in after if k not in changed]
    assert untouched and all(after[k][0] == before[k][0] for k in untouched)

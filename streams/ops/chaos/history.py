"""What a clean sequential appraisal of the run's stored claims decides, to compare with the
worker's current decisions ("decided on incomplete history").

Why this is the measure: the worker's decision on a claim is a function of the claim, the rules,
the reference data and the person's earlier claims in arrival order (the history). The replay
core (streams.replay.core) computes that same function with the worker's own ``appraise``,
person by person in arrival order, from the claims the sink stored. In a chaos run the rules
and the reference data do not change, so when a current decision differs from the replayed
one, the worker decided with another history than the true one: a claim it had skipped or not
yet seen (a skip, a late arrival), a visit it lost, or one it saw twice.

Limits:
- Shift rules (a practitioner at two facilities at once) are judged by the practitioner stage
  across persons and added by amendment; the replay does not reproduce them, so their hits are
  left out of both sides (the simulator's labels, the "wrong" figure, do cover them). Partner
  amendments (overlapping stays) are within a person and are compared.
- Hits are compared as (code, table, line, amount); outcome and amounts follow from them.
- Arrival order is ``submitted_at`` (seconds) per person, the order the simulator sends in;
  two claims of one person within a second may be ordered differently from Kafka's.
- The replay reads what the sink stored: a claim the sink lost is missing from the replayed
  history too (it is counted as lost, and its person's later claims may differ).
"""

from __future__ import annotations

from datetime import date

from streams.clickhouse import db
from streams.codec import Codec
from streams.ops.chaos.count import Hits, Identity, cents
from streams.replay.core import Replayer, replay_all
from streams.replay.store import Scope, read_shard
from streams.ruleset import current_engine
from streams.settings import Settings
from streams.sim.generate import Simulation
from streams.sink.payload_json import load_layout
from streams.worker.processor import Enrichment


def ignored_codes(settings: Settings) -> frozenset[str]:
    """Codes of the shift rules: a cross-person stage the replay does not reproduce."""
    from rules.cross_claim import ShiftRule

    return frozenset(r.meta.code for r in current_engine(settings).rules
                     if isinstance(r, ShiftRule))


def replayed_hits(settings: Settings, sim: Simulation) -> dict[Identity, Hits]:
    """Hits (without ``ignored_codes``) of a clean replay of every stored claim of the run, with the
    ``current`` rules and the simulation's catalogs and cards (what the worker was fed)."""
    catalog, cards = sim.indexes()
    ref = Enrichment(current_engine(settings), catalog, cards, settings.history_keep_days,
                     settings.history_min_visits)
    ignored = ignored_codes(settings)
    codec = Codec.from_settings(settings)
    layout = load_layout(codec.schemas_dir)
    client = db.client(settings)
    try:
        first, last = client.execute(
            "SELECT min(service_date), max(service_date) FROM claim_payloads")[0]
        if not isinstance(first, date) or first.year < 1971:  # empty table: default dates
            return {}
        scope = Scope(first, last, "", seed_days=0)
        replayer = Replayer(lambda data: codec.decode(data, "claim"), ref, "chaos",
                            layout=layout)
        stream = read_shard(client, scope, 1, 0, layout.tag if layout else "")
        out: dict[Identity, Hits] = {}
        for rows in replay_all(replayer, stream, 5000):
            for r in rows:
                hits = zip(r["hit_code"], r["hit_table"], r["hit_line"], r["hit_amount"],
                           strict=True)
                out[(r["facility"], r["claim_id"], int(r["version"]))] = tuple(sorted(
                    (code, table, int(line), cents(amount)) for code, table, line, amount in hits
                    if code not in ignored))
        return out
    finally:
        client.disconnect()

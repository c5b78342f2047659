"""``hireview bench rules``: the rule catalogue's cost per claim, and replay throughput.

Three figures, each printed with how it was made:
- the engine on the base claim scaled to 20 lines (the issue's yardstick), clean path;
- the engine on a realistic mix: simulated claims (10 % with a violation) each with the
  person's history as the worker would have it, so cross-claim rules see real histories;
- a real ``hireview replay`` of stored claims (streams.bench.replay) with 1 and N processes.
"""

from __future__ import annotations

import json
import time
from typing import Any

from rules.cases import base_case
from rules.context import Context
from rules.engine import Engine
from streams.bench.engine import measure, scaled
from streams.settings import Settings
from streams.worker.processor import Enrichment, appraise


def mix_figures(claims: int, seed: int = 7) -> dict[str, float]:
    """µs per claim of ``Engine.evaluate`` over simulated claims with their histories."""
    from streams.sim.generate import generate

    sim = generate(claims, seed=seed, violations=0.1)
    catalog, cards = sim.indexes()
    engine = Engine.load()
    ref = Enrichment(engine, catalog, cards)
    visits: dict[str, Any] = {}
    contexts = []
    for sc in sim.claims:
        person = sc.claim["person_key"]
        before = visits.get(person, [])
        contexts.append(Context(sc.claim, catalog, cards, tuple(before)))
        visits[person] = appraise(sc.claim, before, ref).visits
    lines = sum(len(c.claim["drugs"]) + len(c.claim["services"]) for c in contexts)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for ctx in contexts:
            engine.evaluate(ctx)
        best = min(best, time.perf_counter() - started)
    return {"claims": float(len(contexts)), "lines_per_claim": round(lines / len(contexts), 2),
            "us_per_claim": round(best / len(contexts) * 1e6, 1),
            "us_per_line": round(best / lines * 1e6, 2)}


def run_rules_bench(settings: Settings, *, claims: int = 20000, workers: int = 2,
                    mix: int = 5000, replay: bool = True, as_json: bool = False) -> int:
    engine = Engine.load()
    case = base_case()
    ctx = case.context()
    twenty = measure(engine, [scaled(case.claim, 20)], ctx.catalog, ctx.cards, min_seconds=1.0)
    figures: dict[str, Any] = {
        "rules": len(engine.rules),
        "rules_version": engine.version,
        "twenty_line_claim": {k: round(v, 1) for k, v in twenty.items()},
        "realistic_mix": mix_figures(mix),
    }
    if replay:
        from streams.bench.replay import bench_replay

        figures["replay"] = [bench_replay(settings, claims, n) for n in sorted({1, workers})]
    if as_json:
        print(json.dumps(figures, indent=2))
        return 0
    t, m = figures["twenty_line_claim"], figures["realistic_mix"]
    print(f"rule catalogue: {figures['rules']} rules ({figures['rules_version']})")
    print(f"20-line claim, clean:   {t['us_per_claim']:8.1f} µs/claim "
          f"({t['us_per_line']:.2f} µs/line; with decision {t['us_per_claim_with_decision']} µs)")
    print(f"realistic mix:          {m['us_per_claim']:8.1f} µs/claim over {m['claims']:.0f} "
          f"claims of {m['lines_per_claim']} lines with their histories")
    for r in figures.get("replay", []):
        print(f"replay, {r['workers']} process(es): {r['replay_claims_per_s']:8,} claims/s over "
              f"{r['claims']:,} stored claims (decode {r['decode_us_per_claim']} µs, appraise "
              f"{r['appraise_us_per_claim']} µs per claim; changed with unchanged rules: "
              f"{r['affected_with_unchanged_rules']})")
    return 0

"""Measure the engine alone: microseconds per claim on the hot path.

``python -m streams.bench.engine [LINES]`` times the clean base claim scaled to about LINES
lines (default 20) with the real catalog and card indexes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rules.context import Cards, Catalog, Context
from rules.decision import decide
from rules.engine import Engine

Record = dict[str, Any]
_MONEY = ("t_thuoc", "t_vtyt", "t_tongchi_bv", "t_tongchi_bh", "t_bntt", "t_bncct", "t_bhtt",
          "t_nguonkhac", "t_bhtt_gdv")


def measure(
    engine: Engine,
    claims: Sequence[Record],
    catalog: Catalog,
    cards: Cards,
    history: Sequence[Record] = (),
    min_seconds: float = 0.5,
) -> dict[str, float]:
    """Time ``engine.evaluate`` (and evaluate + decide) over ``claims``, repeated for at least
    ``min_seconds``; figures are per claim and per line."""
    if not claims:
        raise ValueError("claims: need at least one claim to measure")
    contexts = [Context(claim=c, catalog=catalog, cards=cards, history=history) for c in claims]
    lines = sum(len(c["drugs"]) + len(c["services"]) for c in claims)
    hits = sum(len(engine.evaluate(ctx)) for ctx in contexts)  # warm-up (plan cache, imports)
    evaluate = _time(lambda ctx: engine.evaluate(ctx), contexts, min_seconds)
    now = datetime.now(UTC)
    full = _time(
        lambda ctx: decide(ctx.claim, engine.evaluate(ctx), engine.version, now),
        contexts, min_seconds,
    )
    return {
        "claims": float(len(claims)),
        "lines_per_claim": lines / len(claims),
        "hits": float(hits),
        "us_per_claim": evaluate,
        "us_per_line": evaluate * len(claims) / lines if lines else 0.0,
        "us_per_claim_with_decision": full,
    }


def _time(run: Any, contexts: list[Context], min_seconds: float) -> float:
    """Median over 5 rounds of the mean µs per claim; each round lasts ~min_seconds/5."""
    per_round = max(min_seconds / 5, 0.01)
    samples = []
    for _ in range(5):
        n, started = 0, time.perf_counter()
        while True:
            for ctx in contexts:
                run(ctx)
            n += len(contexts)
            elapsed = time.perf_counter() - started
            if elapsed >= per_round:
                break
        samples.append(elapsed / n * 1e6)
    return sorted(samples)[2]


_LINE_MONEY = ("thanh_tien_bv", "thanh_tien_bh", "t_bhtt", "t_bncct", "t_bntt", "t_nguonkhac")


def scaled(claim: Record, lines: int) -> Record:
    """``claim`` with its lines repeated to about ``lines`` lines; totals scaled to match."""
    have = len(claim["drugs"]) + len(claim["services"])
    factor = max(1, round(lines / have)) if have else 1
    header = dict(claim["header"])
    for name in _MONEY:
        header[name] = header[name] * factor
    # One visit pays one consultation (CL05): the copies of a consultation become copies of the
    # first drug line carrying the same money (quantity adjusted at the drug's own price).
    once = [row for row in claim["services"] if row["ma_nhom"] == 13]
    others = [row for row in claim["services"] if row["ma_nhom"] != 13]
    extra: list[Record] = []
    if claim["drugs"]:
        drug = claim["drugs"][0]
        for row in once * (factor - 1):
            extra.append({**drug, **{k: row[k] for k in _LINE_MONEY},
                          "so_luong": round(row["thanh_tien_bv"] / drug["don_gia"], 3)})
            header["t_thuoc"] += row["thanh_tien_bv"]
    else:
        others = claim["services"]
        once = []
    drugs = [{**row, "stt": i + 1} for i, row in enumerate(claim["drugs"] * factor + extra)]
    services = [{**row, "stt": i + 1} for i, row in enumerate(once + others * factor)]
    return {**claim, "header": header, "drugs": drugs, "services": services}


def main(argv: Sequence[str] | None = None) -> int:
    from rules.cases import base_case

    args = list(sys.argv[1:] if argv is None else argv)
    lines = int(args[0]) if args else 20
    case = base_case()
    ctx = case.context()
    claim = scaled(case.claim, lines)
    figures = measure(Engine.load(), [claim], ctx.catalog, ctx.cards)
    for key, value in figures.items():
        print(f"{key:28} {value:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

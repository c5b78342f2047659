"""The printed lines of a chaos campaign: one per run and a summary."""

from __future__ import annotations

from collections.abc import Sequence

from streams.ops.chaos.run import RunResult

FIGURES = ("sent", "acked", "decided", "lost", "stuck", "duplicated", "out_of_order",
           "incomplete_history", "wrong")
_SHORT = {"duplicated": "dup", "out_of_order": "ooo", "incomplete_history": "incomplete"}


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _recovery(result: RunResult) -> str:
    parts = []
    for kind, values in result.recovery.items():
        shown = "/".join("-" if v is None else f"{v:g}" for v in values)
        parts.append(f"{kind} {shown}s")
    return ", ".join(parts) or "-"


def _lag(r: RunResult) -> str:
    behind = [f"{stage} {n}" for stage, n in r.lag.items() if n]
    return f" (lag {', '.join(behind)})" if behind else ""


def line(r: RunResult, runs: int) -> str:
    head = f"run {r.index}/{runs} seed {r.seed}:"
    if r.error is not None and not r.figures:
        return f"{head} FAILED {r.error} (logs: {r.log_dir})"
    figures = " ".join(f"{_SHORT.get(k, k)} {r.figures.get(k, 0)}" for k in FIGURES)
    f = r.faults
    faults = (f"kills worker {f.get('worker', 0)} early {f.get('early', 0)} sink "
              f"{f.get('sink', 0)} broker {f.get('broker', 0)} clickhouse "
              f"{f.get('clickhouse', 0)}; crashes {sum(r.crashes.values())}")
    text = (f"{head} {figures} | offset gaps {_num(r.offset_gaps)} audit undecided "
            f"{_num(r.audit_undecided)} gauge {_num(r.undecided_gauge)} | recovery "
            f"{_recovery(r)} | {faults} | {r.settle}{_lag(r)}, {r.seconds:g}s | "
            f"{'clean' if r.clean else 'NOT CLEAN'} (logs: {r.log_dir})")
    return text + (f" FAILED {r.error}" if r.error else "")


def summary(results: Sequence[RunResult]) -> str:
    if not results:
        return "summary: no run finished"
    parts = []
    for k in FIGURES:
        total = sum(r.figures.get(k, 0) for r in results)
        hit = sum(1 for r in results if r.figures.get(k, 0))
        parts.append(f"{_SHORT.get(k, k)} {total}" + (f" ({hit} runs)" if k not in
                                                        ("sent", "acked", "decided") else ""))
    gaps = [r.offset_gaps for r in results if r.offset_gaps is not None]
    audit = sum(r.audit_undecided or 0 for r in results)
    worst: dict[str, float] = {}
    for r in results:
        for kind, values in r.recovery.items():
            for v in values:
                if v is not None:
                    worst[kind] = max(worst.get(kind, 0.0), v)
    failed = sum(1 for r in results if r.error)
    clean = sum(1 for r in results if r.clean)
    text = f"summary: {len(results)} runs, {clean} clean, {failed} failed | " + " ".join(parts)
    text += f" | offset gaps {sum(gaps):g}" if gaps else " | offset gaps n/a"
    text += f" | audit undecided {audit}"
    if worst:
        text += " | worst recovery " + ", ".join(f"{k} {v:g}s" for k, v in worst.items())
    return text

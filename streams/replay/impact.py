"""The impact of a what-if replay: replayed decisions compared with the real ones (pure).

A claim is *affected* when its replayed decision differs from its real current decision (highest
revision) in outcome, approved amount or set of rule codes. Per facility we count claims,
affected claims, outcome changes and the approved-amount delta (replayed − real). Per rule we
count the claims where that code appeared (gained) or disappeared (lost) and the approved delta
of those claims: a claim whose delta comes from two rules counts under both, so the per-rule
deltas may add up to more than the total. Money is summed in integer cents (no float drift).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Real:
    """The real current decision of a claim version, as stored in ``decisions`` (FINAL)."""

    revision: int
    outcome: str
    approved: float
    rules_version: str
    hit_codes: tuple[str, ...]


@dataclass
class Tally:
    claims: int = 0
    affected: int = 0
    outcome_changes: int = 0
    gained: int = 0
    lost: int = 0
    delta_cents: int = 0

    def merge(self, other: Tally) -> None:
        self.claims += other.claims
        self.affected += other.affected
        self.outcome_changes += other.outcome_changes
        self.gained += other.gained
        self.lost += other.lost
        self.delta_cents += other.delta_cents


def cents(value: float) -> int:
    return round(value * 100)


def differs(decision: Mapping[str, Any], real: Real) -> bool:
    """True when the replayed decision is not the real one (outcome, amount or rule codes)."""
    return (decision["outcome"] != real.outcome
            or cents(decision["approved"]) != cents(real.approved)
            or codes_of(decision) != set(real.hit_codes))


def codes_of(decision: Mapping[str, Any]) -> set[str]:
    return {h["code"] for h in decision["hits"]}


@dataclass
class Impact:
    """Totals, per facility and per rule; ``add`` one replayed claim at a time, ``merge`` shards."""

    total: Tally = field(default_factory=Tally)
    undecided: int = 0  # replayed claims with no real decision stored: not compared
    errors: int = 0  # claims that could not be decoded or appraised
    by_facility: dict[str, Tally] = field(default_factory=dict)
    by_rule: dict[str, Tally] = field(default_factory=dict)

    def add(self, decision: Mapping[str, Any], real: Real | None) -> bool:
        """Count one replayed decision; returns True when it differs from the real one."""
        if real is None:
            self.undecided += 1
            return False
        facility = self.by_facility.setdefault(decision["facility"], Tally())
        for tally in (self.total, facility):
            tally.claims += 1
        if not differs(decision, real):
            return False
        delta = cents(decision["approved"]) - cents(real.approved)
        moved = decision["outcome"] != real.outcome
        for tally in (self.total, facility):
            tally.affected += 1
            tally.outcome_changes += int(moved)
            tally.delta_cents += delta
        now, before = codes_of(decision), set(real.hit_codes)
        for code in now ^ before:
            rule = self.by_rule.setdefault(code, Tally())
            rule.claims += 1
            rule.affected += 1
            rule.outcome_changes += int(moved)
            rule.gained += int(code in now)
            rule.lost += int(code in before)
            rule.delta_cents += delta
        return True

    def merge(self, other: Impact) -> None:
        self.total.merge(other.total)
        self.undecided += other.undecided
        self.errors += other.errors
        for mine, theirs in ((self.by_facility, other.by_facility),
                             (self.by_rule, other.by_rule)):
            for key, tally in theirs.items():
                mine.setdefault(key, Tally()).merge(tally)


def merged(impacts: Iterable[Impact]) -> Impact:
    out = Impact()
    for impact in impacts:
        out.merge(impact)
    return out


def _money(value_cents: int) -> str:
    return f"{value_cents / 100:+,.2f}"


def _table(title: str, head: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i])
              for i in range(len(head))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    return [title, line(head), *(line(r) for r in rows)] if rows else [title, "  (none)"]


def render(impact: Impact, run_id: str = "") -> str:
    """The impact report printed by ``hireview replay``."""
    t = impact.total
    out = [f"replay {run_id}: {t.claims} claims compared, {t.affected} affected, "
           f"{t.outcome_changes} outcome changes, approved delta {_money(t.delta_cents)} VND"
           + (f"; {impact.undecided} without a real decision" if impact.undecided else "")
           + (f"; {impact.errors} could not be replayed" if impact.errors else "")]
    facilities = sorted(((k, v) for k, v in impact.by_facility.items() if v.affected),
                        key=lambda kv: (-kv[1].affected, kv[0]))
    calm = len(impact.by_facility) - len(facilities)
    out += _table(f"\nper facility (affected only; {calm} other facilities unchanged)",
                  ["facility", "claims", "affected", "outcome changes", "approved delta (VND)"],
                  [[k, str(v.claims), str(v.affected), str(v.outcome_changes),
                    _money(v.delta_cents)] for k, v in facilities])
    rules = sorted(impact.by_rule.items(), key=lambda kv: (-kv[1].affected, kv[0]))
    out += _table("\nper rule (claims where the rule now hits / no longer hits)",
                  ["rule", "affected", "gained", "lost", "outcome changes",
                   "approved delta (VND)"],
                  [[k, str(v.affected), str(v.gained), str(v.lost), str(v.outcome_changes),
                    _money(v.delta_cents)] for k, v in rules])
    return "\n".join(out)

"""Retroactive rule changes: which stored decisions were made without a parameter version that
is now in force on their service date.

A decision records only the engine fingerprint (``rules_version``), not the parameter versions
the engine held, so the detection reasons from what is stored:

- a parameter version P of rule C (in force ``effective_from``..``effective_to``) concerns the
  decisions on service dates in that period that were made by another ``rules_version`` R, at or
  after P's first day (decided while P was supposed to apply: P was published late);
- unless R's stored hits show it applied P (a hit of C with rule_version P): then R knew P.

Versions that R did know but that never hit under R are flagged too; that costs a replay whose
claims come out unchanged, and only changed claims are re-appraised, so it is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from clickhouse_driver import Client

from rules.base import Params

_LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class DecidedDay:
    """Stored decisions of one service date made by one (non-current) rules version."""

    rules_version: str
    service_date: date
    claims: int
    last_decided: datetime  # aware UTC


@dataclass(frozen=True)
class Stale:
    """Decisions by ``rules_version`` on ``start``..``end`` that predate parameter version
    ``param_version`` of rule ``code``."""

    code: str
    param_version: str
    rules_version: str
    start: date
    end: date
    claims: int

    def describe(self) -> str:
        return (f"{self.code} {self.param_version}: {self.claims} claims of {self.start}.."
                f"{self.end} decided by {self.rules_version}")


def first_moment(day: date) -> datetime:
    """Local midnight of ``day`` (parameters start on a facility-local date), as UTC."""
    return datetime.combine(day, time(), _LOCAL).astimezone(UTC)


def detect(params: Mapping[str, Sequence[Params]], current: str, days: Iterable[DecidedDay],
           applied: set[tuple[str, str, str]]) -> list[Stale]:
    """Stale ranges per (parameter version, old rules version); see the module doc.

    ``applied`` holds (rules_version, rule code, parameter version) seen in stored hits.
    """
    by_version: dict[str, list[DecidedDay]] = {}
    for d in days:
        if d.rules_version != current:
            by_version.setdefault(d.rules_version, []).append(d)
    out: list[Stale] = []
    for code in sorted(params):
        for p in params[code]:
            start = first_moment(p.effective_from)
            for rules_version in sorted(by_version):
                if (rules_version, code, p.version) in applied:
                    continue
                hit = [d for d in by_version[rules_version]
                       if p.in_force(d.service_date) and d.last_decided >= start]
                if hit:
                    out.append(Stale(code, p.version, rules_version,
                                     min(d.service_date for d in hit),
                                     max(d.service_date for d in hit),
                                     sum(d.claims for d in hit)))
    return out


def span(stale: Sequence[Stale]) -> tuple[date, date] | None:
    """The service-date range a retroactive replay must cover (None: nothing stale)."""
    if not stale:
        return None
    return min(s.start for s in stale), max(s.end for s in stale)


def load_days(client: Client, current: str) -> list[DecidedDay]:
    rows = client.execute(
        "SELECT rules_version, service_date, count(), max(decided_at) FROM decisions FINAL "
        "WHERE rules_version != %(current)s GROUP BY rules_version, service_date",
        {"current": current})
    return [DecidedDay(str(r), d, int(n), _utc(last)) for r, d, n, last in rows]


def load_applied(client: Client, current: str) -> set[tuple[str, str, str]]:
    rows = client.execute(
        "SELECT rules_version, code, rule_version FROM rule_hits ANY INNER JOIN "
        "(SELECT facility, claim_id, version, revision, rules_version FROM decisions FINAL "
        " WHERE rules_version != %(current)s) USING (facility, claim_id, version, revision) "
        "GROUP BY rules_version, code, rule_version", {"current": current})
    return {(str(r), str(c), str(v)) for r, c, v in rows}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

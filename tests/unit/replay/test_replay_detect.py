"""Retroactive detection: which stored decisions predate a parameter version now in force."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rules.base import Params
from streams.replay.detect import DecidedDay, detect, first_moment, span

OLD, CURRENT = "rules-old", "rules-new"
PARAMS = {
    "CL07": (Params("CL07@2024-07-01", date(2024, 7, 1), date(2026, 4, 30), {"max_days": 30}),
             Params("CL07@2026-05-01", date(2026, 5, 1), None, {"max_days": 20})),
}


def day(d: date, decided: datetime, rules_version: str = OLD, claims: int = 10) -> DecidedDay:
    return DecidedDay(rules_version, d, claims, decided)


def test_version_published_after_its_start_flags_exactly_its_dates() -> None:
    late = datetime(2026, 5, 20, tzinfo=UTC)  # decided after CL07@2026-05-01 began
    days = [day(date(2026, 4, 30), late), day(date(2026, 5, 3), late, claims=4),
            day(date(2026, 5, 9), late, claims=6)]
    # The old engine applied CL07@2024-07-01 (a stored hit says so), never the May version.
    stale = detect(PARAMS, CURRENT, days, {(OLD, "CL07", "CL07@2024-07-01")})
    assert [(s.param_version, s.start, s.end, s.claims) for s in stale] == [
        ("CL07@2026-05-01", date(2026, 5, 3), date(2026, 5, 9), 10)]
    assert span(stale) == (date(2026, 5, 3), date(2026, 5, 9))


def test_decisions_by_the_current_rules_or_made_before_the_version_began_are_not_stale() -> None:
    days = [day(date(2026, 5, 3), datetime(2026, 5, 20, tzinfo=UTC), rules_version=CURRENT),
            # decided before 2026-05-01 00:00 Vietnam time (= 2026-04-30 17:00 UTC)
            day(date(2026, 5, 3), datetime(2026, 4, 30, 16, 59, tzinfo=UTC))]
    applied = {(OLD, "CL07", "CL07@2024-07-01")}
    assert detect(PARAMS, CURRENT, days, applied) == []
    assert span([]) is None


def test_a_version_the_old_engine_is_seen_applying_is_not_stale() -> None:
    days = [day(date(2026, 5, 3), datetime(2026, 5, 20, tzinfo=UTC))]
    applied = {(OLD, "CL07", "CL07@2024-07-01"), (OLD, "CL07", "CL07@2026-05-01")}
    assert detect(PARAMS, CURRENT, days, applied) == []


def test_a_rule_never_seen_in_old_hits_is_flagged_over_its_whole_period() -> None:
    days = [day(date(2025, 1, 2), datetime(2025, 1, 5, tzinfo=UTC), claims=3)]
    stale = detect(PARAMS, CURRENT, days, set())
    assert [(s.param_version, s.claims) for s in stale] == [("CL07@2024-07-01", 3)]


def test_first_moment_is_local_midnight() -> None:
    assert first_moment(date(2026, 5, 1)) == datetime(2026, 4, 30, 17, tzinfo=UTC)


def test_replay_tables_match_the_row_builders() -> None:
    import re

    from streams.clickhouse.db import load_migrations
    from streams.replay.core import REPLAY_COLUMNS
    from streams.replay.store import RUN_COLUMNS
    from streams.settings import ROOT

    ddl = {m.group(1): s for mig in load_migrations(ROOT / "infra" / "migrations")
           for s in mig.statements
           if (m := re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", s))}
    for table, columns in (("replay_runs", RUN_COLUMNS), ("replay_decisions", REPLAY_COLUMNS)):
        body = ddl[table][ddl[table].index("(") + 1:ddl[table].index("\n)")]
        assert tuple(line.split()[0] for line in body.strip().splitlines()) == columns, table

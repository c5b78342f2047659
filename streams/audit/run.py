"""``hireview audit``: acknowledged claims without a decision, and how far each stage lags.

    hi.claims records (+ hi.receipts, − hi.claims.dlq) ──┐
    decisions in ClickHouse ──────────────────────────────┼─▶ streams.audit.compare ─▶ report
    committed offsets of the worker and sink groups ──────┘            └─ --redrive: re-send

The lag table says when "every decision is final": the appraisal stage (worker on hi.claims),
the practitioner stage (hi.practice, shift overlaps), the amendment stage (hi.amendments, the
new revisions they cause) and the sink (hi.claims, hi.decisions into ClickHouse) have all
committed up to the end of their topics. Committed offsets trail processing by the commit
interval (about a second), so a stage reads "caught up" slightly after it is.

``--redrive`` re-sends the undecided claims' original records to hi.claims (same key, value
and headers) in their original order; the worker decides them, and a claim that was decided
in the meantime only re-emits its stored decision (streams.worker.processor).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.audit import kafka_log
from streams.audit.compare import (
    NO_EVENT,
    Identity,
    Lag,
    Outcome,
    Stage,
    Undecided,
    caught_up,
    compare,
    stage_lag,
)
from streams.audit.kafka_log import Window
from streams.settings import Settings


def stages(settings: Settings) -> list[Stage]:
    t = settings.topic
    return [Stage("appraisal", settings.app_id, (t("hi.claims"),)),
            Stage("practitioner", settings.app_id, (t("hi.practice"),)),
            Stage("amendments", settings.app_id, (t("hi.amendments"),)),
            Stage("sink", settings.sink_group, (t("hi.claims"), t("hi.decisions")))]


@dataclass(frozen=True)
class Report:
    window: Window
    older_than: float
    outcome: Outcome
    lags: list[Lag]
    stages: list[Stage]

    @property
    def past(self) -> list[Undecided]:
        return self.outcome.past(self.older_than)

    @property
    def final(self) -> bool:
        """Every acknowledged claim decided and every stage caught up."""
        return not self.outcome.undecided and all(caught_up(self.stages, self.lags).values())


def collect(settings: Settings, window: Window | None = None, older_than: float = 60.0
            ) -> Report:
    """Read Kafka and ClickHouse and compare (see the module doc)."""
    from streams.audit.store import decided
    from streams.claim import identity
    from streams.clickhouse import db
    from streams.codec import Codec, InvalidMessage

    codec = Codec.from_settings(settings)

    def identify(value: bytes) -> Identity | None:
        try:
            return identity(codec.decode(value, "claim"))
        except (InvalidMessage, KeyError, TypeError):
            return None

    # Events first, then offsets, then decisions: whatever is decided while we read counts as
    # decided, never the other way round.
    events = kafka_log.claim_events(settings, identify, window)
    receipts = kafka_log.receipt_refs(settings, window)
    dead = kafka_log.dead_lettered(settings)
    now = time.time()
    all_stages = stages(settings)
    lags = [lag for group, topics in _groups(all_stages)
            for lag in kafka_log.group_lags(settings, group, topics)]
    claims_topic = settings.topic("hi.claims")
    committed = {x.partition: x.committed for x in lags
                 if x.group == settings.app_id and x.topic == claims_topic
                 and x.committed is not None}
    wanted = {e.identity for e in events if e.identity is not None} | {r.identity
                                                                       for r in receipts}
    client = db.client(settings)
    try:
        stored = decided(client, wanted)
    finally:
        client.disconnect()
    outcome = compare(events, receipts, stored, dead, committed, now)
    return Report(window or Window(), older_than, outcome, lags, all_stages)


def _groups(all_stages: list[Stage]) -> list[tuple[str, list[str]]]:
    out: dict[str, list[str]] = {}
    for s in all_stages:
        topics = out.setdefault(s.group, [])
        topics.extend(t for t in s.topics if t not in topics)
    return list(out.items())


def render(report: Report, limit: int = 100) -> str:
    o, w = report.outcome, report.window
    span = (f"{w.start.isoformat() if w.start else 'beginning'} .. "
            f"{w.end.isoformat() if w.end else 'now'}")
    past = report.past
    lines = [f"acknowledged claim versions ({span}): {o.claims} "
             f"({o.events} hi.claims records, {o.dead_lettered} dead-lettered, "
             f"{o.undecodable} undecodable)",
             f"undecided: {len(o.undecided)}, of which {len(past)} for {report.older_than:g}s "
             "or more"]
    if past:
        lines.append(f"  {'facility':8} {'MA_LK':34} {'version':>7} {'partition':>9} "
                     f"{'offset':>9} {'age':>8}  state")
        for u in past[:limit]:
            f, c, v = u.identity
            part = "-" if u.partition is None else str(u.partition)
            off = "-" if u.offset is None else str(u.offset)
            lines.append(f"  {f:8} {c:34} {v:>7} {part:>9} {off:>9} {u.age:>7.0f}s  {u.state}")
        if len(past) > limit:
            lines.append(f"  ... and {len(past) - limit} more")
    lines.append("lag (records not committed yet):")
    lines.append(f"  {'group':34} {'topic':34} {'part':>4} {'committed':>9} {'end':>9} "
                 f"{'lag':>7}")
    for x in report.lags:
        committed = "-" if x.committed is None else str(x.committed)
        lines.append(f"  {x.group:34} {x.topic:34} {x.partition:>4} {committed:>9} "
                     f"{x.high:>9} {x.behind:>7}")
    done = caught_up(report.stages, report.lags)
    lines.append("stages: " + ", ".join(
        f"{s.name} {'caught up' if done[s.name] else f'{stage_lag(s, report.lags)} behind'}"
        for s in report.stages))
    lines.append("every decision is final: " + ("yes" if report.final else "no"))
    return "\n".join(lines)


def redrive(settings: Settings, undecided: list[Undecided]) -> tuple[int, int]:
    """Re-send the undecided claims' records; returns (re-sent, without a record)."""
    positions = [(u.partition, u.offset) for u in undecided
                 if u.partition is not None and u.offset is not None]
    topic = settings.topic("hi.claims")
    records = kafka_log.fetch(settings, topic, positions)
    return kafka_log.resend(settings, topic, records), len(undecided) - len(positions)


def parse_instant(text: str, end: bool = False) -> datetime:
    """``YYYY-MM-DD`` (a whole UTC day: its start, or with ``end`` the next day's start) or an
    ISO-8601 date-time (UTC unless it names a zone)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not YYYY-MM-DD or an ISO date-time"
                                         ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def command(settings: Settings, args: Any) -> int:
    """The ``hireview audit`` subcommand (arguments: see streams/cli.py). Exit code 1 when
    any claim is undecided past the bound."""
    try:
        window = Window(parse_instant(args.date_from) if args.date_from else None,
                        parse_instant(args.date_to, end=True) if args.date_to else None)
    except argparse.ArgumentTypeError as exc:
        print(f"hireview audit: {exc}", file=sys.stderr)
        return 2
    report = collect(settings, window, args.older_than)
    print(render(report, args.limit))
    if args.redrive and report.past:
        sent, missing = redrive(settings, report.past)
        print(f"re-sent {sent} claim record(s) to {settings.topic('hi.claims')}"
              + (f"; {missing} without a claim event ({NO_EVENT}) cannot be re-sent"
                 if missing else "")
              + "; run hireview audit again once the worker has caught up")
    return 1 if report.past else 0

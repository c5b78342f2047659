"""``hireview replay``: what-if re-appraisal of stored claims, and retroactive rule changes.

    claim_payloads (+ decisions FINAL) ──▶ N processes, persons split by hash ──▶ Replayer
        ──▶ replay_decisions (run id) ──▶ impact per facility and per rule (printed)

``--rules`` names the rule set: ``current`` (rules/params.yaml of this checkout), the current
engine fingerprint (``rules-…``), or the path of another params file (same format). Catalogs and
cards come from the reference topics *as they are now*, not as they were when the claims were
first appraised: a replay isolates the effect of the rules, not of catalog updates.

``--retroactive`` finds parameter versions now in force on dates whose stored decisions were
made without them (``streams.replay.detect``), replays exactly that range with the current
rules, and with ``--apply`` re-sends the claims whose decision changed to hi.claims (same key and
bytes, header ``reappraise`` = run id) so the worker issues new decision revisions.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rules.engine import Engine
from rules.params import ParamsError
from streams.clickhouse import db
from streams.progress import Progress
from streams.replay.core import Replayer, replay_all
from streams.replay.impact import Impact, merged, render
from streams.replay.store import Scope, count_claims, read_shard, run_row, write_results, write_run
from streams.ruleset import current_engine
from streams.settings import Settings
from streams.sink.payload_json import load_layout
from streams.worker.processor import Enrichment

REAPPRAISE_HEADER = "reappraise"


class ReplayError(ValueError):
    """Bad replay arguments (the message names the option)."""


def resolve_engine(rules: str, settings: Settings) -> Engine:
    """``current``, the current fingerprint, or a params file path → the engine to replay with."""
    current = current_engine(settings)
    if rules == "current":
        return current
    path = Path(rules)
    if path.is_file():
        try:
            return Engine.load(params_path=path)
        except (ParamsError, ValueError) as exc:
            raise ReplayError(f"--rules {rules}: {exc}") from exc
    if rules == current.version:
        return current
    raise ReplayError(f"--rules: {rules!r} is not 'current', the current rules version "
                      f"({current.version}) or an existing params file")




@dataclass(frozen=True)
class RunResult:
    run_id: str
    rules_version: str
    impact: Impact
    replayed: int
    seconds: float

    @property
    def claims_per_second(self) -> float:
        return self.replayed / self.seconds if self.seconds > 0 else 0.0


def _shard(settings: Settings, ref: Enrichment, scope: Scope, shards: int, shard: int,
           run_id: str, report: Callable[[int], None]) -> tuple[Impact, int]:
    """Replay one shard of persons: read, re-appraise, write. Returns (impact, replayed)."""
    from streams.codec import Codec

    codec = Codec.from_settings(settings)
    reader, writer = db.client(settings), db.client(settings)  # a reading connection is busy
    try:
        layout = load_layout(codec.schemas_dir)  # the JSON forms decoded as the codec would
        replayer = Replayer(lambda data: codec.decode(data, "claim"), ref, run_id, layout=layout)
        insert = db.insert_settings(writer)
        reported = 0
        stream = read_shard(reader, scope, shards, shard, layout.tag if layout else "")
        for rows in replay_all(replayer, stream, settings.replay_batch_size):
            write_results(writer, rows, insert)
            report(replayer.replayed - reported)
            reported = replayer.replayed
        report(replayer.replayed - reported)
        return replayer.impact, replayer.replayed
    finally:
        reader.disconnect()
        writer.disconnect()


def _child(settings: Settings, ref: Enrichment, scope: Scope, shards: int, shard: int,
           run_id: str, out: Any) -> None:
    try:
        impact, replayed = _shard(settings, ref, scope, shards, shard, run_id,
                                  lambda n: out.put(("progress", n, 0)))
        out.put(("done", impact, replayed))
    except BaseException as exc:  # reported to the parent, which fails the run
        out.put(("error", f"shard {shard}: {type(exc).__name__}: {exc}", 0))


def _fan_out(settings: Settings, ref: Enrichment, scope: Scope, workers: int, run_id: str,
             progress: Progress) -> tuple[Impact, int]:
    """One forked process per shard (fork: the loaded catalogs are shared, not pickled)."""
    ctx = multiprocessing.get_context("fork")
    out: Any = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(settings, ref, scope, workers, i, run_id, out),
                         daemon=True) for i in range(workers)]
    for p in procs:
        p.start()
    impacts: list[Impact] = []
    replayed, errors = 0, list[str]()
    try:
        while len(impacts) + len(errors) < workers:
            try:
                kind, value, n = out.get(timeout=1.0)
            except queue.Empty:
                if not any(p.is_alive() for p in procs):
                    errors.append("a replay process died without reporting")
                continue
            if kind == "progress":
                progress.update(value)
            elif kind == "done":
                impacts.append(value)
                replayed += n
            else:
                errors.append(value)
    finally:
        for p in procs:
            p.join(timeout=5 if not errors else 0.1)
            if p.is_alive():
                p.terminate()
    if errors:
        raise RuntimeError("; ".join(errors))
    return merged(impacts), replayed


def run_replay(settings: Settings, ref: Enrichment, scope: Scope, rules: str, *,
               workers: int = 1, retroactive: bool = False, show_progress: bool = True
               ) -> RunResult:
    """Replay ``scope`` with ``ref.engine`` under a new run id; rows and the run are stored."""
    run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    client = db.client(settings)
    started_at, started = datetime.now(UTC), time.perf_counter()
    try:
        def record(status: str, impact: Impact | None = None) -> None:
            write_run(client, run_row(run_id, rules, ref.engine.version, scope, retroactive,
                                      workers, status, started_at, impact))

        record("running")
        progress = Progress(count_claims(client, scope), "replay", "claims",
                            enabled=show_progress)
        try:
            if workers <= 1:
                impact, replayed = _shard(settings, ref, scope, 1, 0, run_id, progress.update)
            else:
                impact, replayed = _fan_out(settings, ref, scope, workers, run_id, progress)
        except BaseException:
            record("failed")
            raise
        finally:
            progress.close()
        record("done", impact)
        return RunResult(run_id, ref.engine.version, impact, replayed,
                         time.perf_counter() - started)
    finally:
        client.disconnect()


def reinject(settings: Settings, run_id: str) -> int:
    """Re-send the claims whose decision changed in ``run_id`` to hi.claims, same key and bytes,
    with the ``reappraise`` header; returns how many, once Kafka acknowledged every one."""
    from streams.kafka import DeliveryFailed, deliver, producer
    from streams.replay.store import changed_payloads

    client = db.client(settings)
    try:
        items = changed_payloads(client, run_id)
    finally:
        client.disconnect()
    try:
        return deliver(producer(settings), settings.topic("hi.claims"), items,
                       headers=[(REAPPRAISE_HEADER, run_id.encode())])
    except DeliveryFailed as exc:
        raise RuntimeError(f"re-injection of run {run_id}: {exc}") from exc


def load_reference(settings: Settings, engine: Engine) -> Enrichment:
    """Catalogs and cards as of now, from the reference topics."""
    from streams.codec import Codec
    from streams.reference.catalog import CardRegistry, CatalogSnapshot
    from streams.reference.feed import ReferenceFeed

    codec = Codec.from_settings(settings)
    feed = ReferenceFeed(settings, codec.decode, CatalogSnapshot(), CardRegistry())
    try:
        feed.load()
    finally:
        feed.close()  # before any fork: no Kafka client threads in the children
    print(f"reference data as of now: {len(feed.catalog)} catalog rows, {len(feed.cards)} cards",
          file=sys.stderr)
    return Enrichment(engine, feed.catalog, feed.cards, settings.history_keep_days,
                      settings.history_min_visits)


def command(settings: Settings, args: Any) -> int:
    """The ``hireview replay`` subcommand (arguments: see streams/cli.py)."""
    from streams.replay import detect

    workers = args.workers or settings.replay_workers
    try:
        if args.retroactive:
            engine, rules = current_engine(settings), "current"
        else:
            if not (args.rules and args.date_from and args.date_to):
                raise ReplayError("--rules, --from and --to are required (or --retroactive)")
            if args.date_from > args.date_to:
                raise ReplayError(f"--from {args.date_from} is after --to {args.date_to}")
            engine, rules = resolve_engine(args.rules, settings), args.rules
    except ReplayError as exc:
        print(f"hireview replay: {exc}", file=sys.stderr)
        return 2
    if args.retroactive:
        client = db.client(settings)
        try:
            stale = detect.detect(engine.params, engine.version,
                                  detect.load_days(client, engine.version),
                                  detect.load_applied(client, engine.version))
        finally:
            client.disconnect()
        bounds = detect.span(stale)
        if bounds is None:
            print(f"no stored decision predates a parameter version of {engine.version}")
            return 0
        for s in stale:
            print(f"retroactive: {s.describe()}")
        start, end = bounds
    else:
        start, end = args.date_from, args.date_to
    scope = Scope(start, end, args.facility or "", settings.history_keep_days)
    result = run_replay(settings, load_reference(settings, engine), scope, rules,
                        workers=workers, retroactive=args.retroactive)
    print(render(result.impact, result.run_id))
    print(f"\n{result.replayed} claims replayed in {result.seconds:.1f}s "
          f"({result.claims_per_second:,.0f} claims/s, {workers} process(es)); "
          f"rows in replay_decisions WHERE run_id = '{result.run_id}'")
    if args.retroactive and args.apply:
        sent = reinject(settings, result.run_id)
        print(f"re-injected {sent} changed claim(s) into {settings.topic('hi.claims')} "
              f"with header {REAPPRAISE_HEADER}={result.run_id}")
    return 0


def parse_day(text: str) -> date:
    """argparse type for --from/--to."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None

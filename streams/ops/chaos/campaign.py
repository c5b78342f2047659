"""``hireview chaos``: N fault-injection runs on the campaign's OWN Kafka and ClickHouse.

The campaign gets a fresh ``state_dir`` and free loopback ports, starts its own services there
(never the shared ones: other developers' tests use them, and a broker kill would break them),
and gives every run fresh topics (prefix), consumer groups, worker data and database. Runs go
one after the other. Each run's logs stay under ``<state_dir>/runs/NN-<tag>/`` (worker.log and
sink.log with every incarnation, events.log with every fault, result.json); ``settings.env``
rebuilds the campaign's settings (``HIREVIEW_CONFIG=<state_dir>/settings.env hireview …``).

Exit code 0 only when every run is clean (see ``RunResult.clean``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
import traceback
import uuid
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from streams.ops import services
from streams.ops.chaos.report import line, summary
from streams.ops.chaos.run import Run, RunResult, Spec
from streams.ops.procs import free_service_port
from streams.settings import Settings


def _ports(n: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < n:
        if (p := free_service_port()) not in ports:  # restarted servers
            ports.append(p)
    return ports


def campaign_settings(settings: Settings, state_dir: Path) -> Settings:
    kafka, controller, native, http = _ports(4)
    return settings.model_copy(update={
        "state_dir": state_dir, "kafka_port": kafka, "kafka_controller_port": controller,
        "clickhouse_port": native, "clickhouse_http_port": http,
        "portal_credentials": state_dir / "portal-credentials.json",
        "portal_facility_register": state_dir / "facility-register.csv",
    })


def run_settings(base: Settings, index: int) -> Settings:
    tag = f"r{index}{uuid.uuid4().hex[:6]}"
    worker_port, sink_port = _ports(2)
    return base.model_copy(update={
        "topic_prefix": f"{tag}.", "app_id": f"chaos-{tag}", "sink_group": f"chaos-sink-{tag}",
        "clickhouse_database": f"chaos_{tag}", "worker_web_port": worker_port,
        "sink_metrics_port": sink_port,
        # The gauge is read at the end of the run: count claims undecided for 10 s, every 5 s.
        "audit_older_than_seconds": 10.0, "audit_interval_seconds": 5.0,
    })


def _share_kafka_jars(source: Settings, target: Settings) -> None:
    """Hard-link the Kafka jars already fetched for ``source`` (no second Maven download)."""
    lib, dest = source.state_dir / "kafka" / "lib", target.state_dir / "kafka" / "lib"
    if dest.exists() or not (lib / ".pom-sha256").is_file():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(lib, dest, copy_function=os.link)
    except OSError:  # another file system: copy
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(lib, dest)


def _write_env(settings: Settings) -> None:
    lines = [f"HIREVIEW_{k.upper()}={v}" for k, v in settings.model_dump().items()
             if v is not None]
    (settings.state_dir / "settings.env").write_text("\n".join(lines) + "\n")


def _drop_run(settings: Settings) -> None:
    """Delete the run's topics (its prefix, and Faust's topics named after its app id) and its
    database, so a long campaign does not slow the broker down."""
    from confluent_kafka.admin import AdminClient

    from streams.clickhouse import db

    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    names = [t for t in admin.list_topics(timeout=10).topics
             if t.startswith((settings.topic_prefix, settings.app_id))]
    for future in (admin.delete_topics(names, operation_timeout=30).values() if names else ()):
        future.result()
    client = db.client(settings, database="default")
    try:
        client.execute(f"DROP DATABASE IF EXISTS {db.database_name(settings)}")
    finally:
        client.disconnect()


def _check(args: argparse.Namespace) -> str | None:
    if args.runs < 1 or args.claims < 1:
        return "--runs and --claims must be at least 1"
    if args.rate <= 0:
        return "--rate must be above 0 (the faults are planned over the publishing time)"
    if min(args.worker_kills, args.early_kills, args.sink_kills, args.broker_kills) < 0:
        return "fault counts cannot be negative"
    if args.early_kills and not args.worker_kills:
        return "--early-kills follow worker restarts: give --worker-kills >= 1"
    return None


def _terminate(_sig: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # unwinds through the finally blocks: children and services stop


def command(settings: Settings, args: argparse.Namespace) -> int:
    problem = _check(args)
    if problem:
        print(f"hireview chaos: {problem}", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%dT%H%M%S")
    state_dir = Path(args.state_dir or settings.state_dir / "chaos" / stamp).resolve()
    if state_dir == settings.state_dir.resolve():
        print("hireview chaos: --state-dir must not be the shared state_dir", file=sys.stderr)
        return 2
    base = campaign_settings(settings, state_dir)
    spec = Spec(args.claims, args.rate, args.worker_kills, args.early_kills, args.sink_kills,
                args.broker_kills, args.clickhouse_stop, args.quiet, args.settle_timeout)
    out = sys.stderr if args.json else sys.stdout

    def say(message: str) -> None:
        print(message, file=out, flush=True)

    previous = signal.signal(signal.SIGTERM, _terminate)
    results: list[RunResult] = []
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        _share_kafka_jars(settings, base)
        _write_env(base)
        say(f"chaos campaign in {state_dir}: Kafka on {base.bootstrap}, ClickHouse on "
            f"{base.clickhouse_host}:{base.clickhouse_port}")
        services.up(base, progress=lambda m: print(f"  {m}", file=sys.stderr, flush=True),
                    services=(services.KAFKA, services.CLICKHOUSE))  # no Prometheus: private
        for i in range(1, args.runs + 1):
            results.append(_one(base, spec, i, args.seed + i - 1, args.keep))
            say(line(results[-1], args.runs))
    finally:
        signal.signal(signal.SIGTERM, previous)
        services.down(base)
        if not args.keep:
            for data in (state_dir / "kafka" / "data", state_dir / "clickhouse" / "data"):
                shutil.rmtree(data, ignore_errors=True)
    say(summary(results))
    if args.json:
        print(orjson.dumps({"runs": [_public(r) for r in results], "summary": summary(results)},
                           option=orjson.OPT_INDENT_2).decode())
    return 0 if all(r.clean for r in results) else 1


def _one(base: Settings, spec: Spec, index: int, seed: int, keep: bool) -> RunResult:
    settings = run_settings(base, index)
    log_dir = base.state_dir / "runs" / f"{index:02d}-{settings.topic_prefix.rstrip('.')}"
    result = RunResult(index, seed, str(log_dir))
    try:
        Run(settings, spec, seed, log_dir).execute(result)
    except Exception as exc:  # the run failed clearly; the next one starts afresh
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        (log_dir / "error.txt").write_text(traceback.format_exc())
    (log_dir / "result.json").write_bytes(orjson.dumps(_public(result),
                                                       option=orjson.OPT_INDENT_2))
    if not keep:
        try:
            _drop_run(settings)
        except Exception as exc:  # cleanup only: the figures stand
            print(f"  run {index}: cleanup failed: {exc}", file=sys.stderr)
    return result


def _public(result: RunResult) -> dict[str, Any]:
    return {**asdict(result), "clean": result.clean}

"""``hireview`` — the one command-line entry point. Subcommands import their code lazily."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from streams.settings import Settings


def _infra(settings: Settings, args: argparse.Namespace) -> int:
    from streams.ops import services as infra

    if args.action == "up":
        infra.up(settings)
    elif args.action == "down":
        infra.down(settings)
    for name, state in infra.status(settings).items():
        print(f"{name:12} {state}")
    return 0


def _dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from streams.ops.dashboard import write_grafana

    print(f"wrote {write_grafana()} from dashboards/panels.yaml")
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from streams.clickhouse import db

    applied = db.migrate(settings)
    print(f"{len(applied)} migration(s) applied" + (f": {', '.join(applied)}" if applied else ""))
    return 0


def _topics(settings: Settings, args: argparse.Namespace) -> int:
    from streams.kafka import create_topics

    created = create_topics(settings)
    print(f"{len(created)} topic(s) created" + (f": {', '.join(created)}" if created else ""))
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from streams.worker.run import run_worker, supervise

    if not args.in_process:
        return supervise(settings)
    run_worker(settings)
    return 0


def _sink(settings: Settings, args: argparse.Namespace) -> int:
    from streams.sink.run import run_sink_process

    run_sink_process(settings)
    return 0


def _console(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "add-user":
        import getpass
        import os

        from streams.web.accounts import AccountError, add_account

        if not (args.user and args.role and args.scope):
            print("hireview console add-user: --user, --role and --scope are required",
                  file=sys.stderr)
            return 2
        # From the environment for scripts, else asked for (never on the command line, where
        # other users of the machine could read it).
        password = os.environ.get("HIREVIEW_NEW_PASSWORD") or getpass.getpass("password: ")
        try:
            add_account(settings.web_accounts_path, args.user, args.name or args.user,
                        args.role, args.scope, password)
        except AccountError as exc:
            print(f"hireview console add-user: {exc}", file=sys.stderr)
            return 2
        print(f"account {args.user} ({args.role} {args.scope}) saved in "
              f"{settings.web_accounts_path}")
        return 0
    from streams.web.run import serve

    serve(settings)
    return 0


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    if args.fund_facilities:
        from streams.sim.fund_publish import simulate_fund

        simulate_fund(settings, args.fund_facilities, args.fund_days, args.seed,
                      labels_path=args.labels)
        return 0
    from streams.sim.publish import simulate_and_publish

    if args.envelopes:
        from pathlib import Path

        from streams.sim.files import write_envelope_files

        shapes = [s for s in (args.shapes or "").split(",") if s]
        try:
            write_envelope_files(Path(args.envelopes), claims=args.claims, seed=args.seed,
                                 violations=args.violations, shapes=shapes,
                                 lines=args.lines)
        except ValueError as exc:
            print(f"hireview simulate: {exc}", file=sys.stderr)
            return 2
        return 0

    simulate_and_publish(settings, claims=args.claims, rate=args.rate,
                         violations=args.violations, seed=args.seed, labels_path=args.labels)
    return 0


def _portal(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "add-key":
        from streams.portal.auth import CredentialError, add_credential

        if not (args.name and args.role and args.scope):
            print("hireview portal add-key: --name, --role and --scope are required",
                  file=sys.stderr)
            return 2
        try:
            add_credential(settings.portal_credentials, args.name, args.role, args.scope)
        except CredentialError as exc:
            print(f"hireview portal add-key: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.action == "roles":
        from streams.portal.roles import table

        print(table(), end="")
        return 0
    from streams.portal.run import serve

    serve(settings)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from streams.ops.demo import run_demo

    return run_demo(settings, claims=args.claims, rate=args.rate, keep_running=not args.exit)


def _bench(settings: Settings, args: argparse.Namespace) -> int:
    if args.target == "portal":
        from streams.bench.portal import run_portal_bench

        return run_portal_bench(settings, envelopes=args.envelopes, heavy=args.heavy,
                                clients=args.clients, http=not args.parse_only,
                                as_json=args.json)
    if args.target == "precheck":
        from streams.bench.precheck import run_precheck_bench

        # The portal's defaults are sized for throughput; a pre-check run is about latency.
        return run_precheck_bench(settings, envelopes=min(args.envelopes, 300),
                                  heavy=min(args.heavy, 20), clients=min(args.clients, 4),
                                  as_json=args.json)
    if args.target == "rules":
        from streams.bench.rules import run_rules_bench

        return run_rules_bench(settings, claims=args.claims, workers=args.workers,
                               replay=not args.no_replay, as_json=args.json)
    if args.target == "console":
        from streams.bench.console import run_console_bench

        return run_console_bench(settings, steady=args.rate, burst=args.burst,
                                 burst_seconds=args.burst_seconds, pages=args.pages)
    if args.target == "settle":
        from streams.bench.settle import run_settle_bench

        return run_settle_bench(settings, facilities=args.facilities, reports=args.reports,
                                as_json=args.json)
    if args.target == "detect":
        from streams.bench.detect import run_detect_bench

        return run_detect_bench(settings, facilities=args.facilities, days=args.days,
                                clickhouse=args.clickhouse, claims=args.claims,
                                as_json=args.json)
    if args.target == "hostile":
        from streams.bench.hostile import run_hostile_bench

        return run_hostile_bench(settings, hostile=args.hostile, as_json=args.json)
    from streams.bench.pipeline import run_bench

    return run_bench(settings, claims=args.claims, as_json=args.json)


def _rules(settings: Settings, args: argparse.Namespace) -> int:
    from rules.docs import describe, render_markdown
    from rules.engine import Engine

    if args.action == "go-live":
        from streams.golive import go_live

        return go_live(settings, args)
    engine = Engine.load()
    if args.action == "list":
        from streams.ruleset import current_engine

        staged = current_engine(settings).params
        today = datetime.now(UTC).date()
        for rule in engine.rules:
            m = rule.meta
            p = next((v for v in staged[m.code] if v.in_force(today)), None)
            mode = "" if p is None or not p.staged else f"  [{p.mode}" + "".join(
                f", {f}: {fm}" for f, fm in sorted(p.facility_modes.items())) + "]"
            print(f"{m.code}  {m.severity.value:8} {m.title}{mode}")
    elif args.action == "show":
        try:
            print(describe(args.code, engine))
        except LookupError as exc:
            print(f"hireview rules show: {exc}", file=sys.stderr)
            return 2
    else:
        print(render_markdown(engine))
    return 0


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from streams.replay.run import command

    return command(settings, args)


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from streams.audit.run import command

    return command(settings, args)


def _chaos(settings: Settings, args: argparse.Namespace) -> int:
    from streams.ops.chaos.campaign import command

    return command(settings, args)


def _cards(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from streams.reference.cards import load_cards

    return load_cards(settings, Path(args.file), partial=args.partial)


def _catalogs(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from streams.reference.load import run_load

    return run_load(settings, args.kind, Path(args.file), facility=args.facility or "",
                    partial=args.partial)


def _settle(settings: Settings, args: argparse.Namespace) -> int:
    from streams.settle.cli import settle_command

    return settle_command(settings, args)


def _reports(settings: Settings, args: argparse.Namespace) -> int:
    from streams.settle.cli import reports_command

    return reports_command(settings, args)


def _notices(settings: Settings, args: argparse.Namespace) -> int:
    from streams.clickhouse.db import connect
    from streams.fund.notices.db import ServerDb
    from streams.fund.notices.run import command

    return command(lambda: ServerDb(connect(settings)), args, settings.notices_path)


def _detect(settings: Settings, args: argparse.Namespace) -> int:
    from streams.fund.run import run_continuous, run_detection

    if args.date_from is None and args.date_to is None:
        run_continuous(settings)
        return 0
    if args.date_from is None or args.date_to is None:
        print("hireview detect: give both --from and --to (or neither: run continuously)",
              file=sys.stderr)
        return 2
    if args.date_to < args.date_from:
        print("hireview detect: --to is before --from", file=sys.stderr)
        return 2
    run_detection(settings, args.date_from, args.date_to, rebuild=args.rebuild,
                  publish=not args.no_kafka, show_progress=not args.quiet)
    return 0


def _facilities(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from streams.fund.run import load_facilities

    return load_facilities(settings, Path(args.file),
                           err=lambda message: print(message, file=sys.stderr))


def _day(text: str) -> object:
    from streams.replay.run import parse_day

    return parse_day(text)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hireview", description="Real-time HI claim appraisal")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("infra", help="local Kafka (KRaft), ClickHouse and Prometheus on loopback")
    s.add_argument("action", choices=["up", "down", "status"])
    s.set_defaults(run=_infra)

    sub.add_parser("dashboard", help="write dashboards/pipeline.json (Grafana) from "
                   "dashboards/panels.yaml").set_defaults(run=_dashboard)

    s = sub.add_parser("db", help="ClickHouse schema")
    s.add_argument("action", choices=["migrate"])
    s.set_defaults(run=_db)

    s = sub.add_parser("topics", help="create the topics of avro/topics.yaml")
    s.add_argument("action", choices=["create"])
    s.set_defaults(run=_topics)

    s = sub.add_parser("worker", help="run the appraisal worker (Faust), restarted at once "
                       "when its offset guard stops it")
    s.add_argument("--in-process", action="store_true",
                   help="run the worker in this process, without the restart")
    s.set_defaults(run=_worker)
    sub.add_parser("sink", help="run the ClickHouse sink").set_defaults(run=_sink)

    s = sub.add_parser("portal", help="the reception portal (HTTP) and its API keys")
    s.add_argument("action", nargs="?", default="serve", choices=["serve", "add-key", "roles"],
                   help="roles: print what each role may do (the table of docs/portal-access.md)")
    s.add_argument("--name", help="add-key: who the key is for")
    s.add_argument("--role", help="add-key: facility, district, province or central")
    s.add_argument("--scope", help="add-key: facility code, district PP-DDD (its facilities "
                   "come from the facility register), 2-digit province code, or *")
    s.set_defaults(run=_portal)

    s = sub.add_parser("console", help="the web app (appraisers' console) and its accounts")
    s.add_argument("action", nargs="?", default="serve", choices=["serve", "add-user"])
    s.add_argument("--user", help="add-user: sign-in name (a-z, 0-9, _ and -)")
    s.add_argument("--name", help="add-user: the person's full name, as pages show it")
    s.add_argument("--role", help="add-user: district, province or central")
    s.add_argument("--scope", help="add-user: district PP-DDD, 2-digit province code, or *")
    s.set_defaults(run=_console)

    s = sub.add_parser("simulate", help="publish synthetic catalogs, cards and claims")
    s.add_argument("--claims", type=int, default=1000, help="number of claims")
    s.add_argument("--rate", type=float, default=0.0, help="claims per second (0 = unthrottled)")
    s.add_argument("--violations", type=float, default=0.1, help="share of claims with a violation")
    s.add_argument("--seed", type=int, default=1, help="random seed")
    s.add_argument("--labels", default=None, help="write ground-truth labels (JSON lines) here")
    s.add_argument("--envelopes", default=None, metavar="DIR",
                   help="write the claims as GIAMDINHHS envelope files into DIR; publish nothing")
    s.add_argument("--shapes", default=None,
                   help="with --envelopes: real exporters' shapes, comma-separated: scientific, "
                        "empty, blood, no-muc-huong, decimal-comma")
    s.add_argument("--lines", type=int, default=0,
                   help="with --envelopes: grow inpatient claims to at least this many lines")
    s.add_argument("--fund-facilities", type=int, default=0, metavar="N",
                   help="instead of claims: N facilities' facility_day rows and register "
                   "straight into ClickHouse, with labelled anomalies (fund monitoring)")
    s.add_argument("--fund-days", type=int, default=400, help="with --fund-facilities: days "
                   "of data, ending yesterday")
    s.set_defaults(run=_simulate)

    s = sub.add_parser("demo", help="bring everything up and stream simulated discharges")
    s.add_argument("--claims", type=int, default=5000)
    s.add_argument("--rate", type=float, default=200.0)
    s.add_argument("--exit", action="store_true", help="stop everything when the claims are in")
    s.set_defaults(run=_demo)

    s = sub.add_parser("bench", help="benchmarks: the pipeline (default), the portal, the "
                       "pre-check, the rules, the console")
    s.add_argument("target", nargs="?", default="pipeline",
                   choices=["pipeline", "portal", "precheck", "rules", "console", "settle",
                            "detect", "hostile"])
    s.add_argument("--envelopes", type=int, default=3000, help="portal: outpatient envelopes")
    s.add_argument("--heavy", type=int, default=60, help="portal: 800-line inpatient envelopes")
    s.add_argument("--clients", type=int, default=8, help="portal: concurrent HTTP clients")
    s.add_argument("--parse-only", action="store_true", help="portal: no HTTP service phase")
    s.add_argument("--workers", type=int, default=2, help="rules: replay processes")
    s.add_argument("--no-replay", action="store_true", help="rules: engine figures only")
    s.add_argument("--claims", type=int, default=20000)
    s.add_argument("--rate", type=int, default=50, help="console: steady warnings per second")
    s.add_argument("--burst", type=int, default=200, help="console: burst warnings per second")
    s.add_argument("--burst-seconds", type=int, default=30, help="console: burst length")
    s.add_argument("--pages", type=int, default=3, help="console: open pages")
    s.add_argument("--json", action="store_true", help="print figures as JSON")
    s.add_argument("--facilities", type=int, default=1000,
                   help="settle: facilities settled; detect: simulated facilities")
    s.add_argument("--reports", type=int, default=100, help="settle: reports generated, signed")
    s.add_argument("--days", type=int, default=400, help="detect: days of facility_day")
    s.add_argument("--clickhouse", action="store_true",
                   help="detect: also through ClickHouse (insert facility_day, read it back)")
    s.add_argument("--hostile", type=int, default=2, help="hostile: clients posting hostile "
                   "bodies while one polite client measures")
    s.set_defaults(run=_bench)

    s = sub.add_parser("catalogs", help="load catalog lists (national or a facility's)")
    s.add_argument("action", choices=["load"])
    s.add_argument("file", help="a .csv (header row) or .json (list of rows) file")
    s.add_argument("--kind", required=True,
                   choices=["drugs", "services", "supplies", "staff", "equipment"])
    s.add_argument("--facility", help="MA_CSKCB whose list it is (default: the national list)")
    s.add_argument("--partial", action="store_true",
                   help="publish the valid rows even when some rows are rejected")
    s.set_defaults(run=_catalogs)

    s = sub.add_parser("cards", help="load HI cards from the agency's card extract (CSV)")
    s.add_argument("action", choices=["load"])
    s.add_argument("file", help="a .csv file with a header row (streams/reference/cards.py)")
    s.add_argument("--partial", action="store_true",
                   help="publish the valid rows even when some rows are rejected")
    s.set_defaults(run=_cards)

    s = sub.add_parser("replay", help="what-if re-appraisal of stored claims with other rules")
    s.add_argument("--rules", help="params file path, 'current', or the current rules version")
    s.add_argument("--from", dest="date_from", type=_day, help="first service date YYYY-MM-DD")
    s.add_argument("--to", dest="date_to", type=_day, help="last service date YYYY-MM-DD")
    s.add_argument("--facility", help="only this facility's claims (history: all facilities)")
    s.add_argument("--workers", type=int, default=0, help="processes (default: replay_workers)")
    s.add_argument("--retroactive", action="store_true",
                   help="replay the dates whose decisions predate a parameter version in force")
    s.add_argument("--apply", action="store_true",
                   help="with --retroactive: re-send changed claims to hi.claims")
    s.set_defaults(run=_replay)

    s = sub.add_parser("audit", help="acknowledged claims without a decision; stage lags")
    s.add_argument("--from", dest="date_from", help="first Kafka time, YYYY-MM-DD or ISO (UTC)")
    s.add_argument("--to", dest="date_to", help="last Kafka time (a date: the whole day)")
    s.add_argument("--older-than", type=float, default=60.0, metavar="SECONDS",
                   help="report claims undecided at least this long (default 60)")
    s.add_argument("--limit", type=int, default=100, help="claims listed at most")
    s.add_argument("--redrive", action="store_true",
                   help="re-send the undecided claims' records to hi.claims")
    s.set_defaults(run=_audit)

    s = sub.add_parser("chaos", help="fault-injection runs on private Kafka and ClickHouse")
    from streams.ops.chaos.args import add_arguments  # argparse only: keeps the CLI light

    add_arguments(s)
    s.set_defaults(run=_chaos)

    s = sub.add_parser("rules", help="the rule catalogue; go-live modes (rules go-live)")
    s.add_argument("action", choices=["list", "show", "doc", "go-live"])
    s.add_argument("code", nargs="?")
    s.add_argument("--mode", choices=["enforce", "warn", "observe"],
                   help="go-live: the mode to run the rules in")
    s.add_argument("--from", dest="start", help="go-live: first service date (YYYY-MM-DD)")
    s.add_argument("--rule", action="append", default=[],
                   help="go-live: a rule code (repeat; default every rule)")
    s.add_argument("--facility", action="append", default=[],
                   help="go-live: only this MA_CSKCB (repeat; default every facility)")
    s.add_argument("--params", help="go-live: the file to start from (default the rules in "
                   "force: HIREVIEW_RULES_PARAMS or rules/params.yaml)")
    s.add_argument("--out", help="go-live: write here (default stdout)")
    s.set_defaults(run=_rules)

    from streams.settle.cli import add_reports_arguments, add_settle_arguments  # argparse only

    s = sub.add_parser("settle", help="close a settlement period; enter advances and the "
                       "advance policy")
    add_settle_arguments(s)
    s.set_defaults(run=_settle)
    s = sub.add_parser("reports", help="settlement reports: generate, sign, verify, get, list")
    add_reports_arguments(s)
    s.set_defaults(run=_reports)

    s = sub.add_parser("notices", help="issue the monthly notices of unusual HI cost rises "
                       "(HTML and PDF, VI and EN) and record them")
    s.add_argument("--month", required=True, help="the month, YYYYMM")
    s.add_argument("--facility", help="only this facility (MA_CSKCB)")
    s.add_argument("--no-files", action="store_true",
                   help="record the notices without writing HTML/PDF files")
    s.set_defaults(run=_notices)

    s = sub.add_parser("detect", help="fund-use anomalies per facility (continuous without "
                       "--from/--to: refresh facility_day, detect on a schedule)")
    s.add_argument("--from", dest="date_from", type=_day, help="first day YYYY-MM-DD (its "
                   "month is evaluated)")
    s.add_argument("--to", dest="date_to", type=_day, help="last day YYYY-MM-DD")
    s.add_argument("--rebuild", action="store_true",
                   help="recompute facility_day for every day read, not only touched ones")
    s.add_argument("--no-kafka", action="store_true", help="do not publish to hi.anomalies")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(run=_detect)

    s = sub.add_parser("facilities", help="the facility register (district, tier, kind)")
    s.add_argument("action", choices=["load"])
    s.add_argument("file", help="CSV facility,district[,name,tier,kind] (header row first)")
    s.set_defaults(run=_facilities)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "action", None) == "show" and not args.code:
        print("hireview rules show: give a rule code, e.g. CB01", file=sys.stderr)
        return 2
    settings = Settings.load()
    rc: int = args.run(settings, args)
    return rc


if __name__ == "__main__":
    sys.exit(main())

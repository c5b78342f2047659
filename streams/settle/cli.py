"""The ``hireview settle`` and ``hireview reports`` subcommands (wired in streams/cli.py)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from streams.progress import Progress
from streams.settings import Settings


def add_settle_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("action", nargs="?", default="close", choices=["close", "advance", "policy"])
    s.add_argument("--kind", default="quarter", choices=["month", "quarter", "year"],
                   help="close: the period kind (default quarter)")
    s.add_argument("--period", help="close: 2025-01, 2025-Q1 or 2025")
    s.add_argument("--facility", action="append", help="close: only these (repeatable); "
                   "advance: the facility paid")
    s.add_argument("--by", default="hireview settle", help="who closes or enters it")
    s.add_argument("--paid-on", help="advance: the payment date YYYY-MM-DD")
    s.add_argument("--amount", help="advance: VND")
    s.add_argument("--reference", help="advance: the payment order; policy: the decision")
    s.add_argument("--percent", help="policy: advance percentage of the previous period")
    s.add_argument("--from", dest="valid_from", help="policy: in force from YYYY-MM-DD")


def add_reports_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("action", choices=["generate", "sign", "verify", "get", "list"])
    s.add_argument("target", nargs="?", help="sign/get: report id; verify: a PDF file")
    s.add_argument("--kind", choices=["appraisal", "minute", "fund"], help="generate")
    s.add_argument("--subject", help="generate: facility code (fund: province code)")
    s.add_argument("--period", help="generate: 2025-01 (appraisal), 2025-Q1 (minute), any (fund)")
    s.add_argument("--period-kind", default=None, choices=["month", "quarter", "year"],
                   help="generate fund: the period kind (default: from --period)")
    s.add_argument("--field", choices=["preparer", "head"], help="sign: which signature")
    s.add_argument("--by", default="hireview reports", help="sign: who asks (audited)")
    s.add_argument("--out", help="generate/get: write the PDF here")


def settle_command(settings: Settings, args: argparse.Namespace) -> int:
    from streams.clickhouse.db import connect, insert_rows
    from streams.settle import funding
    from streams.settle.close import close_period
    from streams.settle.ledger import LedgerError
    from streams.settle.periods import Period, PeriodError

    client = connect(settings)
    now = funding.now_utc()
    try:
        if args.action in ("advance", "policy"):
            if args.action == "advance":
                row = funding.advance_row({"facility": (args.facility or [None])[0],
                                           "paid_on": args.paid_on, "amount": args.amount,
                                           "reference": args.reference}, args.by, now)
                insert_rows(client, "advances", funding.ADVANCE_COLUMNS, [row])
            else:
                row = funding.policy_row({"percent": args.percent, "valid_from":
                                          args.valid_from, "reference": args.reference},
                                         args.by, now)
                insert_rows(client, "settlement_params", funding.PARAM_COLUMNS, [row])
            print(f"{args.action} stored: " + ", ".join(f"{k}={v}" for k, v in row.items()
                                                        if k not in ("ingested_at",)))
            return 0
        if not args.period:
            raise PeriodError("--period: required (2025-01, 2025-Q1 or 2025)")
        period = Period.parse(args.kind, args.period)
        started = time.monotonic()
        done = close_period(client, period, args.facility, by=args.by, now=now,
                            progress=Progress(0, f"settle {period.label}", "facilities"))
    except (funding.FundingError, PeriodError, LedgerError) as exc:
        print(f"hireview settle: {exc}", file=sys.stderr)
        return 2
    took = time.monotonic() - started
    for s in done.settlements[:20]:
        h = s.header
        print(f"{s.facility} {period.label}: {h['claims']} claims, approved {h['approved']}, "
              f"adjustments {h['adjustment_approved']} ({h['adjustment_claims']} claims), "
              f"advances {h['advances']}, balance {h['balance']}")
    if len(done.settlements) > 20:
        print(f"... and {len(done.settlements) - 20} more")
    if done.skipped:
        print(f"already closed (never rewritten): {', '.join(done.skipped[:20])}")
    print(f"closed {len(done.settlements)} settlement(s), {done.entries} ledger entries "
          f"in {took:.1f} s")
    return 0


def reports_command(settings: Settings, args: argparse.Namespace) -> int:
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # tracebacks of expected failures
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    if args.action == "verify":
        from streams.settle.verify import describe, load_roots, verify

        if not args.target:
            print("hireview reports verify: give the PDF file", file=sys.stderr)
            return 2
        try:
            data = Path(args.target).read_bytes()
            roots = load_roots(settings.settle_trust_roots)
        except (OSError, ValueError) as exc:
            print(f"hireview reports verify: {exc}", file=sys.stderr)
            return 2
        result = verify(data, roots)
        print("\n".join(describe(result)))
        return 0 if result.ok else 1
    from streams.settle.reportcli import store_command

    return store_command(settings, args)

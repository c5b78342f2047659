"""``hireview reports generate|sign|get|list``: the report store from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streams.settings import Settings


def store_command(settings: Settings, args: argparse.Namespace) -> int:
    from streams.clickhouse.db import connect
    from streams.settle.periods import Period, PeriodError
    from streams.settle.reportdata import ReportError
    from streams.settle.reports import Actor, ReportStore
    from streams.settle.signing import SigningError, load_signers

    store = ReportStore(connect(settings))
    try:
        if args.action == "generate":
            if not (args.kind and args.subject and args.period):
                raise ReportError("--kind, --subject and --period are required")
            kind = args.period_kind or {"appraisal": "month", "minute": "quarter"}.get(
                args.kind) or _period_kind(args.period)
            row, pdf = store.generate(args.kind, args.subject, Period.parse(kind, args.period),
                                      agency=settings.settle_agency)
            if args.out:
                Path(args.out).write_bytes(pdf)
            print(f"report {row['report_id']} ({args.kind} {args.subject} {args.period}) "
                  f"generated, {len(pdf):,} bytes" + (f", written to {args.out}"
                                                      if args.out else ""))
        elif args.action == "sign":
            if not (args.target and args.field):
                raise ReportError("give the report id and --field preparer|head")
            signers = load_signers(settings.settle_signers)
            if args.field not in signers:
                raise SigningError(f"{settings.settle_signers}: no signer for {args.field}")
            row = store.sign(args.target, args.field, signers[args.field],
                             Actor(args.by, "cli"), settings.state_dir / "settle",
                             settings.settle_tsa_url)
            print(f"report {args.target}: {args.field} signed (stage {row['stage']}/2): "
                  + "; ".join(row["signers"]))
        elif args.action == "get":
            report = store.get(args.target or "")
            if report is None:
                raise ReportError(f"report {args.target}: no such report")
            out = Path(args.out or f"{report['report_id']}.pdf")
            out.write_bytes(report["pdf"])
            print(f"wrote {out} (stage {report['stage']}/2)")
        else:
            for r in store.listing():
                print(f"{r['report_id']}  {r['kind']:9} {r['facility'] or r['province']:6} "
                      f"{r['period']:8} stage {r['stage']}/2  {'; '.join(r['signers'])}")
    except (ReportError, PeriodError, SigningError, LookupError) as exc:
        print(f"hireview reports {args.action}: {exc}", file=sys.stderr)
        return 2
    return 0


def _period_kind(label: str) -> str:
    return "quarter" if "Q" in label else ("month" if "-" in label else "year")

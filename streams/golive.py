"""``hireview rules go-live``: write the deployment's parameter file with go-live modes.

The file starts from the rules in force (``settings.rules_params``, else rules/params.yaml) and
adds, from ``--from``, a version of each chosen rule in ``--mode`` (for every facility, or the
``--facility`` codes only): see rules/golive.py. The worker and replay read it once
``HIREVIEW_RULES_PARAMS`` names it; it is checked against the rules before it is written.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from rules.engine import Engine
from rules.golive import dump, stage
from rules.params import PARAMS_FILE, ParamsError, read_params
from rules.registry import all_rules
from streams.jurisdiction import FACILITY_CODE
from streams.settings import Settings


def go_live(settings: Settings, args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"hireview rules go-live: {message}", file=sys.stderr)
        return 2

    if not args.mode or not args.start:
        return fail("give --mode enforce|warn|observe and --from YYYY-MM-DD")
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        return fail(f"--from: {args.start!r} is not a date YYYY-MM-DD")
    bad = [f for f in args.facility if not FACILITY_CODE.fullmatch(f)]
    if bad:
        return fail(f"--facility: {bad[0]!r} is not a 5-character MA_CSKCB")
    source = Path(args.params) if args.params else settings.rules_params or PARAMS_FILE
    try:
        table = read_params(source)
        codes = [c.upper() for c in args.rule] or sorted(table)
        staged = stage(table, codes, args.mode, start, args.facility)
        Engine.build(all_rules(), staged)  # the same checks the worker makes at start
    except (ParamsError, ValueError, OSError) as exc:
        return fail(str(exc))
    text = dump(staged)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        who = ", ".join(args.facility) or "every facility"
        print(f"{len(codes)} rule(s) in {args.mode} from {start} for {who}: {args.out}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0

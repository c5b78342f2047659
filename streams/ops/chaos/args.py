"""Arguments of ``hireview chaos`` (argparse only, so building the CLI stays cheap)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, default=1, help="runs, one after the other (default 1)")
    p.add_argument("--claims", type=int, default=5000, help="claims per run (default 5000)")
    p.add_argument("--rate", type=float, default=300.0, help="claims per second (default 300)")
    p.add_argument("--worker-kills", type=int, default=3,
                   help="worker SIGKILLs at random times while publishing (default 3)")
    p.add_argument("--early-kills", type=int, default=0,
                   help="extra worker SIGKILLs 1-60 decisions after a restart, during table "
                   "recovery (need --worker-kills >= 1)")
    p.add_argument("--sink-kills", type=int, default=0, help="sink SIGKILLs per run")
    p.add_argument("--broker-kills", type=int, default=0,
                   help="Kafka SIGKILLs (then restarted) per run")
    p.add_argument("--clickhouse-stop", type=float, default=0.0, metavar="SECONDS",
                   help="stop ClickHouse for this long once per run (default: never)")
    p.add_argument("--seed", type=int, default=1, help="seed of run 1; run i uses seed + i - 1")
    p.add_argument("--quiet", type=float, default=15.0, metavar="SECONDS",
                   help="a run is over when nothing changed for this long (default 15)")
    p.add_argument("--settle-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="longest wait for the quiet state after the faults (default 300)")
    p.add_argument("--state-dir", default=None,
                   help="where the campaign's Kafka, ClickHouse and logs live (default: "
                   "<state_dir>/chaos/<time>)")
    p.add_argument("--keep", action="store_true",
                   help="keep each run's topics and database, and the services' data")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")

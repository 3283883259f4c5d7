"""``fairaudit review``: run a periodic review from a TOML config.

Exit codes (for cron, systemd, CI and Airflow): 0 every threshold met,
3 a threshold breached (report and history still written), 2 a user error,
anything else a crash.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "review", help="run a periodic review (audit + report + history) from a TOML config",
        description="Run a periodic fairness review: audit, compare with past periods, write a signed "
        "report and record the review in the history. Exit code 0: all thresholds met; "
        "3: a threshold breached; 2: configuration or data error.",
    )
    p.add_argument("--config", "-c", required=True, metavar="TOML", help="review configuration file")
    p.add_argument("--period", metavar="LABEL",
                   help="override the config's period label (e.g. 2026-Q4), handy for schedulers")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..review.config import load_config, with_period
    from ..review.changes import change_line
    from ..review.run import run_review

    cfg = load_config(args.config)
    if args.period:
        cfg = with_period(cfg, args.period)
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    outcome = run_review(cfg, progress=not args.quiet, log=log)
    if args.json:
        print(json.dumps(outcome.to_dict(), indent=2))
    else:
        print(f"review {outcome.period} version {outcome.version}: {outcome.status.upper()}")
        for b in outcome.breaches:
            print(f"  breach: {b.message}")
        reg = outcome.regressions
        if len(reg):
            print(f"  {change_line(reg)}")
            n_reg = int(reg["regressed"].sum())
            if n_reg:
                print(f"  {n_reg} metric(s) regressed since {reg['previous_period'].iloc[0]}")
        print(f"  report: {outcome.report_path} (sha256 {outcome.report_sha256[:16]}...)")
        if outcome.pruned:
            print(f"  pruned periods: {', '.join(outcome.pruned)}")
    return outcome.exit_code

"""``fairaudit history``: list, export and prune the review history.

Retention keeps the most recent N *periods* (``--keep-last N``; every version
of a kept period stays); report files on disk are never deleted.
"""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "history", help="list, export (csv/json) or prune the review history",
        description="Show the review history of a config (or of a database URL), export it as CSV "
        "or JSON, or prune it to the most recent N periods.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", "-c", metavar="TOML", help="review configuration (uses its history url)")
    src.add_argument("--db", metavar="URL", help="history database URL, e.g. sqlite:///review-out/history.sqlite")
    p.add_argument("--export", choices=("csv", "json"), help="write the whole history in this format")
    p.add_argument("--out", metavar="FILE", help="file for --export")
    p.add_argument("--keep-last", type=int, metavar="N",
                   help="prune: delete every review except those of the N most recent periods")
    p.add_argument("--dry-run", action="store_true", help="with --keep-last: only list what would go")
    p.add_argument("--create", action="store_true",
                   help="create the database and its tables when missing (default: a missing history is an "
                        "error, so that a mistyped path is not taken for an empty history)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..review.history import HistoryStore

    if args.export and not args.out:
        raise ConfigError("--export needs --out FILE")
    if args.out and not args.export:
        raise ConfigError("--out needs --export csv or --export json")
    if args.dry_run and args.keep_last is None:
        raise ConfigError("--dry-run only applies to --keep-last N")
    if args.config:
        from ..review.config import load_config

        url = load_config(args.config).history_url
    else:
        url = args.db
    from ..paths import guard_outputs, sqlite_file

    guard_outputs({"--config": args.config, "the history database": sqlite_file(url)}, {"--out": args.out})
    with HistoryStore(url, create=args.create) as store:
        if args.keep_last is not None:
            pruned = store.prune(args.keep_last, dry_run=args.dry_run)
            verb = "would prune" if args.dry_run else "pruned"
            print(f"{verb} {len(pruned)} period(s)" + (f": {', '.join(pruned)}" if pruned else ""))
        if args.export:
            path = store.export(args.out, args.export)
            print(f"exported the history to {path}")
        if args.keep_last is None and not args.export:
            records = store.records()
            if not records:
                print("no reviews recorded yet")
            for r in records:
                sha = (r.report_sha256 or "")[:12]
                print(f"{r.period:<10} v{r.version:<3} {r.status:<8} {r.created_at:%Y-%m-%d %H:%M} "
                      f"breaches={len(r.breaches)} report={r.report_path or '-'} {sha}")
    return 0

"""``fairaudit datasets``: write example data (the synthetic hiring data) to files."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("datasets", help="write example data to try the other commands on",
                              description="Example inputs: the synthetic hiring data of the demo, as files.")
    sub = p.add_subparsers(dest="datasets_command", metavar="ACTION")
    write = sub.add_parser(
        "write", help="write jobs.csv and candidates.csv (synthetic, seeded) into DIR",
        description="Write DIR/jobs.csv and DIR/candidates.csv: synthetic job ads and candidate bios with "
                    "self-reported sex and race/ethnicity (fairaudit.datasets.make_hiring_data; see the data "
                    "card). Then: fairaudit audit --jobs DIR/jobs.csv --candidates DIR/candidates.csv ...")
    write.add_argument("dir", metavar="DIR", help="folder for the two files (created if missing)")
    write.add_argument("--jobs", type=int, default=200, metavar="N", help="number of job ads (default 200)")
    write.add_argument("--candidates", type=int, default=2000, metavar="M",
                       help="number of candidates (default 2000)")
    write.add_argument("--seed", type=int, default=0, help="seed: the same arguments write identical files")
    write.add_argument("--force", action="store_true", help="replace existing jobs.csv / candidates.csv in DIR")
    write.set_defaults(func=run_write)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_write(args: argparse.Namespace) -> int:
    from ..data.datasets import write_hiring_data

    files = write_hiring_data(args.dir, args.jobs, args.candidates, args.seed, overwrite=args.force)
    print(f"jobs:        {files.jobs} ({files.n_jobs} ads)")
    print(f"candidates:  {files.candidates} ({files.n_candidates} candidates)")
    print(f"audit them:  fairaudit audit --jobs {files.jobs} --candidates {files.candidates} --out audit.json")
    return 0

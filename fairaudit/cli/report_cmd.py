"""``fairaudit report``: render an audit (and optionally a re-audit) as a signed PDF."""
from __future__ import annotations

import argparse
import os
import sys

DEFAULT_PASSWORD_ENV = "FAIRAUDIT_P12_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="render a signed PDF audit report (plus a JSON sidecar)",
        description="Render an audit result as a PDF report, sign it (PAdES B-B) and write "
                    "report.pdf and report.json next to each other. Nothing is written if any step fails.")
    p.add_argument("--audit", required=True, metavar="JSON", help="audit result written by `fairaudit audit`")
    p.add_argument("--after", metavar="JSON", help="re-audit after rewriting: every table shows before, after, change")
    p.add_argument("--rewrites", metavar="FILE", help="rewrites table (CSV/Parquet/JSONL) from `fairaudit rewrite`")
    p.add_argument("--out", required=True, metavar="PDF", help="report file (the sidecar gets the suffix .json)")
    sign = p.add_mutually_exclusive_group()
    sign.add_argument("--p12", metavar="FILE", help="sign with this PKCS#12 (.p12/.pfx) certificate and key")
    sign.add_argument("--key-dir", metavar="DIR", help="sign with a key pair made by `fairaudit keys init`")
    p.add_argument("--password-env", "--p12-password-env", dest="password_env", metavar="VAR",
                   help="environment variable holding the password of the --p12 file or of an encrypted "
                        f"--key-dir key (default for --p12: {DEFAULT_PASSWORD_ENV}); passwords are never taken "
                        "on the command line")
    p.add_argument("--page-size", choices=["A4", "Letter"], default="A4")
    p.add_argument("--title", help="report title")
    p.add_argument("--period", help="audit period shown on the cover, e.g. '2025-01 to 2025-06'")
    p.add_argument("--organization", help="shown on the cover as 'Prepared for'")
    p.add_argument("--visible-signature", action="store_true", help="draw a signature box on the last page")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.rewrites_table import read_rewrites
    from ..errors import ConfigError
    from ..paths import guard_outputs
    from ..report import build_report, load_signer, report_paths
    from ..engine.result import AuditResult

    guard_outputs({"--audit": args.audit, "--after": args.after, "--rewrites": args.rewrites, "--p12": args.p12,
                   "--key-dir": args.key_dir}, report_paths(args.out))
    say = (lambda msg: None) if args.quiet else (lambda msg: print(f"fairaudit report: {msg}", file=sys.stderr))
    say(f"reading {args.audit}")
    before = AuditResult.from_json(args.audit)
    after = AuditResult.from_json(args.after) if args.after else None
    rewrites = read_rewrites(args.rewrites) if args.rewrites else None
    signer = None
    if args.password_env and args.password_env not in os.environ:
        raise ConfigError(f"--password-env: environment variable {args.password_env} is not set")
    if args.p12:
        signer = load_signer(p12=args.p12, password=os.environ.get(args.password_env or DEFAULT_PASSWORD_ENV))
    elif args.key_dir:
        signer = load_signer(key_dir=args.key_dir, password=os.environ.get(args.password_env or ""))
    files = build_report(before, args.out, after=after, rewrites=rewrites, sign_with=signer, title=args.title,
                         page_size=args.page_size, period=args.period, organization=args.organization,
                         visible_signature=args.visible_signature, status=say)
    state = f"signed by {files.signer}" if files.signed else "UNSIGNED"
    print(f"wrote {files.pdf} ({files.pages} pages, {state}) and {files.sidecar}")
    if not files.signed:
        print("warning: the report is not signed, so `fairaudit verify` rejects it; "
              "sign with --key-dir or --p12", file=sys.stderr)
    return 0

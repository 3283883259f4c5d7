"""``fairaudit summary``: the NYC Local Law 144 public summary of an audit (HTML page + JSON figures)."""
from __future__ import annotations

import argparse
import warnings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "summary", help="write the NYC LL144 public summary of an audit (one HTML page + JSON)",
        description="Write the summary of results that NYC Local Law 144 (6 RCNY § 5-303) asks an employer to "
                    "publish before using the tool: a self-contained, accessible HTML page and the same figures as "
                    "JSON next to it (both files or neither). An audit that lacks what § 5-303 needs (e.g. only "
                    "inferred categories) is refused with exit code 2.")
    p.add_argument("--audit", required=True, metavar="JSON", help="audit result written by `fairaudit audit`")
    p.add_argument("--out", required=True, metavar="HTML", help="summary page (the figures get the suffix .json)")
    p.add_argument("--distribution-date", metavar="YYYY-MM-DD", help="distribution date of the tool (§ 5-303)")
    p.add_argument("--org", metavar="NAME", help="employer or employment agency publishing the summary")
    p.add_argument("--data-explanation", metavar="TEXT",
                   help="your own explanation of the data (historical or test data, and why); "
                        "shown before the explanation generated from the audit")
    p.add_argument("--data-source", metavar="TEXT",
                   help="the data's source as published (default: the audit's, with file names only, never paths)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import FairauditWarning
    from ..report.format import attribute_label
    from ..paths import guard_outputs
    from ..report.summary import summary_paths, write_summary
    from ..engine.result import AuditResult

    guard_outputs({"--audit": args.audit}, summary_paths(args.out))
    result = AuditResult.from_json(args.audit)
    files = write_summary(result, args.out, distribution_date=args.distribution_date, organization=args.org,
                          data_explanation=args.data_explanation, data_source=args.data_source)
    s = files.summary
    for item in s.incomplete:
        warnings.warn(f"the summary lacks {item}; add it before publishing", FairauditWarning)
    print(f"LL144 summary of audit {s.audit_id} (audit date {s.audit_date}, distribution date "
          f"{s.distribution_date or 'NOT STATED'}): {s.n_candidates:,} candidates, unknown category: "
          + ", ".join(f"{attribute_label(a).lower()} {n:,}" for a, n in s.unknown.items()))
    print(f"wrote {files.html} and {files.json}")
    return 0

"""``fairaudit demo``: the end-to-end demo on packaged data and models."""
from __future__ import annotations

import argparse

from ..options import DEFAULT_KS, DEFAULT_N_BOOTSTRAP


def register(sub) -> None:
    from ..rewriting.autorefine import METHODS

    p = sub.add_parser("demo", help="audit -> rewrite -> re-audit -> signed PDF on synthetic data",
                       description="Run the end-to-end demo on the packaged synthetic data and models.")
    p.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    p.add_argument("--jobs", type=int, default=200, help="number of synthetic jobs")
    p.add_argument("--candidates", type=int, default=4000, help="number of synthetic candidates")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, nargs="+", default=list(DEFAULT_KS), help="cut-offs; the first is the headline k")
    p.add_argument("--bootstrap", type=int, default=DEFAULT_N_BOOTSTRAP)
    p.add_argument("--train", action="store_true",
                   help="fine-tune the shipped AutoRefine adapter on the flagged jobs before rewriting")
    p.add_argument("--steps", type=int, default=10, help="GRPO steps of that fine-tuning")
    p.add_argument("--method", default="policy", choices=[m for m in METHODS if m != "original"],
                   help="how flagged jobs are rewritten (default: the shipped RL-trained policy)")
    p.add_argument("--max-flagged", type=int, default=40, help="flagged jobs considered for rewriting")
    p.add_argument("--audit-only", action="store_true", help="stop after the audit table")
    p.add_argument("--no-sign", action="store_true")
    p.add_argument("--no-log", action="store_true",
                   help="skip writing the audit's recommendations as a log and auditing it as one")
    p.add_argument("--recommender", default="embedding", choices=["embedding", "bm25"],
                   help="embedding (the packaged MiniLM, default) or bm25 (no model: a quick small demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DemoConfig, run_demo
    from ..engine.display import print_summary
    from ..engine.result import AuditResult

    cfg = DemoConfig(n_jobs=args.jobs, n_candidates=args.candidates, seed=args.seed, k=tuple(args.k),
                     n_bootstrap=args.bootstrap, rewrite=not args.audit_only, method=args.method,
                     train=args.train, train_steps=args.steps, max_flagged=args.max_flagged,
                     sign=not args.no_sign, recommender=args.recommender, log=not args.no_log)
    files = run_demo(args.out, cfg)
    print()
    print("Before rewriting:")
    print_summary(AuditResult.from_json(files.audit_before))
    if files.audit_after:
        print("\nAfter rewriting the flagged jobs:")
        print_summary(AuditResult.from_json(files.audit_after))
    print("\nFiles:")
    for label, path in (("jobs", files.jobs), ("candidates", files.candidates), ("audit (before)", files.audit_before),
                        ("audit (after)", files.audit_after), ("rewrites", files.rewrites),
                        ("LoRA adapter", files.adapter), ("report", files.report_pdf),
                        ("report sidecar", files.report_json), ("signing certificate", files.cert),
                        ("recommendations log", files.recommendations_log),
                        ("audit of the log", files.audit_from_log)):
        if path:
            print(f"  {label:<20} {path}")
    if files.verified is not None:
        print(f"\nfairaudit verify {files.report_pdf} --trust {files.cert}: "
              f"{'OK (signature intact, valid, trusted; sidecar matches)' if files.verified else 'FAILED'}")
    if files.log_matches_audit is not None:
        print("\nThe log audit of the audit's own recommendations: "
              + ("the same LL144 tables" if files.log_matches_audit
                 else f"DIFFERS in {', '.join(files.log_differences)}"))
    print(f"Timings (s): {files.seconds}")
    return 0 if files.verified in (None, True) and files.log_matches_audit in (None, True) else 1

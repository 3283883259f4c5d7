"""``fairaudit rewrite``: rewrite job texts towards a fairer top-k mix (AutoRefine)."""
from __future__ import annotations

import argparse

from ._common import add_data_args, column_map, target_spec


def register(sub) -> None:
    from ..rewriting.autorefine import METHODS

    p = sub.add_parser(
        "rewrite", help="rewrite biased job texts (AutoRefine: an RL-trained edit policy)",
        description="Find the sentences that drive each job's gap under the recommender, rewrite them and "
                    "measure the gap before and after. The default policy is the adapter shipped with fairaudit; "
                    "--train fine-tunes it further on your jobs and candidates (expert iteration, then GRPO); "
                    "an interrupted training resumes from its last checkpoint.")
    add_data_args(p)
    p.add_argument("--out", required=True, help="CSV of rewrites to write")
    p.add_argument("--jobs-out", metavar="CSV",
                   help="the jobs with the accepted rewrites, to re-audit with `fairaudit audit --jobs` "
                        "(default: rewritten_jobs.csv beside --out)")
    p.add_argument("--train", action="store_true", help="fine-tune the policy on the jobs (or --train-jobs) first")
    p.add_argument("--train-jobs", help="jobs to train on (default: --jobs)")
    p.add_argument("--steps", type=int, default=None, help="GRPO steps after expert iteration (default 40)")
    p.add_argument("--rounds", type=int, default=None, help="expert-iteration rounds (default 2)")
    p.add_argument("--model", help="base model: Hugging Face id or folder (default: packaged SmolLM2-135M)")
    p.add_argument("--adapter", help="adapter folder: written after --train, read otherwise "
                                     "(default: the shipped adapter)")
    p.add_argument("--method", choices=METHODS, default="policy",
                   help=f"one of {', '.join(METHODS)} (default: policy, the shipped RL-trained adapter)")
    p.add_argument("--n", type=int, default=4, help="samples per sentence for best_of_n and policy_best_of_n")
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--target", default="pool", help="pool | uniform | JSON mapping | JSON file")
    p.add_argument("--attributes", default="all",
                   help="comma-separated attributes whose gap the rewrite closes (sex, race_ethnicity, sex_race); "
                        "default all: every attribute with rated groups. A rewrite that widens any audited "
                        "attribute's gap beyond its noise floor is rejected either way")
    p.add_argument("--max-sentences", type=int, default=5, help="driving sentences rewritten per job")
    p.add_argument("--checkpoint-dir", help="training checkpoints (default: under the fairaudit cache)")
    p.add_argument("--no-resume", action="store_true", help="start training afresh instead of resuming")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..rewriting import AutoRefine, TrainSettings

    from ..data.io import load_candidates, load_jobs
    from ..data.rewrites_table import rewritten_jobs_path, write_rewrites
    from ..data.labels import read_labels
    from ..data.rewrites_table import apply_rewrites
    from ..paths import guard_outputs, if_file

    trained = args.adapter if args.train else None  # --adapter is written after --train, read otherwise
    jobs_out = args.jobs_out or rewritten_jobs_path(args.out)
    guard_outputs({"--jobs": args.jobs, "--candidates": args.candidates, "--train-jobs": args.train_jobs,
                   "--target": if_file(args.target), "--labels": if_file(args.labels), "--adapter": None if args.train else args.adapter},
                  {"--out": args.out, "--jobs-out": jobs_out, "--adapter": trained,
                   "--checkpoint-dir": args.checkpoint_dir})
    jobs = load_jobs(args.jobs, column_map(args.job_columns), sep=args.sep)
    cands = load_candidates(args.candidates, column_map(args.candidate_columns), sep=args.sep,
                            labels=read_labels(args.labels))
    common = dict(recommender=args.recommender, candidates=cands, k=args.k, target=target_spec(args.target),
                  progress=not args.quiet, max_sentences=args.max_sentences, attributes=args.attributes)
    if args.adapter and not args.train:
        ar = AutoRefine.load(args.adapter, model=args.model, **common)
    else:
        overrides = {k: v for k, v in (("steps", args.steps), ("rounds", args.rounds), ("seed", args.seed))
                     if v is not None}
        ar = AutoRefine(model=args.model, train_settings=TrainSettings(**overrides), **common)
    if args.train:
        train_jobs = (load_jobs(args.train_jobs, column_map(args.job_columns), sep=args.sep)
                      if args.train_jobs else jobs)
        ar.fit(train_jobs, seed=args.seed, checkpoint_dir=args.checkpoint_dir, resume=not args.no_resume)
        if args.adapter:
            ar.save(args.adapter)
    out = ar.rewrite(jobs, method=args.method, n=args.n, seed=args.seed)
    write_rewrites(out, args.out, jobs=jobs, jobs_path=jobs_out)
    if not args.quiet:
        print(f"{ar.last_stats_['method']}: {int(out['accepted'].sum())}/{len(out)} jobs rewritten; "
              f"mean gap at k={args.k} {out['gap_before'].mean():.4f} -> {out['gap_after'].mean():.4f} "
              f"(gap score -100·W {-100 * out['gap_before'].mean():.2f} -> {-100 * out['gap_after'].mean():.2f}; "
              f"mean over {', '.join(ar.attributes)})")
        for a in ar.attributes:
            if f"gap_before_{a}" in out:
                driven = (f"; some wording moves it in {int(out[f'text_driven_{a}'].sum())} of {len(out)} jobs"
                          if f"text_driven_{a}" in out else "")
                print(f"  {a}: mean gap {out[f'gap_before_{a}'].mean():.4f} -> {out[f'gap_after_{a}'].mean():.4f}"
                      f"{driven}")
        if args.train and args.adapter:
            print(f"adapter saved to {args.adapter}")
        print(f"wrote {args.out} and {jobs_out} (the jobs with the accepted rewrites, to re-audit)")
    return 0

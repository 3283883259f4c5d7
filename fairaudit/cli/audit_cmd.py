"""``fairaudit audit``: audit a recommender on job and candidate files, a recommendation log, or counts.

Four sources, one API call each: ``--jobs`` and ``--candidates`` (the recommender
ranks every candidate for every job, :func:`fairaudit.audit`), plus
``--candidate-sets`` (each job ranks only its own candidates), ``--log`` (the
tool's historical output, :func:`fairaudit.audit_log`) or ``--counts``
(aggregate counts per category, :func:`fairaudit.engine.counts_audit.audit_counts`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..options import (CAUSE_SPLIT_TEXTS, DEFAULT_DECOMPOSITION_SAMPLE, DEFAULT_KS, DEFAULT_MATCH_GOAL,
                       DEFAULT_MIN_SHARE, DEFAULT_N_BOOTSTRAP, DEFAULT_TOLERANCE)
from ._common import add_chance_args, add_data_args, column_map, target_spec


def register(sub) -> None:
    p = sub.add_parser("audit", help="measure who the recommender puts in each job's top-k",
                       description="Audit a recommender, a recommendation log or aggregate counts and write "
                                   "the results as JSON.")
    add_data_args(p, required=False)
    p.add_argument("--candidate-sets", metavar="FILE",
                   help="who each job ranks: (job_id, candidate_id) pairs; each job ranks only its own candidates")
    p.add_argument("--cause-split", choices=list(CAUSE_SPLIT_TEXTS),
                   help="with --candidate-sets: split each gap into who applied, identity cues and the job text, "
                        "neutralising the job texts' gender-coded words (lexicon, the default with candidate "
                        "sets), or split off who applied only (none)")
    p.add_argument("--log", metavar="FILE",
                   help="audit the tool's historical output instead of running a recommender: one row per "
                        "(job_id, candidate_id) pair it considered, with rank and/or score (and selected); "
                        "--candidates gives the categories, --jobs (optional) the titles")
    p.add_argument("--stream", action="store_true",
                   help="with --log: leave the log on disk and aggregate it with DuckDB in bounded memory "
                        "(for logs of millions of rows)")
    p.add_argument("--memory-limit", default="2GB", metavar="SIZE",
                   help="DuckDB's memory limit with --stream (default 2GB; it spills to disk beyond it)")
    p.add_argument("--counts", metavar="FILE",
                   help="audit aggregate counts: a table of attribute, category, assessed, selected "
                        "(and optionally k, scored_above_median); no other input is needed")
    p.add_argument("--out", required=True, help="audit JSON to write")
    p.add_argument("--k", type=int, nargs="+", default=list(DEFAULT_KS),
                   help=f"cut-offs, the first is the headline k (default: {' '.join(map(str, DEFAULT_KS))})")
    p.add_argument("--target", default=None,
                   help="own | pool | uniform | JSON mapping | JSON file (default: own with --candidate-sets or "
                        "--log, each job's own candidates' mix; pool otherwise)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    p.add_argument("--scoring-median", choices=["job", "sample"], default="job",
                   help="LL144 scoring rate: pairs above each job's median score (default) or above the median "
                        "of all scores of the sample (6 RCNY 5-300 read literally)")
    p.add_argument("--match-goal", type=float, default=DEFAULT_MATCH_GOAL)
    p.add_argument("--min-share", type=float, default=DEFAULT_MIN_SHARE, metavar="SHARE",
                   help="rate only categories with at least this share of the known pool "
                        f"(default {DEFAULT_MIN_SHARE:g}, the 2%% exclusion of 6 RCNY 5-301; 0 rates every category)")
    p.add_argument("--bootstrap", type=int, default=DEFAULT_N_BOOTSTRAP,
                   help=f"bootstrap resamples (0 = no CIs; default {DEFAULT_N_BOOTSTRAP})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of every random step: bootstrap resamples, the decomposition sample (default 0)")
    add_chance_args(p)
    p.add_argument("--drivers", choices=["flagged", "all", "none"], default="flagged",
                   help="which jobs get a counterfactual driver analysis: those whose gap exceeds the random-top-k "
                        "noise floor plus the tolerance (default), every job, or none")
    p.add_argument("--driver-method", choices=["lexicon", "occlusion"], default="lexicon",
                   help="lexicon: neutralise each gender-coded word (default); occlusion: remove each sentence and "
                        "content word, coded or not (more texts to rank)")
    p.add_argument("--decomposition", choices=["sample", "full", "none"], default="sample",
                   help="identity-blind decomposition on a stratified sample of candidates with a bootstrap "
                        "interval (default), on every candidate (exact, embeds every profile again), or none")
    p.add_argument("--decomposition-sample", type=int, default=DEFAULT_DECOMPOSITION_SAMPLE, metavar="N",
                   help=f"candidates in the decomposition's sample (default {DEFAULT_DECOMPOSITION_SAMPLE})")
    p.add_argument("--no-drivers", action="store_true", help="same as --drivers none")
    p.add_argument("--no-decomposition", action="store_true", help="same as --decomposition none")
    p.add_argument("--infer-attributes", action="store_true",
                   help="fill missing sex/race from names (labelled as inferred)")
    p.add_argument("--backend", default="local",
                   help="local | ray | ray://ADDRESS (with --log: a streamed log split into job blocks on Ray)")
    p.add_argument("--period", help="review period label recorded in the result")
    p.add_argument("--created-at", metavar="TIME",
                   help="creation time recorded in the audit (ISO 8601, e.g. 2026-01-01T00:00:00Z); default "
                        "$SOURCE_DATE_EPOCH if set, else now. Fix it for a byte-identical audit JSON")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def _sources(args: argparse.Namespace) -> str:
    """Which audit the arguments ask for (one error line when they do not fit together)."""
    from ..errors import ConfigError

    given = [name for name in ("log", "counts") if getattr(args, name)]
    if len(given) > 1:
        raise ConfigError("give one of --log and --counts")
    kind = given[0] if given else "live"
    if kind == "counts" and (args.jobs or args.candidates or args.candidate_sets):
        raise ConfigError("--counts is audited on its own: leave out --jobs, --candidates and --candidate-sets")
    if kind == "log" and args.candidate_sets:
        raise ConfigError("a log already says who each job considered: leave out --candidate-sets")
    if kind != "live" and args.cause_split:
        raise ConfigError("--cause-split re-ranks candidate sets with a recommender; a log or counts audit splits "
                          "off what it can by itself (a log: who applied)")
    if kind == "log" and not args.candidates:
        raise ConfigError("--log needs --candidates (candidate_id and the self-reported categories)")
    if kind == "live" and not (args.jobs and args.candidates):
        raise ConfigError("give --jobs and --candidates (or --log with --candidates, or --counts)")
    return kind


def run(args: argparse.Namespace) -> int:
    from ..engine.auditing import audit
    from ..engine.display import print_summary
    from ..data.io import load_candidates, load_jobs, streams_candidates
    from ..data.labels import read_labels
    from ..paths import guard_outputs, if_file

    guard_outputs({"--jobs": args.jobs, "--candidates": args.candidates, "--target": if_file(args.target),
                   "--labels": if_file(args.labels), "--log": args.log, "--counts": args.counts,
                   "--candidate-sets": args.candidate_sets},
                  {"--out": args.out})
    kind = _sources(args)
    if kind != "live":
        result = _historical(args, kind)
        result.to_json(args.out)
        if not args.quiet:
            print_summary(result)
            print(f"wrote {args.out}")
        return 0
    jobs = load_jobs(args.jobs, column_map(args.job_columns), sep=args.sep)
    if streams_candidates(args.backend, args.candidates) and not args.candidate_columns \
            and not args.infer_attributes:
        cands = Path(args.candidates)  # streamed by the backend, never loaded whole
    else:
        cands = load_candidates(args.candidates, column_map(args.candidate_columns), sep=args.sep,
                                labels=read_labels(args.labels))
    if args.infer_attributes:
        from ..data.proxy import infer_attributes

        cands = infer_attributes(cands)
    result = audit(jobs, cands, recommender=args.recommender, k=args.k, target=target_spec(args.target),
                   tolerance=args.tolerance, match_goal=args.match_goal, min_share=args.min_share,
                   scoring_median=args.scoring_median,
                   n_bootstrap=args.bootstrap,
                   seed=args.seed, drivers="none" if args.no_drivers else args.drivers,
                   driver_method=args.driver_method,
                   decomposition="none" if args.no_decomposition else args.decomposition,
                   decomposition_sample=args.decomposition_sample,
                   use_inferred=args.infer_attributes, backend=args.backend, progress=not args.quiet,
                   data_source=f"jobs: {args.jobs}; candidates: {args.candidates}", period=args.period,
                   created_at=args.created_at, labels=read_labels(args.labels),
                   n_permutations=args.permutations, strata=args.strata, alpha=args.alpha,
                   candidate_sets=args.candidate_sets, cause_split=args.cause_split)
    result.to_json(args.out)
    if not args.quiet:
        print_summary(result)
        print(f"wrote {args.out}")
    return 0


def _historical(args: argparse.Namespace, kind: str):
    """A log or counts audit with the command's options."""
    from ..data.labels import read_labels

    if kind == "counts":
        from ..engine.counts_audit import audit_counts

        return audit_counts(args.counts, min_share=args.min_share, n_permutations=args.permutations,
                            alpha=args.alpha, seed=args.seed, period=args.period, created_at=args.created_at,
                            labels=read_labels(args.labels))
    from ..engine.log_audit import audit_log

    return audit_log(args.log, args.candidates, args.jobs, k=args.k,
                     target=target_spec(args.target) or "own", tolerance=args.tolerance,
                     match_goal=args.match_goal, min_share=args.min_share, n_bootstrap=args.bootstrap,
                     seed=args.seed, n_permutations=args.permutations, alpha=args.alpha, strata=args.strata,
                     use_inferred=args.infer_attributes, labels=read_labels(args.labels), period=args.period,
                     created_at=args.created_at, stream=args.stream, memory_limit=args.memory_limit,
                     backend=args.backend)

"""``fairaudit check``: check one job ad before publishing it (top-k mix, drivers, a fairer wording)."""
from __future__ import annotations

import argparse
import json

from ..options import DEFAULT_KS, DEFAULT_TOLERANCE, MAX_AD_CHARS
from ._common import column_map, target_spec


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check", help="check one job ad before publishing it: top-k mix, what drives it, a fairer wording",
        description="Rank the candidates for one ad and compare the top-k mix with the target and with a random "
                    "top-k (the noise floor); find out whether the gap comes from the text (identity-blind "
                    "re-ranking, removing each sentence and word in turn) and which words drive it; rewrite it "
                    "with the shipped AutoRefine policy. Exit 0 within the tolerance, 3 beyond it, 4 when tied scores "
                    "broken by row order decide it (cannot be judged), 2 on bad input (an ad over "
                    f"{MAX_AD_CHARS:,} characters, ...).")
    p.add_argument("--text", required=True, metavar="FILE",
                   help=f"the ad, a UTF-8 text file of at most {MAX_AD_CHARS:,} characters")
    p.add_argument("--candidates", metavar="FILE",
                   help="candidates file (default: the packaged synthetic pool, and the output says so)")
    p.add_argument("--candidate-columns", nargs="*", metavar="CANON=NAME", help="map columns, e.g. text=bio")
    p.add_argument("--sep", metavar="CHAR", help="field delimiter of a CSV/TSV candidates file")
    p.add_argument("--title", help="the job title, which a rewrite must keep (default: the ad's first line)")
    p.add_argument("--k", type=int, nargs="+", default=list(DEFAULT_KS),
                   help=f"cut-offs (default: {' '.join(map(str, DEFAULT_KS))}); the first is the headline k, "
                        "the largest judges the gap and drives the rewrite")
    p.add_argument("--target", default="pool", help="pool | uniform | JSON mapping | JSON file")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"largest acceptable gap (default {DEFAULT_TOLERANCE:g})")
    p.add_argument("--attribute", default="sex", help="the attribute whose mix is checked (default sex)")
    p.add_argument("--recommender", default="embedding", help="embedding, bm25, or a sentence-transformers model")
    p.add_argument("--no-rewrite", action="store_true", help="skip the AutoRefine rewrite (no language model)")
    p.add_argument("--adapter", help="an AutoRefine adapter folder instead of the shipped one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", metavar="JSON", help="also write the result as JSON")
    p.add_argument("--json", action="store_true", help="print the JSON instead of the text")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..atomic import write_text
    from ..adcheck.outcome import format_check
    from ..paths import guard_outputs, if_file
    from ..adcheck.checker import check, read_ad

    guard_outputs({"--text": args.text, "--candidates": args.candidates, "--target": if_file(args.target),
                   "--adapter": args.adapter}, {"--out": args.out})
    text = read_ad(args.text)
    result = check(text, args.candidates, title=args.title, k=args.k, target=target_spec(args.target),
                   tolerance=args.tolerance, attribute=args.attribute, recommender=args.recommender,
                   rewrite=not args.no_rewrite, adapter=args.adapter, seed=args.seed,
                   candidate_columns=column_map(args.candidate_columns), sep=args.sep, progress=not args.quiet)
    doc = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if args.out:
        write_text(args.out, doc + "\n")
    print(doc if args.json else format_check(result))
    return result.exit_code

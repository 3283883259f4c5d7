"""Mine phrase-level replacement pairs from the human rewrites of the TRAINING ads only.

Writes ``rewriting/data/phrase_pairs.csv`` (:mod:`rewriting.vocabulary`): columns old, new, ads
(the number of training ads the pair came from) and style (the words of ``old`` that the human
never used in any neutral rewrite). Test ads (``freestyle_ads.csv`` split=test, the round-3
test files) are never read.

Usage::

    python benchmarks/mine_phrases.py [--ads even|odd|all] [--out PATH]

``--ads even --out PATH`` mines every other training ad only: the development protocol measures
on the other half, so that a change is not rewarded for using the vocabulary of the very ads it
is measured on (see ``train_tagger.py``, which takes the same split and ``--pairs PATH``).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rewrite_data as rd  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    import argparse

    from fairaudit.rewriting.vocabulary import DATA, mine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ads", choices=("even", "odd", "all"), default="all")
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args(argv)
    train = rd.freestyle("train").reset_index(drop=True)
    if args.ads != "all":
        train = train.iloc[(0 if args.ads == "even" else 1)::2]
    train = train[train["oracle"].notna()]
    table = mine(train["text"].tolist(), train["oracle"].tolist())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.out, table.to_csv(index=False))
    print(f"{len(table)} pairs from {len(train)} training ads -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Mine phrase-level replacement pairs from the human rewrites of the TRAINING ads only.

Writes ``rewriting/data/phrase_pairs.csv`` (:mod:`rewriting.vocabulary`): columns old, new, ads
(the number of training ads the pair came from) and style (the words of ``old`` that the human
never used in any neutral rewrite). Test ads (``freestyle_ads.csv`` split=test, the round-3
test files) are never read.

Usage::

    python benchmarks/mine_phrases.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rewrite_data as rd  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402


def main() -> int:
    from fairaudit.rewriting.vocabulary import DATA, mine

    train = rd.freestyle("train")
    train = train[train["oracle"].notna()]
    table = mine(train["text"].tolist(), train["oracle"].tolist())
    DATA.parent.mkdir(parents=True, exist_ok=True)
    write_text(DATA, table.to_csv(index=False))
    print(f"{len(table)} pairs from {len(train)} training ads -> {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

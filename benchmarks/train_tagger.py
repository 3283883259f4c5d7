"""Fit the coded-word tagger (:mod:`rewriting.tagger`) on the human rewrites of the TRAINING ads only.

Writes ``rewriting/data/coded_tagger.json``: the coefficients, the threshold and the
cross-validation it was chosen on. Folds are disjoint in ads and in words: a word of a held-out
fold occurs in no training fold, as a word of an unseen ad may not. The threshold is the lowest
whose tagged held-out words that are not already coded (lexicon, gendered, trusted style) were
edited by the human at least ``MIN_PRECISION`` of the time (words the tagger may not tag, too frequent
or stop words, left out). Test ads are never read.

Usage::

    python benchmarks/train_tagger.py [--ads even|odd|all] [--out PATH]

``--ads even`` fits on every other training ad (the development protocol: develop on the other half).
"""
from __future__ import annotations

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rewrite_data as rd  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402

FOLDS = 5


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import roc_auc_score

    from fairaudit.rewriting import tagger as tg
    from fairaudit.rewriting.spans import listed_coding, words

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ads", choices=("even", "odd", "all"), default="all")
    ap.add_argument("--out", type=Path, default=tg.DATA)
    ap.add_argument("--pairs", type=Path, default=None, help="phrase pairs to read instead of the shipped ones")
    args = ap.parse_args(argv)
    if args.pairs is not None:  # development protocol: what is "already coded" comes from the same half
        from fairaudit.rewriting import vocabulary

        vocabulary.DATA = args.pairs
    train = rd.freestyle("train").reset_index(drop=True)
    if args.ads != "all":
        train = train.iloc[(0 if args.ads == "even" else 1)::2]
    labels = tg.word_labels(train["text"].tolist(), train["oracle"].tolist(), words)
    vocab = sorted(set(labels["word"]))
    x_vocab = tg.features(vocab, tg.encoder())
    x = x_vocab[labels["word"].map({w: i for i, w in enumerate(vocab)}).to_numpy()]
    y = labels["changed"].to_numpy().astype(int)
    # what the tagger may tag and the guard does not already know
    known = (labels["word"].map(listed_coding) | ~labels["word"].map(tg.candidate)).to_numpy()
    word_fold = labels["word"].map(lambda w: zlib.crc32(w.encode()) % FOLDS).to_numpy()
    ad_fold = labels["ad"].to_numpy() % FOLDS
    p = np.full(len(y), np.nan)
    for k in range(FOLDS):
        tr = (word_fold != k) & (ad_fold != k)
        te = (word_fold == k) & (ad_fold == k)
        coef, b = tg.fit(x[tr], y[tr])
        p[te] = tg.CodedWordTagger(coef, b, 0.5, {}).probability(x[te])
    held = ~np.isnan(p) & ~known
    try:
        threshold = tg.threshold_for(p[held], y[held], tg.MIN_PRECISION)
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    tagged = held & (p >= threshold)
    cv = {"ads": int(labels["ad"].nunique()), "words": int(len(vocab)), "folds": FOLDS,
          "held_out_uncoded_words": int(held.sum()), "base_rate": round(float(y[held].mean()), 3),
          "auc": round(float(roc_auc_score(y[held], p[held])), 3),
          "tagged_share": round(float(tagged.sum() / held.sum()), 3),
          "precision": round(float(y[tagged].mean()), 3), "recall": round(float(y[tagged].sum() / y[held].sum()), 3),
          "min_precision": tg.MIN_PRECISION, "split": args.ads}
    coef, b = tg.fit(x, y)
    model = tg.CodedWordTagger(coef, b, round(threshold, 4), cv, tg.kept_words(labels))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.out, json.dumps(model.to_dict(), indent=1) + "\n")
    print(json.dumps(cv), "threshold", model.threshold, "->", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

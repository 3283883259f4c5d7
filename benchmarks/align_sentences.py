"""Align every training ad with its careful human rewrite, sentence by sentence (issue 26, item 2).

Writes ``rewriting/data/sentence_pairs.csv`` (shipped; :mod:`rewriting.alignment`): one row per
(original sentence -> human sentence) pair that the human **changed** while keeping every number,
name, tool and title word and most duty words (:func:`rewriting.meaning.duty_kept`), from all
free-style training ads with a human rewrite (:func:`rewrite_data.freestyle` ``"train"``: 24 + 72 + 60
= 156 ads). Columns: ad_id, title, coding, position (the sentence's index in the ad), similarity,
original, human, plan (the edit plan that turns the original into the human sentence, where a few
short phrase edits do: phrase-level supervision; empty otherwise).

The similarity is the mean of the token overlap and the packaged MiniLM's cosine. Deterministic
(no sampling). Test ads are never read.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/align_sentences.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

import rewrite_data as rd  # noqa: E402
from fairaudit.atomic import write_text  # noqa: E402


def phrase_plan(original: str, human: str) -> str:
    """The edit plan of phrase pairs (:func:`rewriting.vocabulary.align_pairs`) that turns ``original`` into
    ``human`` exactly (ignoring case and spacing), or "" when no such plan exists."""
    from fairaudit.rewriting.edits import EditPlan, apply_plan, format_plan
    from fairaudit.rewriting.vocabulary import align_pairs

    pairs = align_pairs(original, human)
    if not pairs:
        return ""
    low = original.lower()
    reps = []
    for old, new in pairs:  # the plan names each phrase as the sentence spells it
        at = low.find(old)
        if at < 0:
            return ""
        reps.append((original[at:at + len(old)], new))
    plan = EditPlan(replacements=tuple(reps))
    same = " ".join(apply_plan(original, plan).lower().split()) == " ".join(human.lower().split())
    return format_plan(plan) if same else ""


def build(encode=None) -> pd.DataFrame:
    """Every kept sentence pair of every training ad with a human rewrite (in ad order)."""
    from fairaudit.rewriting.alignment import sentence_pairs

    ads = rd.freestyle("train")
    ads = ads[ads["oracle"].notna()].reset_index(drop=True)
    rows = []
    for r in ads.itertuples(index=False):
        for p in sentence_pairs(r.text, r.oracle, r.title, encode=encode):
            rows.append({"ad_id": r.job_id, "title": r.title, "coding": r.coding, "position": p.position,
                         "similarity": round(p.similarity, 4), "original": p.original, "human": p.human,
                         "plan": phrase_plan(p.original, p.human)})
    out = pd.DataFrame(rows, columns=["ad_id", "title", "coding", "position", "similarity", "original", "human",
                                      "plan"])
    out.attrs["n_ads"] = len(ads)
    return out


def main() -> int:
    from fairaudit.models import load_sentence_transformer
    from fairaudit.rewriting.sft import SENTENCE_PAIRS

    st = load_sentence_transformer(None)
    table = build(lambda texts: st.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                          show_progress_bar=False))
    SENTENCE_PAIRS.parent.mkdir(parents=True, exist_ok=True)
    write_text(SENTENCE_PAIRS, table.to_csv(index=False))
    print(f"{len(table)} sentence pairs ({(table['plan'] != '').sum()} also as edit plans) from "
          f"{table.attrs['n_ads']} training ads -> {SENTENCE_PAIRS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

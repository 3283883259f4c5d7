"""The data of the rewriting protocol, shared by ``train_adapter.py`` and ``rewrite_bench.py``.

Fixed once, before any tuning (see README, "Rewriting"):

* **Candidate pools.** Training pool ``make_hiring_data(seed=101)`` with 20,000
  candidates: the pool the reward ranks during training and, in the benchmark,
  the "user's pool" every method may use for selection. Evaluation pool
  ``seed=404`` with 10,000 candidates: never used for training, selection or
  choosing settings. With 46 occupations, a job has about 220 relevant
  candidates in the evaluation pool, so k = 10 and 50 are well below it.
* **Templated ads.** Coded ads of ``make_hiring_data(400, seed=11)`` train;
  coded ads of ``make_hiring_data(200, seed=12)`` are held out, each with its
  *oracle*: the generator's parallel neutral sentences.
* **Free-style ads** (``benchmarks/data``): the train split of
  ``freestyle_ads.csv``, ``freestyle_train_extra.csv`` and (round 4) round 3's
  ``freestyle_train_v3.csv`` train (24 + 72 + 60 = 156 ads, every one with a careful
  human rewrite); the test split of ``freestyle_ads.csv`` (24 ads) and the round-3
  test files are only ever evaluated.

The smoothing temperature of the reward (0.5) was chosen on templated ads of
``seed=0`` with pools ``seed=101`` and ``seed=303`` (none of them test data).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from fairaudit.data.datasets import AD_SENTENCES, make_hiring_data

DATA = Path(__file__).resolve().parent / "data"
TRAIN_POOL_SEED, TRAIN_POOL_SIZE = 101, 20_000
#: Round 4: the reward is averaged over several training pools (seeds used nowhere else), so that
#: selecting plans and rewrites during training stops fitting one pool's accidents of rank k.
TRAIN_POOL_SEEDS, TRAIN_POOLS_SIZE = (101, 111, 121), 8_000
EVAL_POOL_SEED, EVAL_POOL_SIZE = 404, 10_000
#: Round 3: the benchmark's *selection pool* (the "user's pool" every method may consult) is
#: ``seed=404`` with 10,000 candidates: round 2's evaluation pool, never used for training or
#: selection, and unlike the adapter's training pool (seed 101): a user's pool is not the one the
#: shipped adapter was trained on. Three evaluation pools with fresh seeds (never used for
#: training, selection or settings), each ad's numbers averaged over them.
SELECT_POOL_SEED, SELECT_POOL_SIZE = 404, 10_000
EVAL_POOL_SEEDS = (505, 606, 707)
#: The held-out free-style test set of round 3 (>= 120 ads, written for it, never read during development).
FREESTYLE_V3_FILES = ("freestyle_test_v3_a.csv", "freestyle_test_v3_b.csv")
TEMPLATED_TRAIN_SEED, TEMPLATED_TEST_SEED = 11, 12


def pool(seed: int, size: int) -> pd.DataFrame:
    """A synthetic candidate pool (the job table of the same call is discarded)."""
    return make_hiring_data(10, size, seed=seed)[1]


def oracle_text(text: str) -> str:
    """The generator's parallel neutral version of a templated ad (each coded sentence swapped)."""
    for coding in ("masculine", "feminine"):
        for i, sentence in enumerate(AD_SENTENCES[coding]):
            text = text.replace(sentence, AD_SENTENCES["neutral"][i])
    return text


def templated(seed: int, n_jobs: int, limit: int | None = None) -> pd.DataFrame:
    """Coded templated ads (job_id, title, text, coding, oracle)."""
    jobs = make_hiring_data(n_jobs, 10, seed=seed)[0]
    coded = jobs[jobs["coding"] != "neutral"].reset_index(drop=True)
    if limit is not None:
        coded = coded.head(limit)
    out = coded[["job_id", "title", "text", "coding"]].copy()
    out["job_id"] = f"S{seed}-" + out["job_id"].astype(str)
    out["oracle"] = out["text"].map(oracle_text)
    return out.reset_index(drop=True)


def freestyle(split: str) -> pd.DataFrame:
    """Free-style ads of one split (job_id, title, text, coding, oracle = the hand-written neutral rewrite).

    ``train``: the train split of ``freestyle_ads.csv`` plus ``freestyle_train_extra.csv`` (with its
    hand-written rewrites where ``freestyle_train_extra_rewrites.csv`` has them) plus round 3's
    ``freestyle_train_v3.csv``; ``test``: the 24 test ads
    of ``freestyle_ads.csv`` (round 2's test set, secondary now); ``test_v3``: round 3's held-out test ads
    (only the final benchmark run reads them).
    """
    if split == "train":
        ads = pd.read_csv(DATA / "freestyle_ads.csv")
        extra = pd.read_csv(DATA / "freestyle_train_extra.csv")
        extra["neutral_rewrite"] = None
        rewrites = DATA / "freestyle_train_extra_rewrites.csv"
        if rewrites.is_file():
            extra["neutral_rewrite"] = extra["ad_id"].map(pd.read_csv(rewrites).set_index("ad_id")["neutral_rewrite"])
        parts = [ads[ads["split"] == "train"], extra]
        if (DATA / "freestyle_train_v3.csv").is_file():
            parts.append(pd.read_csv(DATA / "freestyle_train_v3.csv"))
        ads = pd.concat(parts, ignore_index=True)
    elif split == "test":
        ads = pd.read_csv(DATA / "freestyle_ads.csv")
        ads = ads[ads["split"] == "test"]
    elif split == "test_v3":
        files = [DATA / f for f in FREESTYLE_V3_FILES if (DATA / f).is_file()]
        if not files:
            raise FileNotFoundError("no round-3 test file in benchmarks/data (" + ", ".join(FREESTYLE_V3_FILES) + ")")
        ads = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    else:
        raise ValueError(f"split must be 'train', 'test' or 'test_v3', got {split!r}")
    out = ads.rename(columns={"ad_id": "job_id", "neutral_rewrite": "oracle"})
    return out[["job_id", "title", "text", "coding", "oracle", "occupation"]].reset_index(drop=True)


def training_jobs(n_templated: int = 120) -> pd.DataFrame:
    """Every training ad: templated (seed 11) and free-style (train split + extra)."""
    t = templated(TEMPLATED_TRAIN_SEED, 400, n_templated)
    f = freestyle("train")
    return pd.concat([t[["job_id", "title", "text", "coding"]], f[["job_id", "title", "text", "coding"]]],
                     ignore_index=True)

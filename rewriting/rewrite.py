"""Sentence-level rewriting of job texts, shared by every method.

The audit points at the words that drive a job's gap
(:func:`fairaudit.metrics.drivers.word_drivers`: counterfactual removal of each
Gaucher-coded word). Only the sentences holding those words are rewritten; the
rest of the text is kept verbatim and the reward is always measured on the whole
reassembled job. This keeps generation short (one sentence, <= 64 new tokens) so
a 135M model on two CPU cores can be trained in minutes, and it keeps skills and
requirements in the untouched sentences safe by construction.

Every method (lexicon substitution, prompt-only, best-of-n, the RL policy) is a
*proposer*: it returns candidate rewrites for each selected sentence, and
:func:`rewrite_jobs` applies the same guard and the same metrics to all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from fairaudit.lexicon import find_coded_words
from fairaudit.metrics.drivers import word_drivers

from .reward import Reward, skill_recall

_SPLIT = re.compile(r"((?<=[.!?])\s+|\n+)")

#: Columns of :func:`rewrite_jobs`' result (and of ``AutoRefine.rewrite``).
COLUMNS = ("job_id", "original", "rewrite", "accepted", "gap_before", "gap_after", "meaning_score",
           "skill_recall", "reason", "n_sentences", "n_rewritten")


def split_sentences(text: str) -> list[str]:
    """Split into sentences *and* the separators between them (even = sentence).

    ``"".join(split_sentences(t)) == t`` always holds, so a text can be
    reassembled exactly after replacing some sentences.
    """
    return _SPLIT.split(str(text))


def sentence_slots(parts: Sequence[str]) -> list[int]:
    """Indices of the non-blank sentences in :func:`split_sentences` output."""
    return [i for i in range(0, len(parts), 2) if parts[i].strip()]


@dataclass
class Unit:
    """One sentence to rewrite: job row, slot in the split text, its text."""

    row: int
    slot: int
    sentence: str
    title: str
    score: float
    words: tuple[str, ...] = ()
    drivers: tuple[str, ...] = ()

    @property
    def hint(self) -> tuple[str, ...]:
        """Words the rewriter is asked to replace: the audit's drivers, else every coded word."""
        return self.drivers or self.words


def select_units(jobs: pd.DataFrame, gap_scorer, max_sentences: int = 2,
                 gap_before: np.ndarray | None = None) -> list[Unit]:
    """The sentences of each job holding the words that drive its gap.

    A sentence's score is the summed positive counterfactual delta of the
    coded words it contains (removing the word narrows the gap by that much).
    Per job the ``max_sentences`` sentences with coded words are kept, highest
    score first; jobs without coded words give no unit (they stay unchanged).
    ``Unit.drivers`` lists the sentence's coded words with a positive delta;
    the language-model methods are asked to replace those (``Unit.hint``).
    """
    jobs = jobs.reset_index(drop=True)
    try:
        drivers = word_drivers(gap_scorer, jobs[["job_id", "text"]], base_gaps=gap_before)
    except Exception:  # attribution is a ranking aid; coded words alone still work
        drivers = pd.DataFrame(columns=["job_id", "word", "delta"])
    delta = {(str(j), str(w).lower()): float(d) for j, w, d in
             drivers[["job_id", "word", "delta"]].itertuples(index=False)} if len(drivers) else {}
    units: list[Unit] = []
    for row, job in jobs.iterrows():
        parts = split_sentences(job["text"])
        scored = []
        for slot in sentence_slots(parts):
            words = {w.lower() for w, _ in find_coded_words(parts[slot])}
            if not words:
                continue
            s = sum(max(delta.get((str(job["job_id"]), w), 0.0), 0.0) for w in words)
            scored.append((s, len(words), -slot, slot))
        for s, _, _, slot in sorted(scored, reverse=True)[:max_sentences]:
            words = tuple(dict.fromkeys(w for w, _ in find_coded_words(parts[slot])))
            # drivers: coded words whose removal narrows *this* job's gap, strongest first
            d = {w: delta.get((str(job["job_id"]), w.lower()), 0.0) for w in words}
            drivers = tuple(sorted((w for w in words if d[w] > 0), key=lambda w: -d[w]))
            units.append(Unit(row=int(row), slot=slot, sentence=parts[slot].strip(),
                              title=str(job.get("title", "")), score=s, words=words, drivers=drivers))
    return units


def _keep_punct(original: str, rewrite: str) -> str:
    # the sentence splitter keeps the final period with the sentence; keep the
    # original's end mark if the model dropped it, so reassembly stays readable
    r = rewrite.strip()
    if r and original.strip()[-1:] in ".!?" and r[-1:] not in ".!?":
        r += original.strip()[-1]
    return r


#: A proposer maps units to candidate rewrites: one list of strings per unit.
Proposer = Callable[[list[Unit]], list[list[str]]]


def rewrite_jobs(jobs: pd.DataFrame, propose: Proposer, reward: Reward, *, max_sentences: int = 2,
                 choose: str = "first", units: list[Unit] | None = None,
                 gap_before: np.ndarray | None = None) -> pd.DataFrame:
    """Rewrite the driving sentences of each job and measure the result.

    Parameters
    ----------
    jobs : DataFrame with job_id, title, text
    propose : Proposer
        Candidate rewrites per selected sentence.
    reward : Reward
    max_sentences : int
        Sentences rewritten per job.
    choose : {"first", "best"}
        ``"first"``: take the first candidate if it passes the guard
        (prompt-only, lexicon, RL policy). ``"best"``: take the accepted
        candidate with the highest reward, and only if that reward is positive,
        else keep the sentence (best-of-n under the reward).
    units : list of Unit, optional
        Precomputed :func:`select_units` (shared between methods).

    Returns
    -------
    DataFrame with :data:`COLUMNS`.
    """
    if choose not in ("first", "best"):
        raise ValueError(f"choose must be 'first' or 'best', got {choose!r}")
    jobs = jobs.reset_index(drop=True)
    originals = jobs["text"].astype(str).tolist()
    titles = jobs["title"].astype(str).tolist() if "title" in jobs else [""] * len(jobs)
    g0 = np.asarray(reward.gap_scorer.gaps(originals) if gap_before is None else gap_before, dtype=float)
    if units is None:
        units = select_units(jobs, reward.gap_scorer, max_sentences, g0)
    parts = [split_sentences(t) for t in originals]
    current_gap = g0.copy()
    reasons: list[list[str]] = [[] for _ in originals]
    n_rewritten = np.zeros(len(jobs), dtype=int)
    candidates = propose(units) if units else []
    # sentences are rewritten in rounds (1st unit of every job, then 2nd, ...)
    # so that each choice is measured in the context of the earlier ones
    by_round: dict[int, list[int]] = {}
    seen: dict[int, int] = {}
    for u_i, u in enumerate(units):
        r = seen.get(u.row, 0)
        seen[u.row] = r + 1
        by_round.setdefault(r, []).append(u_i)
    for r in sorted(by_round):
        idx = by_round[r]
        flat: list[tuple[int, str]] = []
        for u_i in idx:
            cands = [c for c in candidates[u_i]] or [""]
            if choose == "first":
                cands = cands[:1]
            flat.extend((u_i, _keep_punct(units[u_i].sentence, c)) for c in cands)
        before, after, orig_units, new_units, tit, gb = [], [], [], [], [], []
        for u_i, cand in flat:
            u = units[u_i]
            new_parts = list(parts[u.row])
            new_parts[u.slot] = cand
            before.append("".join(parts[u.row]))
            after.append("".join(new_parts))
            orig_units.append(u.sentence)
            new_units.append(cand)
            tit.append(titles[u.row])
            gb.append(current_gap[u.row])
        scores = reward.score(orig_units, new_units, jobs_before=before, jobs_after=after, titles=tit,
                              gap_before=gb)
        scores["unit"] = [u_i for u_i, _ in flat]
        scores["text"] = new_units
        for u_i, grp in scores.groupby("unit", sort=False):
            u = units[u_i]
            ok = grp[grp["accepted"]]
            if choose == "best":
                ok = ok[ok["reward"] > 0]
            if len(ok) == 0:
                why = next((w for w in grp["reason"] if w), "")
                reasons[u.row].append(f"sentence {u.slot // 2 + 1} kept: " +
                                      (why or "no candidate improved the reward"))
                continue
            best = ok.loc[ok["reward"].idxmax()] if choose == "best" else ok.iloc[0]
            if best["text"].strip() == u.sentence.strip():
                reasons[u.row].append(f"sentence {u.slot // 2 + 1} kept: the model proposed no change")
                continue
            parts[u.row][u.slot] = best["text"]
            current_gap[u.row] = best["gap_candidate"]
            n_rewritten[u.row] += 1
    finals = ["".join(p) for p in parts]
    changed = [f != o for f, o in zip(finals, originals)]
    sim = np.ones(len(finals))
    idx = [i for i, c in enumerate(changed) if c]
    if idx:
        sim[idx] = reward.similarity([originals[i] for i in idx], [finals[i] for i in idx])
    n_units = pd.Series([u.row for u in units], dtype=int).value_counts()
    out = pd.DataFrame({
        "job_id": jobs["job_id"].astype(str),
        "original": originals,
        "rewrite": finals,
        "accepted": changed,
        "gap_before": g0,
        "gap_after": current_gap,
        "meaning_score": sim,
        "skill_recall": [skill_recall(o, f) for o, f in zip(originals, finals)],
        "reason": ["; ".join(r) if r else ("" if n_units.get(i, 0) else "no gender-coded words to rewrite")
                   for i, r in enumerate(reasons)],
        "n_sentences": [int(n_units.get(i, 0)) for i in range(len(jobs))],
        "n_rewritten": n_rewritten,
    })
    return out

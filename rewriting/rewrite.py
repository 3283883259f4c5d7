"""Which sentences to rewrite, and how a proposed edit becomes a measured rewrite.

Shared by every method (lexicon, prompt-only, best-of-n, the RL policy):

1. :func:`find_units` asks the recommender which sentences of a job drive its
   gap: each sentence is removed in turn and the job re-ranked (sentence
   occlusion), and inside the driving sentences each content word is removed in
   turn (word occlusion); Gaucher-coded words that widen the gap are flagged
   as well. A job with no driving sentence is left alone: its gap is what the
   pool's composition and chance give, and no wording fixes that.
2. A *proposer* returns candidate rewrites of each unit (edit plans from the
   policy, or whole sentences from the baselines).
3. :func:`rewrite_jobs` applies each candidate to the whole job, scores it with
   :class:`~rewriting.reward.Reward` (the same guard for every method) and keeps
   an accepted candidate only if it narrows the smoothed gap on the pool the
   reward ranks (never a rewrite the audit itself measures as worse).

The rewritten jobs are then measured with the audit's own hard top-k gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from fairaudit.engine.occlusion import assemble, occlusion_drivers, sentence_slots, split_sentences
from fairaudit.data.rewrites_table import COLUMNS

from .edits import EditPlan, apply_plan, format_plan, merge_plans, remove_phrase
from .meaning import editable_words, skill_recall, states_requirement
from .reward import Reward
from .spans import has_target


@dataclass
class Unit:
    """One sentence to rewrite.

    Attributes
    ----------
    row, slot : job row and index in :func:`split_sentences` of its text
    sentence, title : str
    flagged : editable words whose removal narrows the gap, strongest first
    effect : the unit's strength: the larger of the gap reduction when the
        (deletable) sentence is removed and the summed reductions of its flagged words
    deletable : the sentence states no requirement (:func:`~rewriting.meaning.states_requirement`)
    """

    row: int
    slot: int
    sentence: str
    title: str
    flagged: tuple[str, ...] = ()
    effect: float = 0.0
    deletable: bool = False
    word_effects: dict[str, float] = field(default_factory=dict)


def find_units(jobs: pd.DataFrame, reward: Reward, max_sentences: int = 5, min_effect: float = 0.005,
               max_flagged: int = 4, fair_before: np.ndarray | None = None,
               notes: list | None = None, duty_sentences: bool = True) -> list[Unit]:
    """The sentences of each job that drive its gap, with the phrases to edit.

    Two occlusion passes (:func:`fairaudit.engine.occlusion.occlusion_drivers`), both
    measured with the reward's smoothed gap on its pool: every sentence that
    states no requirement is removed in turn (its *effect*), and every editable
    word (:func:`~rewriting.meaning.editable_words`: gender-coded and style
    words, never skills or duties) is removed in turn. A sentence becomes a
    unit when it holds a word whose removal narrows the gap (coded words: by
    any amount; style words: by more than ``min_effect``), or when it states
    no requirement and removing it narrows the gap by more than ``min_effect``. With
    ``duty_sentences``, every sentence is occluded, and a sentence that states a duty or
    requirement whose removal narrows the gap by more than ``min_effect`` is a unit too
    (not deletable: it is rewritten, keeping its duties). Round 3 measured that the shift of a
    careful human rewrite sits in one to three such driving sentences, mostly duty sentences
    with coding inside. Every phrase edit (a whole simile, coded person phrase, slogan or
    describing clause: :func:`rewriting.phrases.phrase_plans`) is occluded too: a sentence whose
    figure narrows the gap by more than ``min_effect`` is a unit although none of its words does.
    A sentence that can be neither deleted nor edited under the guard (no
    flagged word, no coded, gendered or style word, no simile, slogan or describing clause:
    :func:`rewriting.spans.has_target`) is no unit: a salary line that moves the gap would take
    the slot of a coded sentence that moves it less.

    Parameters
    ----------
    jobs : DataFrame with job_id, title, text
    reward : Reward
    max_sentences : int
        At most this many sentences per job, strongest first.
    min_effect : float
        0.005 = half a percentage point of the smoothed top-k mix.
    max_flagged : int
        Phrases named per sentence.
    fair_before : array, optional
        Precomputed fairness gaps of the jobs.
    notes : list, optional
        Filled with one list per job naming the attributes whose gap no wording of that job
        moves (:func:`rewriting.attributes.text_driven`; scorers of several attributes only).
    duty_sentences : bool
        Occlude duty and requirement sentences too; those that drive the gap become units.

    Returns
    -------
    list of Unit, by job, strongest first within a job.
    """
    jobs = jobs.reset_index(drop=True)
    texts = jobs["text"].astype(str).tolist()
    titles = jobs["title"].astype(str).tolist() if "title" in jobs else [""] * len(jobs)
    g0 = np.asarray(reward.fairness_gaps(texts) if fair_before is None else fair_before, dtype=float)
    parts = [split_sentences(t) for t in texts]
    def may_delete(s: str, t: str) -> bool:
        return not states_requirement(s, t)

    table = occlusion_drivers(reward.fairness_gaps, jobs.assign(job_id=range(len(jobs))), words=editable_words,
                              remove=remove_phrase, deletable=None if duty_sentences else may_delete, base_gaps=g0)
    if notes is not None:
        notes[:] = _notes(jobs, reward, table, min_effect)
    sent: dict[tuple[int, int], float] = {}
    word: dict[tuple[int, int], dict[str, float]] = {}
    coded: dict[tuple[int, int], set[str]] = {}
    for r in table.itertuples(index=False):
        key = (int(r.job_id), 2 * (int(r.sentence_no) - 1))
        if r.kind == "sentence":
            sent[key] = float(r.delta)
        else:
            word.setdefault(key, {})[r.word] = float(r.delta)
            if r.coded:
                coded.setdefault(key, set()).add(r.word.lower())
    phrase = _phrase_effects(reward, parts, titles, g0)
    units: list[Unit] = []
    for j, p in enumerate(parts):
        found = []
        for s in sentence_slots(p):
            eff = word.get((j, s), {})
            keep = [w for w, d in sorted(eff.items(), key=lambda kv: -kv[1])
                    if d > (0.0 if w.lower() in coded.get((j, s), set()) else min_effect)][:max_flagged]
            e = sent.get((j, s), 0.0)
            ph = phrase.get((j, s), 0.0)
            deletable = (j, s) in sent and may_delete(p[s], titles[j])
            strength = max(e if (j, s) in sent else 0.0, sum(eff[w] for w in keep), ph)
            if (keep or e > min_effect or ph > min_effect) and (deletable or keep or has_target(p[s])):
                found.append(Unit(row=j, slot=s, sentence=p[s].strip(), title=titles[j], flagged=tuple(keep),
                                  effect=strength, deletable=deletable, word_effects=eff))
        units += sorted(found, key=lambda u: (-u.effect, u.slot))[:max_sentences]
    return units


def _phrase_effects(reward: Reward, parts: list[list[str]], titles: list[str],
                    g0: np.ndarray) -> dict[tuple[int, int], float]:
    """Per sentence, the largest narrowing of its job's gap by one phrase edit (:func:`rewriting.phrases.phrase_plans`).

    A figure moves the gap where its words, one at a time, do not: "go at it like linebackers on
    fourth down" narrows it when removed as a whole, while deleting the sentence (which names the
    job) widens it. Occluding each phrase edit finds such sentences.
    """
    from .lexical import is_gendered_or_coded
    from .phrases import phrase_plans

    keys, texts = [], []
    for j, p in enumerate(parts):
        for s in sentence_slots(p):
            for plan in phrase_plans(p[s].strip(), is_gendered_or_coded, title=titles[j]):
                new = apply_plan(p[s].strip(), plan)
                if new != p[s].strip():
                    keys.append((j, s))
                    texts.append(assemble(p, s, new))
    out: dict[tuple[int, int], float] = {}
    if texts:
        for (j, s), g in zip(keys, np.asarray(reward.fairness_gaps(texts), dtype=float)):
            out[(j, s)] = max(out.get((j, s), 0.0), float(g0[j] - g))
    return out


def _notes(jobs: pd.DataFrame, reward: Reward, table: pd.DataFrame, min_effect: float) -> list[list[str]]:
    """Per job, the named attributes whose gap is not text-driven (re-uses the memoised rankings)."""
    scorer = reward.gap_scorer
    if not hasattr(scorer, "smooth_gaps_all") or len(getattr(scorer, "attributes", ())) < 2:
        return [[] for _ in range(len(jobs))]
    from .attributes import text_driven

    t = reward.config.temperature
    texts = jobs["text"].astype(str).tolist()
    base = scorer.smooth_gaps_all(texts, t)
    per = {}
    for a in scorer.attributes:
        per[a] = occlusion_drivers(lambda x, a=a: scorer.smooth_gaps_all(x, t)[a],
                                   jobs.assign(job_id=range(len(jobs))), words=editable_words, remove=remove_phrase,
                                   deletable=lambda s_, t_: not states_requirement(s_, t_), base_gaps=base[a])
    return text_driven(per, len(jobs), min_effect)


@dataclass(frozen=True)
class Proposal:
    """One candidate rewrite of a unit: the new sentence, and the plan it came from (None = free text)."""

    sentence: str
    plan: EditPlan | None = None

    @property
    def label(self) -> str:
        return format_plan(self.plan) if self.plan is not None else self.sentence


#: A proposer maps units to candidate rewrites: one list of proposals per unit.
Proposer = Callable[[list[Unit]], list[list[Proposal]]]


def _describe(unit: Unit, prop: Proposal) -> str:
    if prop.plan is not None and prop.plan.delete or not prop.sentence.strip():
        return f"deleted: \u201c{unit.sentence}\u201d"
    if prop.plan is not None:
        return "; ".join(f"{o} \u2192 {n or '(removed)'}" for o, n in prop.plan.replacements)
    return f"\u201c{unit.sentence}\u201d \u2192 \u201c{prop.sentence}\u201d"


def rewrite_jobs(jobs: pd.DataFrame, propose: Proposer, reward: Reward, units: list[Unit], *,
                 choose: str = "first", require_gain: bool = True,
                 gap_before: np.ndarray | None = None, notes: Sequence[Sequence[str]] | None = None,
                 guard_log: list | None = None) -> pd.DataFrame:
    """Rewrite the driving sentences of each job and measure the result.

    Parameters
    ----------
    jobs : DataFrame with job_id, title, text
    propose : Proposer
    reward : Reward
    units : list of Unit
        :func:`find_units` of ``jobs`` (shared between methods).
    choose : {"first", "best"}
        ``"first"``: the first proposal of each unit (policy, prompt-only,
        lexicon). ``"best"``: the accepted proposal with the highest reward
        (best-of-n); the edit plans of a sentence's accepted proposals that narrow the
        gap are also merged into one more candidate (:func:`rewriting.edits.merge_plans`),
        which the guard and the reward judge like any other.
    require_gain : bool
        Keep a rewrite only if it narrows the smoothed gap on the reward's pool
        (default). ``False`` keeps any rewrite the guard accepts (a plain
        word-list tool).
    gap_before : array, optional
        The audit's hard gaps of ``jobs`` (computed if omitted).
    notes : list of list of str, optional
        Per job, what :func:`find_units` found about attributes no wording drives (added to ``reason``).
    guard_log : list, optional
        Filled with one ``(rule names that fired, narrowed the gap)`` record per scored candidate
        that changed its sentence (:func:`rewriting.guards.rule_counts` counts them per rule).

    Returns
    -------
    DataFrame with :data:`fairaudit.data.rewrites_table.COLUMNS`. Rejected or unhelpful rewrites keep the
    original sentence; ``reason`` says why for every sentence kept. With a scorer of several attributes,
    ``gap_before_<a>`` and ``gap_after_<a>`` for every watched attribute and, given ``notes``,
    ``text_driven_<a>`` for every named one (some sentence or word of the job moves that gap).
    """
    if choose not in ("first", "best"):
        raise ValueError(f"choose must be 'first' or 'best', got {choose!r}")
    jobs = jobs.reset_index(drop=True)
    originals = jobs["text"].astype(str).tolist()
    titles = jobs["title"].astype(str).tolist() if "title" in jobs else [""] * len(jobs)
    scorer = reward.gap_scorer
    multi = hasattr(scorer, "hard_gaps_all")
    by_attr0 = scorer.hard_gaps_all(originals) if multi else None
    g0 = np.asarray(gap_before if gap_before is not None else
                    np.mean([by_attr0[a] for a in scorer.attributes], axis=0) if multi else scorer.gaps(originals),
                    dtype=float)
    parts = [split_sentences(t) for t in originals]
    current = reward.fairness_gaps(originals) if units else np.zeros(len(jobs))
    reasons: list[list[str]] = [list(notes[i]) if notes is not None else [] for i in range(len(originals))]
    edits: list[list[str]] = [[] for _ in originals]
    n_rewritten = np.zeros(len(jobs), dtype=int)
    proposals = propose(units) if units else []
    slot = [u.slot for u in units]  # where each unit sits now (a deletion shifts later sentences)
    # sentences are rewritten in rounds (1st unit of every job, then 2nd, ...)
    # so that each choice is measured in the context of the earlier ones
    by_round: dict[int, list[int]] = {}
    seen: dict[int, int] = {}
    for u_i, u in enumerate(units):
        r = seen.get(u.row, 0)
        seen[u.row] = r + 1
        by_round.setdefault(r, []).append(u_i)
    for r in sorted(by_round):
        flat: list[tuple[int, Proposal]] = []
        for u_i in by_round[r]:
            props = list(proposals[u_i]) or [Proposal(units[u_i].sentence)]
            flat.extend((u_i, p) for p in (props[:1] if choose == "first" else props))

        def score(cands: list[tuple[int, Proposal]], start: int) -> pd.DataFrame:
            """The reward of each (unit, proposal) in its job as it stands; ``pos`` indexes ``flat``."""
            out = reward.score(["".join(parts[units[u_i].row]) for u_i, _ in cands],
                               [assemble(parts[units[u_i].row], slot[u_i], p.sentence) for u_i, p in cands],
                               titles=[titles[units[u_i].row] for u_i, _ in cands],
                               units_before=[units[u_i].sentence for u_i, _ in cands],
                               units_after=[p.sentence for _, p in cands], plans=[p.plan for _, p in cands],
                               fair_before=[current[units[u_i].row] for u_i, _ in cands])
            out["unit"] = [u_i for u_i, _ in cands]
            out["pos"] = range(start, start + len(cands))
            if guard_log is not None:
                guard_log.extend((tuple(r), bool(f < b)) for r, f, b, c in
                                 zip(out["rules"], out["fair_candidate"], out["fair_before"], out["changed"]) if c)
            return out

        scores = score(flat, 0)
        if choose == "best":  # the gaining plans of a sentence, merged, compete with each alone
            extra = _merged(scores, flat, units, require_gain)
            if extra:
                scores = pd.concat([scores, score(extra, len(flat))], ignore_index=True)
                flat += extra
        for u_i, grp in scores.groupby("unit", sort=False):
            u = units[u_i]
            n = f"sentence {u.slot // 2 + 1}"
            ok = grp[grp["accepted"]]
            if require_gain:
                ok = ok[ok["fairness"] > 0]
            if choose == "best":
                ok = ok[ok["reward"] > 0]
            if len(ok) == 0:
                changed = grp[grp["changed"]]
                bad = [flat[int(i)][1].plan for i in grp["pos"]]
                if len(changed) == 0 and any(p is not None and not p.valid for p in bad):
                    reasons[u.row].append(f"{n} kept: the answer was not a usable edit plan")
                elif len(changed) == 0:
                    reasons[u.row].append(f"{n} kept: no change proposed")
                elif (changed["reason"] != "").any():
                    reasons[u.row].append(f"{n} kept: " + next(w for w in changed["reason"] if w))
                else:
                    reasons[u.row].append(f"{n} kept: the rewrite did not narrow the gap")
                continue
            best = ok.loc[ok["reward"].idxmax()] if choose == "best" else ok.iloc[0]
            prop = flat[int(best["pos"])][1]
            parts[u.row] = split_sentences(assemble(parts[u.row], slot[u_i], prop.sentence))
            current[u.row] = best["fair_candidate"]
            n_rewritten[u.row] += 1
            edits[u.row].append(_describe(u, prop))
            # later units of this job point into the old split: re-locate them
            for v_i, v in enumerate(units):
                if v.row == u.row and v_i != u_i:
                    slot[v_i] = _locate(parts[u.row], v.sentence, slot[v_i])
    finals = ["".join(p) for p in parts]
    changed = [f != o for f, o in zip(finals, originals)]
    idx = [i for i, c in enumerate(changed) if c]
    sim = np.ones(len(finals))
    g1 = g0.copy()
    by_attr1 = by_attr0
    if idx:
        sim[idx] = reward.similarity([originals[i] for i in idx], [finals[i] for i in idx])
        if multi:
            new = scorer.hard_gaps_all([finals[i] for i in idx])
            by_attr1 = {a: v.copy() for a, v in by_attr0.items()}
            for a in by_attr1:
                by_attr1[a][idx] = new[a]
            g1[idx] = np.mean([new[a] for a in scorer.attributes], axis=0)
        else:
            g1[idx] = scorer.gaps([finals[i] for i in idx])
    n_units = pd.Series([u.row for u in units], dtype=int).value_counts()
    out = pd.DataFrame({
        "job_id": jobs["job_id"].astype(str),
        "original": originals,
        "rewrite": finals,
        "accepted": changed,
        "gap_before": g0,
        "gap_after": g1,
        "meaning_score": sim,
        "skill_recall": [skill_recall(o, f, t) for o, f, t in zip(originals, finals, titles)],
        "reason": ["; ".join(r + ([] if n_units.get(i, 0) else
                                  ["no wording drives this job's gap (nothing to rewrite)"]))
                   for i, r in enumerate(reasons)],
        "n_sentences": [int(n_units.get(i, 0)) for i in range(len(jobs))],
        "n_rewritten": n_rewritten,
        "edits": [" | ".join(e) for e in edits],
    }, columns=list(COLUMNS))
    if multi:  # the audit's hard gap of every watched attribute, before and after (reports show them)
        for a in by_attr0:
            out[f"gap_before_{a}"], out[f"gap_after_{a}"] = by_attr0[a], by_attr1[a]
        if notes is not None and len(scorer.attributes) >= 2:  # find_units measured, per named attribute,
            from .attributes import NAMES, NO_WORDING          # whether any wording of the job moves its gap

            for a in scorer.attributes:
                out[f"text_driven_{a}"] = [not any(str(n).startswith(f"{NAMES.get(a, a)}: {NO_WORDING}")
                                                   for n in notes[i]) for i in range(len(out))]
    return out


def _merged(scores: pd.DataFrame, flat: list, units: list[Unit], require_gain: bool) -> list[tuple[int, Proposal]]:
    """Per unit, one proposal that merges the edit plans of its accepted, gaining proposals (best reward
    first; :func:`rewriting.edits.merge_plans`), unless a proposal already reads the same."""
    out = []
    for u_i, grp in scores.groupby("unit", sort=False):
        ok = grp[grp["accepted"] & (grp["reward"] > 0) & ((grp["fairness"] > 0) | (not require_gain))]
        plans = [flat[int(i)][1].plan for i in ok.sort_values("reward", ascending=False)["pos"]]
        merged = merge_plans(plans)
        if merged is not None:
            sentence = apply_plan(units[u_i].sentence, merged)
            if all(flat[int(i)][1].sentence != sentence for i in grp["pos"]):
                out.append((u_i, Proposal(sentence, merged)))
    return out


def _locate(parts: Sequence[str], sentence: str, hint: int) -> int:
    slots = sentence_slots(parts)
    for s in sorted(slots, key=lambda s: abs(s - hint)):
        if parts[s].strip() == sentence.strip():
            return s
    return hint

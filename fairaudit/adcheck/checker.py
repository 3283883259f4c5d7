"""Pre-publication check of one job ad: will it skew who the recommender shows, why, and a fairer wording.

:func:`check` answers the ad author's questions with the audit's own measures:

1. **The top-k mix** of the ad against the target at each k, with the
   random-top-k noise floor (:attr:`fairaudit.engine.gap.GapScorer.noise_floor`): the
   gap a recommender that ignores the text would show on this pool.
2. **Is the gap text-driven?** Occlusion
   (:func:`fairaudit.engine.occlusion.occlusion_drivers`: each sentence and content
   word removed in turn, the ad re-ranked) must narrow the gap by more than
   chance (:func:`judge_text_driven`); the identity-blind re-ranking, as in the
   audit (:func:`fairaudit.engine.drivers.mask_identity`: names and pronouns masked in
   the profiles), says how much of the gap needs those identity cues.
3. **What drives it**: the occluded words and sentences ranked by how much
   removing them narrows the gap; the Gaucher word list is a label, not a filter.
4. **A fairer wording**: the shipped AutoRefine policy
   (``fairaudit.rewriting.AutoRefine``) rewrites the driving sentences; its
   before/after mix, meaning similarity and a word-level diff are reported.

This module belongs to the orchestration layer (with :mod:`fairaudit.pipeline`,
:mod:`fairaudit.demo`, :mod:`fairaudit.review` and :mod:`fairaudit.cli`), the
only layer that may import ``fairaudit.rewriting``; it does so only inside
:func:`rewrite_ad` and :func:`driver_label`.
The result types and their text are in :mod:`fairaudit.adcheck.outcome`.

>>> result = check(open("ad.txt").read(), "candidates.csv", k=(10, 50))   # doctest: +SKIP
>>> result.exit_code, result.drivers[0].text                               # doctest: +SKIP
(3, 'ninja')
"""
from __future__ import annotations

import contextlib
import os
import time
import warnings
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from .inputs import (MAX_AD_CHARS, SYNTHETIC_POOL, check_ks, check_text, default_title, read_ad,  # noqa: F401
                     resolve_pool)
from .outcome import TIED, CheckResult, Driver, IdentityBlind, MixAtK, RewriteCheck
from ..engine.drivers import mask_identity
from ..errors import FairauditWarning
from ..engine.gap import GapScorer
from ..text.language import language_warnings
from ..engine.measure import job_gaps
from ..engine.occlusion import occlusion_drivers
from ..options import DEFAULT_ALPHA, DEFAULT_KS, DEFAULT_TOLERANCE, check_tolerance
from ..engine.permutation import p_upper, random_topk_gaps
from ..progress import status
from ..engine.reading import ReadExtent, recommender_read_extent
from ..recommenders import clone_recommender, make_recommender
from ..recommenders.base import rank
from ..metrics.ties import order_decided, order_gap_range
from ..report.diff import word_diff
from ..text.textnorm import script_warnings
from ..engine.verdicts import BEYOND, PASS, WITHIN

AD_ID = "ad"
#: The most texts occlusion ranks for one ad (:func:`text_drivers`): sentences first, then the
#: words of the sentences whose removal narrows the gap most. Bounding the count keeps the
#: check's time linear in the ad's length (each variant is the whole ad once).
MAX_OCCLUSIONS = 400


# --------------------------------------------------------------------------- measures
def measure_mixes(scorers: dict[int, GapScorer], text: str, tolerance: float, alpha: float = DEFAULT_ALPHA,
                  n_draws: int = 1000, seed: int = 0) -> list[MixAtK]:
    """The ad's top-k mix, gap, noise floor and verdict category at each k.

    The chance level is the ad's permutation null: ``n_draws`` top-k lists
    drawn at random from the pool (:func:`fairaudit.engine.permutation.random_topk_gaps`);
    a gap over the tolerance is "breach, beyond chance" when at most ``alpha``
    of them reach it (p-value as in :func:`fairaudit.engine.permutation.p_lower`).

    The ad is ranked once, at the largest k (and one place more, to see ties at
    the cut-off): rankings are a total order (score, then row), so each smaller
    top-k is a prefix of it, measured with the audit's own
    :func:`fairaudit.engine.measure.job_gaps`. Places filled by row order among
    tied scores (:func:`fairaudit.metrics.ties.order_decided`, what the audit
    warns about) can move the gap within
    :func:`fairaudit.metrics.ties.order_gap_range`; when that range holds the
    tolerance the verdict is :data:`~fairaudit.adcheck.outcome.TIED`, since
    the file order, not the recommender, decides it.
    """
    big = scorers[max(scorers)]
    ranked = rank(big.recommender, [text], min(max(scorers) + 1, big.n_candidates), None,
                  n_candidates=big.n_candidates, block_size=big.block_size)
    top = ranked.indices
    whole: list[np.ndarray] = []

    def all_scores() -> np.ndarray:  # the ad's score for every candidate, only when some place is tied
        if not whole:
            whole.append(big.scores([text])[0])
        return whole[0]

    out = []
    for k, sc in scorers.items():
        res = job_gaps(top[:, :k], sc.encoding, sc.target)
        gap = float(res.gaps[0])
        within = bool(gap <= tolerance + 1e-12)
        by_order = int(order_decided(ranked.scores, k)[0])
        judgeable = by_order == 0
        if not judgeable:
            low, high = _tie_gap_range(sc, all_scores(), top[0, :k - by_order], float(ranked.scores[0, k - 1]),
                                       by_order)
            judgeable = bool(low > tolerance + 1e-12 or high <= tolerance + 1e-12)
        null = random_topk_gaps(sc.encoding.pool_counts, sc.encoding.n_known, k, sc.target, n_draws, seed)
        p = p_upper(null, gap)
        exceed = float(np.mean(null > tolerance + 1e-12))
        verdict = TIED if not judgeable else PASS if within else BEYOND if p <= alpha else WITHIN
        out.append(MixAtK(k=k, mix={g: float(v) for g, v in zip(sc.labels, res.shares[0])},
                          target={g: float(v) for g, v in zip(sc.labels, sc.target)}, gap=gap,
                          noise_floor=float(sc.noise_floor), within_tolerance=within,
                          p_value=p if judgeable else None, verdict=verdict,
                          null_exceed_share=exceed, order_decided=by_order, judgeable=judgeable))
    return out


def _tie_gap_range(sc: GapScorer, scores: np.ndarray, untied: np.ndarray, tied_score: float,
                   n_places: int) -> tuple[float, float]:
    """The gap range over tie-breaks (:func:`fairaudit.metrics.ties.order_gap_range`) of one k's top-k."""
    n_codes = sc.encoding.n_codes
    fixed = np.bincount(sc.encoding.codes[untied], minlength=n_codes)
    tied = np.bincount(sc.encoding.codes[scores.astype(np.float64) == tied_score], minlength=n_codes)
    return order_gap_range(fixed, tied, n_places, sc.target)


def tie_warnings(mixes: Sequence[MixAtK]) -> list[str]:
    """The audit's warning for a top-k decided by row order (:func:`fairaudit.engine.auditing`), one per k.

    Also for a top-k decided partly by row order when that part can carry the
    gap across the tolerance (the verdict is then :data:`~fairaudit.adcheck.outcome.TIED`).
    """
    out = []
    for m in mixes:
        if m.order_decided == m.k:
            out.append(f"the ad's top-{m.k} is decided entirely by row order: every candidate in it ties with one "
                       "left out (e.g. all scores equal, as BM25 gives a text with no indexed word), so its gap "
                       "reflects the file order, not the recommender; the result at this k cannot be judged")
        elif not m.judgeable:
            out.append(f"{m.order_decided} of the ad's top-{m.k} places are decided by row order among tied scores, "
                       "and another order of the tied candidates could put the gap on the other side of the "
                       "tolerance, so the result at this k cannot be judged (the file order, not the recommender, "
                       "would decide it)")
    for msg in out:
        warnings.warn(msg, FairauditWarning, stacklevel=3)
    return out


def identity_blind_gap(recommender: Any, candidates: pd.DataFrame, text: str, scorer: GapScorer,
                       gap: float | None = None) -> IdentityBlind:
    """The ad's gap when the profiles' names and pronouns are masked (the audit's decomposition)."""
    names = candidates["name"].tolist() if "name" in candidates.columns else None
    blind = clone_recommender(recommender)
    if hasattr(blind, "cache_queries"):
        blind.cache_queries = False
    blind.fit(mask_identity(candidates["text"].astype(str).tolist(), names))
    blind_scorer = GapScorer(blind, candidates, k=scorer.k, target=scorer.target, attribute=scorer.attribute,
                             fit=False)  # the target as the check resolved it
    gap = float(scorer.gaps([text])[0]) if gap is None else float(gap)
    return IdentityBlind(k=scorer.k, gap=gap, gap_blind=float(blind_scorer.gaps([text])[0]))


def driver_label(kind: str, word: str | None, sentence: str, title: str, category: str | None) -> str:
    """What a driver is, in words (see :class:`Driver`)."""
    from ..text.lexicon import find_coded_words
    from ..rewriting.meaning import editable_words, states_requirement

    if kind == "sentence":
        coded = list(dict.fromkeys(w.lower() for w, _ in find_coded_words(sentence)))
        what = "states a requirement" if states_requirement(sentence, title) else "states no requirement"
        return f"sentence that {what}" + (f"; coded words: {', '.join(coded)}" if coded else "")
    if category:
        return f"{category}-coded"
    if word in editable_words(sentence, title):
        return "style word, not in the word list"
    return "not in the word list; job vocabulary, a name or a title word: a rewrite keeps it"


def text_drivers(scorer: GapScorer, text: str, title: str, gap: float | None = None,
                 max_sentence_no: int | None = None, max_variants: int | None = MAX_OCCLUSIONS
                 ) -> tuple[list[Driver], int]:
    """Words and sentences whose removal narrows the gap, largest effect first (occlusion), and how many were skipped.

    ``max_sentence_no`` limits occlusion to the sentences the model reads
    (:func:`truncation_warning`); ``max_variants`` bounds the texts ranked
    (:data:`MAX_OCCLUSIONS`; :func:`fairaudit.engine.occlusion.occlusion_drivers`
    says which units it keeps). The second value counts the units left out.
    """
    table = occlusion_drivers(scorer.gaps, pd.DataFrame({"job_id": [AD_ID], "title": [title], "text": [text]}),
                              base_gaps=None if gap is None else np.array([gap]), max_sentence_no=max_sentence_no,
                              max_variants=max_variants)
    skipped = int(table.attrs.get("not_occluded", {}).get(AD_ID, 0))
    out = []
    for r in table.itertuples(index=False):
        if float(r.delta) <= 1e-12:
            continue
        category = None if r.category is None or pd.isna(r.category) else str(r.category)
        word = None if r.kind == "sentence" else str(r.word)
        out.append(Driver(kind=str(r.kind), text=str(r.sentence if word is None else word),
                          sentence_no=int(r.sentence_no), coded=bool(r.coded), category=category,
                          label=driver_label(str(r.kind), word, str(r.sentence), title, category),
                          gap_without=float(r.gap_without), delta=float(r.delta)))
    return sorted(out, key=lambda d: -d.delta), skipped  # stable: ties keep the text's order


def occlusion_warning(skipped: int) -> list[str]:
    """The warning for an ad with more sentences and words than occlusion examines (empty when it examines all)."""
    if not skipped:
        return []
    return [f"the ad is long: occlusion ranked {MAX_OCCLUSIONS:,} variants of it (every sentence first, then the "
            f"words of the sentences that move the gap most) and left {skipped:,} sentences and words unexamined; "
            "shorten the ad for a word-by-word answer"]


def truncation_warning(extent: ReadExtent | None) -> list[str]:
    """The warning for an ad longer than the embedding model reads (empty when it reads all of it)."""
    if extent is None or not extent.truncated:
        return []
    return [f"the ad is longer than the embedding model reads: it reads only its first {extent.max_tokens} tokens "
            f"({extent.describe()}); the top-k mix depends on that part only, so only sentences 1-"
            f"{extent.last_sentence_no} are occluded and can be drivers. Shorten the ad or put what matters first"]


def text_warnings(text: str, extent: ReadExtent | None = None) -> list[str]:
    """Everything about the ad's text the reader should know: hidden spellings, language, truncation."""
    return script_warnings(text) + language_warnings(text) + truncation_warning(extent)


def judge_text_driven(mix: MixAtK, drivers: list[Driver]) -> tuple[bool, str]:
    """Whether the gap comes from the ad's text, and the one-sentence reason.

    Text-driven means: the gap exceeds what a random top-k from this pool gives
    (the noise floor), and removing a single word or sentence narrows it by
    more than that floor. The floor is the bar for the second test too because
    every edit reshuffles the top-k a little: among dozens of occlusions some
    narrow the gap by a candidate or two by chance. The identity-blind gap is
    reported alongside (:class:`~fairaudit.adcheck.outcome.IdentityBlind`): the
    part of the gap that needs the names and pronouns in the profiles.
    """
    floor = mix.noise_floor
    if not mix.judgeable:
        return False, (f"row order among tied scores fills {mix.order_decided} of the top-{mix.k} places, so what "
                       "drives the gap cannot be judged either")
    if mix.gap <= floor:
        return False, f"the gap {mix.gap:.3f} is within what a random top-{mix.k} from this pool gives ({floor:.3f})"
    best = drivers[0] if drivers else None
    if best is None or best.delta <= floor:
        largest = "no removal narrows it" if best is None else f"largest: \u201c{best.text}\u201d, {best.delta:.3f}"
        return False, f"no single word or sentence moves the gap by more than chance ({floor:.3f}; {largest})"
    return True, (f"removing \u201c{best.text}\u201d alone narrows the gap by {best.delta:.3f}, more than chance "
                  f"({floor:.3f})")


@contextlib.contextmanager
def _quiet_model_loading(quiet: bool) -> Iterator[None]:
    """Without progress output, also silence the language model's loading bar and deprecation warnings."""
    if not quiet:
        yield
        return
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def rewrite_ad(recommender: Any, candidates: pd.DataFrame, text: str, title: str, scorers: dict[int, GapScorer],
               *, k: int, target: Any, attribute: str, tolerance: float, adapter: Any = None, seed: int = 0,
               gap: float | None = None, progress: bool = False) -> RewriteCheck:
    """Rewrite the ad with the shipped AutoRefine policy (or ``adapter``) and measure the result at each k."""
    from ..rewriting import AutoRefine

    # the check's attribute is the gap the rewrite closes; the guard still watches every rated attribute
    kw = dict(recommender=recommender, candidates=candidates, k=k, target=target, attribute=attribute,
              attributes=[attribute], progress=progress)
    with _quiet_model_loading(not progress):
        ar = AutoRefine.load(adapter, **kw) if adapter is not None else AutoRefine(**kw)
        row = ar.rewrite(pd.DataFrame({"job_id": [AD_ID], "title": [title], "text": [text]}), seed=seed,
                         gap_before=None if gap is None else np.array([gap])).iloc[0]
    new = str(row["rewrite"])
    return RewriteCheck(text=new, accepted=bool(row["accepted"]), reason=str(row["reason"] or ""),
                        edits=str(row["edits"] or ""), meaning_score=float(row["meaning_score"]),
                        skill_recall=float(row["skill_recall"]), mixes=measure_mixes(scorers, new, tolerance),
                        diff=[s.to_dict() for s in word_diff(text, new)],
                        method=str(ar.last_stats_.get("method", "policy")))


# --------------------------------------------------------------------------- the check
def check(text: str, candidates: Any = None, *, title: str | None = None, k: int | Sequence[int] = DEFAULT_KS,
          target: Any = "pool", tolerance: float = DEFAULT_TOLERANCE, attribute: str = "sex", recommender: Any = "embedding",
          rewrite: bool = True, adapter: str | os.PathLike | None = None, identity_blind: bool = True,
          seed: int = 0, candidate_columns: dict[str, str] | None = None, sep: str | None = None,
          progress: bool = False) -> CheckResult:
    """Check one job ad before publishing it.

    Parameters
    ----------
    text : str
        The ad.
    candidates : DataFrame, path or None
        The pool the recommender ranks (``text`` and the attribute); None runs
        on the packaged synthetic pool (``SYNTHETIC_POOL``) and says so.
    title : str, optional
        The job title (the rewrite must keep it); default ``default_title()``.
    k : int or sequence of int
        Cut-offs; the largest is the gap k of the verdict, the drivers and the
        rewrite (as in the audit, whose drivers and rewriting use the largest k).
    target, tolerance, attribute, recommender
        As in :func:`fairaudit.audit`.
    rewrite : bool
        Rewrite the ad with AutoRefine (loads the language model).
    adapter : path, optional
        An AutoRefine adapter folder instead of the shipped one.
    identity_blind : bool
        Re-rank with identity cues masked in the profiles (embeds the masked
        profiles once; they are cached like the originals).
    seed : int
    candidate_columns, sep
        Column mapping and delimiter of a candidates file.
    progress : bool
        One status line per step on stderr.

    Returns
    -------
    CheckResult
        ``exit_code`` is 0 within the tolerance at the gap k, 3 beyond it, 4
        when it cannot be judged: row order among tied scores fills enough
        top-k places to decide it (``measure_mixes()``; warned about as a
        :class:`~fairaudit.errors.FairauditWarning`, as the audit does).
        ``warnings`` says when the ad mixes scripts inside a word or holds
        invisible characters (the analysis reads it normalised,
        ``fairaudit.text.textnorm``), does not look English
        (``fairaudit.text.language``), or is longer than the embedding model
        reads (``read``, ``fairaudit.engine.reading``: then only the sentences it
        reads are occluded).

    Raises
    ------
    DataError
        Empty or non-text ad, an ad over ``fairaudit.options.MAX_AD_CHARS`` characters (before any model
        loads), unusable candidates (no attribute column, ...).
    ConfigError
        A bad k, tolerance, target or recommender.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    text = check_text(text)
    check_tolerance(tolerance)
    cands, pool, synthetic = resolve_pool(candidates, candidate_columns, sep)
    ks = check_ks(k, len(cands))
    gap_k = max(ks)
    title = default_title(text) if title is None else str(title).strip()
    status(f"fairaudit check: ranking {len(cands):,} candidates ({pool})", progress)
    rec = make_recommender(recommender)
    if hasattr(rec, "cache_queries"):
        rec.cache_queries = False  # the ad and its variants are throw-away texts: never cached on disk
    rec.fit(cands["text"].astype(str).tolist())
    first = GapScorer(rec, cands, k=ks[0], target=target, attribute=attribute, fit=False)  # resolves the target once
    scorers = {kk: first if kk == ks[0] else GapScorer(rec, cands, k=kk, target=first.target, attribute=attribute,
                                                       fit=False) for kk in ks}
    mixes = measure_mixes(scorers, text, float(tolerance))
    extent = recommender_read_extent(rec, text)
    notes = tie_warnings(mixes) + text_warnings(text, extent)  # printed with the result (format_check), in its JSON
    seconds["mix"] = time.perf_counter() - t0
    head = next(m for m in mixes if m.k == gap_k)
    t = time.perf_counter()
    blind = None
    if identity_blind:
        status("fairaudit check: re-ranking with names and pronouns masked", progress)
        blind = identity_blind_gap(rec, cands, text, scorers[gap_k], gap=head.gap)
    seconds["identity_blind"] = time.perf_counter() - t
    t = time.perf_counter()
    status("fairaudit check: removing each sentence and word in turn (occlusion)", progress)
    drivers, skipped = text_drivers(scorers[gap_k], text, title, gap=head.gap,
                                    max_sentence_no=extent.last_sentence_no if extent is not None and extent.truncated
                                    else None)
    notes += occlusion_warning(skipped)
    seconds["drivers"] = time.perf_counter() - t
    driven, reason = judge_text_driven(head, drivers)
    t = time.perf_counter()
    new = None
    if rewrite:
        status("fairaudit check: rewriting with the shipped AutoRefine policy", progress)
        new = rewrite_ad(rec, cands, text, title, scorers, k=gap_k, target=target, attribute=attribute,
                         tolerance=float(tolerance), adapter=adapter, seed=seed, gap=head.gap)
    seconds["rewrite"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return CheckResult(text=text, title=title, pool=pool, synthetic_pool=synthetic, n_candidates=len(cands),
                       recommender=str(getattr(rec, "name", type(rec).__name__)), attribute=attribute,
                       target=target, tolerance=float(tolerance), gap_k=gap_k, mixes=mixes, identity_blind=blind,
                       drivers=drivers, text_driven=driven, text_driven_reason=reason, rewrite=new, seconds=seconds,
                       warnings=notes, read=None if extent is None else extent.to_dict())

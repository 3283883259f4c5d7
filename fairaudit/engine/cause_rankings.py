"""The counterfactual rankings of the three-way cause split (``fairaudit.engine.cause_split``).

A live audit of per-job candidate sets ranks each job's own candidates once
more for each change, with the same recommender:

* **profiles masked** (``(1, 0)``): a copy of the recommender fitted on the
  profiles with names, titles and pronouns masked
  (:func:`fairaudit.engine.drivers.mask_identity`), the job texts as written;
* **text neutralised** (``(0, 1)``): the audited recommender, each job text with
  every gender-coded word (Gaucher et al. 2011) replaced by its neutral word
  (:func:`neutral_text`), or the texts you give (a rewrite, for example);
* **both** (``(1, 1)``).

Each job keeps its own candidates in every ranking
(:func:`fairaudit.engine.log_audit.rank_sets`), so the parts compare the same
(job, candidate) pairs.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from ..errors import DataError
from ..recommenders.base import Recommender
from ..text.lexicon import find_coded_words
from .candidate_sets import SetRanking
from .drivers import counterfactual_text, mask_identity

#: Why a part is not computed, by situation.
NO_SETS = ("this audit ranks every candidate for every job (no candidate sets), so who applied cannot differ from "
           "job to job; pass candidate_sets (job_id, candidate_id) to split the gap")
FROM_LOG = {
    "identity_cues": "a log holds the tool's past output; masking identity cues needs the profile texts and a "
                     "recommender to re-rank",
    "job_text": "a log holds the tool's past output; neutralising the job texts needs them and a recommender "
                "to re-rank",
}
SWITCHED_OFF = {part: "switched off (cause_split='none')" for part in ("identity_cues", "job_text")}


def neutral_text(text: str) -> str:
    """``text`` with every gender-coded word replaced by its neutral word (or removed where it has none).

    Parameters
    ----------
    text : str
        A job text.
    """
    out = str(text)
    for word in dict.fromkeys(w for w, _ in find_coded_words(out)):  # as written: the neutral word keeps its case
        out = counterfactual_text(out, word)
    return out


def neutral_texts(option: Any, job_ids: Sequence[str], texts: Sequence[str]) -> tuple[str, list[str]]:
    """How the job texts are neutralised (``"lexicon"`` or ``"given"``) and the neutral text of each job.

    Parameters
    ----------
    option : "lexicon", mapping or DataFrame
        The audit's ``cause_split``: the lexicon, or neutral texts by job id (a job left out keeps its text).
    job_ids, texts : sequence of str
        The jobs and their texts, in the same order.

    Raises
    ------
    DataError
        Given texts name a job that is not audited, or a text is not a string.
    """
    if option is None or (isinstance(option, str) and option == "lexicon"):
        return "lexicon", [neutral_text(t) for t in texts]
    given = dict(zip(option["job_id"].astype(str), option["text"])) if hasattr(option, "columns") else \
        {str(j): t for j, t in dict(option).items()}
    unknown = sorted(set(given) - set(map(str, job_ids)))
    if unknown:
        raise DataError(f"cause_split texts name {len(unknown)} job(s) that are not audited (first: {unknown[:5]})")
    bad = [j for j, t in given.items() if not isinstance(t, str) or not t.strip()]
    if bad:
        raise DataError(f"cause_split texts must be non-empty strings; not for job(s) {bad[:5]}")
    return "given", [given.get(str(j), t) for j, t in zip(job_ids, texts)]


def counterfactual_rankings(rec: Recommender, jobs: pd.DataFrame, candidates: pd.DataFrame, pairs: pd.DataFrame,
                            option: Any, rank: Callable[..., SetRanking], block_size: int = 256
                            ) -> tuple[dict[tuple[int, int], SetRanking], str]:
    """The three counterfactual rankings of the candidate sets, and how the texts were neutralised.

    Parameters
    ----------
    rec : Recommender
        The audited recommender, fitted on ``candidates``' texts.
    jobs, candidates : DataFrame
        The audit's tables (``name`` in the candidates, where present, is masked too).
    pairs : DataFrame
        The checked candidate sets.
    option : "lexicon", mapping or DataFrame
        See :func:`neutral_texts`.
    rank : callable
        :func:`fairaudit.engine.log_audit.rank_sets` (passed in: that module imports this one's users).
    block_size : int
        Jobs scored at once.
    """
    from ..recommenders import clone_recommender

    job_ids = jobs["job_id"].astype(str).tolist()
    texts = jobs["text"].astype(str).tolist()
    how, neutral = neutral_texts(option, job_ids, texts)
    cand_ids = candidates["candidate_id"].tolist()
    names = candidates["name"].tolist() if "name" in candidates.columns else None
    blind = clone_recommender(rec)
    blind.fit(mask_identity(candidates["text"].astype(str).tolist(), names))
    out = {(1, 0): rank(blind, texts, job_ids, pairs, cand_ids, block_size),
           (0, 1): rank(rec, neutral, job_ids, pairs, cand_ids, block_size),
           (1, 1): rank(blind, neutral, job_ids, pairs, cand_ids, block_size)}
    return out, how


def reasons_for(option: Any) -> Mapping[str, str]:
    """Why the re-ranked parts are not computed under ``option`` (empty when they are).

    Parameters
    ----------
    option : str, mapping, DataFrame or None
        The audit's ``cause_split``.
    """
    return SWITCHED_OFF if isinstance(option, str) and option == "none" else {}

"""Which words in a job text drive its gap, and how much of the gap the text can move.

Two counterfactual analyses, both measured with the audit's own
:class:`~fairaudit.engine.gap.GapScorer`:

* **Word drivers.** For every Gaucher-coded word in a job text, replace it by a
  neutral word (or delete it when there is none), re-rank, and report
  ``delta = gap(original) - gap(counterfactual)``: positive when the word widens
  the gap.
* **Identity-blind decomposition.** Re-run the recommender with names, titles and
  pronouns masked in the candidate profiles. The gap that remains
  (``gap_blind``) is what the job text moves through skills and wording alone;
  ``identity_part = gap - gap_blind`` comes from identity cues in the profiles,
  which no rewrite of the job text can remove.

References
----------
.. [1] Gaucher, Friesen & Kay (2011), J. Pers. Soc. Psychol. 101(1):109-128.
.. [2] Kusner et al., "Counterfactual Fairness", NeurIPS 2017 (counterfactual
       re-evaluation with protected cues changed).
"""
from __future__ import annotations

import functools
import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..text.lexicon import find_coded_words, neutral_replacement
from ..metrics.impact import is_above

_PRONOUNS = {
    "he": "they", "she": "they", "him": "them", "her": "their", "his": "their", "hers": "theirs",
    "himself": "themselves", "herself": "themselves", "mr": "", "mrs": "", "ms": "", "miss": "",
    "man": "person", "woman": "person", "male": "", "female": "",
}
_PRONOUN_RE = re.compile(r"\b(" + "|".join(sorted(_PRONOUNS, key=len, reverse=True)) + r")\b\.?", re.IGNORECASE)


def counterfactual_text(text: str, word: str) -> str:
    """``text`` with every occurrence of ``word`` neutralised (or removed)."""
    repl = neutral_replacement(word) or ""
    out = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", repl, text)
    return re.sub(r"\s{2,}", " ", re.sub(r"\s+([,.;:])", r"\1", out)).strip()


def word_drivers(scorer: Any, jobs: pd.DataFrame, base_gaps: np.ndarray | None = None) -> pd.DataFrame:
    """Counterfactual attribution of each job's gap to its coded words.

    Parameters
    ----------
    scorer : GapScorer, or a callable texts -> gaps
        The measure (:meth:`fairaudit.engine.gap.GapScorer.gaps`).
    jobs : DataFrame with ``job_id`` and ``text``
    base_gaps : per-job gaps of the original texts (computed if omitted)

    Returns
    -------
    DataFrame with job_id, word, category, count, gap, gap_without, delta,
    sorted by job then decreasing delta.

    Notes
    -----
    Each distinct counterfactual text is ranked once, however many jobs produce
    it (jobs sharing a text, a word whose neutral form is already in the text),
    so the measure sees every text once; a text's gap does not depend on the
    other texts ranked with it, so this changes no number.
    """
    gap_fn = scorer.gaps if hasattr(scorer, "gaps") else scorer
    texts = jobs["text"].astype(str).tolist()
    if base_gaps is None:
        base_gaps = gap_fn(texts)
    rows, cf_texts = [], []
    for j, text in enumerate(texts):
        found: dict[str, list] = {}
        for word, cat in find_coded_words(text):
            key = word.lower()
            if key in found:
                found[key][2] += 1
            else:
                found[key] = [word, cat, 1]
        for word, cat, count in found.values():
            rows.append((j, word, cat, count))
            cf_texts.append(counterfactual_text(text, word))
    cols = ["job_id", "word", "category", "count", "gap", "gap_without", "delta"]
    if not rows:
        return pd.DataFrame(columns=cols)
    uniq = list(dict.fromkeys(cf_texts))
    gap_of = dict(zip(uniq, np.asarray(gap_fn(uniq), dtype=float)))
    ids = jobs["job_id"].astype(str).to_numpy()
    out = pd.DataFrame({
        "job_id": [ids[j] for j, *_ in rows],
        "word": [w for _, w, _, _ in rows],
        "category": [c for _, _, c, _ in rows],
        "count": [n for *_, n in rows],
        "gap": [float(base_gaps[j]) for j, *_ in rows],
        "gap_without": [gap_of[t] for t in cf_texts],
    })
    out["delta"] = out["gap"] - out["gap_without"]
    order = {jid: i for i, jid in enumerate(ids)}
    out["_o"] = out["job_id"].map(order)
    return out.sort_values(["_o", "delta"], ascending=[True, False], kind="stable").drop(columns="_o").reset_index(drop=True)


def flagged_for_drivers(gaps: np.ndarray, noise_floor: float, tolerance: float) -> np.ndarray:
    """Jobs whose gap exceeds what chance and the tolerance allow: the jobs worth a driver analysis.

    .. math:: \\mathrm{flagged}_j = g_j > E[g_{random}] + \\tau

    where :math:`E[g_{random}]` is the gap of a top-k drawn at random from the
    pool (:func:`fairaudit.metrics.random_topk_gap`, the noise floor) and
    :math:`\\tau` the audit's tolerance. A gap within rounding of the threshold
    is not above it (:func:`fairaudit.metrics.impact.is_above`); an undefined
    (NaN) gap never is.
    """
    return np.asarray(is_above(np.asarray(gaps, dtype=float), float(noise_floor) + float(tolerance)), dtype=bool)


def mask_identity(texts: Sequence[str], names: Sequence[str] | None = None) -> list[str]:
    """Replace names, honorifics and gendered pronouns with neutral forms.

    The full name becomes "The candidate", any remaining part of it "the
    candidate", and he/she/him/her/... become they/them/their/....
    """
    out = []
    for i, text in enumerate(texts):
        t = str(text)
        name = names[i] if names is not None else None
        if isinstance(name, str) and name.strip():
            t = _name_pattern(name.strip()).sub(
                lambda m: "The candidate" if m.group(0) == name.strip() else "the candidate", t)
        # an object "her" first: every other "her" becomes the possessive "their" below
        t = _HER_CALLED_RE.sub(_her_called, _HER_OBJECT_RE.sub(lambda m: _match_case("them", m.group(2)), t))
        t = _PRONOUN_RE.sub(lambda m: (_SUBJECT if m.group(1).lower() in ("he", "she") else "")
                            + _match_case(_PRONOUNS[m.group(1).lower().rstrip(".")], m.group(1)), t)
        t = _AGREE_RE.sub(lambda m: _SUBJECT + _agree(m), t)  # the mark stays for the verbs joined by "and"
        t = _SUBJECT_CLAUSE_RE.sub(lambda m: m.group(1) + _AND_VERB_RE.sub(_agree_and, m.group(2)), t)
        t = t.replace(_SUBJECT, "")
        out.append(re.sub(r"\s{2,}", " ", t).strip())
    return out


#: Marks a "they" that was a singular subject (he / she), so that its verb can be made to agree.
_SUBJECT = "\x00"
_AGREE_RE = re.compile(_SUBJECT + r"(they)('s\b)?(\s+(?:(?:also|still|now|often|always|never|already|currently|"
                       r"recently|previously|later|then|\w+ly)\s+)?)([A-Za-z]+)\b", re.IGNORECASE)
#: Irregular third-person forms whose plural lemminflect does not give as one word.
_PLURAL_VERB = {"is": "are", "was": "were", "has": "have", "does": "do"}


def _agree(m: "re.Match[str]") -> str:
    """The verb after a "they" that replaced he / she in the plural: "They has worked" -> "They have worked".

    Only a third-person singular present form (lemminflect's VBZ of its lemma) changes,
    so "they worked", "they can" and nouns stay as they are; "he's" becomes "they've"
    before a past participle and "they're" otherwise.
    """
    they, clitic, gap, word = m.group(1), m.group(2), m.group(3), m.group(4)
    if clitic:
        return they + ("'ve" if _is_participle(word) else "'re") + gap + word
    return they + gap + _match_case_word(_plural_verb(word), word)


#: An object "her" ("know her as", "hired her."), which masks to "them", not the possessive "their": before
#: punctuation or a word that cannot follow a possessive.
_HER_OBJECT_RE = re.compile(
    r"()\b(her)\b(?=\s*(?:[,.;:!?)]|$)|\s+(?:as|to|for|with|at|in|on|from|and|or|but|because|when|if|that|than|"
    r"about|again|too|so|very|well|the|a|an)\b)", re.IGNORECASE)
#: "call her outspoken": after a verb of calling or judging, "her" before an adjective is the object
#: ("call her team" stays possessive: "team" is no adjective).
_HER_CALLED_RE = re.compile(r"\b((?:calls?|called|calling|considers?|considered|considering|finds?|found|finding|"
                            r"deems?|deemed|rates?|rated)\s+)(her)(?=\s+([A-Za-z]+))", re.IGNORECASE)


def _her_called(m: "re.Match[str]") -> str:
    import lemminflect

    adjective = "ADJ" in lemminflect.getAllLemmas(m.group(3).lower())
    return m.group(1) + (_match_case("them", m.group(2)) if adjective else m.group(2))
#: The rest of a sentence whose subject is a "they" that replaced he / she (its verbs joined by "and" agree too).
_SUBJECT_CLAUSE_RE = re.compile(_SUBJECT + r"(they)([^.!?;\x00]*)", re.IGNORECASE)
_AND_VERB_RE = re.compile(r"(\band\s+)([a-z]+s)\b")


def _agree_and(m: "re.Match[str]") -> str:
    """"They are driven, and enjoys goals" -> "... and enjoy goals": only a word that is a verb and nothing else.

    "They manage budgets and reports" keeps "reports" (also a noun); "manages", "enjoys" change.
    """
    import lemminflect

    word = m.group(2)
    lemmas = lemminflect.getAllLemmas(word)
    return m.group(1) + (_plural_verb(word) if set(lemmas) == {"VERB"} else word)


def _plural_verb(word: str) -> str:
    import lemminflect

    low = word.lower()
    if low in _PLURAL_VERB:
        return _PLURAL_VERB[low]
    if not low.endswith("s"):
        return word
    for lemma in lemminflect.getAllLemmas(low).get("VERB", ()):
        if low in lemminflect.getInflection(lemma, tag="VBZ"):
            return lemma
    return word


def _is_participle(word: str) -> bool:
    import lemminflect

    low = word.lower()
    return any(low in lemminflect.getInflection(lemma, tag="VBN")
               for lemma in lemminflect.getAllLemmas(low).get("VERB", ()))


def _match_case_word(repl: str, original: str) -> str:
    return repl.upper() if original.isupper() and len(original) > 1 else repl.capitalize() if original[:1].isupper() \
        else repl


@functools.lru_cache(maxsize=65536)
def _name_pattern(name: str) -> "re.Pattern[str]":
    # one pattern per distinct name (full name first, then its parts, longest first)
    parts = [p for p in sorted(set(name.split()), key=len, reverse=True) if len(p) > 1]
    alts = [re.escape(name)] + [re.escape(p) for p in parts if p != name]
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b")


def _match_case(repl: str, original: str) -> str:
    return repl.capitalize() if original[:1].isupper() and repl else repl


def decomposition(gaps: np.ndarray, gaps_blind: np.ndarray, job_ids: Sequence[str], k: int,
                  attribute: str) -> pd.DataFrame:
    """Split each job's gap into an identity-cue part and a text part."""
    return pd.DataFrame({
        "job_id": list(job_ids), "k": k, "attribute": attribute,
        "gap": gaps.astype(float), "gap_blind": gaps_blind.astype(float),
        "identity_part": (gaps - gaps_blind).astype(float), "text_part": gaps_blind.astype(float),
    })

"""Does the rest of the sentence still fit after an edit? The packaged language model's phrase-level judgement.

A mean token likelihood over the whole sentence barely notices one wrong word ("a like note",
"sense at home", "perform better than every deadline"). What an editor notices is that the
words *after* the edit no longer follow from it. For each changed region of a sentence (a
word-level alignment of before and after, so free-text rewrites are judged like edit plans),
the **continuation loss** is

.. math:: \\Delta = \\sum_{t \\in C'} -\\log p(t \\mid x'_{<t}) \\; - \\; \\sum_{t \\in C} -\\log p(t \\mid x_{<t})

where :math:`C` and :math:`C'` are the tokens of the same next ``n_after`` words (the object,
the head of a compound, the rest of an idiom) in the original and the edited sentence, scored
by the base model (``rewriting.policy.token_nll``). The removal of one word that modifies the next
(:func:`rewriting.syntax.modifier_removed`) is not a region: the head it leaves was likelier after its
modifier ("softly coax"), which says nothing about fit; nor is a neutral noun for a gendered one
(:func:`neutral_person`: "blokes" -> "people"), whose continuation is less likely only to a model that learned
the stereotype. The largest :math:`\\Delta` over the
regions is the sentence's loss; the guard rejects it above
:attr:`rewriting.reward.RewardConfig.max_continuation_loss` (nats). A deletion of a whole
sentence has no continuation and is not judged here.
"""
from __future__ import annotations

import difflib
import re
from typing import Callable, Sequence

import numpy as np

from .syntax import modifier_removed

#: ``texts -> [(offsets (n, 2), nll (n,))]``: each token's character span and its NLL given the tokens before it.
TokenScorer = Callable[[Sequence[str]], list]
_WORD = re.compile(r"\S+")


def _spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def continuation_regions(before: str, after: str, n_after: int = 3) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """For each changed region, the character span of the next ``n_after`` unchanged words in both texts.

    Words are compared without case and surrounding punctuation; a region at the end of the
    sentence has no continuation and is left out.
    """
    sb, sa = _spans(before), _spans(after)
    wb = [before[a:b].lower().strip(".,;:!?") for a, b in sb]
    wa = [after[a:b].lower().strip(".,;:!?") for a, b in sa]
    out = []
    ops = difflib.SequenceMatcher(a=wb, b=wa, autojunk=False).get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        if tag == "delete" and i2 - i1 == 1 and modifier_removed(before.split(), i1):
            # a modifier's own removal leaves its head ("and softly coax" -> "and coax", "a cosy, close-knit
            # office" -> "a close-knit office"); the head was likelier after its modifier, which is no misfit
            continue
        if tag == "replace" and i2 - i1 == 1 and j2 - j1 == 1 and neutral_person(wb[i1], wa[j1], wa[j2:]):
            continue
        nxt = ops[k + 1] if k + 1 < len(ops) else None
        if nxt is None or nxt[0] != "equal":
            continue
        m = min(n_after, nxt[2] - nxt[1])
        if m <= 0:
            continue
        cb = (sb[nxt[1]][0], sb[nxt[1] + m - 1][1])
        ca = (sa[nxt[3]][0], sa[nxt[3] + m - 1][1])
        # the token before the first continuation word carries its leading space: start one char earlier
        out.append(((max(cb[0] - 1, 0), cb[1]), (max(ca[0] - 1, 0), ca[1])))
    return out


#: Pronouns that would still name the person's gender after the noun is made neutral ("a person to pull his weight").
_GENDERED_PRONOUNS = frozenset(("he", "she", "him", "her", "his", "hers", "himself", "herself"))
#: Plain nouns that as often name the job's clients as its staff ("assess pregnant women", "men's health"): a
#: careful human keeps those, so the model's judgement stays.
_CLIENT_NOUNS = frozenset(("man", "men", "woman", "women", "boy", "boys", "girl", "girls"))
#: Neutral nouns for people that read either as one person or as a group ("staff", "team").
_COLLECTIVE = frozenset(("staff", "team", "crew"))


def neutral_person(old: str, new: str, rest: Sequence[str] = ()) -> bool:
    """True when a colloquial noun naming staff by gender is replaced by a neutral one of the same number ("blokes"
    -> "people", "bloke" -> "person", "foremen" -> "supervisors") and no gendered pronoun follows in ``rest``.

    Such a swap keeps the sense and the grammar by construction; what the language model finds less likely after
    it ("only hard-core blokes last the swing" -> "... people last the swing") is its own stereotype, not a
    misfit, so it is no continuation region. A pronoun left behind ("expect a person to pull his weight") keeps
    it one, and so do "man", "women", "girls" and the like, which as often name the job's clients ("assess
    pregnant women") as its staff.
    """
    from .meaning import GENDERED_PEOPLE
    from .people import gendered_compound, neutral_title
    from .spans import NEUTRAL_PEOPLE

    old, new = old.lower().strip(".,;:!?'\""), new.lower().strip(".,;:!?'\"")
    if old in _GENDERED_PRONOUNS or old in _CLIENT_NOUNS or not (old in GENDERED_PEOPLE or gendered_compound(old)):
        return False
    if new != neutral_title(old) and new not in NEUTRAL_PEOPLE:
        return False
    if any(w.strip(".,;:!?'\"").lower() in _GENDERED_PRONOUNS for w in rest):
        return False
    plural_old = old.endswith(("men", "s"))
    plural_new = new.endswith("s") or new == "people"
    return new in _COLLECTIVE or plural_old == plural_new


def _span_nll(offsets: np.ndarray, nll: np.ndarray, span: tuple[int, int]) -> float:
    a, b = span
    starts = np.asarray(offsets)[:, 0] if len(offsets) else np.zeros(0)
    sel = (starts >= a) & (starts < b) & np.isfinite(nll)
    return float(np.asarray(nll)[sel].sum())


def continuation_loss(score: TokenScorer, befores: Sequence[str], afters: Sequence[str],
                      n_after: int = 3) -> np.ndarray:
    """The largest continuation loss (nats) of each edited sentence; 0 where no region has a continuation.

    Parameters
    ----------
    score : TokenScorer
        Token NLLs under the base model (:func:`rewriting.policy.token_nll`).
    befores, afters : sequence of str
        Each sentence before and after its edit.
    n_after : int
        Words after a changed region that must still fit.

    Returns
    -------
    ndarray of float, one per pair.
    """
    regions = [continuation_regions(b, a, n_after) if a.strip() else [] for b, a in zip(befores, afters)]
    todo = [i for i, r in enumerate(regions) if r]
    out = np.zeros(len(befores))
    if not todo:
        return out
    # a causal model's NLL of a token depends only on the tokens before it: each text is scored up to the end of
    # its last continuation (words end before a space or punctuation, so the prefix tokenises the same), and a
    # prefix shared by several edits (the same original sentence) is scored once
    texts = [befores[i][:max(cb[1] for cb, _ in regions[i])] for i in todo] + \
            [afters[i][:max(ca[1] for _, ca in regions[i])] for i in todo]
    unique = list(dict.fromkeys(texts))
    scored = dict(zip(unique, score(unique)))
    for k, i in enumerate(todo):
        (ob, nb), (oa, na) = scored[texts[k]], scored[texts[len(todo) + k]]
        out[i] = max(_span_nll(oa, na, ca) - _span_nll(ob, nb, cb) for cb, ca in regions[i])
    return out

"""Which spans a whole-sentence rewrite changed, and whether each one touches the sentence's coding.

An edit plan names the words it changes, so ``coded_target`` (:mod:`rewriting.guards`) can ask
of each that it be coded. A free-text rewrite of the adapter names nothing: reading round 4's
sampled rewrites found changes to words that hold no coding ("one week in five" -> "every day",
"finishes" -> "ends", "also" dropped, "home-office" -> "home office"). Each buys the
recommender's noise, not fairness, and several change the job. This
module aligns the two sentences word by word (``difflib.SequenceMatcher``, after
contractions are expanded and hyphens split, so "You'll" -> "You will" is no change) and returns
the changed spans that touch no coded word: the guard refuses a rewrite that has one, or that
changes no coded word at all.

A span touches coding when its old side holds a gender-coded, gendered or demographic word
(:func:`rewriting.lexical.is_gendered_or_coded`), a word careful humans removed or replaced in
training ads and never used in a neutral rewrite, in two ads or more or outside ESCO's job
vocabulary (:func:`trusted_style_words`: "ship", which one human edited in
one ad, does not count, so "We ship first" -> "We send first" is refused), or lies inside a recognised
figure of the sentence (a simile, a slogan: :mod:`rewriting.phrases`) or holds a word only the
coded-word tagger knows (:mod:`rewriting.tagger`), and removes it, bringing in stop words at most.
"""
from __future__ import annotations

import re
from functools import lru_cache
from difflib import SequenceMatcher

from fairaudit.engine.occlusion import STOP_WORDS

from .syntax import bare

_CONTRACTIONS = ((re.compile(r"\bwon't\b", re.I), "will not"), (re.compile(r"\bcan't\b", re.I), "can not"),
                 (re.compile(r"\bcannot\b", re.I), "can not"), (re.compile(r"n't\b", re.I), " not"),
                 (re.compile(r"'ll\b", re.I), " will"), (re.compile(r"'re\b", re.I), " are"),
                 (re.compile(r"'ve\b", re.I), " have"), (re.compile(r"'m\b", re.I), " am"),
                 (re.compile(r"'d\b", re.I), " would"))


def words(sentence: str) -> list[str]:
    """Lower-case words of a sentence for alignment: contractions expanded, hyphens and slashes split,
    punctuation dropped ("You'll run front-of-house." -> you, will, run, front, of, house)."""
    s = str(sentence).replace("\u2019", "'")
    for pat, full in _CONTRACTIONS:
        s = pat.sub(full, s)
    s = re.sub(r"[-\u2013\u2014/]", " ", s)
    return [w for w in (bare(t) for t in s.split()) if w]


@lru_cache(maxsize=1)
def trusted_style_words() -> frozenset[str]:
    """Style words a whole-sentence rewrite may change on their own: edited by careful humans in two training ads
    or more, or a word ESCO's skill and occupation texts never use (:func:`rewriting.meaning.is_job_word`).

    A word that one human edited in one ad and that names job content elsewhere ("ship", "race", "back",
    "sit") let sense changes through ("We ship first" -> "We send first", "race the clock" -> "watch the clock").
    """
    from .meaning import is_job_word
    from .vocabulary import phrase_pairs

    counts: dict[str, int] = {}
    for style, ads in zip(phrase_pairs()["style"], phrase_pairs()["ads"]):
        for w in str(style).split():
            counts[w] = counts.get(w, 0) + int(ads)
    return frozenset(w for w, n in counts.items() if n >= 2 or not is_job_word(w))


def listed_coding(word: str) -> bool:
    """True when a list knows ``word`` as coding: the lexicon, gendered and demographic words, trusted style words."""
    from .lexical import is_gendered_or_coded

    return is_gendered_or_coded(word) or word in trusted_style_words()


def _coding(word: str) -> bool:
    from .tagger import is_tagged

    return listed_coding(word) or is_tagged(word)


def _figure_spans(sentence: str) -> list[tuple[int, int]]:
    """Word ranges (in :func:`words` positions) of the sentence's similes, slogans and describing clauses."""
    from .lexical import is_gendered_or_coded
    from .phrases import describing_clauses, similes, slogans

    ws = words(sentence)
    out = []
    for fig in similes(sentence) + slogans(sentence) + describing_clauses(sentence, is_gendered_or_coded):
        f = words(fig)
        for i in range(len(ws) - len(f) + 1):
            if f and ws[i:i + len(f)] == f:
                out.append((i, i + len(f)))
    return out


def has_target(sentence: str) -> bool:
    """True when some span of ``sentence`` may change under ``rewrite_target`` and ``coded_target``: it holds a
    gender-coded, gendered or style word, or a simile, slogan or describing clause.

    A driving sentence without one (a salary line, a list of duties) can only be kept or deleted: no rewrite of
    it passes the guard, so choosing it as a unit spends a slot on nothing.

    Examples
    --------
    >>> has_target("Salary is 60,000 plus bonus and private healthcare.")
    False
    >>> has_target("We want a guy who treats every outage as personal.")
    True
    """
    return any(_coding(w) for w in words(sentence)) or bool(_figure_spans(sentence))


def _align(before: str, after: str) -> tuple[list[str], list[str], list[tuple[str, int, int, int, int]]]:
    """The :func:`words` of both sentences and ``difflib``'s opcodes between them."""
    a, b = words(before), words(after)
    return a, b, SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def changed_spans(before: str, after: str) -> list[tuple[str, str, int, int]]:
    """The spans ``after`` changed: ``(old, new, start, end)`` with ``start:end`` the old words' positions.

    Pure insertions are left out (``invented_content`` judges what a rewrite adds).
    """
    a, b, ops = _align(before, after)
    out = []
    for op, i1, i2, j1, j2 in ops:
        if op in ("replace", "delete"):
            out.append((" ".join(a[i1:i2]), " ".join(b[j1:j2]), i1, i2))
    return out


def untargeted_spans(before: str, after: str) -> list[tuple[str, str]]:
    """Changed spans of a whole-sentence rewrite that touch no coding (see the module docstring).

    Parameters
    ----------
    before, after : str
        The sentence before and after the rewrite.

    Returns
    -------
    list of (str, str)
        ``(old, new)`` of every span that fails; ``[("", "")]`` when the rewrite changes no word at all
        (punctuation, a contraction or a hyphen only: the gap it narrows is the recommender's noise).

    Examples
    --------
    >>> untargeted_spans("You'll work one week in five on call.", "You'll work every day on call.")
    [('one week in five', 'every day')]
    >>> untargeted_spans("You'll run the floor like a drill sergeant.", "You will run the floor.")
    []
    """
    spans = changed_spans(before, after)
    if not spans:
        return [("", "")]
    figures = _figure_spans(before)
    bad = []
    from .tagger import tagged_words

    for old, new, i, j in spans:
        if any(listed_coding(w) for w in old.split()):
            continue
        removes = all(w in STOP_WORDS for w in new.split())
        if removes and (any(s <= i and j <= e for s, e in figures) or tagged_words(old.split())):
            continue
        bad.append((old, new))
    return bad


#: Neutral nouns for people that replace a gendered or coded one ("blokes" -> "workers").
NEUTRAL_PEOPLE = frozenset(("people", "person", "someone", "anyone", "everyone", "adults", "adult", "workers",
                            "worker", "staff", "colleagues", "colleague", "team", "employees", "employee", "folks",
                            "individuals", "individual", "candidates", "candidate", "parent", "parents"))


def foreign_words(job_before: str, before: str, after: str) -> list[str]:
    """Content words a whole-sentence rewrite brings into its changed spans from outside an editor's vocabulary.

    A careful editor replaces a coded phrase with plain words: the ad's own words, a word careful
    humans used as a replacement in training ads (:func:`rewriting.vocabulary.vetted_words`), the
    neutral lexicon's, or a neutral noun for people. Round 4's sampled rewrites brought in words of
    their own ("like a drill sergeant" -> "like a inspector in a frontline workstation", "a warm
    kitchen" -> "a furry larder", "with a caring heart" -> "who introduces and approaches the
    manufacturer"); ESCO's vocabulary holds nearly every noun, so it cannot tell these apart.

    Parameters
    ----------
    job_before : str
        The whole job text before the rewrite (its words are the ad's own).
    before, after : str
        The sentence before and after.

    Returns
    -------
    list of str
        The foreign words (and any word the rewrite doubles), in order, without repeats.
    """
    from fairaudit.text.lexicon import NEUTRAL_LEXICON

    from .meaning import stem
    from .people import NEUTRAL_TITLES
    from .vocabulary import vetted_words

    own = {stem(w) for w in words(job_before) + words(before)}
    allowed = (vetted_words() | NEUTRAL_PEOPLE | {w for v in NEUTRAL_LEXICON.values() for w in v.lower().split()}
               | {w for v in NEUTRAL_TITLES.values() for w in v.split()})
    _, b, ops = _align(before, after)
    out = []
    for op, i1, i2, j1, j2 in ops:
        if op in ("replace", "insert"):
            out += [w for w in b[j1:j2] if w not in STOP_WORDS and w not in allowed and stem(w) not in own
                    and not w.isdigit()]
            # a word doubled by the rewrite ("commission kickers" -> "commission commissions")
            out += [w for k, w in enumerate(b[j1:j2], j1) if k > 0 and stem(b[k - 1]) == stem(w)
                    and w not in STOP_WORDS]
    return list(dict.fromkeys(out))

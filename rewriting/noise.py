"""Harm beyond noise: is a rewrite's rise of a gap more than what meaning-neutral edits of the same ad do?

Any edit of an ad moves its embedding a little, and with it which candidates sit around rank
k: a gap "rises" for many rewrites, the careful human's too. The question is whether it rises
*more than an edit that changes nothing of the meaning*. For one ad this module builds ``V``
meaning-neutral variants (:func:`neutral_variants`: contractions, list punctuation, "&" / "and",
whitespace, the order of two independent sentences, a synonym of a neutral word), measures the
gap of each on the same pools as the rewrite, and tests the rewrite's rise against theirs
(:func:`rise_beyond_noise`). ``benchmarks/calibrate_harm.py`` checks on held-out neutral
variants that the test flags at most ``alpha`` of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

#: Neutral synonyms: plain words whose swap changes no duty, requirement or tone (no gender-coded word).
NEUTRAL_SYNONYMS: dict[str, str] = {
    "job": "role", "help": "assist", "big": "large", "start": "begin", "about": "around", "get": "receive",
    "choose": "select", "show": "demonstrate", "need": "require", "main": "primary", "buy": "purchase",
    "check": "verify", "fix": "repair", "each": "every", "lots of": "plenty of", "also": "as well",
    "usually": "normally", "often": "frequently", "whole": "entire", "enough": "sufficient",
}
_CONTRACTIONS = (("you will", "you'll"), ("we are", "we're"), ("you are", "you're"), ("it is", "it's"),
                 ("we will", "we'll"), ("do not", "don't"), ("we have", "we've"))
_DEPENDENT = re.compile(r"^(?:it|this|that|they|these|those|he|she|also|however|so|but|and|then|there|here|"
                        r"such|which|both|plus|as well)\b", re.IGNORECASE)


def _swap_one(text: str, pairs, rng: np.random.Generator) -> str:
    hits = []
    for a, b in pairs:
        for old, new in ((a, b), (b, a)):
            for m in re.finditer(r"(?<![\w'])" + re.escape(old) + r"(?![\w'])", text, flags=re.IGNORECASE):
                hits.append((m.start(), m.end(), new if not m.group(0)[:1].isupper() else new[:1].upper() + new[1:]))
    if not hits:
        return text
    s, e, new = hits[int(rng.integers(len(hits)))]
    return text[:s] + new + text[e:]


def contraction(text: str, rng: np.random.Generator) -> str:
    """Contract or expand one "you will" / "you'll" (and the like)."""
    return _swap_one(text, _CONTRACTIONS, rng)


def synonym(text: str, rng: np.random.Generator) -> str:
    """Swap one neutral word for its synonym (:data:`NEUTRAL_SYNONYMS`), either way."""
    return _swap_one(text, tuple(NEUTRAL_SYNONYMS.items()), rng)


def punctuation(text: str, rng: np.random.Generator) -> str:
    """Add or drop one serial comma, or swap one "&" and "and" between two words."""
    cands = [(m.start(), m.end(), " and") for m in re.finditer(r", and(?= )", text)]
    cands += [(m.start(), m.end(), ", and") for m in re.finditer(r"(?<=\w) and(?= \w+[.!?]?$)", text)]
    cands += [(m.start(), m.end(), " and ") for m in re.finditer(r" & ", text)]
    if not cands:
        return text
    s, e, new = cands[int(rng.integers(len(cands)))]
    return text[:s] + new + text[e:]


def whitespace(text: str, rng: np.random.Generator) -> str:
    """Two spaces instead of one after one sentence end (or a trailing space)."""
    ends = [m.end() for m in re.finditer(r"[.!?] (?=\S)", text)]
    if not ends:
        return text + " "
    i = ends[int(rng.integers(len(ends)))]
    return text[:i] + " " + text[i:]


def reorder(text: str, rng: np.random.Generator) -> str:
    """Swap two adjacent independent sentences (neither the first nor one that points back: "It", "This", ...)."""
    from fairaudit.engine.occlusion import split_sentences

    parts = split_sentences(text)
    slots = [i for i in range(2, len(parts), 2) if parts[i].strip()]
    pairs = [(a, b) for a, b in zip(slots, slots[1:]) if b == a + 2 and not _DEPENDENT.match(parts[a].strip())
             and not _DEPENDENT.match(parts[b].strip()) and parts[a].strip()[-1:] in ".!?"
             and parts[b].strip()[-1:] in ".!?" and "\n" not in parts[a + 1]]
    if not pairs:
        return text
    a, b = pairs[int(rng.integers(len(pairs)))]
    parts[a], parts[b] = parts[b], parts[a]
    return "".join(parts)


#: The meaning-neutral paraphrase operators.
OPERATORS = (contraction, synonym, punctuation, whitespace, reorder)


def neutral_variants(text: str, n: int = 8, seed: int = 0, max_tries: int = 60) -> list[str]:
    """Up to ``n`` distinct meaning-neutral variants of ``text`` (each one or two operators; seeded).

    Fewer come back when the text offers fewer distinct edits (a very short ad).
    """
    rng = np.random.default_rng([seed, len(text), sum(map(ord, text[:200]))])
    out: list[str] = []
    for _ in range(max_tries):
        if len(out) >= n:
            break
        t = text
        for _k in range(int(rng.integers(1, 3))):
            t = OPERATORS[int(rng.integers(len(OPERATORS)))](t, rng)
        if t != text and t not in out:
            out.append(t)
    return out


@dataclass(frozen=True)
class NoiseTest:
    """Result of :func:`rise_beyond_noise` (arrays over the leading axes of its inputs).

    Attributes
    ----------
    rise : mean rise of the gap over the pools
    bound : the one-sided ``1 - alpha`` prediction bound of a neutral edit's mean rise
    p_value : probability that a neutral edit rises at least as much (Student t, ``V - 1`` df)
    flagged : rise above ``bound`` and above ``min_rise``
    """

    rise: np.ndarray
    bound: np.ndarray
    p_value: np.ndarray
    flagged: np.ndarray


def rise_beyond_noise(rise: np.ndarray, null: np.ndarray, alpha: float = 0.05, min_rise: float = 0.0) -> NoiseTest:
    """Test whether a rewrite's rise of a gap is beyond what meaning-neutral edits of the same ad do.

    With :math:`r_p` the rewrite's rise of the gap on pool :math:`p` and :math:`r^0_{vp}` the
    rise of neutral variant :math:`v` (:func:`neutral_variants`) on the same pool, let
    :math:`d = \\bar r` (mean over the ``P`` pools) and :math:`d^0_v = \\bar r^0_v`. The
    **null** is that the rewrite moves the gap like one more neutral edit: :math:`d` is
    exchangeable with the :math:`d^0_v`, taken as normal. The one-sided prediction bound of a
    new neutral draw is

    .. math:: b = \\bar d^0 + t_{1-\\alpha,\\,V-1}\\; s(d^0) \\sqrt{1 + 1/V},

    and the rise is flagged when :math:`d > \\max(b, \\text{min\\_rise})`. Under the null the
    test flags a share ``alpha`` of rewrites (checked on held-out neutral variants by
    ``benchmarks/calibrate_harm.py``; the acceptance bar is at most 5%). Pools and candidate
    resamples enter through the pools axis: the more pools, the less noisy both means.

    Parameters
    ----------
    rise : array (..., P)
        The rewrite's rise of the gap (after − before) on each pool.
    null : array (..., V, P)
        The rise of each of ``V >= 2`` neutral variants of the same ad on the same pools.
    alpha : float
        False-alarm rate of the test on neutral edits (0.05 by default).
    min_rise : float
        A rise at or below this is never flagged (a practical tolerance, e.g. 0.005).

    Returns
    -------
    NoiseTest
    """
    from scipy import stats

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    r = np.asarray(rise, dtype=float)
    n0 = np.asarray(null, dtype=float)
    if n0.ndim < 2 or n0.shape[-2] < 2:
        raise ValueError("the null needs at least two neutral variants (axis -2)")
    v = n0.shape[-2]
    d = r.mean(-1)
    d0 = n0.mean(-1)
    m0, s0 = d0.mean(-1), d0.std(-1, ddof=1)
    scale = s0 * np.sqrt(1 + 1 / v)
    bound = m0 + stats.t.ppf(1 - alpha, v - 1) * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, (d - m0) / np.where(scale > 0, scale, 1), np.where(d > m0, np.inf, -np.inf))
    p = stats.t.sf(z, v - 1)
    flagged = (d > bound) & (d > min_rise)
    return NoiseTest(rise=d, bound=bound, p_value=p, flagged=flagged)

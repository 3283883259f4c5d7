"""Word-level grammar and sense checks of an edit, from a dictionary of English word forms.

The edit plans replace or remove a few words; these checks catch what the round-2 benchmark
let through, each with a test (``tests/test_rewriting_guards.py``):

* **agreement after a replacement**: "who dominates hard problems" + ``dominates -> excel in``
  gave "who excel in"; :func:`inflect_like` gives the replacement the old word's verb form
  ("excels in"), and :func:`agreement_errors` rejects what cannot be inflected;
* **a removed verb**: removing "dominate" from "dominate negotiations" or "share" from "share
  the load" leaves no verb; :func:`removes_verb` rejects it;
* **sense**: a replacement must be able to stand where the old word stood (a shared part of
  speech: "together -> linked" is an adverb replaced by a verb form) and must not swap a word
  for a word that only *matches* a coded stem ("confidential" is not "confident").

Parts of speech come from ``lemminflect`` (its lemma dictionary lists every part of speech a
word form can take, without context); a check only fires when the dictionary is sure.

References
----------
Jascob, B. (2019). LemmInflect: a Python module for English lemmatization and inflection.
"""
from __future__ import annotations

import re
from functools import lru_cache

#: Tokens after which a word is in verb position ("who dominates", "to share", "you'll lead").
VERB_CONTEXT = frozenset(("who", "that", "which", "to", "will", "'ll", "can", "must", "should", "would", "could",
                          "may", "might", "shall", "you", "we", "they", "i", "he", "she", "it", "and", "or",
                          "also", "always", "never", "often", "really", "then", "just"))
#: Words that match a gender-coded stem of the Gaucher et al. (2011) lists by accident.
FALSE_STEMS = frozenset(("confidential", "confidentiality", "confidentially"))
_TAGS = ("VBZ", "VBD", "VBG", "VBN")


@lru_cache(maxsize=20_000)
def known_pos(word: str) -> frozenset[str]:
    """Every universal part of speech the word form can take (empty when the dictionary does not know it)."""
    import lemminflect

    return frozenset(lemminflect.getAllLemmas(word.lower()))


def can_be(word: str, pos: str) -> bool:
    return pos in known_pos(word)


def only_verb(word: str) -> bool:
    """True when the dictionary knows the word and knows it only as a verb ("dominate", "excel")."""
    pos = known_pos(word)
    return bool(pos) and pos <= {"VERB", "AUX"}


@lru_cache(maxsize=20_000)
def verb_form(word: str) -> str | None:
    """The inflection tag of a verb form (``VBZ``, ``VBD``, ``VBG``, ``VBN``), None for a base form or non-verb."""
    import lemminflect

    w = word.lower()
    lemmas = lemminflect.getAllLemmas(w).get("VERB")
    if not lemmas:
        return None
    lemma = lemmas[0]
    if lemma == w:
        return None
    for tag in _TAGS:
        if w in (lemminflect.getInflection(lemma, tag=tag) or ()):
            return tag
    return None


def modifier_like(word: str) -> bool:
    """True for an adjective or adverb (or an unknown hyphenated or -ly word: "fast-paced", "sweetly")."""
    w = word.lower().strip(".,;:!?")
    pos = known_pos(w)
    if pos:
        return bool(pos & {"ADJ", "ADV"}) and not pos <= {"VERB"}
    return "-" in w or w.endswith("ly")


def manner_adverb(word: str) -> bool:
    """An -ly adverb ("lovingly", "softly", "warmly"): style inside a duty sentence, never the duty itself."""
    w = word.lower()
    return w.endswith("ly") and "ADV" in known_pos(w) and "NOUN" not in known_pos(w)


def inflect_like(old: str, new: str, previous: str | None = None) -> str:
    """``new`` with its first word given the verb form of ``old``'s first word.

    Only when ``old`` is an inflected verb in verb position (after "who", "to", a pronoun ...
    or when the dictionary knows it only as a verb) and ``new`` starts with a base-form verb:
    "dominates" -> "excel in" gives "excels in". Anything else is returned unchanged.
    """
    o, n = str(old).split(), str(new).split()
    if not o or not n:
        return new
    tag = verb_form(o[0])
    in_verb_position = (previous or "").lower() in VERB_CONTEXT or only_verb(o[0])
    if tag is None or not in_verb_position or verb_form(n[0]) is not None or not can_be(n[0], "VERB"):
        return new
    import lemminflect

    form = lemminflect.getInflection(n[0].lower(), tag=tag)
    if not form:
        return new
    first = form[0][:1].upper() + form[0][1:] if n[0][:1].isupper() else form[0]
    return " ".join([first, *n[1:]])


def _tokens(sentence: str) -> list[str]:
    return [t.strip(".,;:!?()[]\"'\u201c\u201d").lower() for t in str(sentence).replace("\u2019", "'").split()]


def _find(tokens: list[str], phrase: list[str]) -> int:
    for i in range(len(tokens) - len(phrase) + 1):
        if phrase and tokens[i:i + len(phrase)] == phrase:
            return i
    return -1


def removes_verb(sentence: str, old: str) -> bool:
    """True when removing ``old`` drops the verb of its clause ("dominate negotiations", "share the load").

    A removed phrase whose last word can be a verb and sits in verb position (after "who",
    "to", a modal or a pronoun, or at the start of an imperative) is the clause's verb; so is a
    word the dictionary knows only as a verb. Adjectives that can also be verbs ("warm") in
    modifier position (after an article) are not.
    """
    toks = _tokens(sentence)
    want = _tokens(old)
    i = _find(toks, want)
    if i < 0 or not want:
        return False
    head = want[0]
    prev = toks[i - 1] if i > 0 else None
    if prev in ("a", "an", "the", "our", "your", "their", "its", "very", "more", "most"):
        return False
    if any(only_verb(w) for w in want):
        return True
    return can_be(head, "VERB") and (prev is None or prev in VERB_CONTEXT)


def agreement_errors(sentence: str, old: str, new: str) -> list[str]:
    """A replacement that leaves a base-form verb where the old word was inflected ("who excel in")."""
    toks = _tokens(sentence)
    o, n = _tokens(old), _tokens(new)
    i = _find(toks, o)
    if i < 0 or not o or not n:
        return []
    prev = toks[i - 1] if i > 0 else None
    tag = verb_form(o[0])
    if tag == "VBZ" and (prev in VERB_CONTEXT or only_verb(o[0])) and verb_form(n[0]) is None \
            and only_verb(n[0]):
        return [f"'{old} -> {new}' breaks the agreement ('{prev} {n[0]}')" if prev else
                f"'{old} -> {new}' breaks the agreement"]
    return []


def sense_problems(old: str, new: str) -> list[str]:
    """Why ``new`` cannot stand where ``old`` stood: no shared part of speech, or a false coded stem."""
    o, n = str(old).split(), str(new).split()
    if not o or not n:
        return []
    out = []
    if any(w.lower().strip(".,") in FALSE_STEMS for w in o):
        out.append(f"'{old}' only matches a coded stem; it is not a coded word")
    if len(o) == 1 and len(n) == 1:
        po, pn = known_pos(re.sub(r"[^A-Za-z-]", "", o[0])), known_pos(re.sub(r"[^A-Za-z-]", "", n[0]))
        if po and pn and not (po & pn) and not ({"ADJ", "VERB"} <= po | pn and verb_form(n[0]) in ("VBN", "VBG")
                                                and "ADJ" in po):
            out.append(f"'{old} -> {new}' changes the part of speech ({'/'.join(sorted(po))} -> "
                       f"{'/'.join(sorted(pn))})")
    return out


def replacement_problems(sentence: str, plan, plain) -> list[str]:
    """Why the replacements of an edit plan do not read as English or do not make sense.

    Parameters
    ----------
    sentence : the sentence before the plan
    plan : EditPlan
    plain : callable word -> bool
        Whether a replacement may introduce the word (plain job vocabulary, a stop word or a
        vetted replacement: :func:`rewriting.meaning.plain_word`); "warm -> cozy" and
        "hitter -> nomad" swap a style word for another.
    """
    if plan is None or plan.delete:
        return []
    out: list[str] = []
    toks = _tokens(sentence)
    for old, new in plan.replacements:
        if not str(new).strip():
            continue
        i = _find(toks, _tokens(old))
        prev = toks[i - 1] if i > 0 else None
        out += agreement_errors(sentence, old, inflect_like(old, new, prev))
        out += sense_problems(old, new)
        odd = [w for w in re.findall(r"[A-Za-z][A-Za-z-]*", str(new)) if not plain(w)]
        if odd:
            out.append(f"'{old} -> {new}' brings in {', '.join(odd)}, not plain job vocabulary")
    return out

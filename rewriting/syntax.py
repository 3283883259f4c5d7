"""Parts of speech read in context, noun compounds, scope lists and fragments, from word forms and neighbours.

The phrase-level guards (:mod:`rewriting.guards`) need to know what a word *does in its
sentence*: "understanding" in "an understanding, patient manner" is a modifier (an adjective
slot), "lead" in "take the lead on audits" is a noun, "girl" in "our girl gang" is the first
half of a noun compound. This module reads that from the word's possible parts of speech
(``lemminflect``'s dictionary) and its neighbours; a check fires only where the context is
clear and otherwise stays silent (None).

Why not a statistical tagger or parser: none whose model installs inside a package from the
package index could be had with a clear provenance (see ``docs/concepts/autorefine.md``,
"Parts of speech and clause boundaries"). The packaged language model's judgement
(:mod:`rewriting.fluency`) backs these rules up on the cases no neighbour rule sees.
"""
from __future__ import annotations

import re
from typing import Sequence

from fairaudit.engine.occlusion import STOP_WORDS

from .grammar import known_pos as _known
from .grammar import verb_form

#: Words after which the next word heads or modifies a noun phrase ("the lead", "an understanding").
DETERMINERS = frozenset(("a", "an", "the", "our", "your", "their", "its", "his", "her", "my", "this", "that",
                         "these", "those", "every", "each", "any", "some", "no", "another"))
#: Words after which the next word is a verb ("will lead", "to share", "you feel").
VERB_SLOT = frozenset(("will", "'ll", "to", "can", "must", "should", "would", "could", "may", "might", "shall",
                       "you", "we", "they", "i", "who", "don't", "never", "always"))
_LINKS = frozenset(("of", "on", "in", "for", "to", "with", "at", "by", "from", "and", "or", "but", "as", "across",
                    "into", "about", "who", "that", "which", "is", "are", "was", "were"))
#: Abbreviations after which a full stop does not end a sentence ("the 7:30 a.m. clinic").
ABBREVIATIONS = ("a.m.", "p.m.", "e.g.", "i.e.", "etc.", "approx.", "incl.", "vs.", "no.", "dr.", "mr.", "mrs.",
                 "ms.", "st.", "inc.", "ltd.", "co.")
#: Prepositions whose object, when it ends the clause, is a noun ("full of love.", "with care.").
_PREPOSITIONS = frozenset(("of", "with", "for", "in", "on", "at", "from", "about", "into", "without"))
_PRONOUNS = frozenset(("we", "you", "i", "our", "us", "we're", "you're", "you'll", "we'll", "i'm"))


def tokens(sentence: str) -> list[str]:
    """Whitespace tokens of a sentence (punctuation kept on them), curly apostrophes straightened."""
    return str(sentence).replace("\u2019", "'").split()


def bare(token: str) -> str:
    """A token lower-cased, without the punctuation and quotes around it."""
    return token.strip(".,;:!?()[]\"'\u201c\u201d\u2013-").lower()


def find(toks: Sequence[str], phrase: str) -> int:
    """Index of the first token of ``phrase`` among ``toks`` (compared bare), -1 if absent."""
    want = [bare(t) for t in tokens(phrase)]
    have = [bare(t) for t in toks]
    for i in range(len(have) - len(want) + 1):
        if want and have[i:i + len(want)] == want:
            return i
    return -1


def _ends_clause(token: str) -> bool:
    return token[-1:] in ",;:.!?)"


def slot(toks: Sequence[str], i: int, n: int = 1) -> str | None:
    """What the phrase ``toks[i:i+n]`` does in its sentence: "MOD", "NOUN", "VERB" or None (unclear).

    * **MOD**: a pre-modifier in a comma list before a noun ("an understanding, patient manner"), or a word
      that can be an adjective right before a noun or an "-ing" form ("build individual fuelling plans");
    * **NOUN**: after a determiner and before a link word or the end of a clause ("take the lead on"), or a
      word that can be a noun after a preposition at the end of a clause ("full of love.");
    * **VERB**: after a modal, "to", a subject pronoun or "who" ("will lead", "we share").
    """
    if i < 0 or i + n > len(toks):
        return None
    last_raw = toks[i + n - 1]
    prev = bare(toks[i - 1]) if i > 0 and not _ends_clause(toks[i - 1]) else None
    nxt = bare(toks[i + n]) if i + n < len(toks) else None
    known = _known(bare(toks[i]))
    if prev in DETERMINERS and last_raw.endswith(",") and nxt and ("ADJ" in _known(nxt)
                                                                  or ("-" in nxt and not _known(nxt))):
        return "MOD"
    if prev in DETERMINERS and (nxt is None or _ends_clause(last_raw) or nxt in _LINKS):
        return "NOUN"
    if prev in _PREPOSITIONS and n == 1 and (nxt is None or _ends_clause(last_raw)) and "NOUN" in known:
        return "NOUN"  # "a heart full of love." (a verb's pair "love -> like" does not fit)
    if prev in VERB_SLOT and "VERB" in known:
        return "VERB"
    if n == 1 and "ADJ" in known and nxt and not _ends_clause(last_raw) and nxt not in STOP_WORDS \
            and ("NOUN" in _known(nxt) or verb_form(nxt) == "VBG"):
        return "MOD"  # an adjective right before its noun: "build individual fuelling plans" (never "person")
    return None


def premodifier(toks: Sequence[str], i: int) -> bool:
    """True when the one word ``toks[i]`` reads, in its sentence, as a modifier whose removal leaves the phrase whole.

    * a participle right after a determiner and before a noun or adjective: "a caring data scientist"
      ("caring" is only a verb in the dictionary, an adjective here);
    * a manner adverb right before a verb: "and softly coax mothers" (the "and" joins the verbs, not
      the adverb to a word before it).
    """
    if i < 0 or i + 1 >= len(toks) or _ends_clause(toks[i]):
        return False
    w, nxt = bare(toks[i]), bare(toks[i + 1])
    prev = bare(toks[i - 1]) if i > 0 and not _ends_clause(toks[i - 1]) else None
    if not nxt or nxt in STOP_WORDS:
        return False
    if prev in DETERMINERS and verb_form(w) in ("VBG", "VBN") and _known(nxt) & {"NOUN", "ADJ"}:
        return True
    return _adverb_of_verb(toks, i)


def _adverb_of_verb(toks: Sequence[str], i: int) -> bool:
    """A manner adverb right before a verb: "softly coax"."""
    from .grammar import manner_adverb

    nxt = bare(toks[i + 1]) if 0 <= i and i + 1 < len(toks) and not _ends_clause(toks[i]) else ""
    return bool(nxt) and manner_adverb(bare(toks[i])) and "VERB" in _known(nxt)


#: Nouns that carry a quality and need the modifier that names it: "a nurturing streak", "a motherly manner",
#: "a big heart", "a fast pace" say nothing once the modifier goes ("a streak", "a manner").
CARRIER_NOUNS = frozenset((
    "streak", "touch", "manner", "presence", "spot", "heart", "hearts", "soul", "souls", "nature", "side", "air",
    "way", "personality", "attitude", "approach", "demeanour", "demeanor", "disposition", "temperament",
    "character", "sort", "type", "kind", "bunch", "lot", "one", "ones", "eye", "eyes", "ear", "hand", "hands",
    "voice", "smile", "energy", "vibe", "vibes", "spirit", "sense", "feel", "outlook", "mindset", "head", "pace",
    "tempo", "rhythm", "streaks", "instinct", "instincts", "edge", "style", "tone"))


def modifier_removed(toks: Sequence[str], i: int) -> bool:
    """True when ``toks[i]`` is a modifier whose removal leaves its phrase whole and its head fitting: a manner
    adverb before its verb ("softly coax"), a pre-modifier in a comma list before a noun (:func:`slot` "MOD":
    "a cosy, close-knit office"), or an adjective right before the noun it modifies
    (:func:`adjective_of_noun`: "battle-hardened engineers", "messy data"). A noun that needs its modifier is
    not left whole: "a nurturing streak" -> "a streak" (:data:`CARRIER_NOUNS`)."""
    listed = slot(toks, i) == "MOD" and toks[i].endswith(",")  # in a comma list (the list keeps its noun)
    return _adverb_of_verb(toks, i) or listed or adjective_of_noun(toks, i)


#: Nouns for the employer, where an adjective says what kind of employer it is ("a creative agency", "an
#: independent practice"): job content, not description.
EMPLOYER_NOUNS = frozenset((
    "agency", "agencies", "firm", "company", "business", "practice", "studio", "school", "charity", "consultancy",
    "startup", "start-up", "department", "hospital", "clinic", "trust", "council", "organisation", "organization",
    "brand", "shop", "store", "restaurant", "salon", "lab", "laboratory", "workshop", "factory", "nursery",
    "publisher", "newsroom", "bank", "insurer", "retailer", "manufacturer", "contractor", "provider"))


def adjective_of_noun(toks: Sequence[str], i: int) -> bool:
    """True when ``toks[i]`` is an adjective (a participle, or a hyphenated compound ending in either) right before
    the noun it modifies, possibly through one more adjective ("a cosy little office"), and that noun stands
    without it: "We want battle-hardened engineers", "signal in messy data", "doorstep reluctant officials".

    The head found by the language model's continuation is likelier after its modifier, which says nothing about
    fit (:mod:`rewriting.fluency`). Not a noun's modifier ("girl" in "girl gang": a noun compound, see
    :func:`compound_part`), nor before a carrier noun (:data:`CARRIER_NOUNS`) or a noun for the employer
    (:data:`EMPLOYER_NOUNS`: "a creative agency"), nor a comparative or superlative ("the roughest sets"), nor
    in a heading without a verb.
    """
    if i < 0 or i + 1 >= len(toks) or _ends_clause(toks[i]) or not has_verb(" ".join(toks)):
        return False  # a heading ("Office Manager - creative agency, Noida."): every word of it is a label
    w = bare(toks[i])
    if _graded(w):
        return False  # "the roughest sets" -> "the sets" says another thing: a comparison is content
    last = w.rsplit("-", 1)[-1]
    pos = _known(w) or _known(last)
    # a participle: "hardened" reads as a past tense (VBD) to the dictionary, so the form's ending decides
    participle = verb_form(last) in ("VBG", "VBN", "VBD") and last.endswith(("ed", "ing", "en"))
    if not ("ADJ" in pos or participle) or ("NOUN" in pos and "ADJ" not in pos):
        return False  # a noun (or a gerund that is one) before a noun is half of a compound: "engineering office"
    j = i + 1
    if j + 1 < len(toks) and not _ends_clause(toks[j]) and _known(bare(toks[j])) & {"ADJ"} \
            and "NOUN" in _known(bare(toks[j + 1])):
        j += 1  # "a cosy little office": the head is after the next adjective
    head = bare(toks[j])
    return (bool(head) and head not in STOP_WORDS and head not in CARRIER_NOUNS and head not in EMPLOYER_NOUNS
            and "NOUN" in _known(head))


def _graded(word: str) -> bool:
    """A comparative or superlative adjective ("rougher", "roughest"; "more"/"most" are stop words)."""
    import lemminflect

    lemma = (lemminflect.getAllLemmas(word).get("ADJ") or (word,))[0]  # dictionary words only
    return lemma != word and word.endswith(("er", "est"))


def fits_slot(kind: str, new: str) -> bool:
    """Whether the phrase ``new`` can fill a slot of this kind (unknown words are given the benefit of doubt)."""
    words = [bare(t) for t in tokens(new) if bare(t)]
    if not words:
        return True
    head = words[0] if kind == "VERB" else words[-1]
    pos = _known(head)
    if not pos:
        return True
    if kind == "MOD":
        return "ADJ" in pos or verb_form(head) in ("VBG", "VBN")
    if kind == "NOUN":
        return "NOUN" in pos or "PROPN" in pos
    return "VERB" in pos or "AUX" in pos


def _nounish(word: str) -> bool:
    pos = _known(word)
    return "NOUN" in pos and "ADJ" not in pos


def compound_part(toks: Sequence[str], i: int, n: int = 1) -> str | None:
    """Whether ``toks[i:i+n]`` is one half of a noun compound: "modifier" ("girl" in "girl gang"),
    "head" ("sharing" in "profit sharing") or None.

    A modifier is a noun (never an adjective) right before another noun, with no punctuation
    between; a head is a noun or "-ing" form right after such a noun that itself follows a
    determiner, a preposition or the start of the sentence.
    """
    if i < 0 or i + n > len(toks):
        return None
    first, last = bare(toks[i]), bare(toks[i + n - 1])
    nxt = bare(toks[i + n]) if i + n < len(toks) else None
    if i > 0 and bare(toks[i - 1]) in VERB_SLOT:  # "will crush latency targets": a verb and its object
        return None
    if i >= 1 and not _ends_clause(toks[i - 1]):
        prev = bare(toks[i - 1])
        before = bare(toks[i - 2]) if i >= 2 else None
        head_like = "NOUN" in _known(first) or (first.endswith("ing") and verb_form(first) == "VBG")
        if (_nounish(prev) or ("NOUN" in _known(prev) and before in DETERMINERS)) and head_like \
                and (before is None or before in DETERMINERS or before in _LINKS) and prev not in _LINKS \
                and prev not in DETERMINERS and prev not in STOP_WORDS and "ADJ" not in _known(first):
            return "head"
    if (nxt and not _ends_clause(toks[i + n - 1]) and _nounish(last) and "NOUN" in _known(nxt)
            and nxt not in _LINKS and nxt not in DETERMINERS and nxt not in STOP_WORDS and last not in STOP_WORDS):
        return "modifier"
    return None


def adjective_like(phrase: str) -> bool:
    """The last word of ``phrase`` reads as an adjective: an adjective that is not also a bare verb
    ("skilled", "expert"; not "like"), or a participle."""
    words = [bare(t) for t in tokens(phrase) if bare(t)]
    if not words:
        return False
    w = words[-1]
    pos = _known(w)
    form = verb_form(w)
    return form in ("VBN", "VBG") or ("ADJ" in pos and not ("VERB" in pos and form is None))


_ITEM_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&|/)\s*", re.IGNORECASE)


def lists_scope(sentence: str, is_job_word=None) -> bool:
    """True for a sentence that lists the job's scope: tasks, materials, tools or products.

    "New-build housing and extensions: facing brick, blockwork, cavity trays, lintels, DPCs." is
    the job, not its culture. A scope list has at least three short items (at most four words
    each, after an optional "Label:" head), speaks of no "we" or "you", and at least half of the
    items end in a noun of the job's vocabulary (``is_job_word``), an acronym or a plural noun.
    """
    s = str(sentence).strip().rstrip(".!")
    if not s:
        return False
    words = [bare(t) for t in tokens(s)]
    if any(w in _PRONOUNS for w in words):
        return False
    body = s.split(":", 1)[1] if ":" in s else s
    items = [it.strip() for it in _ITEM_SPLIT.split(body) if it and it.strip()]
    if len(items) < 3 or any(len(it.split()) > 4 for it in items):
        return False

    def noun_item(item: str) -> bool:
        head = item.split()[-1].strip(".,;:()")
        low = head.lower()
        if re.fullmatch(r"[A-Z]{2,}s?", head):
            return True
        if is_job_word is not None and is_job_word(low) and "VERB" not in _known(low) - {"NOUN"}:
            return "NOUN" in _known(low) or not _known(low)
        return "NOUN" in _known(low) and low.endswith("s") and "ADJ" not in _known(low)

    return sum(noun_item(it) for it in items) >= max(3, (len(items) + 1) // 2)


def starts_sentence(unit: str) -> bool:
    """A unit that begins like a sentence (capital, digit, quote or bullet), not like a clause."""
    s = str(unit).lstrip(" \t-*\u2022\"'\u201c(")
    return bool(s) and not s[0].islower()


def ends_in_abbreviation(text: str) -> bool:
    """The text's last token is an abbreviation whose full stop does not end a sentence ("7:30 a.m.")."""
    t = str(text).rstrip()
    return any(t.lower().endswith(" " + a) or t.lower() == a for a in ABBREVIATIONS)


def has_verb(sentence: str) -> bool:
    """Some word of the sentence can be a verb (a sentence without one is a fragment: "Run the 7:30")."""
    return any({"VERB", "AUX"} & _known(bare(t)) for t in tokens(sentence) if bare(t))

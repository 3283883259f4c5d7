"""What a rewrite must keep, and what it must not add: the guard's checks.

A rewrite of a job ad is only useful if the job stays the same: the title, the
duties, the skills and requirements, the benefits and logistics. These
functions measure that on plain strings; :class:`rewriting.reward.Reward`
turns them into the guard (reject) and the meaning/form terms of the reward.

* :func:`states_requirement` decides whether a sentence carries job content
  (a duty, skill, tool, qualification, benefit or logistics) or only
  personality and culture wording ("We work hard and play hard."); only the
  latter may be deleted.
* :func:`skill_recall` is the share of the original's *requirement terms* (the
  content words of requirement sentences and of the title) that the rewrite
  keeps.
* :func:`demographic_added`, :func:`coded_added`, :func:`prompt_echo` and
  :func:`invented_content` catch the rewrites that move a recommender for the
  wrong reason: naming a group, swapping one gendered word for another,
  echoing the instruction, or inventing content.

References
----------
Gaucher, Friesen & Kay (2011), J. Pers. Soc. Psychol. 101(1):109-128 (coded words).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import pandas as pd

from fairaudit.text.lexicon import find_coded_words
from fairaudit.engine.occlusion import STOP_WORDS, split_sentences

#: Words that name or imply a protected group (sex, age, family, race). Adding
#: any of them to a job text is rejected by the guard (it is discriminatory
#: wording, and the cheapest way to move an embedding recommender).
DEMOGRAPHIC_WORDS: tuple[str, ...] = (
    "he", "she", "him", "her", "his", "hers", "himself", "herself", "man", "men", "woman", "women",
    "male", "males", "female", "females", "gentleman", "gentlemen", "lady", "ladies", "girl", "girls",
    "boy", "boys", "guy", "guys", "mother", "mothers", "father", "fathers", "mom", "moms", "dad", "dads",
    "mum", "mums", "motherly", "fatherly", "wife", "husband", "maternity", "paternity", "feminine",
    "masculine", "salesman", "saleswoman", "chairman", "chairwoman", "young", "younger", "youthful", "old",
    "older", "elderly", "mature", "energetic", "digital native", "digital natives", "recent graduate",
    "recent graduates", "new graduate", "fresh graduate", "pregnant", "married", "single", "christian",
    "muslim", "white", "black", "asian", "hispanic", "latino", "latina", "lad", "lads", "bloke", "blokes",
    "chap", "chaps", "gal", "gals", "sir", "madam", "wives", "husbands", "granny", "grannies", "grandma",
    "grandmas", "grandmother", "grandmothers", "grandfather", "grandfathers", "grandpa", "grandpas", "nan", "aunt",
    "aunts", "auntie", "aunties", "uncle", "uncles", "sister", "sisters", "brother", "brothers", "daughter",
    "daughters", "son", "sons", "teenage", "teenager", "teenagers",
)
#: Words that name a person by gender: a rewrite may replace (or, where the
#: grammar allows, drop) them in any sentence ("hiring a guy who" -> "a person who").
GENDERED_PEOPLE: frozenset[str] = frozenset((
    "he", "she", "him", "her", "his", "hers", "himself", "herself", "man", "men", "woman", "women", "guy",
    "guys", "lad", "lads", "lady", "ladies", "girl", "girls", "boy", "boys", "gentleman", "gentlemen", "bloke",
    "blokes", "chap", "chaps", "gal", "gals", "salesman", "saleswoman", "chairman", "chairwoman", "sir", "madam",
))
CONJUNCTIONS = frozenset(("and", "or", "nor", "but", "&"))
_WORD = re.compile(r"[a-z0-9][a-z0-9+#./'-]*[a-z0-9+#]|[a-z0-9]", re.IGNORECASE)
#: Fragments of an instruction that must never appear in an answer (prompt echo).
_ECHO = ("rewritten sentence", "rewrite", "gender-neutral", "job advertisement", "sentence:", "job title:",
         "flagged:", "edit:", "answer with", "as an ai", "i cannot", "i can't", "here is", "here's",
         "->", "=>")

#: Cues of a sentence that carries job content: duties, requirements,
#: qualifications, benefits and logistics, the schedule and travel included ("Some Saturdays are
#: rostered.", "Site visits are about twice a month."), a career path ("Foreman track for the right person."),
#: case-insensitive, whole words.
_REQUIREMENT_CUES = re.compile(
    r"\b(?:experience[ds]?|degree|bachelor'?s?|master'?s?|diploma|phd|qualifi\w*|certifi\w*|licen[cs]\w*|"
    r"registration|registered|knowledge|proficien\w*|fluen\w*|familiar\w*|skills?|required|requirements?|"
    r"requires?|must|essential|desirable|ability|able to|background|track record|training|trained|years?|"
    r"you will|you'll|your role|role|responsibilit\w*|duties|tasks?|including|salary|pay|paid|wages?|"
    r"benefits?|pension|holidays?|leave|bonus\w*|insurance|equity|hours|shifts?|remote|hybrid|on-site|"
    r"onsite|based in|located|location|contract|full-time|part-time|apply|application|applications|cv|"
    r"resume|cover letter|deadline|start date|visa|package|per annum|per hour|overtime|rota|driving|"
    r"van|car|vacation|allowance|tools?|equipment|software|weekends?|weekdays?|rostered|rostering|roster|"
    r"schedul\w*|travel\w*|site visits?|commut\w*|relocat\w*|start times?|flexi\w*|home days?|\w+-day weeks?|"
    r"career\w*|progression|promot\w*|\w+ track(?!\s+record))\b",
    re.IGNORECASE)
_TECH_TOKEN = re.compile(r"\d|[$£€%]|\b[A-Z]{2,}s?\b|\b[a-z]+[A-Z]\w*|\b[A-Z][a-z]+[A-Z]\w*|\w[+#]|\w/\w")


def words(text: str) -> list[str]:
    """Lower-case word tokens (keeps ``c++``, ``ci/cd``, ``node.js``)."""
    return [w.lower() for w in _WORD.findall(str(text))]


def stem(w: str) -> str:
    """Crude plural/verb folding so "databases"/"database" and "leads"/"lead" match."""
    for suf in ("ies", "es", "s"):
        if len(w) > 4 and w.endswith(suf):
            return w[: -len(suf)] + ("y" if suf == "ies" else "")
    return w


def _coded(text: str) -> set[str]:
    return {w.lower() for w, _ in find_coded_words(text)}


def content_words(text: str) -> set[str]:
    """Content words of a text: stop words and gender-coded words removed, stemmed.

    Gender-coded words (Gaucher et al.) are excluded because replacing them is
    the purpose of a rewrite; numbers and tokens like ``c++`` or ``sql`` stay.
    """
    coded = _coded(text)
    return {stem(w) for w in words(text) if w not in STOP_WORDS and w not in coded and (len(w) > 2 or w.isdigit())}


#: Duty, skill and tool words (:func:`duty_words`) that make a sentence a description of the job, never
#: "culture" to delete: personality and culture sentences name at most five (a company, a person, work),
#: a sentence of duties names more ("monitor patients, administer medication and keep accurate records").
MIN_DUTY_TERMS = 7


@lru_cache(maxsize=65536)
def noun_lemma(w: str) -> str:
    """The noun lemma of a word (``lemminflect``): "lads" -> "lad", "men" -> "man"."""
    from lemminflect import getLemma

    lemma = getLemma(w.lower(), upos="NOUN")
    return lemma[0] if lemma else w.lower()


def duty_words(sentence: str) -> set[str]:
    """The distinct words of ``sentence`` that ESCO's skill and occupation texts use (:func:`is_job_word`), stemmed.

    Gender-coded words and stop words do not count: they are the wording a rewrite may change.
    """
    coded = _coded(sentence)
    return {stem(w.lower()) for w in words(sentence)
            if w.lower() not in STOP_WORDS and w.lower() not in coded and is_job_word(w.lower())}


def title_terms(title: str) -> set[str]:
    """The title's content words (gender-coded words such as "Ninja" are not part of the job)."""
    return content_words(title)


def states_requirement(sentence: str, title: str = "") -> bool:
    """True when a sentence carries job content that a rewrite must keep.

    A sentence carries job content when it names the job (a title word), has
    a number, currency or tool-like token (``SQL``, ``PostgreSQL``, ``C++``),
    or a cue of a duty, requirement, qualification, benefit or logistics
    ("experience", "you will", "degree", "salary", "shifts", ...), or lists the
    job's scope (tasks, materials, tools: :func:`rewriting.syntax.lists_scope`). Anything
    else is personality or culture wording, which a rewrite may delete.
    A sentence that names :data:`MIN_DUTY_TERMS` or more duties, skills and
    tools (:func:`duty_words`) describes the job too, in whatever person it is
    written ("Midwives assist women in childbirth ..., conduct births and provide
    care for the new-born."). The title matches a plural too ("Midwives").
    The rule is conservative on purpose: a false "requirement" only means the
    sentence is edited instead of deleted.
    """
    s = str(sentence)
    if _REQUIREMENT_CUES.search(s) or _TECH_TOKEN.search(s):
        return True
    if title_terms(title) & ({stem(w) for w in words(s)} | {noun_lemma(w) for w in words(s)}):
        return True
    if len(duty_words(s)) >= MIN_DUTY_TERMS:
        return True
    from .syntax import lists_scope

    return lists_scope(s, is_job_word)  # "Loft conversions: joists, rafters, skylights." is the job's scope


def requirement_terms(text: str, title: str = "") -> set[str]:
    """Content words of the sentences that state requirements, plus the title's."""
    parts = split_sentences(text)
    terms = set(title_terms(title))
    for s in parts[0::2]:
        if s.strip() and states_requirement(s, title):
            terms |= content_words(s)
    return terms


def skill_recall(original: str, rewrite: str, title: str = "") -> float:
    """Share of the original's requirement terms still present in the rewrite.

    .. math:: \\mathrm{recall} = |R(x) \\cap W(x')| \\,/\\, |R(x)|

    with :math:`R` = :func:`requirement_terms` (content words of requirement
    sentences and the title, coded words excluded) and :math:`W` the stemmed
    words of the rewrite; 1.0 when the original states no requirement.
    """
    need = requirement_terms(original, title)
    if not need:
        return 1.0
    have = {stem(w) for w in words(rewrite)}
    return len(need & have) / len(need)


#: Share of a sentence's duty words (:func:`duty_terms`) a rewrite must keep; its hard terms are all kept.
MIN_DUTY_RECALL = 0.8
#: Verbs of wanting and hiring: after the employer they say that the job is offered, never what it is
#: ("we need a ..."); after "you" they state a requirement ("you'll need a licence") and stay.
WANT_VERBS = frozenset(("need", "needs", "needed", "want", "wants", "wanted", "seek", "seeks", "seeking", "look",
                        "looks", "looking", "hire", "hires", "hiring", "love", "loves", "like", "likes"))
#: Subjects after which a verb of wanting is the employer's ("we need a ...", "Maplecrest needs ...").
_EMPLOYER = frozenset(("we", "we'd", "we'll", "we're", "i", "i'd", "and", "which", "that"))


def _employer_wants(toks: Sequence[str], i: int) -> bool:
    # "We need a site engineer" says the job is offered; "You'll need a licence" states a requirement
    if strip_token(toks[i]).lower() not in WANT_VERBS or i == 0:
        return False
    prev = strip_token(toks[i - 1]).lower().replace("\u2019", "'")
    return prev in _EMPLOYER or (toks[i - 1][:1].isupper() and not prev.startswith("you"))


_SIMILE = re.compile(r"\blike (?:an? |the |one |some )?(?:[\w-]+ ){0,2}[\w-]+", re.IGNORECASE)


def duty_terms(sentence: str, title: str = "") -> tuple[set[str], set[str]]:
    """What any rewrite of ``sentence`` must keep: ``(hard, duty)``, both stemmed.

    ``hard``: its numbers, names, products and other technical tokens ("PostgreSQL", "ASME",
    "7:30", "£28k", anything capitalised inside the sentence) and the title's words: every one is kept.
    ``duty``: the words that name its duties, skills and tools: nouns and verbs that ESCO's skill and
    occupation texts use (:func:`is_job_word`), outside a simile ("like a man", "like family") and
    never a word a rewrite may change (:func:`editable_words`: gender-coded, gendered and style
    words) or a pure modifier ("strict", "tiny"). Most are kept (:data:`MIN_DUTY_RECALL`): a
    careful rewrite says "run month-end" for "march into month-end", and a word list of duties
    without a parser cannot tell a figure of speech from a task every time.
    """
    from .grammar import can_be

    s = str(sentence).replace("\u2019", "'")
    free = {stem(w.lower()) for w in editable_words(s, title)} | {stem(w) for w in _coded(s)}
    figurative = {stem(w) for m in _SIMILE.finditer(s) for w in words(m.group(0))}
    titled = title_terms(title)
    hard: set[str] = set()
    duty: set[str] = set()
    for i, tok in enumerate(s.split()):
        w = strip_token(tok)
        if not w or w.lower() in STOP_WORDS:
            continue
        low = stem(w.lower())
        if _TECH_TOKEN.search(w) or (i > 0 and w[:1].isupper()):
            hard |= {stem(x) for x in words(w)}
        elif low in titled:
            hard.add(low)
        elif (low not in free and low not in figurative and len(w) > 2 and not _employer_wants(s.split(), i)
              and is_job_word(w)
              and (can_be(w.lower(), "NOUN") or can_be(w.lower(), "VERB"))):
            duty |= {stem(x) for x in words(w)}
    return hard, duty - hard


def duty_kept(before: str, after: str, title: str = "", min_recall: float = MIN_DUTY_RECALL) -> bool:
    """True when ``after`` keeps every hard term of ``before`` and at least ``min_recall`` of its duty words
    (:func:`duty_terms`; stemmed, any order)."""
    hard, duty = duty_terms(before, title)
    have = {stem(w) for w in words(after)}
    return hard <= have and (not duty or len(duty & have) >= min_recall * len(duty))


def demographic_added(original: str, rewrite: str) -> list[str]:
    """Demographic words/phrases (:data:`DEMOGRAPHIC_WORDS`) whose count grows from ``original`` to ``rewrite``
    ("pregnant women and mothers" -> "pregnant mothers and mothers" adds one, though "mothers" was there)."""
    from .people import gendered_compound

    def found(text: str) -> dict[str, int]:
        low = " " + " ".join(words(text)) + " "
        out = {w: low.count(f" {w} ") for w in DEMOGRAPHIC_WORDS}
        for w in words(text):  # "women -> fishermen": a gendered title is as demographic as "men"
            if gendered_compound(w):
                out[w] = out.get(w, 0) + 1
        return out

    before, after = found(original), found(rewrite)
    return sorted(w for w, n in after.items() if n > before.get(w, 0))


def coded_added(original: str, rewrite: str) -> list[str]:
    """Gender-coded words (either list) whose count grows from ``original`` to ``rewrite``."""
    before = pd.Series([w.lower() for w, _ in find_coded_words(original)], dtype=object).value_counts()
    after = pd.Series([w.lower() for w, _ in find_coded_words(rewrite)], dtype=object).value_counts()
    return sorted(w for w, n in after.items() if n > before.get(w, 0))


def repetition(text: str) -> float:
    """Share of repeated word 3-grams (0 = none); degenerate loops score near 1."""
    w = words(text)
    grams = list(zip(w, w[1:], w[2:]))
    if len(grams) < 2:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def prompt_echo(original: str, rewrite: str) -> bool:
    """True when the rewrite repeats instruction fragments absent from the original."""
    o, r = str(original).lower(), str(rewrite).lower()
    return any(frag in r and frag not in o for frag in _ECHO)


def invented_content(original: str, rewrite: str) -> str:
    """Why the rewrite adds content the original does not have ("" if it does not).

    A rewrite may drop or rephrase, never add: more sentences than the
    original, or four or more new content words making up over 40% of its
    content, is invented content (e.g. a small model adding "No word: no
    financial analyst to take ownership of forecasting.").
    """
    n_o = len([s for s in split_sentences(original)[0::2] if s.strip()])
    n_r = len([s for s in split_sentences(rewrite)[0::2] if s.strip()])
    if n_r > n_o:
        return f"adds {n_r - n_o} sentence(s)"
    new = content_words(rewrite) - content_words(original) - _coded(original)
    total = content_words(rewrite)
    if len(new) >= 4 and len(new) > 0.4 * max(len(total), 1):
        return "adds new content: " + ", ".join(sorted(new)[:6])
    return ""


def title_kept(title: str, original: str, rewrite: str) -> bool:
    """The title's content words that the original mentions are all still there."""
    need = title_terms(title) & {stem(w) for w in words(original)}
    return need <= {stem(w) for w in words(rewrite)}


@lru_cache(maxsize=1)
def _job_vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    from fairaudit.data.datasets import esco_vocabulary

    vocab = esco_vocabulary()
    return vocab, frozenset(w[:6] for w in vocab if len(w) >= 6)


def is_job_word(word: str) -> bool:
    """True when ESCO's skill and occupation texts use the word (or a word sharing its first six letters)."""
    vocab, prefixes = _job_vocabulary()
    low = word.lower()
    if low in vocab or stem(low) in vocab:
        return True
    if "-" in low:
        return all(is_job_word(p) for p in low.split("-") if p)
    return len(low) >= 7 and low[:6] in prefixes


def plain_word(word: str) -> bool:
    """A word a replacement may bring in: a stop word, a word of ESCO's texts, the lexicon's or a careful
    human's replacement (:func:`rewriting.vocabulary.vetted_words`), and not gender-coded."""
    from fairaudit.text.lexicon import NEUTRAL_LEXICON

    from .vocabulary import vetted_words

    low = word.lower()
    if _coded(low):
        return False
    if low in STOP_WORDS or low in vetted_words() or low in GENDERED_PEOPLE:
        return low not in GENDERED_PEOPLE
    return is_job_word(low) or any(low in v.split() for v in NEUTRAL_LEXICON.values())


def strip_token(token: str) -> str:
    """A whitespace token without the punctuation and quotes around it."""
    return token.strip(".,;:!?()[]\"'\u201c\u201d\u2013-")


def editable_words(sentence: str, title: str = "") -> list[str]:
    """Words of a sentence that a rewrite may change: gender-coded, gendered and style words.

    Gender-coded words (either list, with the extension) and words that name a
    person by gender ("guy", "lads", :data:`GENDERED_PEOPLE`) are editable
    everywhere. A *style* word, a lower-case word that ESCO's skill and
    occupation texts never use (:func:`is_job_word`, from
    :func:`fairaudit.data.datasets.esco_vocabulary`: "snug", "natter", "hitter"),
    is editable only in a sentence that states no duty, skill, requirement,
    benefit or logistics (:func:`states_requirement`): in "Knowledge of iTrent
    is desirable", "100 wpm shorthand" or "manage the main inbox" every word
    is the job's, whatever a vocabulary says. Names, products and title words
    (anything capitalised inside a sentence, "iTrent") and stop words are never
    editable, so an edit cannot buy fairness by deleting what the job needs.
    """
    from .grammar import FALSE_STEMS
    from .vocabulary import style_words

    coded = _coded(sentence) - FALSE_STEMS
    learned = style_words()
    skip = title_terms(title)
    requirement = states_requirement(sentence, title)
    gendered = GENDERED_PEOPLE
    from .grammar import manner_adverb
    from .people import gendered_compound
    from .tagger import tagged_words

    tagged = tagged_words([strip_token(t) for t in str(sentence).replace("\u2019", "'").split()])

    out: list[str] = []
    protected: set[str] = set()
    tokens = str(sentence).replace("\u2019", "'").split()
    for i, tok in enumerate(tokens):
        w = strip_token(tok)
        low = w.lower()
        if re.fullmatch(r"\d+-(?:wo)?m[ae]n", low):  # "a 30-man crew"
            out.append(w)
            continue
        if len(w) < 3 or not re.fullmatch(r"[A-Za-z][A-Za-z-]*", w) or stem(low) in skip:
            continue
        if any(ch.isupper() for ch in w[1:]) or (i > 0 and w[:1].isupper()) or _in_requirement_term(tokens, i):
            protected.add(low)  # a name, a product, an acronym; part of a qualification or a named service
            continue
        if low in coded or low in gendered or gendered_compound(low) or low in tagged:
            out.append(w)
        elif low not in STOP_WORDS and (
                (not is_job_word(w) and (not requirement or manner_adverb(w))) or low in learned):
            # a style word (inside a duty only an adverb of manner: "lovingly"; never "petrochemical"),
            # or one careful humans edited in training ads
            out.append(w)
    # a plan replaces every occurrence: a word that is also part of a requirement term stays
    return [w for w in dict.fromkeys(out) if w.lower() not in protected]


#: Words that make their neighbours part of a requirement or a named service: "Level 3 childcare
#: qualification", "customer support", "support worker", "learning support assistant".
_REQUIREMENT_NEIGHBOURS = frozenset((
    "qualification", "qualifications", "qualified", "certificate", "certification", "diploma", "degree", "level",
    "licence", "license", "registration", "registered", "accreditation", "nvq", "award", "course", "customer",
    "customers", "technical", "tech", "it", "desk", "helpdesk", "team", "worker", "workers", "agent", "agents",
    "assistant", "assistants", "officer", "staff", "services", "service", "plan", "plans", "needs", "setting",
    "settings", "centre", "center", "unit", "ward", "sector", "learning", "ticket", "tickets", "lead", "manager",
))


def _in_requirement_term(tokens: Sequence[str], i: int) -> bool:
    """True when token ``i`` sits next to a requirement word or a number ("Level 3 childcare qualification")."""
    from .grammar import can_be

    near = [strip_token(t).lower() for t in tokens[max(0, i - 2):i] + tokens[i + 1:i + 3]]
    adjacent = [strip_token(t).lower() for t in tokens[max(0, i - 1):i] + tokens[i + 1:i + 2]]
    if any(t.isdigit() for t in near):
        return True
    # a noun next to one of them forms a compound the job needs; an adjective ("warm team") does not
    word = strip_token(tokens[i]).lower()
    return (any(t in _REQUIREMENT_NEIGHBOURS for t in adjacent) and can_be(word, "NOUN")
            and not can_be(word, "ADJ"))


def coded_words_in(texts: Sequence[str]) -> list[list[str]]:
    """The gender-coded words of each text, in order of appearance, without repeats."""
    return [list(dict.fromkeys(w for w, _ in find_coded_words(t))) for t in texts]

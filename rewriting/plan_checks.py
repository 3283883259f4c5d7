"""Does an edit plan break the sentence it edits? Removals that leave a broken sentence, and words a plan may not touch.

Both read the words around the edit (no part-of-speech tagger ships offline:
:mod:`rewriting.grammar` and :mod:`rewriting.syntax` say what is used instead);
:mod:`rewriting.guards` turns them into named rules.
"""
from __future__ import annotations

import re
from typing import Any

from fairaudit.engine.occlusion import STOP_WORDS

from .meaning import CONJUNCTIONS, editable_words, strip_token

__all__ = ["broken_removals", "plan_touches_job_words"]


_TECH = re.compile(r"\d|[$£€%#+/]")


def _bare(token: str) -> str:
    return strip_token(token).lower()


def broken_removals(sentence: str, plan: Any) -> list[str]:
    """Phrases an edit plan removes (empty replacement) where removal breaks the grammar.

    A removed phrase must be a pre-modifier: followed by a content word, not at
    the end of the sentence or a clause, not the second half of "X and Y", not
    the verb of its clause ("dominate negotiations", "share the load":
    :func:`rewriting.grammar.removes_verb`), and only adjectives and adverbs
    ("lovingly", "cosy"), never a noun ("who believe kindness makes" ->
    "who believe makes"; "children" in a duty).
    Dropping a head noun or a verb leaves "hiring a who can", "a heavy who
    takes charge", "keep." or "caring and a real people-person", which the
    embedding barely notices; without a part-of-speech tagger, this test of the
    neighbouring words catches them. Replacing the phrase is always possible. A one-word modifier read as such
    in its sentence (:func:`rewriting.syntax.premodifier`: "a caring data scientist", "and softly coax") may go.
    """
    if plan is None or plan.delete or not plan.replacements:
        return []
    from .grammar import modifier_like, removes_verb
    from .syntax import premodifier

    tokens = str(sentence).replace("\u2019", "'").split()
    bare = [_bare(t) for t in tokens]
    bad: list[str] = []
    for old, new in plan.replacements:
        if str(new).strip():
            continue
        want = [_bare(t) for t in str(old).replace("\u2019", "'").split()]
        n = len(want)
        for i in range(len(tokens) - n + 1):
            if n == 0 or bare[i:i + n] != want:
                continue
            nxt = bare[i + n] if i + n < len(tokens) else None
            prev = bare[i - 1] if i > 0 else None
            if n == 1 and premodifier(tokens, i):  # read in context: "a caring data scientist", "and softly coax"
                continue
            if (nxt is None or not nxt or nxt in STOP_WORDS or tokens[i + n - 1][-1:] in ".!?;:"
                    or prev in CONJUNCTIONS or removes_verb(sentence, str(old))
                    or not all(modifier_like(w) for w in want)):
                bad.append(str(old))
                break
    return bad


def plan_touches_job_words(sentence: str, plan: Any, title: str = "") -> list[str]:
    """Words an edit plan removes or replaces that the rewrite must keep.

    Every word of a replaced phrase must be editable (:func:`editable_words`)
    or a stop word; deleting a whole sentence is judged separately (only a
    sentence that states no requirement may go).
    """
    if plan is None or plan.delete or not plan.replacements:
        return []
    from .meaning import duty_terms, stem

    allowed = {w.lower() for w in editable_words(sentence, title)}
    hard, duty = duty_terms(sentence, title)
    bad: list[str] = []
    for old, _new in plan.replacements:
        for tok in str(old).replace("\u2019", "'").split():
            w = strip_token(tok)
            if not w or w.lower() in allowed or w.lower() in STOP_WORDS:
                continue
            # a word that names no duty, tool or number of the sentence (a modifier such as "calm" or
            # "little", a verb of wanting such as "need") may change the way careful humans changed it;
            # rule coded_target still refuses it unless it is coded or a careful human's edit
            if any(stem(x) in hard or stem(x) in duty for x in re.findall(r"[\w']+", w.lower())) or \
                    _TECH.search(w) or w[:1].isupper():
                bad.append(w)
    return list(dict.fromkeys(bad))

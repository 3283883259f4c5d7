"""The policy's action space: a few phrase edits applied to one sentence.

Asking a 135M model to re-write whole sentences mostly returns the input or
junk. AutoRefine's policy instead answers with a short *edit plan* for one
sentence of a job ad, in a fixed format that is parsed and applied to the
original text:

``KEEP``
    leave the sentence as it is;
``DELETE``
    drop the sentence (only accepted for a sentence that states no duty,
    skill, requirement, benefit or logistics, see
    :func:`rewriting.meaning.states_requirement`);
``old -> new; old2 -> new2``
    replace each phrase ``old`` (it must occur in the sentence) by ``new``
    (at most :data:`MAX_NEW_WORDS` words; empty ``new`` removes the phrase).

Everything not named in the plan is kept verbatim, so the meaning of the ad is
preserved by construction and a generation is a handful of tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .grammar import inflect_like

KEEP = "KEEP"
DELETE = "DELETE"
#: Longest replacement accepted (words): a replacement is a phrase, never new content.
MAX_NEW_WORDS = 4
_ARROW = re.compile(r"\s*(?:->|=>|→)\s*")
_SEP = re.compile(r"\s*(?:;|\n)\s*")


@dataclass(frozen=True)
class EditPlan:
    """A parsed edit plan for one sentence.

    Attributes
    ----------
    delete : bool
        Drop the whole sentence.
    replacements : tuple of (old, new)
        Phrase replacements, applied left to right.
    problems : tuple of str
        Why (part of) the answer could not be used: unparsable lines, a phrase
        that is not in the sentence, a replacement that is too long. A plan with
        problems is rejected by the guard, not silently repaired.
    """

    delete: bool = False
    replacements: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def is_keep(self) -> bool:
        return not self.delete and not self.replacements

    @property
    def valid(self) -> bool:
        return not self.problems


def format_plan(plan: EditPlan) -> str:
    """The canonical text of a plan (what the policy is trained to write)."""
    if plan.delete:
        return DELETE
    if not plan.replacements:
        return KEEP
    return "; ".join(f"{old} -> {new}" for old, new in plan.replacements)


def parse_plan(answer: str, sentence: str) -> EditPlan:
    """Parse the policy's answer for ``sentence`` into an :class:`EditPlan`.

    Only the first lines that look like a plan are read; anything after a blank
    line is ignored (models often ramble on).

    Examples
    --------
    >>> parse_plan("ninja -> developer; hungry -> skilled", "We want a hungry ninja.").replacements
    (('ninja', 'developer'), ('hungry', 'skilled'))
    >>> parse_plan("DELETE", "We work hard and play hard.").delete
    True
    """
    text = str(answer).strip().split("\n\n")[0].strip().strip("`\"' ")
    head = text.split("\n")[0].strip().rstrip(".").upper()
    if head in (DELETE, "DELETE SENTENCE"):
        return EditPlan(delete=True)
    if head in (KEEP, "NO CHANGE", ""):
        return EditPlan()
    reps: list[tuple[str, str]] = []
    problems: list[str] = []
    low = sentence.lower()
    for part in _SEP.split(text):
        if not part.strip():
            continue
        pieces = _ARROW.split(part.strip(), maxsplit=1)
        if len(pieces) != 2:
            problems.append(f"not an edit: {part.strip()[:40]!r}")
            continue
        old, new = (p.strip().strip("\"'“”`") for p in pieces)
        new = new.rstrip(".")
        if not old:
            problems.append("empty phrase")
        elif old.lower() not in low:
            problems.append(f"phrase not in the sentence: {old[:40]!r}")
        elif len(new.split()) > MAX_NEW_WORDS or re.search(r"[.!?:;]", new):
            problems.append(f"replacement is not a short phrase: {new[:40]!r}")
        elif old.lower() != new.lower() and (old, new) not in reps:
            reps.append((old, new))
    return EditPlan(replacements=tuple(reps), problems=tuple(problems))


def _case_like(new: str, old: str) -> str:
    return new[:1].upper() + new[1:] if old[:1].isupper() and new else new


def tidy(sentence: str) -> str:
    """Repair the punctuation a removed phrase leaves behind ("a , driven" -> "a driven").

    Removes doubled spaces and commas, a list conjunction left dangling
    ("confident, and" -> "confident and"), spaces before punctuation, and
    capitalises the first letter.
    """
    s = re.sub(r"\s+", " ", sentence).strip()
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    s = re.sub(r"(,\s*)+,", ",", s)
    s = re.sub(r",\s*(and|or)\s+(and|or)\b", r" \1", s)
    s = re.sub(r"\b(and|or)\s+(and|or)\b", r"\1", s)
    s = re.sub(r"\b(and|or),", r"\1", s)
    s = re.sub(r",?\s*\b(and|or)\s*([.!?])$", r"\2", s)
    s = re.sub(r"^[,;:\s]+", "", s)
    s = re.sub(r",\s*([.!?])$", r"\1", s)
    s = re.sub(r"\b(a|an|A|An)\s*,\s*", r"\1 ", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s[:1].upper() + s[1:] if s else s


_DANGLING = re.compile(r"\b(?:a|an|the|and|or|of|with|to|for|by|in|on|at)\s*(?:[.!?,;:]|$)", re.IGNORECASE)


#: A modal or "to" before a finite "be"/"have": "You'll are looking for", "will is".
_MODAL_FINITE = re.compile(r"(?:\b(?:will|can|could|would|should|must|may|might|shall|to)|'ll|\u2019ll)\s+"
                           r"(?:are|is|was|were|has|am)\b", re.IGNORECASE)


def broken(sentence: str, before: str | None = None) -> bool:
    """True when an edit left a visibly broken sentence ("... and a.", "with ,", "You'll are looking for").

    Given the sentence ``before`` the edit, only breaks the edit added count: "... the moment they walk
    in." ends in a particle, not a dangling preposition, and an edit elsewhere in it breaks nothing.
    """
    s = str(sentence).strip()
    if not s:
        return False
    if len(s.split()) < 2:
        return True
    from collections import Counter

    b = str(before or "").strip()
    return any(Counter(m.lower() for m in p.findall(s)) - Counter(m.lower() for m in p.findall(b))
               for p in (_DANGLING, _MODAL_FINITE))


def _article(prefix: str, new: str) -> str:
    # "a ninja" -> "an expert": fix the article right before a replaced phrase
    m = re.search(r"\b([Aa])n?\s$", prefix)
    if not m or not new:
        return prefix
    vowel = new[:1].lower() in "aeiou"
    return prefix[:m.start()] + m.group(1) + ("n " if vowel else " ")


def remove_phrase(text: str, old: str) -> str:
    """Drop a phrase together with the list separator it leaves behind."""
    o = r"(?<![\w-])" + re.escape(old) + r"(?![\w-])"
    if re.match(r"like an? ", str(old), flags=re.IGNORECASE):
        # a comparison is an adjunct, not a list item: "treats it like a fight and never ..." keeps its "and"
        m = re.search(r"\s*" + o, text, flags=re.IGNORECASE)
        if m:
            return text[:m.start()] + text[m.end():]
    from .syntax import find, premodifier, tokens

    toks = tokens(text)
    if len(str(old).split()) == 1 and premodifier(toks, find(toks, old)):
        # a modifier of the next word leaves its conjunction: "tube feeds, and softly coax" -> "and coax"
        m = re.search(o + r"\s+", text, flags=re.IGNORECASE)
        if m:
            return text[:m.start()] + text[m.end():]
    for pat in (o + r"\s*,\s*",                       # "X, OLD, Y" / "OLD, Y"
                r",?\s*\b(?:and|or)\s+" + o,           # "X and OLD" / "X, and OLD"
                r"\s*,\s*" + o,                         # "X, OLD and Y"
                o + r"\s+(?:and|or)\s+",               # "OLD and Y"
                o + r"\s*"):
        m = re.search(pat, text, flags=re.IGNORECASE)
        if m:
            head, tail = text[:m.start()], text[m.end():]
            if head.endswith(" ") and tail[:1].isalpha():
                head = _article(head, tail)
            return head + tail
    return re.sub(re.escape(old), "", text, count=1, flags=re.IGNORECASE)


def apply_plan(sentence: str, plan: EditPlan) -> str:
    """The sentence after ``plan`` ("" for a deletion)."""
    if plan.delete:
        return ""
    out = str(sentence)
    for old, new in plan.replacements:
        if not new:
            while old.lower() in out.lower():
                nxt = remove_phrase(out, old)
                if nxt == out:
                    break
                out = nxt
            continue
        pat = re.compile(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", re.IGNORECASE)
        if not pat.search(out):  # the phrase sits inside a longer word: replace it as a substring
            pat = re.compile(re.escape(old), re.IGNORECASE)
        pieces, pos = [], 0
        for m in pat.finditer(out):
            before = out[pos:m.start()]
            prev = re.findall(r"[\w']+", out[:m.start()])
            # "who dominates" + "dominates -> excel in" = "who excels in" (rewriting.grammar)
            fitted = inflect_like(old, new, prev[-1] if prev else None)
            pieces.append(_article(before, fitted))
            pieces.append(_case_like(fitted, m.group(0)))
            pos = m.end()
        out = "".join(pieces) + out[pos:]
    return tidy(out) if plan.replacements else out


def merge_plans(plans: Sequence[EditPlan]) -> EditPlan | None:
    """One plan of the replacements of ``plans``, in order, skipping any whose phrase shares a word with one
    already taken; ``None`` when fewer than two plans contribute.

    Each plan of a sentence is scored on its own, so "blokes -> people" and "men -> people" in "hard-bitten
    blokes ... only real men need apply" each narrow the gap and only one would be kept; the careful human
    changes both. Deletions and plans with problems take no part.

    Examples
    --------
    >>> merge_plans([EditPlan(replacements=(("blokes", "people"),)), EditPlan(replacements=(("men", "people"),)),
    ...              EditPlan(replacements=(("real men", "people"),))]).replacements
    (('blokes', 'people'), ('men', 'people'))
    """
    taken: list[tuple[str, str]] = []
    used: set[str] = set()
    n = 0
    for p in plans:
        if p is None or p.delete or p.problems or not p.replacements:
            continue
        ws = {w for old, _ in p.replacements for w in old.lower().split()}
        if ws & used:
            continue
        used |= ws | {w for _, new in p.replacements for w in new.lower().split()}  # no edit of an edit
        taken += list(p.replacements)
        n += 1
    return EditPlan(replacements=tuple(taken)) if n >= 2 else None


"""Word-level differences between an original job text and its rewrite.

Uses :class:`difflib.SequenceMatcher` over word and punctuation tokens
(whitespace is kept attached to the following token so that the original
spacing can be reproduced exactly from the segments).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass

_TOKEN = re.compile(r"\s*(?:\w+(?:['’-]\w+)*|[^\w\s])|\s+")


@dataclass(frozen=True)
class Segment:
    """A run of text that is kept (``equal``), added (``insert``) or removed (``delete``)."""

    op: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def tokenize(text: str) -> list[str]:
    """Split into tokens that concatenate back to ``text`` (leading spaces kept)."""
    return _TOKEN.findall(text or "")


def word_diff(original: str, rewrite: str) -> list[Segment]:
    """Word-level diff of two texts as a list of segments.

    Concatenating the ``equal`` and ``insert`` segments gives ``rewrite``;
    the ``equal`` and ``delete`` segments give ``original`` up to whitespace
    (a change of spacing alone is not a change).

    Parameters
    ----------
    original : str
        The text before rewriting.
    rewrite : str
        The text after rewriting.

    Returns
    -------
    list of Segment
        In text order; ``op`` is ``"equal"``, ``"delete"`` or ``"insert"`` and
        ``text`` keeps each word's leading whitespace.

    Examples
    --------
    >>> [(s.op, s.text) for s in word_diff("a strong leader", "a caring leader")]
    [('equal', 'a'), ('delete', ' strong'), ('insert', ' caring'), ('equal', ' leader')]
    """
    a, b = tokenize(original), tokenize(rewrite)
    # compare tokens without their leading whitespace so re-wrapping is no change
    matcher = difflib.SequenceMatcher(a=[t.strip() for t in a], b=[t.strip() for t in b], autojunk=False)
    out: list[Segment] = []

    def emit(op: str, text: str) -> None:
        if not text:
            return
        if out and out[-1].op == op:
            out[-1] = Segment(op, out[-1].text + text)
        else:
            out.append(Segment(op, text))

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            emit("equal", "".join(b[j1:j2]))
        else:
            if tag in ("replace", "delete"):
                emit("delete", "".join(a[i1:i2]))
            if tag in ("replace", "insert"):
                emit("insert", "".join(b[j1:j2]))
    return out


def diff_stats(segments: list[Segment]) -> dict[str, int]:
    """Number of words inserted and deleted."""
    count = lambda op: sum(len(s.text.split()) for s in segments if s.op == op)  # noqa: E731
    return {"words_inserted": count("insert"), "words_deleted": count("delete")}

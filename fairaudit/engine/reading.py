"""How much of a long text an embedding model reads.

A sentence-transformers model reads at most ``max_seq_length`` tokens of a text
(256 for the packaged all-MiniLM-L6-v2, ``[CLS]`` and ``[SEP]`` included) and
ignores the rest. For a long ad that means the ranking, and therefore the gap,
depends on its first sentences only, and removing a later sentence cannot move
it. :func:`read_extent` measures where the model stops, in tokens, characters
and sentences (sentences as :func:`fairaudit.engine.occlusion.split_sentences` counts
them), so that ``fairaudit check`` can say so and occlude only the part read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .occlusion import sentence_slots, split_sentences


@dataclass(frozen=True)
class ReadExtent:
    """Where a model stops reading a text.

    ``n_tokens`` counts the whole text's tokens (special tokens included) and
    ``max_tokens`` the model's limit; ``chars_read`` is the length of the text
    prefix the model reads; ``sentences_read`` of ``n_sentences`` sentences
    start inside it (the last of them may be cut), and ``last_sentence_no`` is
    the number (as in the occlusion table) of the last one.
    """

    n_tokens: int
    max_tokens: int
    chars_read: int
    n_chars: int
    n_sentences: int
    sentences_read: int
    last_sentence_no: int

    @property
    def truncated(self) -> bool:
        return self.n_tokens > self.max_tokens

    def describe(self) -> str:
        """E.g. "read 20 of 95 sentences / 256 of 3,400 tokens"."""
        return (f"read {self.sentences_read:,} of {self.n_sentences:,} sentences / "
                f"{min(self.n_tokens, self.max_tokens):,} of {self.n_tokens:,} tokens")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "truncated": self.truncated}


def read_extent(st_model: Any, text: str) -> ReadExtent | None:
    """How much of ``text`` a sentence-transformers model reads; None when it has no limit or fast tokenizer.

    The model reads tokens ``0 .. max_seq_length - 1``; the last of them is
    ``[SEP]``, so the text it reads ends where token ``max_seq_length - 2``
    ends (the tokenizer's character offsets).
    """
    limit = getattr(st_model, "max_seq_length", None)
    tok = getattr(st_model, "tokenizer", None)
    if not limit or tok is None or not getattr(tok, "is_fast", False):
        return None
    text = str(text)
    enc = tok(text, add_special_tokens=True, truncation=False, return_offsets_mapping=True, verbose=False)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    n_tokens = len(ids)
    if n_tokens <= limit:
        chars = len(text)
    else:
        content = [end for (start, end) in offsets[: max(limit - 1, 1)] if end > start]
        chars = max(content) if content else 0
    parts = split_sentences(text)
    slots = sentence_slots(parts)
    starts, pos = {}, 0
    for i, p in enumerate(parts):
        starts[i] = pos + (len(p) - len(p.lstrip()))
        pos += len(p)
    read = [s for s in slots if starts[s] < chars]
    return ReadExtent(n_tokens=n_tokens, max_tokens=int(limit), chars_read=int(chars), n_chars=len(text),
                      n_sentences=len(slots), sentences_read=len(read),
                      last_sentence_no=(read[-1] // 2 + 1) if read else 0)


def recommender_read_extent(recommender: Any, text: str) -> ReadExtent | None:
    """:func:`read_extent` for a recommender that embeds with a sentence-transformers model, else None."""
    if not hasattr(type(recommender), "st_model"):
        return None
    return read_extent(recommender.st_model, text)

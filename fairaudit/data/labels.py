"""Custom category labels: the ``[labels]`` table of a review TOML, ``--labels`` and ``labels=`` in Python.

A mapping ``{attribute: {category: [spellings in the data]}}`` *adds* to the
built-in categories of :data:`fairaudit.data.io.LABELS`, never replaces them::

    [labels.race_ethnicity]
    white = ["caucasian", "european"]   # more spellings of a built-in category
    mena = ["middle eastern", "north african"]   # a new category
    caucasian = ["white"]               # a new name that absorbs a built-in category

Rules (:func:`merge_vocab`):

* a category that exists gets the new spellings in addition to its own;
* a new category is added with its spellings; when a spelling is the name of
  a built-in category (``caucasian = ["white"]``), that category and all its
  spellings (``nh_white`` ...) are absorbed into the new one, which is the
  name the audit then reports;
* a spelling the user declares wins over a built-in spelling; a spelling
  claimed by two of the user's categories is an error;
* category names always map to themselves, so normalising twice gives the
  same labels (a table loaded with ``labels`` can be audited again).

A candidates table normalised with custom labels remembers them
(``DataFrame.attrs["fairaudit_labels"]``), so :func:`fairaudit.audit`, the
rewriter and ``check`` accept it without being told again.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import ConfigError

#: The attributes whose categories can be declared.
ATTRIBUTES = ("sex", "race_ethnicity")
#: Where a normalised candidates table keeps its custom labels.
ATTRS_KEY = "fairaudit_labels"

Labels = Mapping[str, Mapping[str, Sequence[str]]]

__all__ = ["ATTRIBUTES", "ATTRS_KEY", "check_labels", "merge_vocab", "read_labels"]


def _norm(v: Any) -> str:
    return str(v).strip().lower()


def check_labels(labels: Labels | None) -> dict[str, dict[str, tuple[str, ...]]]:
    """``labels`` with lower-case names and spellings; an unknown attribute or a bad shape is a ConfigError."""
    if not labels:
        return {}
    if not isinstance(labels, Mapping):
        raise ConfigError(f"labels must map an attribute to {{category: [spellings]}}, got {type(labels).__name__}")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for attr, cats in labels.items():
        if attr not in ATTRIBUTES:
            raise ConfigError(f"labels: unknown attribute {attr!r}; declare categories of {' or '.join(ATTRIBUTES)}")
        if not isinstance(cats, Mapping):
            raise ConfigError(f"labels.{attr} must map each category to a list of spellings, "
                              f'e.g. {{ white = ["caucasian"] }}')
        out[attr] = {}
        for cat, spellings in cats.items():
            if isinstance(spellings, str) or not isinstance(spellings, (list, tuple)):
                raise ConfigError(f"labels.{attr}.{cat} must be a list of spellings, e.g. [\"caucasian\"]")
            if not _norm(cat) or _norm(cat) == "unknown":
                raise ConfigError(f"labels.{attr}: {cat!r} cannot be a category name")
            out[attr][_norm(cat)] = tuple(_norm(s) for s in spellings)
    return out


def merge_vocab(builtin: Mapping[str, Sequence[str]], custom: Mapping[str, Sequence[str]] | None,
                attribute: str = "labels") -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The categories of one attribute after adding ``custom`` to ``builtin``, and spelling -> category.

    Raises
    ------
    ConfigError
        A spelling claimed by two custom categories, or the name of another custom category.
    """
    vocab = {c: tuple(s) for c, s in builtin.items()}
    custom = {_norm(c): tuple(_norm(s) for s in ss) for c, ss in (custom or {}).items()}
    owner: dict[str, str] = {}
    for cat, spellings in custom.items():
        for s in spellings:
            if s in owner and owner[s] != cat:
                raise ConfigError(f"labels.{attribute}: {s!r} is listed under both {owner[s]!r} and {cat!r}")
            if s in custom and s != cat:
                raise ConfigError(f"labels.{attribute}: {s!r} is a category of its own and a spelling of {cat!r}")
            owner[s] = cat
    for cat, spellings in custom.items():
        absorbed = [s for s in spellings if s in builtin and s != cat and s not in custom]
        merged = vocab.get(cat, ()) + spellings
        for b in absorbed:
            merged += vocab.pop(b, ())
        vocab[cat] = tuple(dict.fromkeys(merged))
    lookup = {s: c for c, ss in vocab.items() for s in ss}
    lookup.update(owner)  # the user's spellings win over built-in ones
    lookup.update({c: c for c in vocab})  # a category's own name is always itself: normalising is idempotent
    return vocab, lookup


def read_labels(value: str | os.PathLike | Labels | None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Labels from a mapping, inline JSON, or a JSON/TOML file (a TOML file may hold them under ``[labels]``)."""
    if value is None or isinstance(value, Mapping):
        return check_labels(value)
    p = Path(value)
    try:
        if p.suffix.lower() == ".toml" and p.is_file():
            data = tomllib.loads(p.read_text(encoding="utf-8"))
            data = data.get("labels", data)
        else:
            data = json.loads(p.read_text(encoding="utf-8") if p.is_file() else str(value))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--labels must be a JSON mapping or a JSON/TOML file like "
                          f'{{"race_ethnicity": {{"white": ["caucasian"]}}}}: {exc}') from None
    return check_labels(data)

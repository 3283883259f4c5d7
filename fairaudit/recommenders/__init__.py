"""Recommenders: turn job texts into scores for every candidate.

Use :func:`make_recommender` to build one from a short spec, and
:func:`clone_recommender` to get an unfitted twin (same loaded model and cache)
for the identity-blind counterfactual audit.
"""
from __future__ import annotations

import builtins
import copy
import inspect
import os
from typing import Any

from ..errors import ConfigError
from ..models import classify_model_spec
from ..metrics.counts import group_counts
from .base import Rankings, Recommender, check_scores, rank, topk_block
from .bm25 import BM25Recommender
from .callable import CallableRecommender
from .embedding import EmbeddingRecommender, default_cache_dir

__all__ = [
    "Recommender", "Rankings", "rank", "group_counts", "check_scores", "topk_block",
    "EmbeddingRecommender", "BM25Recommender", "CallableRecommender",
    "make_recommender", "clone_recommender", "default_cache_dir",
]

_HINT = ("use 'embedding', 'bm25', a sentence-transformers model id such as "
         "'sentence-transformers/all-MiniLM-L6-v2', a local model folder, a Python function "
         "fn(job_texts, candidate_texts) -> scores, or an object with fit/score/describe/name")


def _build(cls: type, spec: str, **kw: Any) -> Any:
    try:
        inspect.signature(cls).bind(**kw)
    except TypeError as exc:
        raise ConfigError(f"invalid option for recommender {spec!r}: {exc}") from None
    return cls(**kw)


def make_recommender(spec: Any = "embedding", **kw: Any) -> Recommender:
    """Build a recommender from a spec.

    Parameters
    ----------
    spec : str, callable or Recommender
        ``"embedding"`` (packaged all-MiniLM-L6-v2), ``"bm25"``, a Hugging Face
        model id (``"org/name"``) or local model folder (an
        :class:`EmbeddingRecommender` on that model), a function
        ``fn(job_texts, candidate_texts) -> scores`` (a :class:`CallableRecommender`),
        or an object already implementing the :class:`Recommender` protocol
        (returned unchanged).
    **kw
        Passed to the recommender's constructor.

    Raises
    ------
    ConfigError
        For an unknown spec or invalid options.
    """
    if isinstance(spec, Recommender) and not isinstance(spec, type):
        if kw:
            raise ConfigError(f"options {sorted(kw)} cannot be applied to an existing recommender object")
        return spec
    if isinstance(spec, (str, os.PathLike)):
        text = os.fspath(spec).strip()
        low = text.lower()
        if low in ("embedding", "embeddings", "minilm", "default"):
            return _build(EmbeddingRecommender, text, **kw)
        if low.startswith("embedding:"):  # the name EmbeddingRecommender gives itself
            text = text.split(":", 1)[1].strip()
            low = text.lower()
        elif low == "bm25":
            return _build(BM25Recommender, text, **kw)
        kind = classify_model_spec(text)
        if kind in ("file", "missing"):
            raise ConfigError(f"recommender {text!r} names a model folder, but it "
                              + ("is a file" if kind == "file" else "does not exist") + f"; {_HINT}")
        # a bare hub "name" could be a typo of a recommender name: only "org/name" ids are models
        if kind == "folder" or (kind == "hub" and "/" in text):
            if "model" in kw:
                raise ConfigError(f"recommender {text!r} already names the model; drop model=")
            return _build(EmbeddingRecommender, text, model=text, **kw)
        raise ConfigError(f"unknown recommender {text!r}; {_HINT}")
    # `callable` here is the .callable submodule (a package attribute), hence builtins
    if builtins.callable(spec) and not isinstance(spec, type):
        return _build(CallableRecommender, getattr(spec, "__name__", "callable"), fn=spec, **kw)
    missing = [a for a in ("name", "fit", "score", "describe") if not hasattr(spec, a)]
    raise ConfigError(f"cannot use {type(spec).__name__} as a recommender"
                      + (f" (missing {', '.join(missing)})" if missing else "") + f"; {_HINT}")


def clone_recommender(recommender: Recommender) -> Recommender:
    """An unfitted copy of ``recommender`` to fit on other candidate texts.

    Uses ``recommender.clone()`` when it exists (the built-in recommenders share
    the loaded model and the embedding cache), else ``copy.deepcopy()``.

    Parameters
    ----------
    recommender : Recommender
        The recommender to copy (fitted or not).

    Returns
    -------
    Recommender
        A copy to call ``fit`` on; the original is left as it is.

    Raises
    ------
    ConfigError
        If the object can be neither cloned nor deep-copied.
    """
    clone = getattr(recommender, "clone", None)
    if builtins.callable(clone):
        return clone()
    try:
        return copy.deepcopy(recommender)
    except Exception as exc:
        name = getattr(recommender, "name", type(recommender).__name__)
        raise ConfigError(
            f"recommender {name!r} cannot be copied for the identity-blind counterfactual ({exc}); "
            "give it a clone() method that returns an unfitted copy"
        ) from None

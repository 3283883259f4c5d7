"""The on-disk embedding cache of :class:`fairaudit.recommenders.EmbeddingRecommender`.

Vectors are keyed by the model's identity (one folder per model) and the SHA-1
of each text::

    <cache_dir>/<model-slug>-<model-key>/shard-<sha1>.npz   # keys (hex SHA-1), emb (float32)

Each shard is written atomically and never modified after, so concurrent
processes can share a cache; many small shards are merged into one.
"""
from __future__ import annotations

import hashlib
import os
import threading
import warnings
import weakref
from pathlib import Path
from typing import Sequence

import numpy as np

from ..atomic import atomic_open
from ..errors import FairauditError
from ..models import cache_root

__all__ = ["EmbeddingCache", "default_cache_dir", "shared_cache", "text_key"]

_MAX_SHARDS = 64  # merge shards beyond this many, so start-up stays one listdir + few reads


def default_cache_dir() -> Path:
    """``embeddings`` under ``fairaudit.models.cache_root()`` (``$FAIRAUDIT_CACHE`` or ``~/.cache/fairaudit``)."""
    return cache_root() / "embeddings"


def text_key(text: str) -> str:
    """Cache key of one text: hex SHA-1 of its UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    """Append-only, sharded on-disk store of embeddings for one model.

    Parameters
    ----------
    folder : path or None
        Folder of this model's shards; ``None`` keeps the cache in memory only.
    dim : int
        Embedding width (to check shards written by another model version).
    """

    def __init__(self, folder: str | os.PathLike | None, dim: int):
        self.folder = Path(folder) if folder is not None else None
        self.dim = int(dim)
        self._lock = threading.Lock()
        self._where: dict[str, tuple[int, int]] = {}  # key -> (block, row)
        self._blocks: list[np.ndarray] = []
        self._seen: set[str] = set()  # shard file names already loaded
        self._disk_ok = self.folder is not None
        self._scanned = False

    def __len__(self) -> int:
        return len(self._where)

    # -- reading -----------------------------------------------------------
    def _add_block(self, keys: Sequence[str], emb: np.ndarray) -> None:
        b = len(self._blocks)
        self._blocks.append(emb)
        for r, k in enumerate(keys):
            self._where.setdefault(str(k), (b, r))

    def _scan(self) -> None:
        """Load shards written since the last scan (by us, another instance or process)."""
        if not self._disk_ok or self.folder is None or not self.folder.is_dir():
            self._scanned = True
            return
        names = sorted(p.name for p in self.folder.glob("shard-*.npz"))
        if not self._scanned and len(names) > _MAX_SHARDS:
            self._compact(names)
            names = sorted(p.name for p in self.folder.glob("shard-*.npz"))
        for name in names:
            if name in self._seen:
                continue
            try:
                with np.load(self.folder / name, allow_pickle=False) as z:
                    keys, emb = z["keys"], z["emb"]
            except FileNotFoundError:  # merged away by another process meanwhile
                continue
            except Exception:  # a corrupt shard is skipped (and recomputed), never fatal
                warnings.warn(f"ignoring unreadable embedding cache shard {self.folder / name}", stacklevel=3)
                self._seen.add(name)
                continue
            self._seen.add(name)
            if emb.ndim != 2 or emb.shape[1] != self.dim or len(keys) != len(emb):
                continue
            self._add_block(keys.tolist(), np.ascontiguousarray(emb, dtype=np.float32))
        self._scanned = True

    def _compact(self, names: list[str]) -> None:
        keys: list[np.ndarray] = []
        embs: list[np.ndarray] = []
        for name in names:
            try:
                with np.load(self.folder / name, allow_pickle=False) as z:  # type: ignore[operator]
                    if z["emb"].ndim == 2 and z["emb"].shape[1] == self.dim:
                        keys.append(z["keys"])
                        embs.append(z["emb"])
            except Exception:
                continue
        if not keys:
            return
        all_keys = np.concatenate(keys)
        _, first = np.unique(all_keys, return_index=True)
        first.sort()
        if self._write(all_keys[first].tolist(), np.concatenate(embs)[first]) is None:
            return
        for name in names:
            try:
                (self.folder / name).unlink()  # type: ignore[operator]
            except OSError:
                pass

    def get(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(found_mask, embeddings_of_found)`` for ``keys``."""
        with self._lock:
            if not self._scanned or any(k not in self._where for k in keys):
                self._scan()
            found = np.fromiter((k in self._where for k in keys), dtype=bool, count=len(keys))
            out = np.empty((int(found.sum()), self.dim), dtype=np.float32)
            j = 0
            for k, f in zip(keys, found):
                if f:
                    b, r = self._where[k]
                    out[j] = self._blocks[b][r]
                    j += 1
            return found, out

    # -- writing -----------------------------------------------------------
    def _write(self, keys: Sequence[str], emb: np.ndarray) -> str | None:
        if not self._disk_ok or self.folder is None:
            return None
        digest = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:20]
        name = f"shard-{digest}.npz"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.folder / name, "wb") as fh:
                np.savez(fh, keys=np.asarray(keys, dtype="<U40"), emb=np.asarray(emb, dtype=np.float32))
        except (OSError, FairauditError) as exc:
            # a cache that cannot be written only costs time; say so once and go on in memory
            warnings.warn(f"embedding cache {self.folder} is not writable ({exc}); caching in memory only",
                          stacklevel=3)
            self._disk_ok = False
            return None
        return name

    def put(self, keys: Sequence[str], emb: np.ndarray) -> None:
        """Store new embeddings (one shard on disk, and in memory)."""
        if not len(keys):
            return
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        with self._lock:
            name = self._write(keys, emb)
            if name is not None:
                self._seen.add(name)
            self._add_block(list(keys), emb)


#: one in-memory index per cache folder while any recommender uses it, so a second
#: instance in the same process (a new audit, the reward) does not re-read the shards
_CACHES: "weakref.WeakValueDictionary[tuple[str, int], EmbeddingCache]" = weakref.WeakValueDictionary()
_CACHES_LOCK = threading.Lock()


def shared_cache(folder: Path | None, dim: int) -> EmbeddingCache:
    """The one in-memory cache of ``folder`` in this process (a fresh memory-only one for ``None``)."""
    if folder is None:
        return EmbeddingCache(None, dim)
    key = (str(Path(folder).absolute()), dim)
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None:
            cache = EmbeddingCache(folder, dim)
            _CACHES[key] = cache
        return cache

"""What identifies a training run, so that a checkpoint is only ever resumed onto the same setup.

A run's *fingerprint* names the base model (its weights), the adapter it
started from, the recommender and the candidate pool. It is written into the
checkpoint folder; :func:`check_resume` refuses to resume a folder whose
fingerprint differs (another model's LoRA weights would otherwise load with a
size-mismatch traceback, or, worse, silently when the shapes agree).
"""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np

from fairaudit.atomic import write_text
from fairaudit.errors import ModelError

FINGERPRINT_FILE = "fingerprint.json"


def model_fingerprint(model: Any) -> str:
    """Identity of a loaded model: its type, every tensor's name and shape, and a sample of its weights (SHA-256).

    Two models with the same architecture but other weights get other
    fingerprints. LoRA tensors are left out: the fingerprint names the base.
    """
    import hashlib

    import torch

    h = hashlib.sha256()
    # the architecture and the weights; not the whole config, whose runtime flags
    # (use_cache, eos ids set by a trainer) change without changing the model
    h.update(str(getattr(getattr(model, "config", None), "model_type", type(model).__name__)).encode())
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if "lora_" in name:
                continue
            flat = p.detach().reshape(-1)
            step = max(1, flat.numel() // 4096)
            h.update(f"{name.replace('base_model.model.', '').replace('.base_layer', '')}:{tuple(p.shape)}".encode())
            h.update(flat[::step].float().cpu().numpy().tobytes())
    return h.hexdigest()


def check_resume(folder: Path, fingerprint: dict, resume: bool) -> None:
    """Refuse to resume ``folder`` if it was made with another setup; then record ``fingerprint`` there.

    Raises
    ------
    ModelError
        When ``resume`` is on and the folder's fingerprint differs, naming what differs.
    """
    fp_file = Path(folder) / FINGERPRINT_FILE
    if resume and fp_file.is_file():
        try:
            old = json.loads(fp_file.read_text())
        except (OSError, json.JSONDecodeError):
            old = None
        if old != fingerprint:
            diff = sorted(k for k in fingerprint if (old or {}).get(k) != fingerprint[k])
            raise ModelError(f"the checkpoints in {folder} were made with another "
                             f"{' and '.join(diff) or 'setup'}; refusing to resume them. Pass another "
                             "checkpoint folder or resume=False (CLI: --no-resume)")
    Path(folder).mkdir(parents=True, exist_ok=True)
    write_text(fp_file, json.dumps(fingerprint, indent=2, sort_keys=True))


def training_versions() -> dict:
    """Versions of the libraries a trained adapter depends on."""
    import peft
    import torch
    import transformers
    import trl

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "trl": trl.__version__, "peft": peft.__version__}


def json_default(o: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars and arrays in run metadata."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def run_fingerprint(model: Any, scorer: Any, start_adapter: Any, candidates_hash: str | None) -> dict:
    """What a checkpoint must match to be resumed: base model, adapter start, recommender, pool.

    Parameters
    ----------
    model : the base model, or a PEFT model wrapping it
    scorer : the reward's gap scorer (its ``recommender`` and group ``encoding``, where it has them)
    start_adapter : the adapter the run starts from (None: a new one)
    candidates_hash : the candidate table's content hash (None without a table)
    """
    import hashlib

    rec = getattr(scorer, "recommender", None)
    describe = rec.describe() if hasattr(rec, "describe") else None
    enc = getattr(scorer, "encoding", None)
    pool = None if enc is None else hashlib.sha256(np.asarray(enc.codes).tobytes()).hexdigest()
    return {"model": model_fingerprint(model.get_base_model() if hasattr(model, "get_base_model") else model),
            "start_adapter": None if start_adapter is None else str(start_adapter),
            "recommender": json.dumps({k: v for k, v in (describe or {}).items()
                                       if k not in ("cache", "device", "batch_size")}, sort_keys=True,
                                      default=str) if describe else type(scorer).__qualname__,
            "candidates": candidates_hash, "pool_codes": pool}


def run_dir(root: Path, key: dict) -> Path:
    """The checkpoint folder of a run under ``root``, named by a hash of everything that defines it (``key``)."""
    import hashlib

    return Path(root) / "runs" / hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]

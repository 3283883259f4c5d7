"""An AutoRefine adapter folder: saving it atomically, reading its run metadata, attaching it to its base model.

A folder holds PEFT's ``adapter_config.json`` and weights, and :data:`META_FILE`,
the run metadata (:func:`run_metadata`: base model and its fingerprint, settings,
data hashes, training logs) that :meth:`AutoRefine.load` restores the settings from.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fairaudit.errors import ModelError
from fairaudit.models import quiet_load

from .identity import json_default, model_fingerprint, training_versions

#: The run metadata file inside an adapter folder.
META_FILE = "autorefine.json"
#: Version of the metadata's layout.
FORMAT_VERSION = 2
#: ``base_model`` of an adapter trained on a model object (loading it then needs ``model=``).
IN_MEMORY = "<in-memory>"
#: Keys of the metadata that :meth:`AutoRefine.load` takes as its defaults. ``max_sentences`` (how many
#: driving sentences of a job to rewrite) is recorded but not restored: it is a choice of the run, not of
#: the adapter (round 2's adapter recorded 3; round 4 rewrites up to 5 with the same adapter).
RESTORED = ("k", "target", "attribute", "max_new_tokens")


def read_metadata(folder: Path) -> dict:
    """The run metadata of an adapter folder, or a :class:`ModelError` saying what is wrong."""
    meta_file = folder / META_FILE
    if not meta_file.is_file() or not (folder / "adapter_config.json").is_file():
        raise ModelError(f"{folder} is not an AutoRefine adapter folder (no {META_FILE} / adapter_config.json); "
                         "create one with `fairaudit rewrite --train --adapter DIR`")
    try:
        return json.loads(meta_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {meta_file}: {exc}") from None


def saved_options(meta: dict) -> dict:
    """The rewriter options (:data:`RESTORED`) a saved adapter records, as keyword arguments."""
    return {key: meta[key] for key in RESTORED if meta.get(key) is not None}


def attach_adapter(base: Any, folder: Path, trainable: bool) -> tuple[Any, dict]:
    """Load the adapter in ``folder`` onto ``base``; return the PEFT model (in eval mode) and the metadata.

    Raises
    ------
    ModelError
        Not an adapter folder, an adapter trained on another base model (its
        fingerprint differs), or weights PEFT cannot load.
    """
    from peft import PeftModel

    meta = read_metadata(folder)
    want = meta.get("base_model_fingerprint")
    if want and want != model_fingerprint(base):
        raise ModelError(f"the adapter in {folder} was trained on another base model (fingerprint "
                         f"{want[:12]}...); load it with the model it was trained on")
    try:
        policy = quiet_load(PeftModel.from_pretrained, base, str(folder), is_trainable=trainable)
    except Exception as exc:
        raise ModelError(f"cannot load the adapter in {folder} onto its base model: {exc}") from None
    policy.eval()
    return policy, meta


def save_adapter(policy: Any, metadata: dict, path: str | os.PathLike) -> Path:
    """Write the PEFT adapter and its metadata to ``path`` all at once (a temporary folder, then a rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        policy.save_pretrained(tmp)
        (tmp / META_FILE).write_text(json.dumps(metadata, indent=2, default=json_default))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelError(f"cannot save the adapter to {target}: {exc}") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def run_metadata(*, base_model: Any, fingerprint: dict, settings: Any, lora: Any, reward_config: Any,
                 options: dict, data: dict, result: dict, checkpoint_dir: Path) -> dict:
    """The metadata of a finished training run.

    Parameters
    ----------
    base_model : None (the packaged SmolLM2), a hub id or folder, or :data:`IN_MEMORY`
    fingerprint : :func:`~rewriting.identity.run_fingerprint` of the run
    settings, lora, reward_config : the run's TrainSettings, LoraSettings and RewardConfig
    options : the rewriter's options (k, target, attribute, attributes, max_sentences, max_new_tokens)
    data : hashes and sizes of the training data and the pool
    result : what :func:`~rewriting.train.train_policy` returned
    checkpoint_dir : where the run's checkpoints are
    """
    return {
        "format_version": FORMAT_VERSION,
        "base_model": base_model,
        "base_model_fingerprint": fingerprint["model"],
        "started_from": fingerprint["start_adapter"],
        "seed": settings.seed,
        "train_settings": settings.to_dict(),
        "lora": lora.to_dict(),
        "reward_config": reward_config.to_dict(),
        **options,
        "data": data,
        "train_seconds": result["train_seconds"],
        "resumed_from": result["resumed_from"],
        "checkpoint_dir": str(checkpoint_dir),
        "rounds": result["rounds"],
        "log_history": result["log_history"],
        "reward_history": result["reward_history"],
        # what the adapter answers: edit plans, and whole-sentence rewrites once trained on them
        "tasks": list(result.get("tasks", ["edit"])),
        "human_sft": result.get("human_sft"),
        "versions": training_versions(),
    }

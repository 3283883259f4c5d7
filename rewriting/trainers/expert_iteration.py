"""Expert iteration (rejection-sampling fine-tuning) of the edit policy, with its own config.

Round 0 scores the fixed edit set of every training sentence
(:func:`~rewriting.baselines.candidate_plans`: lexicon words, removals, deletion) and the
edit vocabulary learned from careful human rewrites (:func:`~rewriting.vocabulary.pair_plans`);
later rounds (and every round of an adapter that is already trained, or fitted to the human
sentence pairs first) add ``samples_per_unit`` plans sampled from the current policy and, with
``rewrites``, ``rewrite_samples`` whole-sentence rewrites. For each sentence the plan with the
highest reward (or KEEP, when nothing beats leaving it) becomes the edit prompt's target, and the
best sentence found (a plan applied or a rewrite), where it beats leaving the sentence, the rewrite
prompt's; the LoRA adapter is fitted to those pairs, with the human examples replayed, by TRL's
SFTTrainer (:func:`rewriting.sft.train_sft`). Each round's adapter and targets are saved, so an
interrupted run resumes.

References
----------
Anthony, Tian & Barber (2017), "Thinking Fast and Slow with Deep Learning and Tree Search", NeurIPS.
Zelikman et al. (2022), "STaR: Bootstrapping Reasoning With Reasoning", NeurIPS.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from fairaudit.errors import ConfigError
from fairaudit.options import known_fields
from fairaudit.progress import status

from ..baselines import candidate_plans
from ..edits import EditPlan, apply_plan, format_plan, parse_plan
from ..rewrite import Unit
from .scoring import UnitScorer, best_plans, best_rewrites, rewrite_prompts, sample_plans, sample_rewrites


@dataclass
class ExpertIterationConfig:
    """Settings of the expert-iteration stage of :meth:`~fairaudit.rewriting.AutoRefine.fit` (``run_expert_iteration()``).

    Parameters
    ----------
    rounds : int
        Rounds; 0 = none.
    samples_per_unit : int
        Plans sampled from the policy per sentence in a sampling round.
    sample_temperature : float
        Temperature of that sampling.
    sft_epochs : int
        SFT epochs per round.
    sft_learning_rate : float
        Learning rate of each round's SFT.
    max_new_tokens : int
        Generation budget of one sampled plan.
    seed : int
        Round ``r`` samples and fits with seed ``seed + r``.
    rewrites : bool
        Also sample, score and learn whole-sentence rewrites (the rewrite prompt).
    rewrite_samples : int
        Rewrites sampled per sentence in a sampling round.
    rewrite_max_new_tokens : int
        Generation budget of one sampled rewrite.
    human_epochs : int
        Before the first round, SFT epochs on the human examples, the expert demonstrations that
        seed the iteration (``fairaudit.rewriting.sft.human_examples()``; run by
        ``fairaudit.rewriting.train.train_policy()``, which also replays them in every round); 0 = none.
    """

    rounds: int = 2
    samples_per_unit: int = 6
    sample_temperature: float = 1.0
    sft_epochs: int = 2
    sft_learning_rate: float = 5e-4
    max_new_tokens: int = 32
    seed: int = 0
    rewrites: bool = True
    rewrite_samples: int = 4
    rewrite_max_new_tokens: int = 64
    human_epochs: int = 0

    def __post_init__(self) -> None:
        if self.rounds < 0:
            raise ConfigError(f"rounds must be >= 0, got {self.rounds}")
        if self.samples_per_unit < 0 or self.rewrite_samples < 0:
            raise ConfigError(f"samples_per_unit and rewrite_samples must be >= 0, got {self.samples_per_unit} and "
                              f"{self.rewrite_samples}")
        if self.human_epochs < 0:
            raise ConfigError(f"human_epochs must be >= 0, got {self.human_epochs}")
        if self.sft_epochs < 1:
            raise ConfigError("sft_epochs must be >= 1")
        if not self.sample_temperature > 0 or not self.sft_learning_rate > 0:
            raise ConfigError("sample_temperature and sft_learning_rate must be > 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ExpertIterationConfig":
        """The config of a dict.

        Parameters
        ----------
        d : dict
            Field names to values; keys that are not fields are ignored.
        """
        return cls(**known_fields(cls, d))


def _restore(units: Sequence[Unit], targets: list) -> list[tuple[EditPlan, float]]:
    return [(parse_plan(t, units[i].sentence), float(v)) for i, (t, v) in enumerate(targets)]


def _fixed(unit: Unit) -> list[EditPlan]:
    from ..vocabulary import pair_plans

    plans = candidate_plans(unit)
    return plans + [p for p in pair_plans(unit.sentence) if p not in plans]


def run_expert_iteration(peft_model: Any, tokenizer: Any, scorer: UnitScorer, units: Sequence[Unit],
                         prompts: Sequence[str], output_dir: Path, config: ExpertIterationConfig, *,
                         sample_from_start: bool = False, resume: bool = True, progress: bool = True,
                         replay: tuple[Sequence[str], Sequence[str]] = ((), ())) -> tuple[list[dict], str | None]:
    """Run the rounds of expert iteration on a PEFT model (trained in place).

    Parameters
    ----------
    peft_model : PeftModel
        The policy; its LoRA weights are fitted round by round.
    tokenizer
    scorer : UnitScorer
        Scores the candidate plans of each sentence.
    units : sequence of Unit
    prompts : sequence of str
        :func:`~rewriting.trainers.scoring.unit_prompts` of ``units``.
    output_dir : Path
        ``round-<r>/`` (adapter and targets) and ``round-<r>-targets.json`` (the scoring) go here.
    config : ExpertIterationConfig
    sample_from_start : bool
        Sample from the policy from round 0 on (an adapter that is already trained
        knows edits no fixed set has).
    resume : bool
        Reuse the finished rounds and the scored targets found in ``output_dir``.
    progress : bool
        Show progress.
    replay : (prompts, targets)
        Examples fitted again in every round (the human examples, ``fairaudit.rewriting.sft.human_examples()``),
        so the rounds do not wash out what careful humans do.

    Returns
    -------
    (rounds, resumed_from)
        A summary per round, and the last round folder resumed from (None if none).
    """
    from peft import set_peft_model_state_dict

    from ..sft import train_sft

    rounds: list[dict] = []
    best: list[tuple[EditPlan, float]] | None = None
    resumed = None
    for r in range(config.rounds):
        done = output_dir / f"round-{r}"
        if resume and (done / "adapter_model.safetensors").is_file() and (done / "round.json").is_file():
            from safetensors.torch import load_file

            set_peft_model_state_dict(peft_model, load_file(str(done / "adapter_model.safetensors")))
            info = json.loads((done / "round.json").read_text())
            best = _restore(units, info.pop("targets"))
            rounds.append(info)
            resumed = str(done)
            continue
        cands = [_fixed(u) for u in units]
        status(f"autorefine: expert-iteration round {r + 1}/{config.rounds} on {len(units)} sentences", progress)
        sampling = r > 0 or sample_from_start
        scored = output_dir / f"round-{r}-targets.json"
        if resume and scored.is_file():  # the expensive scoring of an interrupted round is kept
            saved = json.loads(scored.read_text())
            best = _restore(units, saved["targets"])
            stats, sentences = saved["stats"], [(t, float(v)) for t, v in saved.get("sentences", [])]
        else:
            rewrites: list[list[str]] = [[] for _ in units]
            if sampling:
                peft_model.eval()
                sampled = sample_plans(peft_model, tokenizer, units, config.samples_per_unit,
                                       config.sample_temperature, config.max_new_tokens, config.seed + r,
                                       progress=progress)
                cands = [c + [p for p in s if p not in c] for c, s in zip(cands, sampled)]
                if config.rewrites and config.rewrite_samples:
                    rewrites = sample_rewrites(peft_model, tokenizer, units, config.rewrite_samples,
                                               config.sample_temperature, config.rewrite_max_new_tokens,
                                               config.seed + r, progress=progress)
            best, stats = best_plans(scorer, cands, best)
            sentences = [(apply_plan(u.sentence, p), v) for u, (p, v) in zip(units, best)]
            if config.rewrites:
                sentences, more = best_rewrites(scorer, rewrites, sentences)
                stats.update(more)
            scored.write_text(json.dumps({"stats": stats, "targets": [[format_plan(p), v] for p, v in best],
                                          "sentences": [[t, v] for t, v in sentences]}))
        targets = [format_plan(p) for p, _ in best]
        sft_prompts, sft_targets = list(prompts), list(targets)
        if config.rewrites:  # the rewrite prompt learns the best sentence found, where it beats leaving it
            for q, (text, v) in zip(rewrite_prompts(units, tokenizer), sentences):
                if v > 0:
                    sft_prompts.append(q)
                    sft_targets.append(text)
        sft_prompts += list(replay[0])
        sft_targets += list(replay[1])
        sft = train_sft(peft_model, tokenizer, sft_prompts, sft_targets, output_dir / "sft", epochs=config.sft_epochs,
                        learning_rate=config.sft_learning_rate, seed=config.seed + r, progress=progress)
        info = {"round": r, **stats, "sft_examples": sft["n_examples"], "sft_seconds": sft["train_seconds"],
                "sft_loss": [h["loss"] for h in sft["log_history"] if "loss" in h][-1:] or None}
        rounds.append(info)
        done.mkdir(parents=True, exist_ok=True)
        peft_model.save_pretrained(done)
        (done / "round.json").write_text(json.dumps({**info, "targets": [[t, v] for t, (_, v) in
                                                                          zip(targets, best)]}))
    return rounds, resumed

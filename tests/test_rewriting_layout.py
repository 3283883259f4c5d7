"""Issue 21, item 3: AutoRefine is a facade over proposers, one trainer per algorithm (each with its own
config) and adapter I/O; the earlier import paths keep working."""
from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

from fairaudit.errors import ConfigError, ModelError

pytest.importorskip("peft")

from fairaudit.rewriting.adapter_io import META_FILE, save_adapter  # noqa: E402
from fairaudit.rewriting.proposers import CHOOSE_BEST, METHODS, NO_MODEL, make_proposer  # noqa: E402
from fairaudit.rewriting.train import TrainSettings  # noqa: E402
from fairaudit.rewriting.trainers import ExpertIterationConfig, GRPOSettings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cls,bad,match", [
    (ExpertIterationConfig, {"rounds": -1}, "rounds must be >= 0"),
    (ExpertIterationConfig, {"sft_epochs": 0}, "sft_epochs must be >= 1"),
    (ExpertIterationConfig, {"samples_per_unit": -2}, "samples_per_unit"),
    (ExpertIterationConfig, {"sample_temperature": 0.0}, "sample_temperature"),
    (GRPOSettings, {"steps": -1}, "steps must be >= 0"),
    (GRPOSettings, {"num_generations": 1}, "num_generations must be >= 2"),
    (GRPOSettings, {"prompts_per_step": 0}, "prompts_per_step must be >= 1"),
])
def test_each_trainer_config_validates_itself(cls, bad, match):
    with pytest.raises(ConfigError, match=match):
        cls(**bad)
    with pytest.raises(ConfigError, match=match):
        cls.from_dict({**cls().to_dict(), **bad})


@pytest.mark.parametrize("cls", [ExpertIterationConfig, GRPOSettings, TrainSettings])
def test_configs_round_trip(cls):
    c = cls(seed=7)
    assert cls.from_dict({**c.to_dict(), "not_a_field": 1}) == c


def test_train_settings_split_into_the_two_configs():
    s = TrainSettings(rounds=3, samples_per_unit=4, steps=5, num_generations=3, temperature=0.7,
                      sample_temperature=1.3, seed=11, max_new_tokens=20)
    ei, grpo = s.expert_iteration(), s.grpo()
    own = {f.name for f in fields(ExpertIterationConfig)} | {f.name for f in fields(GRPOSettings)}
    assert own == {f.name for f in fields(TrainSettings)}  # every field goes to one algorithm (or both)
    for part in (ei, grpo):
        for f in fields(part):
            assert getattr(part, f.name) == getattr(s, f.name), f.name
    assert (ei.rounds, ei.sample_temperature, grpo.steps, grpo.temperature) == (3, 1.3, 5, 0.7)
    # one default each: the combined settings' defaults are the trainers' own
    assert TrainSettings().expert_iteration() == ExpertIterationConfig()
    assert TrainSettings().grpo() == GRPOSettings()
    # the combined settings refuse what either algorithm refuses, and training nothing
    with pytest.raises(ConfigError, match="num_generations"):
        TrainSettings(steps=2, num_generations=1)
    with pytest.raises(ConfigError, match="nothing to train"):
        TrainSettings(rounds=0, steps=0)


def _never():
    raise AssertionError("a method without a language model asked for one")


def test_proposer_factory():
    with pytest.raises(ConfigError, match="unknown method"):
        make_proposer("magic")
    for method in NO_MODEL:  # these load no model
        assert callable(make_proposer(method, policy=_never, base=_never))
    with pytest.raises(ConfigError, match="needs a language model"):
        make_proposer("policy")
    assert set(CHOOSE_BEST) <= set(METHODS)


def test_save_adapter_keeps_the_old_folder_when_writing_fails(tmp_path):
    target = tmp_path / "adapter"
    target.mkdir()
    (target / META_FILE).write_text("{}")

    class Broken:
        def save_pretrained(self, folder):
            (Path(folder) / "adapter_model.safetensors").write_bytes(b"half")
            raise OSError("disk full")

    with pytest.raises(ModelError, match="cannot save the adapter"):
        save_adapter(Broken(), {"seed": 0}, target)
    assert (target / META_FILE).read_text() == "{}" and not (target / "adapter_model.safetensors").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["adapter"]  # no temporary folder left behind


def test_autorefine_is_a_facade():
    """The facade holds no training loop, no file writing and no proposer: those have their modules."""
    src = (ROOT / "rewriting" / "autorefine.py").read_text(encoding="utf-8")
    tree = ast.parse(src)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert not imported & {"tempfile", "shutil", "json", "hashlib", "trl", "peft"}, imported
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["AutoRefine"]
    loops = [n.lineno for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While))]
    assert not loops, f"loops in the facade at lines {loops}"


def test_earlier_import_paths():
    from fairaudit.rewriting import AutoRefine, TrainSettings as TS
    from fairaudit.rewriting.autorefine import CHOOSE_BEST as CB, DEFAULT_ADAPTER, METHODS as M, read_metadata
    from fairaudit.rewriting.train import UnitScorer, best_plans, sample_plans, train_policy, unit_prompts
    from fairaudit.rewriting.trainers.scoring import UnitScorer as US

    assert TS is TrainSettings and M == METHODS and CB == CHOOSE_BEST and UnitScorer is US
    assert callable(read_metadata) and callable(train_policy) and DEFAULT_ADAPTER.name == "adapter"
    assert all(callable(f) for f in (best_plans, sample_plans, unit_prompts, AutoRefine))

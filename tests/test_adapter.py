"""The AutoRefine adapter shipped in the package: present, documented, small, and it works (slow: real models)."""
from __future__ import annotations

import json

import pytest

from fairaudit.rewriting.autorefine import DEFAULT_ADAPTER, META_FILE

torch = pytest.importorskip("torch")


def test_the_adapter_ships_with_its_training_card():
    files = {p.name for p in DEFAULT_ADAPTER.iterdir()}
    assert {"adapter_model.safetensors", "adapter_config.json", META_FILE, "TRAINING_CARD.md"} <= files
    size = sum(p.stat().st_size for p in DEFAULT_ADAPTER.iterdir())
    assert size < 20 * 2**20  # a few MB of LoRA weights, not a model
    meta = json.loads((DEFAULT_ADAPTER / META_FILE).read_text())
    assert meta["base_model"] is None and meta["base_model_fingerprint"]  # the packaged SmolLM2
    assert meta["seed"] == 0 and meta["train_seconds"] > 0 and meta["protocol"]["train_pool_seed"] == 101
    card = (DEFAULT_ADAPTER / "TRAINING_CARD.md").read_text()
    assert "make adapter" in card and "never read" in card


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_the_shipped_policy_writes_valid_edit_plans_that_narrow_the_gap():
    """Loads the adapter onto the packaged SmolLM2 and rewrites coded ads against the packaged MiniLM."""
    from fairaudit.data.datasets import make_hiring_data
    from fairaudit.rewriting import AutoRefine
    from fairaudit.rewriting.edits import parse_plan
    from fairaudit.rewriting.meaning import invented_content, prompt_echo

    torch.set_num_threads(2)
    jobs, cands = make_hiring_data(40, 1500, seed=5)
    coded = jobs[jobs["coding"] == "masculine"].head(4).reset_index(drop=True)
    ar = AutoRefine(candidates=cands, k=10, progress=False)  # adapter="default"
    units = ar.units(coded)
    assert units, "no driving sentence found in masculine-coded ads"
    plans = ar.proposer("policy")(units)
    valid = [p[0].plan.valid for p in plans]
    assert sum(valid) >= 0.8 * len(valid), [p[0].label for p in plans]  # the policy answers in the edit format
    out = ar.rewrite(coded, units=units)
    assert out["accepted"].any(), out["reason"].tolist()
    assert (out["gap_after"] <= out["gap_before"] + 0.1 + 1e-9).all()  # hard top-10 gap: at most one swap worse
    for _, r in out[out["accepted"]].iterrows():
        assert not prompt_echo(r["original"], r["rewrite"]) and not invented_content(r["original"], r["rewrite"])
        assert r["meaning_score"] >= 0.85 and r["skill_recall"] >= 0.9
    assert parse_plan("DELETE", "x").delete  # sanity of the format the card documents

"""`fairaudit rewrite` end to end, and one GRPO step with the real SmolLM2 (slow)."""
from __future__ import annotations

import pandas as pd
import pytest
from toy import save_tiny_llama

from fairaudit.cli import main

torch = pytest.importorskip("torch")

JOBS = pd.DataFrame({
    "job_id": ["j1", "j2", "j3"],
    "title": ["Software Engineer", "Data Analyst", "Office Manager"],
    "text": [
        "We build payment software in Python. We want a competitive ninja who writes tests for every API.",
        "You analyse sales data with SQL and Excel. An aggressive leader who presents dashboards to finance.",
        "You organise meetings, budgets and supplies for the office.",
    ],
})
CANDS = pd.DataFrame({
    "candidate_id": [f"c{i}" for i in range(60)],
    "text": [f"{'She' if i % 2 else 'He'} is a {['software engineer', 'data analyst', 'office manager'][i % 3]} "
             f"with {i % 9 + 1} years of experience in Python, SQL and budgets." for i in range(60)],
    "sex": ["female" if i % 2 else "male" for i in range(60)],
})


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture()
def files(tmp_path):
    JOBS.to_csv(tmp_path / "jobs.csv", index=False)
    CANDS.to_csv(tmp_path / "cands.csv", index=False)
    return tmp_path


def test_cli_rejects_a_missing_adapter(files, capsys):
    rc = main(["rewrite", "--jobs", str(files / "jobs.csv"), "--candidates", str(files / "cands.csv"),
               "--out", str(files / "out.csv"), "--adapter", str(files / "nope"), "--quiet"])
    assert rc == 2
    assert "not an AutoRefine adapter folder" in capsys.readouterr().err
    assert not (files / "out.csv").exists()


def test_cli_lexicon_rewrites_without_training(files):
    # a long sentence around "ninja", so that swapping one word keeps its meaning (similarity above the guard)
    jobs = JOBS.copy()
    jobs.loc[0, "text"] = ("We build payment software in Python. We want a careful engineer who writes unit tests "
                           "for every payment API in Python, a true ninja.")
    jobs.to_csv(files / "jobs.csv", index=False)
    rc = main(["rewrite", "--jobs", str(files / "jobs.csv"), "--candidates", str(files / "cands.csv"),
               "--out", str(files / "lex.csv"), "--method", "lexicon", "--k", "10", "--quiet"])
    assert rc == 0
    out = pd.read_csv(files / "lex.csv", keep_default_na=False)
    # the lexicon's substitute (ninja -> expert), and nothing else changed
    assert out.loc[0, "accepted"] and out.loc[0, "rewrite"] == jobs.loc[0, "text"].replace("ninja", "expert")
    # "aggressive" -> "energetic" is refused by the guard that rejects added demographic words: text kept
    assert not out.loc[1, "accepted"] and out.loc[1, "rewrite"] == jobs.loc[1, "text"]
    assert "demographic" in out.loc[1, "reason"]
    assert not out.loc[2, "accepted"] and out.loc[2, "rewrite"] == jobs.loc[2, "text"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_cli_train_save_and_reuse_adapter(files, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("FAIRAUDIT_CACHE", str(files / "cache"))
    torch.set_num_threads(1)
    common = ["--jobs", str(files / "jobs.csv"), "--candidates", str(files / "cands.csv"), "--k", "10",
              "--model", str(tiny_model_dir), "--quiet"]
    rc = main(["rewrite", *common, "--out", str(files / "rl.csv"), "--train", "--rounds", "1", "--steps", "1",
               "--adapter", str(files / "adapter"), "--seed", "1"])
    assert rc == 0
    assert (files / "adapter" / "adapter_config.json").is_file()
    out = pd.read_csv(files / "rl.csv", keep_default_na=False)
    # the rewrites table, then the audit's hard gap of every attribute the rewrite watched
    assert list(out.columns)[:12] == ["job_id", "original", "rewrite", "accepted", "gap_before", "gap_after",
                                      "meaning_score", "skill_recall", "reason", "n_sentences", "n_rewritten",
                                      "edits"]
    attrs = [c[len("gap_before_"):] for c in out.columns[12:] if c.startswith("gap_before_")]
    assert attrs and attrs[0] == "sex" and all(f"gap_after_{a}" in out for a in attrs)
    rc = main(["rewrite", *common, "--out", str(files / "rl2.csv"), "--adapter", str(files / "adapter")])
    assert rc == 0
    out2 = pd.read_csv(files / "rl2.csv", keep_default_na=False)
    assert list(out2["rewrite"]) == list(out["rewrite"])


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_real_smollm2_fine_tunes_the_shipped_adapter(files):
    """The packaged SmolLM2-135M loads (de-quantised once), the shipped adapter trains further and rewrites."""
    from fairaudit.rewriting import AutoRefine, TrainSettings

    torch.set_num_threads(1)
    ar = AutoRefine(candidates=CANDS, k=10, max_sentences=1, progress=False,
                    train_settings=TrainSettings(rounds=1, sft_epochs=1, steps=1, num_generations=2,
                                                 prompts_per_step=1, save_steps=1, logging_steps=1))
    ar.fit(JOBS, seed=0, checkpoint_dir=files / "ckpt")
    assert ar.metadata_["started_from"] == "default"
    # One GRPO step, logged at step 1 (logging_steps=1) with the reward terms.
    steps = [h for h in ar.metadata_["log_history"] if "rewards/fairness/mean" in h]
    assert len(steps) == 1 and steps[0]["step"] == 1
    out = ar.rewrite(JOBS.iloc[:1])
    assert len(out) == 1 and isinstance(out.loc[0, "rewrite"], str) and out.loc[0, "rewrite"]

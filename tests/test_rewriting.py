"""Fast tests of the rewriting package: reward, guard, baselines, GRPO loop, adapter I/O.

A tiny randomly initialised Llama (built from a config) paired with the real
SmolLM2 tokenizer (read from the packaged GGUF, no download) runs the full TRL
training loop; the recommender is the toy one from tests/toy.py, so no
embedding model is loaded.
"""
from __future__ import annotations

import json
import zlib

import numpy as np
import pandas as pd
import pytest

from fairaudit.errors import ConfigError, ModelError
from fairaudit.gap import GapScorer
from rewriting.baselines import identity_proposer, lexicon_proposer
from rewriting.reward import Reward, RewardConfig, content_words, demographic_added, skill_recall
from rewriting.rewrite import rewrite_jobs, select_units, split_sentences
from toy import ToyRecommender, toy_data

torch = pytest.importorskip("torch")


def bow_encode(texts):
    """Hashed bag of words, unit norm: a deterministic stand-in for MiniLM."""
    out = np.zeros((len(texts), 512))
    for i, t in enumerate(texts):
        for w in str(t).lower().replace(".", " ").split():
            out[i, zlib.crc32(w.encode()) % 512] += 1
    n = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(n > 0, n, 1)


JOBS = pd.DataFrame({
    "job_id": ["j1", "j2", "j3"],
    "title": ["Software Engineer", "Data Analyst", "Office Manager"],
    "text": [
        "We build payment software in Python and Go. We want a ninja who writes tests for every API. "
        "You will review code and deploy services on Kubernetes with the platform team.",
        "You analyse sales data with SQL and Excel. A competitive ninja who presents dashboards to finance. "
        "Experience with Tableau and statistics is required.",
        "You organise meetings, budgets and supplies for the office. Experience with invoices and scheduling.",
    ],
})


@pytest.fixture(scope="module")
def scorer():
    _, cands = toy_data(n_cand=200, seed=1)
    return GapScorer(ToyRecommender(), cands, k=50, target="pool")


@pytest.fixture(scope="module")
def reward(scorer):
    return Reward(scorer, bow_encode, RewardConfig(min_similarity=0.6))


# -- text utilities -------------------------------------------------------------

def test_split_sentences_roundtrip():
    for text in JOBS["text"].tolist() + ["One. Two!\nThree?  Four", "", "no end mark"]:
        parts = split_sentences(text)
        assert "".join(parts) == text


def test_skill_recall_ignores_coded_words():
    o = "A competitive ninja who knows SQL and Excel."
    assert skill_recall(o, "An expert who knows SQL and Excel.") == 1.0
    assert skill_recall(o, "An expert.") == 0.0
    assert "ninja" not in content_words(o) and "sql" in content_words(o)


def test_demographic_added_only_counts_new_words():
    assert demographic_added("A nurse.", "A female nurse, young and energetic.") == ["energetic", "female", "young"]
    assert demographic_added("She leads.", "She leads.") == []
    assert demographic_added("x", "ideal for a recent graduate") == ["recent graduate"]


# -- reward and anti-hacking guard ------------------------------------------------

def test_identity_rewrite_scores_zero(reward):
    t = JOBS["text"].tolist()
    s = reward.score(t, t, titles=JOBS["title"].tolist())
    assert s["accepted"].all()
    np.testing.assert_allclose(s["fairness"], 0.0)
    np.testing.assert_allclose(s["reward"], 0.0, atol=1e-9)


def test_lexicon_rewrite_gains_fairness(reward):
    o = JOBS["text"].iloc[0]
    r = o.replace("ninja", "expert")
    s = reward.score([o], [r], titles=[JOBS["title"].iloc[0]]).iloc[0]
    assert s["gap_candidate"] < s["gap_before"]  # the toy recommender favours men on "ninja"
    assert s["accepted"] and s["fairness"] > 0 and s["reward"] > 0


def test_emptied_text_scores_badly(reward):
    o = JOBS["text"].iloc[0]
    for hack in ("", "   ", "We want an expert.", "expert expert expert expert expert expert expert"):
        s = reward.score([o], [hack], titles=["Software Engineer"]).iloc[0]
        assert not s["accepted"], hack
        assert s["fairness"] == 0.0 and s["reward"] < -1.0, hack


def test_adding_gendered_words_is_penalised(scorer):
    class FavoursWomenWords:
        # a recommender-like measure that a policy could game by naming a group
        def gaps(self, texts):
            return np.array([0.0 if "women" in t or "she" in t.split() else 0.3 for t in texts])

    r = Reward(FavoursWomenWords(), bow_encode)
    o = JOBS["text"].iloc[0]
    hacked = o.replace("We want a ninja", "We want women: she")
    s = r.score([o], [hacked], titles=["Software Engineer"]).iloc[0]
    assert not s["accepted"] and "demographic" in s["reason"]
    assert s["reward"] < 0 and s["form"] < 0
    # the same edit without the demographic words is not penalised by the form term
    clean = r.score([o], [o.replace("ninja", "expert")], titles=["Software Engineer"]).iloc[0]
    assert clean["form"] == 0.0


def test_dropping_the_title_or_echoing_the_prompt_is_penalised(reward):
    o = "Join us as a Data Analyst. You analyse sales data with SQL and Excel."
    s = reward.score([o], ["Join us. You analyse sales data with SQL and Excel."], titles=["Data Analyst"]).iloc[0]
    assert not s["accepted"] and "title" in s["reason"]
    e = reward.score([o], ["Rewritten sentence: " + o], titles=["Data Analyst"]).iloc[0]
    assert e["echo"] and e["form"] < 0


def test_reward_config_validates():
    with pytest.raises(ConfigError):
        RewardConfig(length_bounds=(1.2, 2.0))
    assert RewardConfig.from_dict(RewardConfig().to_dict()) == RewardConfig()


# -- baselines through the shared pipeline ----------------------------------------

def test_units_are_sentences_with_coded_words(scorer):
    units = select_units(JOBS, scorer, max_sentences=2)
    assert {u.row for u in units} == {0, 1}  # j3 has no coded words
    assert len([u for u in units if u.row == 1]) == 2  # "analyse" is masculine-coded too
    # with one sentence per job, the one whose coded word drives the gap wins
    top = select_units(JOBS, scorer, max_sentences=1)
    assert [u.row for u in top] == [0, 1] and all("ninja" in u.sentence for u in top)
    assert top[0].score > 0


def test_original_and_lexicon_baselines(reward):
    orig = rewrite_jobs(JOBS, identity_proposer, reward)
    assert list(orig["rewrite"]) == list(JOBS["text"]) and not orig["accepted"].any()
    np.testing.assert_allclose(orig["gap_after"], orig["gap_before"])
    assert orig.loc[2, "reason"] == "no gender-coded words to rewrite"
    lex = rewrite_jobs(JOBS, lexicon_proposer, reward)
    assert lex.loc[0, "accepted"] and "ninja" not in lex.loc[0, "rewrite"]
    assert lex["gap_after"].mean() < orig["gap_after"].mean()
    assert (lex["skill_recall"] >= 0.99).all()
    assert lex.loc[2, "rewrite"] == JOBS.loc[2, "text"]


def test_rejected_rewrites_keep_the_original(reward):
    out = rewrite_jobs(JOBS, lambda units: [[""] for _ in units], reward)
    assert list(out["rewrite"]) == list(JOBS["text"])
    assert not out["accepted"].any() and out.loc[0, "reason"].startswith("sentence")


def test_best_of_n_never_worse_than_original(reward):
    def propose(units):
        return [["", u.sentence.replace("ninja", "expert"), u.sentence + " women"] for u in units]

    best = rewrite_jobs(JOBS, propose, reward, choose="best")
    assert (best["gap_after"] <= best["gap_before"] + 1e-12).all()
    assert not best["rewrite"].str.contains("women").any()
    assert best.loc[0, "accepted"]


# -- SFT warm start: reward-filtered targets ------------------------------------------

def test_edit_candidates_put_the_hinted_edit_first():
    from rewriting.sft import edit_candidates

    cands = edit_candidates("We want a competitive, driven person.", hint=("driven",))
    assert cands[0] == "We want a competitive, motivated person."  # only the driver word replaced
    assert "We want a strong, motivated person." in cands  # full lexicon substitution
    assert edit_candidates("We want a competitive, driven person.")[0] == "We want a strong, motivated person."
    assert edit_candidates("You organise meetings.") == []  # nothing coded: nothing to propose


def test_units_name_the_driver_words(scorer):
    units = select_units(JOBS, scorer, max_sentences=2)
    for u in units:
        assert set(u.drivers) <= set(u.words) and u.hint == (u.drivers or u.words)
    assert any("ninja" in u.drivers for u in units)  # the toy recommender keys on "ninja"


def test_sft_targets_pick_the_fairest_accepted_edit_or_keep(scorer, reward):
    from rewriting.sft import sft_targets

    units = select_units(JOBS, scorer, max_sentences=2)
    parts = [split_sentences(t) for t in JOBS["text"]]
    g0 = np.asarray(scorer.gaps(JOBS["text"].tolist()))
    t = sft_targets(reward, units, parts, g0)
    assert sorted(t["unit"]) == list(range(len(units)))  # every sentence gets a target (maybe "keep")
    for _, row in t.iterrows():
        u = units[row["unit"]]
        if row["keep"]:
            assert row["target"] == u.sentence and row["fairness"] == 0
        else:  # an edit is a target only when it does not widen the gap
            assert row["fairness"] >= 0 and row["target"] != u.sentence
    first = t[t["unit"] == next(i for i, u in enumerate(units) if u.row == 0 and "ninja" in u.sentence)].iloc[0]
    assert not first["keep"] and "ninja" not in first["target"] and first["fairness"] > 0
    assert len(sft_targets(reward, units, parts, g0, max_examples=1)) == 1

    # an edit that widens the gap is never a target: the sentence is kept instead
    originals = set(JOBS["text"])

    class Widening:
        def gaps(self, texts):
            return np.array([0.5 if t in originals else 0.9 for t in texts])

    t2 = sft_targets(Reward(Widening(), bow_encode, RewardConfig(min_similarity=0.0)), units, parts,
                     np.full(len(JOBS), 0.5))
    assert len(t2) == len(units) and t2["keep"].all()


# -- the GRPO loop with a tiny model -------------------------------------------------

@pytest.fixture(scope="module")
def tiny_lm():
    from transformers import LlamaConfig, LlamaForCausalLM

    from rewriting.policy import load_gguf_tokenizer

    tok = load_gguf_tokenizer()
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=True)
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg), tok, cfg


def _fresh_model(tiny_lm):
    from transformers import LlamaForCausalLM

    _, tok, cfg = tiny_lm
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg), tok


@pytest.mark.filterwarnings("ignore")
def test_grpo_two_steps_logs_reward_terms_and_adapter_roundtrips(tiny_lm, scorer, tmp_path, monkeypatch):
    from rewriting import AutoRefine, TrainSettings

    monkeypatch.setenv("FAIRAUDIT_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)
    model, tok = _fresh_model(tiny_lm)
    settings = TrainSettings(save_steps=1, prompts_per_step=1)
    ar = AutoRefine(model=model, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode, max_new_tokens=12,
                    train_settings=settings, progress=False)
    ar.fit(JOBS, steps=2, seed=3)
    logs = [h for h in ar.metadata_["log_history"] if "loss" in h]
    assert len(logs) == 2
    for term in ("fairness", "meaning", "form"):
        assert f"rewards/{term}/mean" in logs[0]  # each reward term reached the trainer
    assert "reward_terms/gap_after" in logs[0]
    assert len(ar.metadata_["reward_history"]) >= 2
    sft = ar.metadata_["sft"]
    assert sft["epochs"] == settings.sft_epochs and sft["n_examples"] > 0  # the warm start ran
    assert any("loss" in h for h in ar.metadata_["sft_log_history"])
    # the reward the trainer saw is the sum of the logged terms
    h = ar.metadata_["reward_history"][0]
    assert h["reward"] == pytest.approx(h["fairness"] + h["meaning"] + h["form"])

    out = ar.rewrite(JOBS)
    assert list(out.columns[:9]) == ["job_id", "original", "rewrite", "accepted", "gap_before", "gap_after",
                                     "meaning_score", "skill_recall", "reason"]
    # random weights write garbage: the guard must keep the originals
    assert (out.loc[~out["accepted"], "rewrite"] == JOBS.loc[~out["accepted"], "text"]).all()

    saved = ar.save(tmp_path / "adapter")
    meta = json.loads((saved / "autorefine.json").read_text())
    assert meta["seed"] == 3 and meta["data"]["train_jobs_sha256"] and meta["reward_config"]["fairness_weight"] == 1
    assert (saved / "adapter_config.json").is_file()

    base2, _ = _fresh_model(tiny_lm)
    ar2 = AutoRefine.load(saved, model=base2, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode, progress=False)
    sd1 = {k: v for k, v in ar.policy_.state_dict().items() if "lora_" in k}
    sd2 = {k: v for k, v in ar2.policy_.state_dict().items() if "lora_" in k}
    assert sd1.keys() == sd2.keys() and sd1
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert any(float(v.abs().sum()) > 0 for k, v in sd1.items() if "lora_B" in k)  # it did train
    out2 = ar2.rewrite(JOBS)
    assert list(out2["rewrite"]) == list(out["rewrite"])

    # an interrupted run resumes from its last checkpoint
    model3, _ = _fresh_model(tiny_lm)
    ar3 = AutoRefine(model=model3, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode, max_new_tokens=12,
                     train_settings=settings, progress=False)
    ar3.fit(JOBS, steps=3, seed=3, checkpoint_dir=ar.metadata_["checkpoint_dir"])
    assert ar3.metadata_["resumed_from"].endswith("checkpoint-2")


def test_errors_are_user_facing(scorer, tmp_path):
    from rewriting import AutoRefine

    with pytest.raises(ConfigError):
        AutoRefine()
    with pytest.raises(ModelError):
        AutoRefine.load(tmp_path, gap_scorer=scorer)
    with pytest.raises(ModelError):
        AutoRefine(gap_scorer=scorer, encoder=bow_encode).rewrite(JOBS, method="policy")
    with pytest.raises(ConfigError):
        AutoRefine(gap_scorer=scorer).rewrite(JOBS, method="nope")

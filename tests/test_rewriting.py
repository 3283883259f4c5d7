"""Fast tests of the rewriting package: edit plans, guard, reward, units, baselines, training loop, adapter I/O.

A tiny randomly initialised Llama (built from a config) paired with the real
SmolLM2 tokenizer (read from the packaged GGUF, no download) runs the training
loop; the recommender is the toy one from tests/toy.py, so no embedding model
is loaded.
"""
from __future__ import annotations

import json
import zlib

import numpy as np
import pandas as pd
import pytest

from fairaudit.errors import ConfigError, ModelError
from fairaudit.engine.gap import GapScorer
from fairaudit.rewriting.baselines import candidate_plans, identity_proposer, lexicon_proposer, search_proposer
from fairaudit.rewriting.edits import EditPlan, apply_plan, broken, format_plan, parse_plan
from fairaudit.engine.occlusion import split_sentences
from fairaudit.rewriting.meaning import (demographic_added, editable_words, invented_content, prompt_echo,
                                         skill_recall, states_requirement)
from fairaudit.rewriting.reward import Reward, RewardConfig
from fairaudit.engine.occlusion import assemble
from fairaudit.rewriting.rewrite import Proposal, find_units, rewrite_jobs
from toy import ToyRecommender, tiny_llama, toy_data

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
        "You analyse sales data with SQL and Excel. Our crew of ninjas works hard and plays hard. "
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
    return Reward(scorer, bow_encode, RewardConfig(min_similarity=0.6, min_recall=0.8))


# -- edit plans ---------------------------------------------------------------------

S = "You are confident, decisive and self-reliant, and you lead by example."


def test_plans_parse_format_and_apply():
    plan = parse_plan("confident -> capable; decisive -> ", S)
    assert plan.valid and plan.replacements == (("confident", "capable"), ("decisive", ""))
    assert parse_plan(format_plan(plan), S) == plan  # the canonical text round-trips
    assert apply_plan(S, plan) == "You are capable and self-reliant, and you lead by example."
    assert parse_plan("DELETE", S).delete and apply_plan(S, parse_plan("DELETE", S)) == ""
    assert parse_plan("KEEP", S).is_keep and apply_plan(S, EditPlan()) == S


def test_plans_that_cannot_be_applied_as_written_have_problems():
    assert not parse_plan("ninja -> expert", S).valid  # phrase not in the sentence
    assert not parse_plan("confident -> a very capable and calm person", S).valid  # not a short phrase
    assert not parse_plan("Here is the rewritten sentence", S).valid  # not an edit at all
    assert not parse_plan("confident -> capable. We are great", S).valid  # smuggles in a sentence


def test_applied_plans_fix_articles_and_lists():
    s = "We want a ninja and a hungry engineer."
    assert apply_plan(s, parse_plan("ninja -> expert; hungry -> ", s)) == "We want an expert and an engineer."
    s2 = "Dominant, fearless people thrive here."
    assert apply_plan(s2, parse_plan("Dominant -> ", s2)) == "Fearless people thrive here."
    assert broken("We want a hungry engineer and a.") and not broken("We want an engineer.")


# -- meaning and the guard's checks ------------------------------------------------------

def test_requirement_sentences_are_recognised():
    assert states_requirement("You bring 3+ years of Python and SQL.")
    assert states_requirement("We offer a pension and 25 days of leave.")
    assert states_requirement("We are hiring a software engineer.", "Software Engineer")  # names the job
    assert not states_requirement("We work hard and play hard, and only rockstars survive here.")
    assert not states_requirement("You are confident, decisive and self-reliant.")


def test_skill_recall_counts_requirement_terms_only():
    o = "A ninja who knows SQL and Excel is required. We work hard and play hard."
    assert skill_recall(o, "An expert who knows SQL and Excel is required.") == 1.0  # culture sentence dropped
    assert skill_recall(o, "An expert is required. We work hard and play hard.") < 0.6


def test_editable_words_are_coded_or_style_words_never_skills():
    words = editable_words("We need a rockstar who crushes SQL tuning and builds Python services.")
    assert "rockstar" in words and "crushes" in words
    assert not {"SQL", "Python", "tuning", "services"} & set(words)


@pytest.mark.parametrize("sentence, kept", [
    ("Knowledge of iTrent and the CIPP Certificate in Payroll are desirable.", {"iTrent"}),
    ("You need an NCTJ Diploma with 100 wpm shorthand and a portfolio of scoops.", {"wpm", "shorthand"}),
    ("You'll manage the main inbox and diary and take minutes at board meetings.", {"inbox", "diary"}),
    ("Requirements: 3+ years on refinery or petrochemical shutdowns.", {"petrochemical", "shutdowns"}),
])
def test_requirement_sentences_keep_every_word_that_is_not_coded(sentence, kept):
    # words found by erasing them one at a time once scored "fairer" by deleting the job's content
    assert not kept & set(editable_words(sentence))


def test_style_and_gendered_words_are_editable_where_the_job_does_not_depend_on_them():
    assert "snug" in editable_words("We're a snug, family-run nursery of kind people.")
    assert "lads" in editable_words("We need strong, fast lads who can hammer out 180 picks an hour.")
    assert "guy" in editable_words("We're hiring a guy who can pull wire all day.")


@pytest.mark.parametrize("sentence, answer, broken", [
    ("We're hiring a guy who can pull wire all day.", "guy -> ", True),
    ("We're hiring a guy who can pull wire all day.", "guy -> person", False),
    ("We need a heavy hitter who can take charge of a site.", "hitter -> ", True),
    ("We need a gatekeeper who can take a hit and keep smiling.", "smiling -> ", True),
    ("We want someone caring and considerate, a real people-person.", "considerate -> ", True),
    ("We're looking for a gentle, playful teacher who adores children.", "gentle -> ", False),
    ("Upsell warranties against aggressive daily targets.", "aggressive -> ", False),
])
def test_a_removal_must_leave_a_grammatical_sentence(sentence, answer, broken):
    # read from the benchmark's rewrites: each of these "fairer" texts was broken English
    from fairaudit.rewriting.edits import parse_plan
    from fairaudit.rewriting.plan_checks import broken_removals

    assert bool(broken_removals(sentence, parse_plan(answer, sentence))) is broken


def test_the_fixed_edit_set_replaces_gendered_person_words():
    from fairaudit.rewriting.baselines import candidate_plans
    from fairaudit.rewriting.edits import apply_plan
    from fairaudit.rewriting.rewrite import Unit

    s = "We're hiring a guy who can pull wire all day."
    u = Unit(row=0, slot=0, sentence=s, title="Electrician", flagged=("guy",), deletable=False)
    rewrites = {apply_plan(s, p) for p in candidate_plans(u)}
    assert "We're hiring a person who can pull wire all day." in rewrites


def test_maternity_pay_in_a_duty_is_not_editable():
    words = editable_words("Duties include calculating overtime, sickness and maternity pay for the LGPS.")
    assert "maternity" not in words


def test_an_edit_plan_that_removes_job_words_is_rejected(reward):
    from fairaudit.rewriting.edits import apply_plan, parse_plan
    from fairaudit.rewriting.plan_checks import plan_touches_job_words

    sentence = "Knowledge of iTrent is desirable and you must be a competitive ninja."
    assert plan_touches_job_words(sentence, parse_plan("iTrent -> ", sentence)) == ["iTrent"]
    assert plan_touches_job_words(sentence, parse_plan("ninja -> expert", sentence)) == []
    text = "Payroll officer. " + sentence
    for answer, ok in (("iTrent -> ", False), ("ninja -> expert", True)):
        plan = parse_plan(answer, sentence)
        after = "Payroll officer. " + apply_plan(sentence, plan)
        row = reward.score([text], [after], titles=["Payroll officer"], units_before=[sentence],
                           units_after=[apply_plan(sentence, plan)], plans=[plan]).iloc[0]
        assert ("edits words the job needs: iTrent" in row["reason"]) is not ok


def test_guard_predicates():
    assert demographic_added("A nurse.", "A female nurse, young and energetic.") == ["energetic", "female", "young"]
    assert demographic_added("x", "ideal for a recent graduate") == ["recent graduate"]
    assert prompt_echo("We want an expert.", "Job title: We want an expert.")
    assert invented_content("We want an expert.", "We want an expert. No word: no financial analyst to forecast.")
    assert not invented_content("We want a ninja.", "We want an expert.")


# -- the reward ------------------------------------------------------------------------

def test_no_change_scores_zero_and_is_not_an_accepted_rewrite(reward):
    t = JOBS["text"].tolist()
    s = reward.score(t, t, titles=JOBS["title"].tolist())
    assert not s["accepted"].any() and (s["reason"] == "").all()
    np.testing.assert_allclose(s["reward"], 0.0, atol=1e-12)


def test_removing_a_driving_word_gains_fairness(reward):
    o = JOBS["text"].iloc[0]
    r = o.replace("a ninja", "an engineer")
    s = reward.score([o], [r], titles=[JOBS["title"].iloc[0]]).iloc[0]
    assert s["accepted"] and s["fair_candidate"] < s["fair_before"]  # the toy recommender favours men on "ninja"
    assert s["fairness"] > 0 and s["reward"] > 0


def test_guard_rejects_the_reward_hacks(scorer):
    class FavoursWomenWords:
        # a recommender-like measure a policy could game by naming a group or a coded word
        def gaps(self, texts):
            return np.array([0.0 if ("women" in t or "nurturing" in t or t.count(".") < 3) else 0.3 for t in texts])

    r = Reward(FavoursWomenWords(), bow_encode, RewardConfig(min_similarity=0.5, min_recall=0.5, temperature=0))
    o, title = JOBS["text"].iloc[0], "Software Engineer"
    duty = "You will review code and deploy services on Kubernetes with the platform team."
    units = {"requirement": (duty, "")}
    hacks = {
        "demographic": o.replace("We want a ninja", "We want women"),
        "gender-coded": o.replace("a ninja", "a nurturing person"),
        "requirement": o.replace(" You will review code and deploy services on Kubernetes with the platform team.",
                                 ""),
        "empty": "",
        "echoes": "Job title: " + o,
        "adds 1 sentence": o + " No word: no financial analyst to take ownership of forecasting.",
    }
    for why, text in hacks.items():
        ub, ua = units.get(why, (o, text))
        s = r.score([o], [text], titles=[title], units_before=[ub], units_after=[ua]).iloc[0]
        assert not s["accepted"] and why in s["reason"], (why, s["reason"])
        assert s["fairness"] == 0.0 and s["reward"] < 0, why


def test_a_plan_with_problems_is_rejected_and_costs_form(reward):
    o = JOBS["text"].iloc[0]
    bad = parse_plan("dragon -> expert", "We want a ninja who writes tests for every API.")
    s = reward.score([o], [o], plans=[bad]).iloc[0]
    assert not s["accepted"] and "edit plan" in s["reason"] and s["form"] < 0


def test_fluency_guard_rejects_a_broken_sentence(scorer):
    def fluency(texts):  # stand-in LM: a sentence that lost its noun reads much worse
        return np.array([5.0 if "ninja" in t or "engineer" in t else 7.0 for t in texts])

    r = Reward(scorer, bow_encode, RewardConfig(min_similarity=0.5, min_recall=0.5), fluency=fluency)
    o = JOBS["text"].iloc[0]
    unit = "We want a ninja who writes tests for every API."
    for new, ok in (("We want an engineer who writes tests for every API.", True),
                    ("We want a who writes tests for every API.", False)):
        s = r.score([o], [o.replace(unit, new)], units_before=[unit], units_after=[new]).iloc[0]
        assert bool(s["accepted"]) is ok, s["reason"]


def test_reward_config_validates():
    with pytest.raises(ConfigError):
        RewardConfig(min_similarity=1.5)
    with pytest.raises(ConfigError):
        RewardConfig(temperature=-1)
    assert RewardConfig.from_dict(RewardConfig().to_dict()) == RewardConfig()


def test_smoothed_gap_moves_where_the_hard_gap_cannot(scorer):
    """The smoothed gap changes with small score shifts; the hard top-k gap moves in whole candidates."""
    texts = ["ninja role", "role"]
    hard, smooth = scorer.gaps(texts), scorer.smooth_gaps(texts, 0.5)
    assert smooth[0] > smooth[1] and hard[0] >= hard[1]
    tiny = scorer.smooth_gaps(texts, 1e-4)
    np.testing.assert_allclose(tiny, hard, atol=0.03)  # temperature -> 0 gives the hard top-k mix


# -- units and the shared rewriting pipeline ----------------------------------------------

def test_units_are_the_sentences_that_drive_the_gap(reward):
    units = find_units(JOBS, reward, max_sentences=2)
    rows = {u.row for u in units}
    assert rows == {0, 1}  # j3's wording moves nothing
    ninja = [u for u in units if "ninja" in u.sentence.lower()]
    assert ninja and all(any(w.lower().startswith("ninja") for w in u.flagged) for u in ninja)
    assert all(u.effect > 0 for u in units)
    j2 = next(u for u in units if u.row == 1)
    assert j2.deletable  # "Our crew of ninjas works hard and plays hard." states no requirement


def test_sentences_roundtrip_and_deletion():
    for text in JOBS["text"].tolist() + ["One. Two!\nThree?  Four", "", "no end mark"]:
        assert "".join(split_sentences(text)) == text
    p = split_sentences("One. Two. Three.")
    assert assemble(p, 2, "") == "One. Three." and assemble(p, 4, "") == "One. Two."


def test_original_lexicon_and_search_through_the_shared_pipeline(reward):
    units = find_units(JOBS, reward)
    orig = rewrite_jobs(JOBS, identity_proposer, reward, units)
    assert list(orig["rewrite"]) == list(JOBS["text"]) and not orig["accepted"].any()
    np.testing.assert_allclose(orig["gap_after"], orig["gap_before"])
    assert "nothing to rewrite" in orig.loc[2, "reason"]
    search = rewrite_jobs(JOBS, search_proposer, reward, units, choose="best")
    assert search.loc[0, "accepted"] and "ninja" not in search.loc[0, "rewrite"]
    assert (search["gap_after"] <= search["gap_before"] + 1e-12).all()
    assert search.loc[0, "edits"] and search.loc[2, "rewrite"] == JOBS.loc[2, "text"]
    lex = rewrite_jobs(JOBS, lexicon_proposer, reward, units, require_gain=False)
    assert "ninja" not in lex.loc[0, "rewrite"]


def test_rejected_or_unhelpful_rewrites_keep_the_original(reward):
    units = find_units(JOBS, reward)
    out = rewrite_jobs(JOBS, lambda us: [[Proposal(u.sentence + " She is great.")] for u in us], reward, units)
    assert list(out["rewrite"]) == list(JOBS["text"]) and not out["accepted"].any()
    assert "demographic" in out.loc[0, "reason"] or "sentence" in out.loc[0, "reason"]

    def widen(us):  # accepted by the guard, but it makes the gap worse: never kept
        return [[Proposal(u.sentence.replace("We want", "We want a ninja,"))] for u in us]

    out2 = rewrite_jobs(JOBS, widen, reward, units)
    assert (out2["gap_after"] <= out2["gap_before"] + 1e-12).all()


def test_candidate_plans_start_with_keep_and_offer_deletion_only_when_allowed(reward):
    units = find_units(JOBS, reward)
    for u in units:
        plans = candidate_plans(u)
        assert plans[0].is_keep and len(set(plans)) == len(plans)
        assert any(p.delete for p in plans) == u.deletable


# -- the training loop and the adapter with a tiny model -------------------------------------

@pytest.fixture(scope="module")
def tiny_lm():
    return tiny_llama(tie_word_embeddings=True)


def _fresh_model(tiny_lm, seed=0):
    from transformers import LlamaForCausalLM

    _, tok, cfg = tiny_lm
    torch.manual_seed(seed)
    return LlamaForCausalLM(cfg), tok


def _autorefine(tiny_lm, scorer, settings, seed=0):
    from fairaudit.rewriting import AutoRefine

    model, tok = _fresh_model(tiny_lm, seed)
    return AutoRefine(model=model, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode, max_new_tokens=12,
                      train_settings=settings, progress=False,
                      reward_config=RewardConfig(min_similarity=0.6, min_recall=0.8, max_fluency_loss=0))


@pytest.mark.filterwarnings("ignore")
def test_expert_iteration_and_grpo_train_and_the_adapter_roundtrips(tiny_lm, scorer, tmp_path, monkeypatch):
    from fairaudit.rewriting import AutoRefine, TrainSettings

    monkeypatch.setenv("FAIRAUDIT_CACHE", str(tmp_path / "cache"))
    torch.set_num_threads(1)
    # the edit-plan path alone (human_epochs=0); the human pairs: tests/test_rewriting_sentences.py
    settings = TrainSettings(rounds=2, samples_per_unit=2, sft_epochs=1, steps=2, num_generations=2,
                             prompts_per_step=1, save_steps=1, logging_steps=1, human_epochs=0)
    ar = _autorefine(tiny_lm, scorer, settings)
    ar.fit(JOBS, seed=3)
    rounds = ar.metadata_["rounds"]
    assert [r["round"] for r in rounds] == [0, 1] and rounds[0]["n_candidates"] > 0
    assert rounds[0]["mean_best_reward"] > 0  # the fixed edit set already narrows the toy gap
    logs = [h for h in ar.metadata_["log_history"] if "loss" in h]
    assert len(logs) == 2
    for term in ("fairness", "meaning", "form"):
        assert f"rewards/{term}/mean" in logs[0]  # each reward term reached the trainer
    h = ar.metadata_["reward_history"][0]
    assert h["reward"] == pytest.approx(h["fairness"] + h["meaning"] + h["form"])

    out = ar.rewrite(JOBS)
    assert list(out.columns) == ["job_id", "original", "rewrite", "accepted", "gap_before", "gap_after",
                                 "meaning_score", "skill_recall", "reason", "n_sentences", "n_rewritten", "edits"]
    assert (out.loc[~out["accepted"], "rewrite"] == JOBS.loc[~out["accepted"], "text"]).all()

    saved = ar.save(tmp_path / "adapter")
    meta = json.loads((saved / "autorefine.json").read_text())
    assert meta["seed"] == 3 and meta["data"]["train_jobs_sha256"] and meta["base_model_fingerprint"]
    base2, tok = _fresh_model(tiny_lm)
    ar2 = AutoRefine.load(saved, model=base2, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode, progress=False)
    sd1 = {k: v for k, v in ar.policy_.state_dict().items() if "lora_" in k}
    sd2 = {k: v for k, v in ar2.policy_.state_dict().items() if "lora_" in k}
    assert sd1.keys() == sd2.keys() and sd1 and all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert list(ar2.rewrite(JOBS)["rewrite"]) == list(out["rewrite"])

    # an adapter refuses a base model with other weights
    other, _ = _fresh_model(tiny_lm, seed=1)
    with pytest.raises(ModelError, match="another base model"):
        AutoRefine.load(saved, model=other, tokenizer=tok, gap_scorer=scorer, encoder=bow_encode)

    # an interrupted run resumes from its checkpoints ...
    ar3 = _autorefine(tiny_lm, scorer, TrainSettings(**{**settings.to_dict(), "steps": 3}))
    ar3.fit(JOBS, seed=3, checkpoint_dir=ar.metadata_["checkpoint_dir"])
    assert ar3.metadata_["resumed_from"].endswith("checkpoint-2")
    # ... but never onto another model: the fingerprint differs (issue: a size-mismatch traceback or a silent
    # resume of another model's adapter)
    ar4 = _autorefine(tiny_lm, scorer, TrainSettings(**{**settings.to_dict(), "steps": 3}), seed=7)
    with pytest.raises(ModelError, match="another model"):
        ar4.fit(JOBS, seed=3, checkpoint_dir=ar.metadata_["checkpoint_dir"])


def test_errors_are_user_facing(scorer, tmp_path):
    from fairaudit.rewriting import AutoRefine

    with pytest.raises(ConfigError):
        AutoRefine()
    with pytest.raises(ModelError):
        AutoRefine.load(tmp_path, gap_scorer=scorer)
    with pytest.raises(ModelError):
        AutoRefine(gap_scorer=scorer, encoder=bow_encode, adapter=None).rewrite(JOBS, method="policy")
    with pytest.raises(ConfigError):
        AutoRefine(gap_scorer=scorer).rewrite(JOBS, method="nope")

"""Round 4 (issue 26, item 2): rewrite the driving sentences as careful humans do, keeping their duties.

* the sentence alignment of training ads with their human rewrites, and the shipped pairs file;
* duty sentences that drive the gap become units (rewritten, never deleted);
* the policy's whole-sentence rewrite beside its edit plan, its duties checked by the guard;
* ``policy_best_of_n`` explores (n distinct new samples), ``policy_no_adapter`` is the ablation;
* the reward averaged over several pools;
* the training mechanics (human SFT, expert iteration and GRPO on both actions) on a tiny model.

Every ad here is a training ad or a new sentence; none comes from a test ad.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairaudit.engine.gap import GapScorer
from fairaudit.rewriting.alignment import align, align_sentences, sentence_pairs
from fairaudit.rewriting.baselines import PolicyProposer, explore
from fairaudit.rewriting.edits import EditPlan, apply_plan
from fairaudit.rewriting.meaning import duty_kept
from fairaudit.rewriting.reward import Reward, RewardConfig
from fairaudit.rewriting.rewrite import Proposal, Unit, find_units, rewrite_jobs
from test_rewriting import JOBS, bow_encode
from toy import ToyRecommender, tiny_llama, toy_data

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

torch = pytest.importorskip("torch")


def training_ads(ids):
    import rewrite_data as rd

    ads = rd.freestyle("train").set_index("job_id")
    return ads.loc[list(ids)].reset_index()


# -- alignment ---------------------------------------------------------------------------

def test_a_training_ad_aligns_sentence_by_sentence_with_its_human_rewrite():
    ad = training_ads(["F01"]).iloc[0]
    pairs = align_sentences(ad["text"], ad["oracle"])
    assert [p.position for p in pairs] == sorted(p.position for p in pairs)  # monotone, one to one
    by = {p.original: p.human for p in pairs}
    crush = next(s for s in by if "crush latency" in s)
    assert "reduce latency" in by[crush] and "PostgreSQL" in by[crush]
    kept = sentence_pairs(ad["text"], ad["oracle"], ad["title"])
    assert kept and all(p.original != p.human for p in kept)  # unchanged sentences are no supervision
    assert all(duty_kept(p.original, p.human, ad["title"]) for p in kept)


def test_a_dropped_sentence_is_left_unmatched_and_the_order_is_kept():
    sim = np.array([[0.9, 0.1, 0.1], [0.1, 0.1, 0.2], [0.1, 0.8, 0.1], [0.1, 0.1, 0.9]])
    assert align(sim, 0.35) == [(0, 0), (2, 1), (3, 2)]
    original = "You will crush targets on SQL queries. We are a band of brothers. You hold a degree."
    human = "You will reduce latency on SQL queries. You hold a degree."
    pairs = align_sentences(original, human)
    assert [(p.position, p.human) for p in pairs] == [(0, "You will reduce latency on SQL queries."),
                                                      (2, "You hold a degree.")]


def test_a_human_sentence_that_loses_a_duty_is_no_supervision():
    original = "You will lay 900 bricks a day like a machine and read drawings on new-build sites."
    assert not sentence_pairs(original, "You will work steadily on building sites.")
    assert sentence_pairs(original, "You will lay 900 bricks a day and read drawings on new-build sites.")


def test_the_shipped_pairs_come_from_training_ads_only_and_the_script_rebuilds_them():
    import align_sentences as script
    import rewrite_data as rd
    from fairaudit.rewriting.sft import sentence_pairs as shipped

    table = shipped()
    train_ids = set(rd.freestyle("train")["job_id"])
    test_ids = set(rd.freestyle("test")["job_id"]) | set(rd.freestyle("test_v3")["job_id"])
    assert len(table) >= 150 and set(table["ad_id"]) <= train_ids and not set(table["ad_id"]) & test_ids
    assert table["ad_id"].nunique() >= 100
    # the script is deterministic: the same pairs for the first ads (token overlap and MiniLM, as shipped)
    from fairaudit.models import load_sentence_transformer

    st = load_sentence_transformer(None)
    first = list(dict.fromkeys(table["ad_id"]))[:4]
    orig = rd.freestyle
    try:
        rd.freestyle = lambda split: orig(split).loc[lambda d: d["job_id"].isin(first)]
        rebuilt = script.build(lambda t: st.encode(list(t), normalize_embeddings=True, convert_to_numpy=True,
                                                   show_progress_bar=False))
    finally:
        rd.freestyle = orig
    want = table[table["ad_id"].isin(first)].reset_index(drop=True)
    pd.testing.assert_frame_equal(rebuilt[["ad_id", "original", "human", "plan"]], want[["ad_id", "original", "human",
                                                                                          "plan"]])


def test_phrase_level_plans_reproduce_the_human_sentence():
    import align_sentences as script
    from fairaudit.rewriting.edits import apply_plan, parse_plan

    original = "You'll help patients wash, then softly reassure anxious relatives."
    human = "You'll help patients wash, then reassure anxious relatives."
    plan = script.phrase_plan(original, human)
    assert plan and apply_plan(original, parse_plan(plan, original)) == human
    assert script.phrase_plan(original, "Patients are helped.") == ""


# -- units, proposals and the guard -----------------------------------------------------------

@pytest.fixture(scope="module")
def scorer():
    _, cands = toy_data(n_cand=200, seed=1)
    return GapScorer(ToyRecommender(), cands, k=50, target="pool")


@pytest.fixture(scope="module")
def reward(scorer):
    return Reward(scorer, bow_encode, RewardConfig(min_similarity=0.6, min_recall=0.8))


DUTY = pd.DataFrame({"job_id": ["d1"], "title": ["Database Administrator"], "text": [
    "You will tune queries and back up the ninjaDB cluster every night. You organise the on-call rota. "
    "Experience with SQL is required."]})


def test_a_duty_sentence_that_drives_the_gap_is_a_unit_that_may_not_be_deleted(reward):
    units = find_units(DUTY, reward)
    duty = [u for u in units if "ninjaDB" in u.sentence]
    assert duty and not duty[0].deletable and duty[0].effect > 0.005
    assert not [u for u in find_units(DUTY, reward, duty_sentences=False) if "ninjaDB" in u.sentence]


class FakeRewriter:
    """Stands in for the adapter: a fixed greedy rewrite per unit, and samples that repeat before they differ."""

    seed, temperature, n_tokens, seconds = 0, 1.0, 0, 0.0

    def __init__(self, answers):
        self.answers = answers

    def greedy(self, units):
        return [Proposal(self.answers[0]) for _ in units]

    def sample(self, units, idx, seed, temperature):
        return [[Proposal(self.answers[min(seed, len(self.answers) - 1)])] * 3 for _ in idx]


def test_the_policy_proposes_whole_sentence_rewrites_and_the_guard_keeps_their_duties(reward):
    sentence = "You will tune queries and back up the cluster every night like a ninja."
    job = DUTY.assign(text=sentence + " You organise the on-call rota. Experience with SQL is required.")
    u = Unit(row=0, slot=0, sentence=sentence, title="Database Administrator", effect=0.1)
    loses = "You will look after the databases."
    keeps = "You will tune queries and back up the cluster every night."
    props = PolicyProposer(None, FakeRewriter([loses]))([u])[0]
    assert props[0].sentence == loses and props[0].plan is None and len(props) > 1  # beside the fixed edits
    for text, ok in ((loses, False), (keeps, True)):
        log: list = []
        out = rewrite_jobs(job, lambda units: [[Proposal(text)] for _ in units], reward, [u], guard_log=log)
        assert bool(out.loc[0, "accepted"]) is ok, out.loc[0, "reason"]
        assert ("duty_kept" in log[0][0]) is not ok
        if not ok:
            assert "duties" in out.loc[0, "reason"] and out.loc[0, "rewrite"] == job.loc[0, "text"]


def test_exploration_keeps_sampling_until_n_distinct_new_proposals():
    answers = ["a b c.", "a b c.", "d e f.", "g h i.", "j k l."]
    rw = FakeRewriter(answers)
    u = Unit(row=0, slot=0, sentence="x y z.", title="")
    known = [{"x y z.", "a b c."}]  # the original and the greedy answer
    found = explore(lambda idx, seed, t: rw.sample([u], idx, seed, t), 1, 3, known, rounds=6)
    assert [p.sentence for p in found[0]] == ["d e f.", "g h i.", "j k l."]
    temps = []
    explore(lambda idx, seed, t: temps.append(t) or [[]], 1, 2, [set()], temperature=1.0, rounds=3)
    assert temps == sorted(temps) and temps[0] < temps[-1]  # the temperature rises while nothing new turns up


def test_the_ablation_proposes_the_vocabulary_and_fixed_edits_without_the_adapter():
    from fairaudit.rewriting.proposers import CHOOSE_BEST, NO_MODEL, make_proposer

    prop = make_proposer("policy_no_adapter")
    assert "policy_no_adapter" in CHOOSE_BEST and "policy_no_adapter" in NO_MODEL
    u = Unit(row=0, slot=0, sentence="Join a crew of hungry engineers.", title="Engineer", flagged=("hungry",),
             deletable=True)
    (props,) = prop([u])
    plans = [p.plan for p in props]
    assert any(p is not None and p.delete for p in plans) and any(("crew", "team") in p.replacements for p in plans)


# -- the tiny model: best-of-n explores, and the training mechanics ------------------------------------------------

@pytest.fixture(scope="module")
def tiny_lm():
    return tiny_llama(tie_word_embeddings=True)


def test_policy_best_of_n_samples_n_distinct_new_answers_on_a_tiny_model(tiny_lm):
    """The issue: policy_best_of_n gave exactly the policy's rewrites. Its samples must differ from each other,
    from the greedy answers and from the fixed edits."""
    from fairaudit.rewriting.proposers import make_proposer

    model, tok, _ = tiny_lm
    torch.set_num_threads(1)
    units = [Unit(row=0, slot=0, sentence="We want a ninja who writes tests for every API.", title="Engineer",
                  flagged=("ninja",))]
    greedy = make_proposer("policy", policy=lambda: model, base=lambda: (model, tok), max_new_tokens=8,
                           rewrite=True)(units)[0]
    best = make_proposer("policy_best_of_n", policy=lambda: model, base=lambda: (model, tok), n=4, max_new_tokens=8,
                         rewrite=True)(units)[0]
    texts = [p.sentence for p in best]
    assert len(texts) == len(set(texts))                          # every candidate is scored once
    new = [t for t in texts if t not in {p.sentence for p in greedy}]
    assert len(new) >= 4                                          # n samples that differ from the greedy answers
    assert {p.sentence for p in greedy} <= set(texts)             # best-of-n keeps the policy's own answers


@pytest.mark.filterwarnings("ignore")
def test_training_fits_the_human_pairs_then_rl_on_both_actions(tiny_lm, scorer, tmp_path, monkeypatch):
    from transformers import LlamaForCausalLM

    import fairaudit.rewriting.sft as sft
    from fairaudit.rewriting import AutoRefine, TrainSettings

    monkeypatch.setenv("FAIRAUDIT_CACHE", str(tmp_path / "cache"))
    few = sft.sentence_pairs().head(6)
    monkeypatch.setattr(sft, "sentence_pairs", lambda: few)
    torch.set_num_threads(1)
    _, tok, cfg = tiny_lm
    torch.manual_seed(0)
    settings = TrainSettings(human_epochs=1, rounds=1, samples_per_unit=2, rewrite_samples=2, rewrite_max_new_tokens=12,
                             sft_epochs=1, steps=1, num_generations=2, prompts_per_step=2, save_steps=1,
                             logging_steps=1)
    ar = AutoRefine(model=LlamaForCausalLM(cfg), tokenizer=tok, gap_scorer=scorer, encoder=bow_encode,
                    max_new_tokens=8, train_settings=settings, progress=False,
                    reward_config=RewardConfig(min_similarity=0.6, min_recall=0.8, max_fluency_loss=0,
                                               max_continuation_loss=0))
    ar.fit(JOBS, seed=1)
    meta = ar.metadata_
    assert meta["tasks"] == ["edit", "rewrite"]
    h = meta["human_sft"]
    assert h["n_rewrites"] == 6 and h["n_examples"] == 6 + int((few["plan"] != "").sum()) and h["sha256"]
    (r0,) = meta["rounds"]
    assert r0["n_rewrites"] > 0 and r0["sft_examples"] >= h["n_examples"]   # rewrites scored, humans replayed
    assert [x for x in meta["log_history"] if "loss" in x]                   # GRPO ran
    assert meta["train_settings"]["human_epochs"] == 1
    out = ar.rewrite(JOBS)
    assert len(out) == len(JOBS)
    # the training card says what the adapter was trained on
    import train_adapter

    meta["protocol"] = {"train_pool_seeds": [101, 111, 121], "train_pool_size": 8000, "n_templated": 0,
                        "n_freestyle": 3, "n_sentence_pairs": len(few), "n_pair_ads": int(few["ad_id"].nunique()),
                        "n_pair_plans": int((few["plan"] != "").sum())}
    card = train_adapter.card_text(meta, n_jobs=len(JOBS), minutes=1.0, machine="test")
    assert "sentence_pairs.csv" in card and "101, 111, 121" in card and "whole-sentence rewrites" in card
    assert f"{len(few)} aligned (original sentence → human sentence) pairs" in card and "{" not in card
    # fine-tuning an adapter that already rewrites (as `fairaudit rewrite --train` does, human_epochs=0)
    # keeps training the rewrite without fitting the human pairs again
    saved = ar.save(tmp_path / "adapter")
    torch.manual_seed(0)  # the same base weights as the first fit's
    ar2 = AutoRefine.load(saved, model=LlamaForCausalLM(cfg), tokenizer=tok, gap_scorer=scorer, encoder=bow_encode,
                          progress=False, train_settings=TrainSettings(**{**settings.to_dict(), "human_epochs": 0,
                                                                          "steps": 0}))
    ar2.fit(JOBS, seed=2)
    assert ar2.metadata_["tasks"] == ["edit", "rewrite"] and ar2.metadata_["human_sft"] is None


def test_the_reward_can_average_its_gaps_over_several_pools():
    from fairaudit.rewriting.attributes import AttributeGaps
    from fairaudit.rewriting.pools import PooledGaps, pooled_gaps

    _, c1 = toy_data(n_cand=200, seed=1)
    _, c2 = toy_data(n_cand=300, seed=2)
    texts = ["a ninja role", "a calm role"]
    pooled = pooled_gaps([ToyRecommender(), ToyRecommender()], [c1, c2], k=20, attributes=("sex",))
    assert isinstance(pooled, PooledGaps)
    one = [AttributeGaps(ToyRecommender(), c, k=20, attributes=("sex",)) for c in (c1, c2)]
    want = np.mean([g.smooth_gaps(texts) for g in one], axis=0)
    np.testing.assert_allclose(pooled.smooth_gaps(texts), want)
    np.testing.assert_allclose(pooled.gaps(texts), np.mean([g.gaps(texts) for g in one], axis=0))
    assert pooled.harm(texts, texts) == [[], []]
    assert not isinstance(pooled_gaps(ToyRecommender(), [c1], k=20, attributes=("sex",)), PooledGaps)


def test_a_driving_sentence_that_no_rewrite_may_change_is_no_unit(reward):
    # "Payninja" moves the toy recommender, but it is a name in a salary line: nothing in the sentence is coded,
    # gendered or style wording, so the only rewrites the guard would pass are none; the slot goes elsewhere
    jobs = pd.DataFrame({"job_id": ["p1"], "title": ["Clerk"], "text": [
        "Salary is 40,000 paid through Payninja. You will answer the phones."]})
    assert not [u for u in find_units(jobs, reward) if "Payninja" in u.sentence]
    coded = jobs.assign(text="Salary is 40,000 for a ninja with Payninja. You will answer the phones.")
    assert [u for u in find_units(coded, reward) if "Payninja" in u.sentence]


def test_the_fixed_edit_set_replaces_gendered_words_the_occlusion_did_not_flag():
    from fairaudit.rewriting.baselines import candidate_plans
    from fairaudit.rewriting.edits import apply_plan

    s = "Our lads start at 7 and expect a man to pull his weight."
    u = Unit(row=0, slot=0, sentence=s, title="Electrician", flagged=(), deletable=False)
    plans = candidate_plans(u)
    rewrites = {apply_plan(s, p) for p in plans}
    assert "Our people start at 7 and expect a person to pull his weight." in rewrites
    assert "Our people start at 7 and expect a man to pull his weight." in rewrites
    # removing a word nobody flagged is not tried: "Our start at 7" is what occlusion measured
    assert not any(n == "" for p in plans for _, n in p.replacements)


def test_merge_plans_takes_every_plan_that_touches_new_words():
    from fairaudit.rewriting.edits import merge_plans

    a, b = EditPlan(replacements=(("blokes", "people"),)), EditPlan(replacements=(("men", "people"),))
    overlap = EditPlan(replacements=(("real men", "people"),))
    assert merge_plans([a, b, overlap]).replacements == (("blokes", "people"), ("men", "people"))
    assert merge_plans([a, overlap, b]).replacements == (("blokes", "people"), ("real men", "people"))
    assert merge_plans([a]) is None and merge_plans([a, EditPlan(delete=True)]) is None
    # an edit of an edit is no merge: "guy -> person" then "person -> someone" would rewrite the rewrite
    assert merge_plans([EditPlan(replacements=(("guy", "person"),)),
                        EditPlan(replacements=(("person", "someone"),))]) is None


class CountingRecommender(ToyRecommender):
    """Every 'ninja' and 'rockstar' in a job adds to the men's scores: two coded words, two steps."""

    def score(self, job_texts):
        base = np.tile(np.linspace(0, 1, self.n), (len(job_texts), 1))
        count = np.array([len(re.findall(r"ninja|rockstar", t.lower())) for t in job_texts], dtype=float)
        return base + 0.25 * count[:, None] * (~self.fem)[None, :]


def test_the_gaining_plans_of_one_sentence_are_merged_when_together_they_narrow_the_gap_more():
    _, cands = toy_data(n_cand=200, seed=1)
    reward = Reward(GapScorer(CountingRecommender(), cands, k=50, target="pool"), bow_encode,
                    RewardConfig(min_similarity=0.5, min_recall=0.5))
    sentence = "We want a ninja who ships on time and a rockstar who reviews code."
    jobs = pd.DataFrame({"job_id": ["m1"], "title": ["Software Engineer"], "text": [
        "You will write Python services and review code on the platform. " + sentence]})
    unit = Unit(row=0, slot=2, sentence=sentence, title="Software Engineer", flagged=("ninja", "rockstar"), effect=0.1)
    each = [Proposal(apply_plan(sentence, p), p) for p in (EditPlan(replacements=(("ninja", "expert"),)),
                                                           EditPlan(replacements=(("rockstar", "engineer"),)))]
    out = rewrite_jobs(jobs, lambda us: [list(each)], reward, [unit], choose="best")
    assert "ninja" not in out["rewrite"][0].lower() and "rockstar" not in out["rewrite"][0].lower()
    first = rewrite_jobs(jobs, lambda us: [list(each)], reward, [unit], choose="first")
    assert "rockstar" in first["rewrite"][0]  # "first" keeps the first proposal alone

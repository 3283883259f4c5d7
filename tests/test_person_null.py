"""The person-level chance level of per-job candidate sets (issue 28, item 3; fairaudit.engine.person_null).

The defect: drawing each job's top-k group counts independently (per-job
hypergeometric) ignores that a person keeps one label in every job, so with a
quality shared across jobs (strong people selected in many jobs) the per-job
null is too narrow and "beyond chance" comes far too often on attribute-blind
rankings. The person-level permutation moves each person's label in all of
their jobs at once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import fairaudit
from fairaudit.data.groups import encode
from fairaudit.engine.candidate_sets import build
from fairaudit.engine.permutation import p_lower, set_null_draws
from fairaudit.engine.person_null import (LEVELS, PER_JOB, PERSON, _selectivity_bins, block_permutations,
                                          choose_null, exchangeability_blocks, person_null_draws, profile_from_pairs)
from fairaudit.engine.result import AuditConfig
from fairaudit.engine.sets_measure import set_chance, set_targets
from fairaudit.engine.verdicts import lowest, null_impact_ratios
from fairaudit.errors import ConfigError
from fairaudit.metrics.impact import impact_ratios, rated_mask, reference_mask, selection_rates
from fairaudit.report.chance import chance_summary

ALPHA = 0.05


def _recurring(seed, n=300, n_jobs=60, size=50, quality=2.0):
    """Attribute-blind scores with a quality shared by all jobs; every person is in about 10 jobs' sets."""
    rng = np.random.default_rng([28, seed])
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "sex": rng.choice(["female", "male"], n)})
    q = quality * rng.standard_normal(n)
    job = np.repeat(np.arange(n_jobs), size)
    cand = np.concatenate([rng.choice(n, size, replace=False) for _ in range(n_jobs)])
    sets = build(job, cand, [f"j{j}" for j in range(n_jobs)], n, score=q[cand] + rng.standard_normal(len(cand)))
    return cands, sets


def _attribute_p(null_selected, pairs, observed):
    """The attribute test's p-value (assess): the observed lowest impact ratio against the null's."""
    rated = rated_mask(pairs, 2, 0.02)
    ir = impact_ratios(selection_rates(observed, pairs, 1)[:2], rated, reference_mask(pairs, rated))
    return p_lower(lowest(null_impact_ratios(null_selected, pairs, 1, rated)), np.nanmin(ir))


def test_the_per_job_null_is_anti_conservative_on_recurring_candidates_and_the_audits_null_is_not():
    k, n_perm, old, new = 5, 39, [], []
    for seed in range(100):
        cands, sets = _recurring(seed)
        enc = encode(cands, "sex")
        config = AuditConfig(ks=(k,), n_bootstrap=0, n_permutations=n_perm, n_permutations_gap=0, seed=seed,
                             target="own", attributes=("sex",))
        considered = sets.considered(enc.codes, enc.n_codes)
        pairs, observed = considered.sum(axis=0), sets.top_counts(k, enc.codes, enc.n_codes).sum(axis=0)
        per_job = set_null_draws(considered, np.minimum(sets.sizes, k), 2, np.array([0.5, 0.5]), 0.1, n_perm,
                                 [seed, 1], 0)
        draws, info = set_chance(sets, [enc], config, {"sex": set_targets("own", enc, considered)[0]},
                                 {"sex": considered})  # the null the audit chooses
        assert info["null"] == PERSON
        old.append(_attribute_p(per_job.selected, pairs, observed) <= ALPHA)
        new.append(_attribute_p(draws[("sex", k)].selected, pairs, observed) <= ALPHA)
    # measured: the per-job null rejects in about 40 % of these attribute-blind audits, the person-level one in 4 %
    assert np.mean(old) > 0.25
    assert np.mean(new) <= 0.09


def test_blocks_by_hand():
    # jobs J0, J1 nursing, J2, J3 electrical. a, b: {J0, J1} (the same jobs); c {J0, J2} and d {J1, J3}: one nursing
    # and one electrical job each (the same job groups); e {J2}, f {J3}: one electrical job; g {J0, J1, J2} alone
    pairs = {"a": [0, 1], "b": [0, 1], "c": [0, 2], "d": [1, 3], "e": [2], "f": [3], "g": [0, 1, 2]}
    rows = {name: i for i, name in enumerate(pairs)}
    job = np.array([j for name in pairs for j in pairs[name]])
    cand = np.array([rows[name] for name in pairs for _ in pairs[name]])
    groups = np.array([0, 0, 1, 1])
    blocks = exchangeability_blocks(profile_from_pairs(job, cand, 4, len(pairs), groups))
    level = {name: LEVELS[blocks.level[rows[name]]] for name in pairs}
    assert level == {"a": "same jobs", "b": "same jobs", "c": "same job groups", "d": "same job groups",
                     "e": "same job groups", "f": "same job groups", "g": "alone"}
    code = dict(zip(pairs, blocks.code))
    assert code["a"] == code["b"] and code["c"] == code["d"] and code["e"] == code["f"]
    assert len({code["a"], code["c"], code["e"], code["g"]}) == 4
    assert list(blocks.code) == [0, 0, 1, 1, 2, 2, 3]  # numbered by their first person
    # without job groups: c, d (two jobs each) and e, f (one job each) are blocks by their number of jobs
    plain = exchangeability_blocks(profile_from_pairs(job, cand, 4, len(pairs)))
    assert [LEVELS[v] for v in plain.level] == ["same jobs"] * 2 + ["same number of jobs"] * 4 + ["alone"]
    # candidate strata split every block: a and b in different strata no longer swap
    split = exchangeability_blocks(profile_from_pairs(job, cand, 4, len(pairs), groups),
                                   strata=np.array([0, 1, 0, 0, 0, 0, 0]))
    assert split.code[0] != split.code[1]
    assert plain.summary()["people_by_block"]["alone"] == 1 and plain.summary()["blocks"] == 3


def test_every_block_holds_one_number_of_jobs_so_the_denominators_do_not_move():
    _, sets = _recurring(0, n=400, n_jobs=30, size=40)
    prof = sets.person_profile()
    blocks = exchangeability_blocks(prof, min_block=5)
    n_jobs = prof.n_jobs[blocks.people]
    for c in np.unique(blocks.code):
        assert len(np.unique(n_jobs[blocks.code == c])) == 1


def test_selectivity_bins_keep_ties_together_and_hold_enough_people():
    sel = np.sort(np.r_[np.arange(30), np.full(40, 30), np.arange(31, 60)])
    bins = _selectivity_bins(sel, 20)
    for v in np.unique(sel):
        assert len(np.unique(bins[sel == v])) == 1
    assert np.bincount(bins).min() >= 20 and bins.max() >= 1
    assert (_selectivity_bins(np.arange(30), 20) == 0).all()  # fewer than twice the minimum: one bin


def test_block_permutations_are_uniform_within_blocks():
    code = np.array([0, 0, 0, 1, 1, 2])
    perms = np.concatenate(list(block_permutations(code, 6000, [1, 2], block=500)))
    assert perms.shape == (6000, 6)
    assert (code[perms] == code[None, :]).all() and (perms[:, 5] == 5).all()
    assert all(sorted(row) == list(range(6)) for row in perms[:50])
    arrangements = pd.Series([tuple(r) for r in perms[:, :3]]).value_counts()
    assert len(arrangements) == 6 and stats.chisquare(arrangements.to_numpy()).pvalue > 0.01
    again = np.concatenate(list(block_permutations(code, 6000, [1, 2], block=77)))
    assert np.array_equal(perms, again)  # the seed, not the block size, decides


def test_without_recurrence_the_person_null_is_the_per_job_null():
    # disjoint sets: each person in one job. The audit uses the hypergeometric draws; the person-level
    # permutation, forced here, draws from the same law
    rng = np.random.default_rng(4)
    n, n_jobs, size, k = 240, 12, 20, 6
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "sex": rng.choice(["female", "male"], n)})
    job, cand = np.repeat(np.arange(n_jobs), size), rng.permutation(n)
    sets = build(job, cand, [f"j{j}" for j in range(n_jobs)], n, score=rng.random(n))
    enc = encode(cands, "sex")
    prof = sets.person_profile()
    assert choose_null(prof, None) == PER_JOB and choose_null(prof, np.zeros(n, dtype=int)) == PERSON
    blocks = exchangeability_blocks(prof)
    assert (np.array(LEVELS)[blocks.level] == "same jobs").all()
    considered = sets.considered(enc.codes, enc.n_codes)
    target = set_targets("own", enc, considered)[0]
    person = person_null_draws(blocks, {k: sets.selected_pairs(k)}, [enc], {"sex": target}, n_jobs, 0.1, 3000,
                               [0, 1], n_permutations_gap=3000)[("sex", k)]
    per_job = set_null_draws(considered, np.minimum(sets.sizes, k), 2, target, 0.1, 3000, [0, 2])
    assert stats.ks_2samp(person.selected[:, 0], per_job.selected[:, 0]).pvalue > 0.01
    assert stats.ks_2samp(person.mean_gap, per_job.mean_gap).pvalue > 0.01
    assert (person.selected.sum(axis=1) == n_jobs * k).all()


def test_the_jobs_occupation_groups_the_jobs_and_strata_are_checked():
    rng = np.random.default_rng(9)
    people = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(120)], "sex": rng.choice(["female", "male"], 120)})
    jobs = pd.DataFrame({"job_id": [f"j{j}" for j in range(12)], "title": "t", "text": "x",
                         "occupation": ["nurse", "electrician", "teacher"] * 4})
    log = pd.DataFrame([(f"j{j}", f"c{c}", rank + 1) for j in range(12)
                        for rank, c in enumerate(rng.choice(120, 30, replace=False))],
                       columns=["job_id", "candidate_id", "rank"])
    opts = dict(k=5, n_bootstrap=0, n_permutations=39)
    r = fairaudit.audit_log(log, people, jobs, **opts)
    assert r.config.strata == ("occupation",) and r.summary["chance_level"]["null"] == PERSON
    assert r.summary["chance_level"]["people_by_block"]["same job groups"] > 0
    assert "person-level permutation" in chance_summary(r)["sentence"]  # the report says which null
    plain = fairaudit.audit_log(log, people, jobs, strata=(), **opts)
    assert plain.config.strata == () and plain.summary["chance_level"]["people_by_block"]["same job groups"] == 0
    with pytest.raises(ConfigError, match="not in the candidates or the jobs"):
        fairaudit.audit_log(log, people, jobs, strata="region", **opts)

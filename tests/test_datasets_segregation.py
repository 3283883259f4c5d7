"""Segregated synthetic data (issue 28, item 6): each job's applicants with its occupation's published mix.

The mixes come from the packaged BLS CPS 2022 Table 11 figures
(``fairaudit/data/datasets/bls_occupations_2022.csv``); the expected values below are
read from that table in the test, never typed in.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.data.datasets import RACES, make_hiring_data, occupation_statistics, sources
from fairaudit.data.datasets.segregation import BLS_TABLE_FILE, occupation_mixes
from fairaudit.errors import ConfigError

OCCS = ["electrician", "specialist nurse", "software developer", "early years teacher"]
PER_JOB = 1500  # one job per occupation: sampling error about 1.3 points at p = 0.5


def _data(segregation, seed=3):
    return make_hiring_data(len(OCCS), len(OCCS) * PER_JOB, seed=seed, occupations=OCCS,
                            segregation=segregation, applicants_per_job=PER_JOB)


def _applicants(segregation):
    jobs, cands, sets = _data(segregation)
    return sets.merge(cands[["candidate_id", "sex", "race_ethnicity", "occupation"]], on="candidate_id")


def _close(share, p, n):
    """Within four standard errors of a binomial share."""
    return abs(share - p) <= 4 * np.sqrt(max(p * (1 - p), 1e-4) / n)


def test_default_data_unchanged():
    # the demo's data (200 jobs x 4000 candidates, seed 0) and the docs' (200 x 2000): hashes of the frames
    # made before segregation existed; the demo's jobs.csv and candidates.csv depend on them byte for byte
    want = {(200, 4000): "d61a68648e428947e24f4070fc997991faf47a889fdc6f319b61993bcf2548b2",
            (200, 2000): "31bf81fea949d1b67b944b670b142c3a25c46b979258792b7da8a76b1b93217a"}
    for (n_jobs, n_cands), digest in want.items():
        jobs, cands = make_hiring_data(n_jobs, n_cands, seed=0)
        text = jobs.to_csv(index=False) + cands.to_csv(index=False)
        assert hashlib.sha256(text.encode()).hexdigest() == digest, (n_jobs, n_cands)
        assert "segregation" not in jobs.attrs["fairaudit_dataset"]  # nor its metadata
    # segregation=0 without candidate sets is the default, draw for draw
    a, b = make_hiring_data(20, 300, seed=4), make_hiring_data(20, 300, seed=4, segregation=0.0)
    pd.testing.assert_frame_equal(a[1], b[1])


def test_sex_follows_the_table_at_segregation_one():
    app = _applicants(1.0)
    table = occupation_statistics()
    for occ, rows in app.groupby("occupation"):
        women = table.loc[occ, "women"] / 100
        assert _close((rows["sex"] == "female").mean(), women, len(rows)), (occ, women)
    by = app.groupby("occupation")["sex"].apply(lambda s: (s == "female").mean())
    assert by["electrician"] < 0.06 and by["early years teacher"] > 0.9  # segregated indeed


def test_race_follows_the_documented_mix_at_segregation_one():
    app = _applicants(1.0)
    pool = sources.race_marginal()
    female, race = occupation_mixes(OCCS, 0.5, pool, 1.0)
    for i, occ in enumerate(OCCS):
        rows = app[app["occupation"] == occ]
        for j, label in enumerate(RACES):
            assert _close((rows["race_ethnicity"] == label).mean(), race[i, j], len(rows)), (occ, label)
    # the mix follows the table: each category's representation relative to all employed, times the pool share
    table = occupation_statistics()
    total, sw = table.loc["all occupations"], table.loc["software developer"]
    i, h, w, a = OCCS.index("software developer"), RACES.index("hispanic"), RACES.index("white"), RACES.index("asian")
    assert race[i, a] / race[i, w] == pytest.approx((pool[a] * sw["asian"] / total["asian"])
                                                    / (pool[w] * sw["white"] / total["white"]))
    assert race[i, h] / race[i, w] == pytest.approx((pool[h] * sw["hispanic"] / total["hispanic"])
                                                    / (pool[w] * sw["white"] / total["white"]))
    assert race[i, a] > 4 * pool[a]  # software developers: Asian workers over-represented (table: 36.4 % vs 6.7 %)


def test_segregation_zero_is_the_pool_mix():
    app = _applicants(0.0)
    pool = sources.race_marginal()
    for occ, rows in app.groupby("occupation"):
        assert _close((rows["sex"] == "female").mean(), 0.5, len(rows)), occ
        for j, label in enumerate(RACES):
            assert _close((rows["race_ethnicity"] == label).mean(), pool[j], len(rows)), (occ, label)


def test_segregation_interpolates_and_unpublished_occupations_keep_the_pool_mix():
    pool = sources.race_marginal()
    f0, r0 = occupation_mixes(OCCS, 0.5, pool, 0.0)
    f1, r1 = occupation_mixes(OCCS, 0.5, pool, 1.0)
    fh, rh = occupation_mixes(OCCS, 0.5, pool, 0.25)
    assert np.allclose(f0, 0.5) and np.allclose(r0, pool / pool.sum())
    assert np.allclose(fh, 0.75 * f0 + 0.25 * f1) and np.allclose(rh, 0.75 * r0 + 0.25 * r1)
    assert occupation_statistics().loc["midwife", ["women", "hispanic"]].isna().all()  # BLS: not published
    fm, rm = occupation_mixes(["midwife"], 0.5, pool, 1.0)
    assert fm[0] == 0.5 and np.allclose(rm[0], pool / pool.sum())


def test_candidate_sets_are_each_jobs_own_applicants():
    jobs, cands, sets = make_hiring_data(92, 1380, seed=1, segregation=0.7, applicants_per_job=15)
    assert list(sets.columns) == ["job_id", "candidate_id"] and not sets.duplicated().any()
    assert (sets.groupby("job_id").size() == 15).all() and set(sets["job_id"]) == set(jobs["job_id"])
    occ_of_job = dict(zip(jobs["job_id"], jobs["occupation"]))
    occ_of_cand = dict(zip(cands["candidate_id"], cands["occupation"]))
    assert all(occ_of_job[j] == occ_of_cand[c] for j, c in sets.itertuples(index=False))
    assert sets.groupby("candidate_id").size().max() == 1  # 2 jobs x 15 places, 30 candidates per occupation
    assert jobs.attrs["fairaudit_dataset"]["segregation"] == 0.7


def test_deterministic_by_seed():
    a, b, c = (make_hiring_data(46, 460, seed=s, segregation=1.0, applicants_per_job=10) for s in (5, 5, 6))
    for x, y in zip(a, b):
        pd.testing.assert_frame_equal(x, y)
    assert not a[1]["sex"].equals(c[1]["sex"]) and not a[2].equals(c[2])


@pytest.mark.parametrize("options, match", [
    (dict(segregation=-0.1), "segregation"), (dict(segregation=1.5), "segregation"),
    (dict(segregation=float("nan")), "segregation"), (dict(segregation="high"), "segregation"),
    (dict(segregation=True), "segregation"), (dict(applicants_per_job=0), "applicants_per_job"),
    (dict(applicants_per_job=2.5), "applicants_per_job"), (dict(applicants_per_job=True), "applicants_per_job"),
    (dict(applicants_per_job=11), "n_candidates must be at least 506"),
    (dict(coded_share="half"), "coded_share"),  # was a TypeError from comparing a string with 0
])
def test_bad_values_are_one_clear_error(options, match):
    with pytest.raises(ConfigError, match=match):
        make_hiring_data(46, 460, seed=0, **options)


def test_the_audit_accepts_the_candidate_sets():
    jobs, cands, sets = make_hiring_data(10, 460, seed=2, segregation=1.0, applicants_per_job=10)

    def by_length(job_texts, candidate_texts):  # any recommender: the point is that the sets are accepted
        return np.tile([len(t) % 7 for t in candidate_texts], (len(job_texts), 1)).astype(float)

    result = fairaudit.audit(jobs, cands, recommender=by_length, candidate_sets=sets, k=5, n_bootstrap=0,
                             n_permutations=0, seed=0)
    assert result.provenance["n_pairs"] == len(sets) == 100
    assert result.tables["diversity"]["target"].eq("own").all()


def test_the_packaged_table_covers_every_occupation_and_cites_its_source():
    table = occupation_statistics()
    assert set(table.index) == {o[0] for o in sources.OCCUPATIONS} | {"all occupations"}
    assert set(table["match"]) <= {"exact", "closest", "total"}
    head = (Path(sources.__file__).parent / BLS_TABLE_FILE).read_text(encoding="utf-8").splitlines()[:4]
    assert any("cpsaat11" in line and "2022" in " ".join(head) for line in head)
    card = (Path(__file__).resolve().parents[1] / "docs" / "concepts" / "data-card.md").read_text(encoding="utf-8")
    assert "Table 11" in card and "2022 annual averages" in card

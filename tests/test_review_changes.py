"""Every review change judged against chance (issue 27, item 2): spreads, the max-T test, the change table."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairaudit.data.groups import encode
from fairaudit.metrics.change import ChangeSpread, change_replicates, change_test, share_floor
from fairaudit.metrics.impact import rated_mask
from fairaudit.recommenders.base import topk_block
from fairaudit.review.changes import CHANGE_VERDICTS, change_line, change_table
from fairaudit.review.history import HistoryStore
from fairaudit.review.trend import regressions


def _pool(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "text": "",
                         "sex": rng.choice(["female", "male"], n),
                         "race_ethnicity": rng.choice(["white", "black", "asian", "hispanic"], n,
                                                      p=[0.5, 0.2, 0.15, 0.15])})


def _spread(seed: int, n_jobs: int = 40, n: int = 300, ks=(5, 10), lowered: str | None = None,
            delta: float = 0.0, n_resamples: int = 100) -> ChangeSpread:
    """A period: a new pool, the same attribute-blind scores (one group lowered by ``delta`` SD if asked)."""
    rng = np.random.default_rng(seed)
    cands = _pool(rng, n)
    sc = 0.7 * rng.standard_normal(n)[None, :] + rng.standard_normal((n_jobs, n))
    if lowered:
        sc -= delta * (cands["race_ethnicity"] == lowered).to_numpy()[None, :]
    idx, _ = topk_block(sc, max(ks))
    encs = [encode(cands, "sex"), encode(cands, "race_ethnicity")]
    rated = {e.attribute: rated_mask(e.pool_counts, e.n_known) for e in encs}
    targets = {e.attribute: e.pool_counts[: e.n_known] / e.pool_counts[: e.n_known].sum() for e in encs}
    return change_replicates(idx, encs, rated, targets, ks, 0.1, n_resamples, seed)


def test_spread_figures_are_the_audits():
    from fairaudit import audit, make_hiring_data

    jobs, cands = make_hiring_data(20, 200, seed=1)
    r = audit(jobs, cands, k=(5, 10), seed=0, recommender="bm25", n_bootstrap=10, n_permutations=0,
              drivers="none", decomposition="none")
    from fairaudit.review.changes import review_spread

    s = review_spread(r, cands, n_resamples=5)
    got = dict(zip(s.keys, s.values))
    for row in r.summary_frame().to_dict("records"):
        for f in ("min_impact_ratio", "dp_difference", "match_rate", "mean_gap", "paper_score", "ndkl"):
            assert got[(row["k"], row["attribute"], f, "")] == pytest.approx(row[f], nan_ok=True), f
    for row in r.tables["impact"].to_dict("records"):
        key = (row["k"], row["attribute"], "impact_ratio", row["group"])
        if key in got:
            assert got[key] == pytest.approx(row["impact_ratio"], nan_ok=True)
    assert s.replicates.shape == (5, len(s.keys))
    assert ChangeSpread.from_dict(json.loads(json.dumps(s.to_dict()))).keys == s.keys


def test_change_test_p_is_the_max_t_share_and_finds_a_planted_shift():
    rng = np.random.default_rng(0)
    reps_now, reps_before = rng.standard_normal((199, 6)), rng.standard_normal((199, 6))
    now, before = np.zeros(6), np.zeros(6)
    now[2] = 6.0  # six standard errors of each period's spread: beyond chance
    se, t, p = change_test(now, reps_now, before, reps_before, seed=1)
    assert p[2] == pytest.approx(1 / 200) and (p[[0, 1, 3, 4, 5]] == 1.0).all()
    # p = (1 + #{b: max_j |t*_bj| >= |t_i|}) / (1 + B), checked by hand for a moderate shift
    now[2] = 2.5
    se, t, p = change_test(now, reps_now, before, reps_before, seed=1)
    dn = reps_now - reps_now.mean(0)
    db = reps_before - reps_before.mean(0)
    pair = np.random.default_rng([1, 0x7E57]).permutation(199)
    max_t = (np.abs(dn - db[pair]) / se).max(axis=1)
    assert p[2] == pytest.approx((1 + (max_t >= abs(t[2]) - 1e-12).sum()) / 200)
    assert t[2] == pytest.approx(2.5 / np.sqrt(dn[:, 2].var(ddof=1) + db[:, 2].var(ddof=1)))


def test_no_change_reviews_rarely_flag_and_a_large_drop_is_found():
    # same recommender, new pool: at most a few of 12 replications may flag anything (the bench measures 5%)
    flagged = 0
    for rep in range(12):
        a, b = _spread(100 + 2 * rep), _spread(101 + 2 * rep)
        floor = np.where([key[2] == "match_rate" for key in a.keys], share_floor(b.values, a.values, 40, 40), np.nan)
        _, _, p = change_test(b.values, b.replicates, a.values, a.replicates, min_var=floor)
        flagged += bool(np.nanmin(p) <= 0.05)
    assert flagged <= 2
    # a group's scores lowered by 2 SD next period: its ratio drops beyond chance
    a, b = _spread(7), _spread(8, lowered="black", delta=2.0)
    _, t, p = change_test(b.values, b.replicates, a.values, a.replicates)
    i = b.keys.index((10, "race_ethnicity", "impact_ratio", "black"))
    assert p[i] <= 0.05 and t[i] < 0


def _reg(period: str = "q2") -> pd.DataFrame:
    frame = pd.DataFrame([{"period": p, "period_start": s, "stage": "before", "k": 10, "attribute": "sex",
                           "min_impact_ratio": v, "dp_difference": 0.1, "match_rate": 0.5, "paper_score": -20.0,
                           "mean_gap": 0.2} for p, s, v in (("q1", "2026-01-01", 0.9), (period, "2026-04-01", 0.8))])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    return regressions(frame, 0.02)


def test_an_old_record_without_spread_is_not_judged_and_never_fails():
    reg = _reg()
    assert bool(reg.set_index("metric").loc["min_impact_ratio", "regressed"])  # the plain tolerance rule flags it
    out = change_table(reg, {"before": _spread(1, ks=(10,))}, {})
    assert len(out) == len(reg)  # every change shown, none dropped
    assert set(out["verdict"]) == {"not judged against chance"} and not out["regressed"].any()
    assert out["p_value"].isna().all()
    assert "5 not judged against chance" in change_line(out)


def test_change_table_judges_every_figure_and_fails_only_worse_beyond_chance():
    before, now = _spread(3, ks=(10,)), _spread(4, ks=(10,), lowered="black", delta=2.0)
    reg = _reg()
    out = change_table(reg, {"before": now}, {"before": before.to_dict()}, tolerance=0.02)
    assert set(out["verdict"]) <= set(CHANGE_VERDICTS)
    judged = out[out["verdict"] != "not judged against chance"]
    # the attribute figures and every group's ratio of both attributes
    assert len(judged) == len(now.keys) and (judged["n_family"] > 0).all()
    low = out[(out["attribute"] == "race_ethnicity") & (out["metric"] == "min_impact_ratio")].iloc[0]
    assert low["verdict"] == "worse beyond chance" and low["regressed"] and low["p_value"] <= 0.05
    assert (out["verdict"] == "reference group in both periods").sum() >= 1  # no test of the reference itself
    assert (out["regressed"] == ((out["verdict"] == "worse beyond chance")
                                 & (out["worse_by"] > out["tolerance"]))).all()
    assert out.loc[out["verdict"] == "within chance", "p_value"].gt(0.05).all()


def test_history_stores_spreads_and_prunes_them(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite'}")
    s = _spread(5, ks=(10,), n_resamples=3)
    rec = store.add("2026-Q1", status="pass", metrics=[], spreads={"before": s.to_dict()})
    old = store.add("2026-Q2", status="pass", metrics=[])  # an earlier version's record: no spreads
    back = ChangeSpread.from_dict(store.spreads(rec.id)["before"])
    assert back.keys == s.keys and np.allclose(back.values, s.values, equal_nan=True)
    assert store.spreads(old.id) == {}
    store.prune(1)
    assert store.spreads(rec.id) == {}
    store.close()

"""`fairaudit check` / `fairaudit.check`: one ad's top-k mix, noise floor, drivers and the AutoRefine rewrite."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fairaudit
from fairaudit.adcheck.outcome import diff_text, format_check
from fairaudit.cli import main
from fairaudit.errors import ConfigError, DataError, FairauditWarning
from fairaudit.engine.gap import GapScorer
from fairaudit.metrics import random_topk_gap
from fairaudit.adcheck.checker import MAX_AD_CHARS, SYNTHETIC_POOL, check, default_title, read_ad
from fairaudit.adcheck.outcome import TIED
from toy import ToyRecommender, toy_data

NINJA = "Engineer\nWe build software. We want a competitive ninja who wins. Apply now."
PLAIN = "Engineer\nWe build software. We want a careful person who tests. Apply now."
FEMALE = "Engineer\nWe want a female candidate."
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pool():
    return toy_data(n_cand=200, seed=1)[1]


def test_ninja_ad_is_flagged_with_its_driving_word(pool):
    r = check(NINJA, pool, recommender=ToyRecommender(), k=(10, 50), rewrite=False)
    assert [m.k for m in r.mixes] == [10, 50] and r.gap_k == 50
    head = r.headline
    # the toy recommender puts men first whenever "ninja" is in the ad
    assert head.mix["male"] == 1.0 and head.gap > r.tolerance and r.exit_code == 3 and not r.within_tolerance
    counts = pool["sex"].value_counts()
    expected_floor = random_topk_gap(np.array([counts["female"], counts["male"]]),
                                     np.array([head.target["female"], head.target["male"]]), 50)
    assert head.noise_floor == pytest.approx(expected_floor)
    assert head.target["female"] == pytest.approx(counts["female"] / len(pool))
    for m in r.mixes:  # each k's mix is the prefix of one ranking: the same as ranking at that k
        scorer = GapScorer(ToyRecommender(), pool, k=m.k)
        assert m.gap == pytest.approx(scorer.gaps([NINJA])[0])
        assert list(m.mix.values()) == pytest.approx(list(scorer.mix([NINJA])[0]))
    words = {d.text: d for d in r.drivers if d.kind == "word"}
    assert "ninja" in words and words["ninja"].coded and words["ninja"].label == "masculine-coded"
    assert words["ninja"].delta == pytest.approx(head.gap - words["ninja"].gap_without)
    assert r.drivers == sorted(r.drivers, key=lambda d: -d.delta) and r.drivers[0].delta > head.noise_floor
    assert "ninja" in r.drivers[0].text and r.text_driven
    # the identity-blind part: the toy recommender needs the word "female" in a profile to tell
    assert r.identity_blind is not None and r.identity_blind.k == 50
    assert r.identity_blind.gap == pytest.approx(head.gap)
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["exit_code"] == 3 and doc["drivers"][0]["delta"] == pytest.approx(r.drivers[0].delta)
    assert not r.synthetic_pool and "SYNTHETIC" not in format_check(r)


def test_verdict_follows_the_tolerance_and_is_deterministic(pool):
    a = check(PLAIN, pool, recommender=ToyRecommender(), k=50, rewrite=False, identity_blind=False)
    b = check(PLAIN, pool, recommender=ToyRecommender(), k=50, rewrite=False, identity_blind=False)
    assert a.to_dict() == b.to_dict()
    gap = a.headline.gap
    # by hand: the toy recommender ranks by row number, so the top-50 is the last 50 rows; with two groups the gap
    # is the distance between its female share and the pool's
    female = (pool["sex"] == "female").to_numpy()
    assert gap == pytest.approx(abs(female[-50:].mean() - female.mean())) and gap > 0.02
    assert check(PLAIN, pool, recommender=ToyRecommender(), k=50, rewrite=False, identity_blind=False,
                 tolerance=min(1.0, gap + 0.01)).exit_code == 0
    assert check(PLAIN, pool, recommender=ToyRecommender(), k=50, rewrite=False, identity_blind=False,
                 tolerance=gap / 2).exit_code == 3
    # no word moves the toy recommender here, so the gap is not text-driven
    assert not a.text_driven and a.text_driven_reason


def test_without_candidates_it_runs_on_the_synthetic_pool_and_says_so():
    r = check(NINJA, recommender=ToyRecommender(), k=10, rewrite=False, identity_blind=False)
    assert r.synthetic_pool and r.pool == SYNTHETIC_POOL and r.n_candidates == 2000
    assert "SYNTHETIC pool" in format_check(r)


def test_bad_input_is_one_readable_error(pool, tmp_path):
    for text in ("", "   \n\t", b"\xff\xfe bad"):
        with pytest.raises(DataError):
            check(text, pool, recommender=ToyRecommender(), rewrite=False)
    with pytest.raises(ConfigError, match="once"):
        check(NINJA, pool, recommender=ToyRecommender(), k=(10, 10), rewrite=False)
    with pytest.raises(ConfigError, match="larger than the candidate pool"):
        check(NINJA, pool, recommender=ToyRecommender(), k=500, rewrite=False)
    with pytest.raises(DataError, match="sex"):
        check(NINJA, pool.drop(columns=["sex"]), recommender=ToyRecommender(), rewrite=False)
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 manager wanted".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_ad(tmp_path / "latin1.txt")
    (tmp_path / "bom.txt").write_bytes("\ufeffCaf\u00e9 manager wanted".encode("utf-8"))
    assert read_ad(tmp_path / "bom.txt") == "Caf\u00e9 manager wanted"
    assert default_title(NINJA) == "Engineer" and default_title("One line only.") == ""


def test_cli_exit_codes_json_and_bad_input(pool, tmp_path, capsys):
    cands = tmp_path / "candidates.csv"
    pool.to_csv(cands, index=False)
    ad = tmp_path / "ad.txt"
    ad.write_text(FEMALE, encoding="utf-8")  # BM25 ranks the women first: a gap the recommender decides
    out = tmp_path / "check.json"
    base = ["check", "--text", str(ad), "--candidates", str(cands), "--recommender", "bm25", "--no-rewrite",
            "--quiet", "--k", "10", "50"]
    rc = main([*base, "--out", str(out), "--tolerance", "1"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Verdict at k=50" in text and "random top-50" in text
    doc = json.loads(out.read_text())
    assert doc["exit_code"] == 0 and [m["k"] for m in doc["mixes"]] == [10, 50] and doc["rewrite"] is None
    assert main([*base, "--tolerance", "0", "--json"]) == 3  # a gap above 0 exceeds a zero tolerance
    assert json.loads(capsys.readouterr().out)["within_tolerance"] is False
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\xe9 manager".encode("latin-1"))
    bad_out = tmp_path / "bad.json"
    for args in (["--text", str(empty)], ["--text", str(latin)], ["--text", str(tmp_path / "missing.txt")],
                 ["--text", str(ad), "--k", "10", "10"], ["--text", str(ad), "--k", "5000"],
                 ["--text", str(ad), "--target", "{bad"]):
        rc = main(["check", *args, "--candidates", str(cands), "--recommender", "bm25", "--no-rewrite", "--quiet",
                   "--out", str(bad_out)])
        err = capsys.readouterr().err.strip()
        assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("fairaudit check: error:"), (args, err)
    assert not bad_out.exists()


def test_diff_text_marks_changes():
    segs = [{"op": "equal", "text": "a"}, {"op": "delete", "text": " strong"}, {"op": "insert", "text": " caring"},
            {"op": "equal", "text": " leader"}]
    assert diff_text(segs) == "a [-strong-] {+caring+} leader"


def test_package_exposes_check():
    assert fairaudit.check is check


@pytest.mark.slow
def test_real_recommender_and_shipped_autorefine_rewrite():
    """The packaged MiniLM recommender and the shipped adapter on a small synthetic pool."""
    from fairaudit.data.datasets import make_hiring_data

    _, cands = make_hiring_data(20, 400, seed=5)
    ad = read_ad(ROOT / "examples" / "ad.txt")
    r = check(ad, cands, k=(10, 50), seed=0)
    assert r.rewrite is not None and r.rewrite.method == "policy"
    rw = r.rewrite
    assert [m.k for m in rw.mixes] == [10, 50] and 0 <= rw.meaning_score <= 1 and 0 <= rw.skill_recall <= 1
    assert "".join(s["text"] for s in rw.diff if s["op"] != "delete") == rw.text
    assert rw.accepted == (rw.text != r.text)
    # the example ad's coded sentences are rewritten (measured: 2 sentences deleted, skill recall 1.0); a kept
    # rewrite never widens the gap the reward measures (k=50), and it keeps the skills
    assert rw.accepted and rw.edits and rw.skill_recall >= 0.6
    assert rw.mixes[-1].gap <= r.mixes[-1].gap + 1e-9
    words = [d for d in r.drivers if d.kind == "word"]
    assert words and any(not d.coded for d in words)  # measured beyond the word list ("developer", "sprint")
    again = check(ad, cands, k=(10, 50), seed=0)
    assert again.to_dict() == r.to_dict()  # deterministic


class ScoresToy(ToyRecommender):
    """Returns fixed scores for every ad (to set up ties at the cut-off)."""

    def __init__(self, scores):
        self.fixed = np.asarray(scores, dtype=float)

    def score(self, job_texts):
        return np.tile(self.fixed, (len(job_texts), 1))


def test_a_top_k_decided_by_row_order_is_not_judged(pool, tmp_path, capsys):
    """Issue 25: with every score tied (BM25 and an ad with no indexed word) check reported a breach and exit 3."""
    cands = tmp_path / "candidates.csv"
    pool.to_csv(cands, index=False)
    ad = tmp_path / "ad.txt"
    ad.write_text(NINJA, encoding="utf-8")  # no word of it is in the toy profiles: every BM25 score is 0
    rc = main(["check", "--text", str(ad), "--candidates", str(cands), "--recommender", "bm25", "--no-rewrite",
               "--quiet", "--k", "10", "50", "--tolerance", "0"])
    out, err = capsys.readouterr()
    assert rc == 4 and "EXCEEDS" not in out and "breach" not in out and "cannot be judged" in out
    assert "decided entirely by row order" in err and err.count("fairaudit check: warning:") == 2
    with pytest.warns(FairauditWarning, match="row order"):
        r = check(NINJA, pool, recommender="bm25", k=50, rewrite=False, identity_blind=False, tolerance=0)
    assert not r.judgeable and r.headline.verdict == TIED and r.headline.order_decided == 50
    assert r.headline.p_value is None and r.exit_code == 4 and not r.text_driven
    assert r.to_dict()["judgeable"] is False


def test_ties_at_the_cut_off_are_judged_only_when_no_order_can_change_the_verdict(pool):
    female = (pool["sex"] == "female").to_numpy()
    n = len(pool)
    # 40 distinct top scores, then one tied score shared by candidates of both groups
    scores = np.zeros(n)
    first = np.arange(40)
    scores[first] = 10.0 - first / 100
    mixed_tie = np.arange(40, n)
    scores[mixed_tie] = 1.0
    with pytest.warns(FairauditWarning, match="10 of the ad's top-50 places"):
        r = check(PLAIN, pool, recommender=ScoresToy(scores), k=50, rewrite=False, identity_blind=False,
                  tolerance=0.05)
    assert r.headline.order_decided == 10 and not r.judgeable and r.exit_code == 4
    # the same tie with a tolerance no order can reach either way: judged
    r = check(PLAIN, pool, recommender=ScoresToy(scores), k=50, rewrite=False, identity_blind=False, tolerance=1.0)
    assert r.judgeable and r.exit_code == 0
    # tied candidates all of one group: every order gives the same mix, so the verdict stands
    women = np.flatnonzero(female)
    one_group = np.zeros(n)
    one_group[women[:40]] = 10.0 - np.arange(40) / 100
    one_group[women[40:]] = 1.0
    r = check(PLAIN, pool, recommender=ScoresToy(one_group), k=50, rewrite=False, identity_blind=False, tolerance=0)
    assert r.headline.order_decided == 10 and r.judgeable and r.headline.mix["female"] == 1.0 and r.exit_code == 3


def test_an_ad_longer_than_the_limit_is_refused_before_any_model_loads(pool, tmp_path, capsys):
    """Issue 25: a 1 MB ad was read whole and checked (23 GB of memory); it is refused with the limit named."""

    class MustNotLoad(ToyRecommender):
        def fit(self, texts):
            raise AssertionError("the model was loaded for an ad over the limit")

    long_ad = "We build software. " * (MAX_AD_CHARS // 19 + 2)
    with pytest.raises(DataError, match=f"at most {MAX_AD_CHARS:,} characters"):
        check(long_ad, pool, recommender=MustNotLoad(), rewrite=False)
    assert check(long_ad[:MAX_AD_CHARS], pool, recommender=ToyRecommender(), k=10, rewrite=False,
                 identity_blind=False).n_candidates == len(pool)
    big = tmp_path / "big.txt"
    big.write_text("x" * (4 * MAX_AD_CHARS + 10), encoding="utf-8")
    with pytest.raises(DataError, match="MAX_AD_CHARS"):
        read_ad(big)
    rc = main(["check", "--text", str(big), "--no-rewrite", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and f"{MAX_AD_CHARS:,} characters" in err


class CountingToy(ToyRecommender):
    """Counts the characters of every text it is asked to score: the work a recommender does."""

    chars = 0

    def score(self, job_texts):
        CountingToy.chars += sum(len(t) for t in job_texts)
        return super().score(job_texts)


def test_the_work_of_a_check_grows_linearly_with_the_ad(pool):
    """Issue 25: occluding every sentence and word of a long ad ranks one whole-ad variant per unit (quadratic)."""
    def word(i):  # a distinct word of letters only (occlusion skips words with digits)
        return "".join(chr(97 + int(d)) for d in f"{i:03d}")

    def ad(n_sentences):
        return " ".join(f"Sentence {word(i)} mentions alpha{word(i)} bravo{word(i)} charlie{word(i)}."
                        for i in range(n_sentences))

    work = {}
    for n in (100, 200):  # 700 and 1,400 occlusion units, both above MAX_OCCLUSIONS
        CountingToy.chars = 0
        check(ad(n), pool, recommender=CountingToy(), k=10, rewrite=False, identity_blind=False)
        work[n] = CountingToy.chars
    assert work[200] / work[100] < 2.3, work  # twice the ad, about twice the work (4x before the bound)

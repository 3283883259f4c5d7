"""Issue 28, item 7: three causes of a gap, separated (fairaudit.engine.cause_split, docs/concepts/causes.md).

Three hand-made cases on small pools, each with one cause only:
- **who applied**: half the jobs' applicants are 85 % women, half 85 % men, and the
  recommender ranks by a rating that does not depend on sex;
- **identity cues**: random applicants, and the recommender adds a bonus to
  profiles that say "He" (masking the pronouns removes it);
- **job text**: random applicants, and the recommender adds a bonus to profiles
  that mention sports (80 % of the men, 20 % of the women) when the job text
  says "competitive" (a gender-coded word; neutralising it removes the bonus).
Each split gives the case's cause at least 80 % of the mean gap, beyond chance,
and leaves every other part within chance.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import fairaudit
from fairaudit.engine.cause_result import PARTS, CauseSplit, split_lines
from fairaudit.engine.cause_split import contributions
from fairaudit.errors import ConfigError

K = 10
N_JOBS = 16
SET_SIZE = 40
FIRST = {"female": ["Anna", "Maria", "Sofia", "Emma", "Lena"], "male": ["John", "Peter", "David", "Paul", "Omar"]}


def _candidates(n: int = 160, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        sex = "female" if i % 2 == 0 else "male"
        name = f"{FIRST[sex][i % 5]} Doe{i}"
        hobby = "sports" if rng.random() < (0.2 if sex == "female" else 0.8) else "choir"
        text = f"{name} is a nurse. {'She' if sex == 'female' else 'He'} enjoys {hobby}. Rating {rng.integers(100)}."
        rows.append((f"c{i}", name, text, sex))
    return pd.DataFrame(rows, columns=["candidate_id", "name", "text", "sex"])


CANDS = _candidates()


def _jobs(text: str) -> pd.DataFrame:
    return pd.DataFrame({"job_id": [f"j{i}" for i in range(N_JOBS)], "title": ["Nurse"] * N_JOBS,
                         "text": [text] * N_JOBS})


def _sets(segregated: bool, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    female = (CANDS["sex"] == "female").to_numpy()
    rows = []
    for j in range(N_JOBS):
        w = np.where(female, 0.85 if j % 2 == 0 else 0.15, 0.15 if j % 2 == 0 else 0.85) if segregated \
            else np.ones(len(CANDS))
        picks = rng.choice(len(CANDS), size=SET_SIZE, replace=False, p=w / w.sum())
        rows += [(f"j{j}", f"c{c}") for c in picks]
    return pd.DataFrame(rows, columns=["job_id", "candidate_id"])


def _rating(texts):
    return np.array([int(re.search(r"Rating (\d+)", t).group(1)) / 100 for t in texts])


def fair(job_texts, cand_texts):
    return np.tile(_rating(cand_texts), (len(job_texts), 1))


def by_pronoun(job_texts, cand_texts):
    he = np.array([bool(re.search(r"\bHe\b", t)) for t in cand_texts])
    return np.tile(_rating(cand_texts) + 0.6 * he, (len(job_texts), 1))


def by_word(job_texts, cand_texts):
    sports = np.array(["sports" in t for t in cand_texts], dtype=float)
    coded = np.array(["competitive" in j for j in job_texts], dtype=float)
    return _rating(cand_texts)[None, :] + 0.6 * coded[:, None] * sports[None, :]


OPTS = dict(k=K, n_bootstrap=0, n_permutations=199, seed=0)
CASES = {"who_applied": (fair, "We need a nurse for the ward.", True),
         "identity_cues": (by_pronoun, "We need a nurse for the ward.", False),
         "job_text": (by_word, "We need a competitive nurse for the ward.", False)}


@pytest.fixture(scope="module")
def results():
    return {cause: fairaudit.audit(_jobs(text), CANDS, recommender=fn, candidate_sets=_sets(seg), **OPTS)
            for cause, (fn, text, seg) in CASES.items()}


@pytest.mark.parametrize("cause", list(CASES))
def test_each_case_is_split_to_its_one_cause(results, cause):
    split = CauseSplit.from_result(results[cause])
    rows = split.parts("sex")
    total = rows["total"]["value"]
    assert total > 0.2  # a real gap against the 50/50 pool
    assert sum(rows[p]["value"] for p in PARTS) == pytest.approx(total)  # the parts add up exactly
    assert rows[cause]["share"] >= 0.8 and rows[cause]["beyond_chance"] is True, rows[cause]
    for other in (p for p in PARTS if p != cause):
        assert rows[other]["beyond_chance"] is False, (other, rows[other])
        assert abs(rows[other]["value"]) <= 0.2 * total, (other, rows[other])
    assert cause.replace("_", " ").split()[0] in split.lever("sex")


def test_the_lines_name_the_lever(results):
    lines = split_lines(CauseSplit.from_result(results["job_text"]))
    assert len(lines) == 1 and lines[0].startswith(f"Where the sex gap comes from (k={K}")
    assert "Lever: job text is the largest part beyond chance: rewrite the job text" in lines[0]


def test_json_round_trip(results, tmp_path):
    result = results["identity_cues"]
    path = tmp_path / "audit.json"
    result.to_json(path)
    back = fairaudit.AuditResult.from_json(path)
    assert CauseSplit.from_result(back).to_dict() == CauseSplit.from_result(result).to_dict()
    assert CauseSplit.from_dict(CauseSplit.from_result(result).to_dict()).to_dict() == \
        CauseSplit.from_result(result).to_dict()
    assert back.summary["cause_split"]["text"] == "lexicon" and back.summary["cause_split"]["computed"] is True


def test_given_texts_are_the_neutral_texts(results):
    # the lexicon's neutral text, given by hand: the same split, labelled "given"
    jobs = _jobs(CASES["job_text"][1])
    texts = {j: "We need a strong nurse for the ward." for j in jobs["job_id"]}
    r = fairaudit.audit(jobs, CANDS, recommender=by_word, candidate_sets=_sets(False), cause_split=texts, **OPTS)
    mine, lexicon = CauseSplit.from_result(r), CauseSplit.from_result(results["job_text"])
    assert mine.text == "given" and lexicon.text == "lexicon"
    pd.testing.assert_frame_equal(mine.to_frame(), lexicon.to_frame())


def test_a_log_splits_off_who_applied_and_says_what_it_cannot(results):
    live = results["identity_cues"]
    log = live.rankings.to_frame(CANDS["candidate_id"].tolist())
    from_log = fairaudit.audit_log(log, CANDS[["candidate_id", "sex"]], k=K, n_bootstrap=0, n_permutations=199,
                                   seed=0)
    a, b = CauseSplit.from_result(live).parts("sex"), CauseSplit.from_result(from_log).parts("sex")
    assert b["who_applied"]["value"] == pytest.approx(a["who_applied"]["value"])
    assert b["total"]["value"] == pytest.approx(a["total"]["value"])
    assert not b["identity_cues"]["computed"] and "log" in b["identity_cues"]["reason"]
    assert b["residual"]["value"] == pytest.approx(sum(a[p]["value"] for p in ("identity_cues", "job_text",
                                                                               "residual")))
    assert b["residual"]["reason"].startswith("includes identity cues in profiles and job text")


def test_without_candidate_sets_the_split_says_why(tmp_path):
    jobs = _jobs("We need a nurse for the ward.")
    r = fairaudit.audit(jobs, CANDS, recommender=fair, drivers="none", decomposition="none", **OPTS)
    split = CauseSplit.from_result(r)
    assert not split.computed and "no candidate sets" in split.reason and r.to_frame("cause_split").empty
    assert split_lines(split) == []
    with pytest.raises(ConfigError, match="needs each job's own candidates"):
        fairaudit.audit(jobs, CANDS, recommender=fair, cause_split="lexicon", **OPTS)
    with pytest.raises(ConfigError, match="cause_split must be one of"):
        fairaudit.audit(jobs, CANDS, recommender=fair, candidate_sets=_sets(False), cause_split="rewrite", **OPTS)


def test_switched_off_keeps_who_applied():
    r = fairaudit.audit(_jobs("We need a nurse for the ward."), CANDS, recommender=fair, candidate_sets=_sets(True),
                        cause_split="none", **OPTS)
    rows = CauseSplit.from_result(r).parts("sex")
    assert rows["who_applied"]["computed"] and not rows["job_text"]["computed"]
    assert "switched off" in rows["identity_cues"]["reason"]


def test_contributions_by_hand():
    # one job, two groups: pool 50/50, applicants 90/10, top-k 100/0 as written, 90/10 masked, no text effect
    pool = np.array([0.5, 0.5])
    own = np.array([[0.9, 0.1]])
    m = {(0, 0): np.array([[1.0, 0.0]]), (1, 0): np.array([[0.9, 0.1]])}
    m[(0, 1)], m[(1, 1)] = m[(0, 0)], m[(1, 0)]
    parts = {p: float(v[0]) for p, v in contributions(own, pool, m).items()}
    assert parts == pytest.approx({"total": 0.5, "who_applied": 0.4, "identity_cues": 0.1, "job_text": 0.0,
                                   "residual": 0.0})
    # a recommender that undoes the applicants' mix: against the pool nothing shows, so every part is 0
    m = {s: np.array([[0.5, 0.5]]) for s in ((0, 0), (0, 1))}
    m[(1, 0)] = m[(1, 1)] = own
    assert all(v[0] == 0 for v in contributions(own, pool, m).values())


def test_the_report_shows_the_split_or_why_not(results):
    from fairaudit.report import render_report

    html = render_report(results["who_applied"])
    assert "Where the gap comes from: who applied, identity cues, job text" in html
    assert "Who applied" in html and "who applied is the largest part beyond chance" in html
    plain = fairaudit.audit(_jobs("We need a nurse for the ward."), CANDS, recommender=fair, drivers="none",
                            decomposition="none", **OPTS)
    assert "Not computed: this audit ranks every candidate for every job (no candidate sets)" in render_report(plain)


@pytest.mark.parametrize("column,value,named", [
    ("value", 0.9, "tables.cause_split[0].value"),  # who applied raised: the parts no longer add up to the total
    ("share", 0.5, "tables.cause_split[1].share"),
    ("beyond_chance", False, "tables.cause_split[1].beyond_chance"),
    ("chance_low", 5.0, "tables.cause_split[1].chance_median"),
])
def test_an_edited_split_is_refused_before_rendering(results, column, value, named):
    import json

    from fairaudit.engine.consistency import check_consistency
    from fairaudit.errors import DataError

    d = json.loads(results["who_applied"].to_json())
    check_consistency(fairaudit.AuditResult.from_dict(d))  # the genuine one passes
    row = d["tables"]["cause_split"][1]
    assert row["part"] == "who_applied"
    row[column] = value
    with pytest.raises(DataError, match=re.escape(named)):
        check_consistency(fairaudit.AuditResult.from_dict(d, source="edited.json"))


def test_the_command_line_prints_the_split(tmp_path, capsys):
    from fairaudit.cli import main

    jobs, sets = tmp_path / "jobs.csv", tmp_path / "sets.csv"
    _jobs("We need a nurse for the ward.").to_csv(jobs, index=False)
    CANDS.to_csv(tmp_path / "cands.csv", index=False)
    _sets(True).to_csv(sets, index=False)
    common = ["--jobs", str(jobs), "--candidates", str(tmp_path / "cands.csv"), "--recommender", "bm25", "--k", "10",
              "--bootstrap", "0", "--permutations", "99"]
    out = tmp_path / "a.json"
    assert main(["audit", *common, "--candidate-sets", str(sets), "--out", str(out)]) == 0
    assert "Where the sex gap comes from (k=10" in capsys.readouterr().out
    assert CauseSplit.from_result(fairaudit.AuditResult.from_json(out)).computed
    assert main(["audit", "--log", str(sets), "--candidates", str(tmp_path / "cands.csv"), "--cause-split", "none",
                 "--out", str(tmp_path / "b.json")]) == 2
    assert "--cause-split re-ranks candidate sets" in capsys.readouterr().err

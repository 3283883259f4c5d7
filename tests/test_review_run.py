"""End-to-end reviews: CLI exit codes, versions, signed reports, history commands."""
from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairaudit.cli import main
from fairaudit.review.config import load_config
from fairaudit.review.history import HistoryStore

ROOT = Path(__file__).resolve().parents[1]


def make_data(folder: Path, seed: int = 0, n_jobs: int = 12, n_pairs: int = 40) -> None:
    """A small pool where BM25 favours men for 'competitive' job ads (``n_pairs`` women and as many men)."""
    rng = np.random.default_rng(seed)
    words = {"male": ["engineer", "competitive", "driven", "lead", "strong", "rugby"],
             "female": ["collaborative", "supportive", "nurse", "caring", "community", "team"]}
    common = ["python", "sales", "data", "customer", "manage", "excel", "report"]
    races = ["white", "black", "asian", "hispanic"]
    cands = [{"candidate_id": f"c{i}", "sex": sex, "race_ethnicity": races[i % 4],
              "bio": " ".join(rng.choice(words[sex], 3).tolist() + rng.choice(common, 3).tolist())}
             for i, sex in enumerate(["female", "male"] * n_pairs)]
    jobs = [{"job_id": f"j{j}", "title": f"Job {j}",
             "text": " ".join(rng.choice(words["male"] if j % 3 == 0 else words["male"] + words["female"], 3)
                              .tolist() + rng.choice(common, 2).tolist())} for j in range(n_jobs)]
    pd.DataFrame(jobs).to_csv(folder / "jobs.csv", index=False)
    pd.DataFrame(cands).to_csv(folder / "candidates.csv", index=False)


CONFIG = """
period = "2026-Q3"
output_dir = "out"
[source]
kind = "files"
jobs = "jobs.csv"
candidates = "candidates.csv"
[columns]
candidates = {{ text = "bio" }}
[recommender]
{recommender}
[audit]
k = [5, 10]
n_bootstrap = 20
options = {{ drivers = false, decomposition = false }}
[thresholds]
min_impact_ratio = {floor}
max_gap = 0.6
{extra}
"""


def write_config(tmp_path: Path, floor: float = 0.1, recommender: str = 'name = "bm25"', extra: str = "",
                 **size: int) -> Path:
    make_data(tmp_path, **size)
    p = tmp_path / "review.toml"
    p.write_text(CONFIG.format(floor=floor, recommender=recommender, extra=extra), encoding="utf-8")
    return p


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_review_pass_rerun_and_breach(tmp_path, capsys):
    from fairaudit.report import init_keys, verify_report

    keys = init_keys(tmp_path / "keys")
    # enough jobs and candidates that a collapse of one group's ratio is beyond chance (judged against the
    # spread of each period's figures over resampled jobs and candidates)
    cfg = write_config(tmp_path, extra='fail_on_regression = true\n[signing]\nkey_dir = "keys"\n', n_jobs=40,
                       n_pairs=150)
    assert main(["review", "--config", str(cfg), "-q"]) == 0
    out = tmp_path / "out"
    pdf1 = out / "review-2026-Q3-v1.pdf"
    for name in ("review-2026-Q3-v1.pdf", "review-2026-Q3-v1.json", "audit-2026-Q3-v1.json",
                 "review-2026-Q3-v1-outcome.json"):
        assert (out / name).exists(), name
    assert verify_report(pdf1, trust=keys.cert).ok
    first_hash = sha(pdf1)
    outcome = json.loads((out / "review-2026-Q3-v1-outcome.json").read_text())
    assert outcome["status"] == "pass" and outcome["exit_code"] == 0 and outcome["report_sha256"] == first_hash

    # a rerun of the same period is version 2; version 1 is untouched
    assert main(["review", "--config", str(cfg), "-q"]) == 0
    assert (out / "review-2026-Q3-v2.pdf").exists() and sha(pdf1) == first_hash

    # next quarter women's bios lose the words the job ads use: the sex impact ratio drops,
    # which is a regression (fail_on_regression = true) -> exit 3, report and history still written
    cands = pd.read_csv(tmp_path / "candidates.csv")
    cands.loc[cands.sex == "female", "bio"] = "experienced professional"
    cands.to_csv(tmp_path / "candidates.csv", index=False)
    capsys.readouterr()
    assert main(["review", "--config", str(cfg), "--period", "2026-Q4", "-q"]) == 3
    printed = capsys.readouterr().out
    assert "BREACH" in printed and "regressed since 2026-Q3" in printed
    assert (out / "review-2026-Q4-v1.pdf").exists()
    q4 = json.loads((out / "review-2026-Q4-v1-outcome.json").read_text())
    assert "regression" in {b["rule"] for b in q4["breaches"]}
    assert any(r["metric"] == "min_impact_ratio" and r["attribute"] == "sex" and r["previous_period"] == "2026-Q3"
               for r in q4["regressions"])

    with HistoryStore(load_config(cfg).history_url) as store:
        recs = store.records()
        assert [(r.period, r.version, r.status) for r in recs] == [
            ("2026-Q3", 1, "pass"), ("2026-Q3", 2, "pass"), ("2026-Q4", 1, "breach")]
        assert recs[0].report_sha256 == first_hash and recs[0].report_path == str(pdf1)
        assert recs[0].input_hashes == recs[1].input_hashes
        assert recs[0].input_hashes["jobs"] == recs[2].input_hashes["jobs"]
        assert recs[0].input_hashes["candidates"] != recs[2].input_hashes["candidates"]  # bios changed
        assert len(recs[0].config_hash) == 64 and recs[0].config_hash == recs[2].config_hash
        assert any(b["rule"] == "regression" for b in recs[2].breaches)
        assert {(m["k"], m["attribute"]) for m in recs[0].metrics} == {
            (k, a) for k in (5, 10) for a in ("sex", "race_ethnicity", "sex_race")}
        # a rerun on the same data gives the same metrics
        m1 = pd.DataFrame(recs[0].metrics).drop(columns="id", errors="ignore")
        m2 = pd.DataFrame(recs[1].metrics).drop(columns="id", errors="ignore")
        pd.testing.assert_frame_equal(m1, m2)
        frame = store.frame(latest_only=True)
        sex10 = frame[(frame.k == 10) & (frame.attribute == "sex")].set_index("period")["min_impact_ratio"]
        assert sex10["2026-Q4"] < sex10["2026-Q3"]

    # history command: list, export, prune
    capsys.readouterr()
    assert main(["history", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out.count("\n") == 3
    assert main(["history", "--config", str(cfg), "--export", "csv", "--out", str(tmp_path / "h.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "h.csv")) == 3 * 6
    assert main(["history", "--config", str(cfg), "--export", "json", "--out", str(tmp_path / "h.json")]) == 0
    assert len(json.loads((tmp_path / "h.json").read_text())["reviews"]) == 3
    assert main(["history", "--config", str(cfg), "--keep-last", "1", "--dry-run"]) == 0
    assert "would prune 1 period(s): 2026-Q3" in capsys.readouterr().out
    assert main(["history", "--db", load_config(cfg).history_url, "--keep-last", "1"]) == 0
    with HistoryStore(load_config(cfg).history_url) as store:
        assert store.periods() == ["2026-Q4"]
    assert pdf1.exists()  # report files are never deleted by retention


def test_new_history_never_overwrites_an_earlier_report(tmp_path, capsys):
    """Issue 11, item 2: a second history writing into the same output_dir must not replace v1."""
    cfg = write_config(tmp_path)
    assert main(["review", "--config", str(cfg), "-q"]) == 0
    pdf1 = tmp_path / "out" / "review-2026-Q3-v1.pdf"
    before = {p.name: sha(p) for p in (tmp_path / "out").glob("*-v1*")}
    with HistoryStore(load_config(cfg).history_url) as store:
        assert store.records()[0].report_sha256 == sha(pdf1)

    other = tmp_path / "elsewhere.sqlite"
    cfg.write_text(cfg.read_text() + f'[history]\nurl = "sqlite:///{other}"\n')
    capsys.readouterr()
    assert main(["review", "--config", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err
    assert "already holds" in err and "review-2026-Q3-v1" in err and "nothing is overwritten" in err
    assert err.count("\n") == 1
    assert {p.name: sha(p) for p in (tmp_path / "out").glob("*-v1*")} == before
    with HistoryStore(load_config(tmp_path / "review.toml").history_url) as store:
        (rec,) = store.records()
        assert rec.status == "error" and "already holds" in rec.message
    with HistoryStore(f"sqlite:///{tmp_path / 'out' / 'history.sqlite'}") as store:
        assert store.records()[0].report_sha256 == sha(pdf1)  # the first history still vouches for v1


def test_review_toml_sets_min_share_and_scoring_median(tmp_path):
    """Issue 11, items 14 and 15: [audit] min_share and scoring_median in the review TOML reach the audit."""
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text().replace("n_bootstrap = 20", 'n_bootstrap = 20\nmin_share = 0.3\n'
                                                               'scoring_median = "sample"'))
    assert main(["review", "--config", str(cfg), "-q"]) in (0, 3)
    data = json.loads((tmp_path / "out" / "audit-2026-Q3-v1.json").read_text())
    assert data["config"]["min_share"] == 0.3 and data["config"]["scoring_median"] == "sample"
    cfg.write_text(cfg.read_text().replace("min_share = 0.3", "min_share = 1.2"))
    with pytest.raises(Exception, match="audit.min_share"):
        load_config(cfg)


def test_review_reads_semicolon_files_with_sep(tmp_path, capsys):
    """Issue 11, item 11: [source] sep in the review TOML."""
    cfg = write_config(tmp_path)
    for name in ("jobs.csv", "candidates.csv"):
        pd.read_csv(tmp_path / name).to_csv(tmp_path / name, sep=";", index=False)
    assert main(["review", "--config", str(cfg), "-q"]) == 2
    assert "--sep ';'" in capsys.readouterr().err
    cfg.write_text(cfg.read_text().replace('candidates = "candidates.csv"', 'candidates = "candidates.csv"\nsep = ";"'))
    assert main(["review", "--config", str(cfg), "-q"]) == 0


def failing_recommender(job_texts, candidate_texts):
    raise RuntimeError("model server unreachable")


def test_errors_exit_2_and_leave_a_trace(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('period = "2026-Q3"\n[source]\nkind = "files"\n[recommender]\nname = "bm25"\n')
    assert main(["review", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "source.jobs: is required" in err and "Traceback" not in err

    cfg = write_config(tmp_path, recommender=f'python = "{__name__}:failing_recommender"')
    assert main(["review", "--config", str(cfg), "-q"]) == 2
    err = capsys.readouterr().err
    assert "model server unreachable" in err and "Traceback" not in err
    with HistoryStore(load_config(cfg).history_url) as store:
        (rec,) = store.records()
        assert rec.status == "error" and "model server unreachable" in rec.message
    assert not list((tmp_path / "out").glob("*.pdf"))


def test_two_reviews_at_once_on_one_store(tmp_path):
    from fairaudit.review.run import run_review

    cfg = load_config(write_config(tmp_path))
    outcomes, errors = [], []

    def go() -> None:
        try:
            outcomes.append(run_review(cfg))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert sorted(o.version for o in outcomes) == [1, 2]
    assert all(o.report_path.exists() for o in outcomes)
    with HistoryStore(cfg.history_url) as store:
        assert sorted((r.version, r.status) for r in store.records()) == [(1, "pass"), (2, "pass")]


@pytest.mark.slow
def test_example_config_runs_on_synthetic_data(tmp_path):
    """examples/review.toml as shipped (embedding recommender), output redirected."""
    from fairaudit.review.run import run_review

    cfg = load_config(ROOT / "examples" / "review.toml")
    cfg = cfg.model_copy(update={"output_dir": tmp_path / "out"})
    outcome = run_review(cfg)
    assert outcome.status in ("pass", "breach")
    assert outcome.report_path.exists() and outcome.version == 1
    assert len(outcome.metrics) == 2 * 3  # k = 10, 50 x sex, race_ethnicity, sex_race


def test_sql_source_through_sqlalchemy(tmp_path, monkeypatch):
    import sqlalchemy as sa

    from fairaudit.errors import DataError
    from fairaudit.review.config import parse_config
    from fairaudit.review.data import load_review_data

    make_data(tmp_path)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'hr.db'}")
    pd.read_csv(tmp_path / "jobs.csv").to_sql("job_ads", engine, index=False)
    pd.read_csv(tmp_path / "candidates.csv").to_sql("applicants", engine, index=False)
    engine.dispose()
    monkeypatch.setenv("HR_DB", str(tmp_path / "hr.db"))
    base = {"period": "2026-Q4", "recommender": {"name": "bm25"}, "columns": {"candidates": {"text": "bio"}},
            "source": {"kind": "sql", "url": "sqlite:///${HR_DB}", "jobs_query": "select * from job_ads",
                       "candidates_query": "select * from applicants where sex is not null"}}
    jobs, cands, desc = load_review_data(parse_config(base))
    assert len(jobs) == 12 and len(cands) == 80 and set(cands.sex) == {"female", "male"}
    assert desc.startswith("sql: sqlite:///") and "text" in cands.columns
    bad = {**base, "source": {**base["source"], "jobs_query": "select * from no_such_table"}}
    with pytest.raises(DataError, match="source.jobs_query failed.*no such table"):
        load_review_data(parse_config(bad))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def history_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hist.sqlite'}"
    return request.getfixturevalue("pg_url")  # a fresh schema, dropped afterwards (conftest.py)


def test_two_periods_give_trend_chart_and_two_rows(tmp_path, history_url, capsys, monkeypatch):
    """Issue acceptance: two successive reviews for different periods -> trend chart + two rows."""
    import re

    from pypdf import PdfReader

    import fairaudit.review.report_section as review_report
    from fairaudit.review.history import HistoryStore
    from fairaudit.review.trend import metric_label

    drawn = []  # every trend chart the review draws: (metric, the data it was given, the SVG)
    real = review_report.trend_chart_svg

    def spy(frame, metric, **kw):
        svg = real(frame, metric, **kw)
        drawn.append((metric, frame.copy(), kw.get("stage"), svg))
        return svg

    monkeypatch.setattr(review_report, "trend_chart_svg", spy)
    cfg = write_config(tmp_path, extra=f'[history]\nurl = "{history_url}"\n')
    assert main(["review", "--config", str(cfg), "--period", "2026-Q3", "-q"]) == 0
    first = len(drawn)
    assert main(["review", "--config", str(cfg), "--period", "2026-Q4", "-q"]) == 0
    with HistoryStore(history_url) as store:
        assert [(r.period, r.version) for r in store.records()] == [("2026-Q3", 1), ("2026-Q4", 1)]
    charts = drawn[first:]  # the second review's charts
    assert charts
    for metric, frame, stage, svg in charts:
        # each chart of the Q4 review plots both periods, one point per period for every (attribute, k) line
        rows = frame[frame["stage"] == stage] if stage is not None else frame
        assert sorted(rows["period"].unique()) == ["2026-Q3", "2026-Q4"]
        assert (rows.groupby(["stage", "attribute", "k"])["period"].nunique() == 2).all()
        assert re.findall(r">(2026-Q[34])<", svg) == ["2026-Q3", "2026-Q4"]  # the x axis, in order
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "review-2026-Q4-v1.pdf").pages)
    for metric, *_ in charts:  # every chart is in the signed PDF (its title is text there)
        assert f"{metric_label(metric)} by period" in text, metric


def test_a_no_change_quarter_is_not_a_regression(tmp_path, capsys):
    """Same recommender, a new pool (issue 27): every change is shown, judged against chance, and none fails.

    The plain 0.02 tolerance called such quarters a regression (exit 3 with fail_on_regression).
    """
    cfg = write_config(tmp_path, extra="fail_on_regression = true\n", n_jobs=40, n_pairs=150)
    assert main(["review", "--config", str(cfg), "-q"]) == 0
    make_data(tmp_path, seed=1, n_jobs=40, n_pairs=150)  # next quarter: other jobs and candidates, same BM25
    capsys.readouterr()
    code = main(["review", "--config", str(cfg), "--period", "2026-Q4", "-q"])
    printed = capsys.readouterr().out
    q4 = json.loads((tmp_path / "out" / "review-2026-Q4-v1-outcome.json").read_text())
    changes = pd.DataFrame(q4["changes"])
    assert (changes["worse_by"] > changes["tolerance"]).any()  # the old rule would have failed this quarter
    assert code == 0 and not q4["regressions"] and "changes since 2026-Q3" in printed
    assert set(changes["verdict"]) <= {"within chance", "better beyond chance", "reference group in both periods"}
    assert changes.loc[changes["verdict"] == "within chance", "p_value"].gt(0.05).all()
    n_groups = {"sex": 2, "race_ethnicity": 4, "sex_race": 4}  # make_data: women white/asian, men black/hispanic
    assert len(changes) == sum(2 * (6 + n) for n in n_groups.values())  # every figure at both k, none dropped

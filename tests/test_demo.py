"""The pipeline's helpers that join the audit and the rewrites (the whole `make demo` is timed in the README)."""
import pandas as pd

from fairaudit import audit
from fairaudit.pipeline import flagged_jobs
from fairaudit.data.rewrites_table import apply_rewrites
from toy import ToyRecommender, toy_data


def test_flagged_jobs_and_apply_rewrites():
    jobs, cands = toy_data()
    r = audit(jobs, cands, recommender=ToyRecommender(), k=(10, 50), n_bootstrap=0, tolerance=0.1)
    flagged = flagged_jobs(r, jobs)
    pj = r.per_job.query("k == 50 and attribute == 'sex'").set_index("job_id")["gap"]
    assert len(flagged) and (pj.loc[flagged.job_id] > 0.1).all()
    assert list(pj.loc[flagged.job_id]) == sorted(pj.loc[flagged.job_id], reverse=True)
    rw = pd.DataFrame({"job_id": [flagged.job_id.iloc[0], flagged.job_id.iloc[1]], "rewrite": ["new A", "new B"],
                       "accepted": [True, False]})
    out = apply_rewrites(jobs, rw)
    assert out.set_index("job_id").loc[flagged.job_id.iloc[0], "text"] == "new A"
    assert out.set_index("job_id").loc[flagged.job_id.iloc[1], "text"] == jobs.set_index("job_id").loc[
        flagged.job_id.iloc[1], "text"]
    assert len(out) == len(jobs)


def test_the_demo_audits_its_own_recommendations_as_a_log(tmp_path):
    import json

    from fairaudit.demo import DemoConfig, run_demo
    from fairaudit.engine.log_audit import LL144_COLUMNS
    from fairaudit.engine.result import AuditResult

    lines = []
    files = run_demo(tmp_path, DemoConfig(n_jobs=8, n_candidates=120, k=(5, 10), n_bootstrap=0, rewrite=False,
                                          sign=False, recommender="bm25", seed=1), status=lines.append,
                     progress=False)
    assert files.log_matches_audit is True and files.log_differences == []
    log = pd.read_parquet(files.recommendations_log)
    assert len(log) == 8 * 120 and log.groupby("job_id")["rank"].max().eq(120).all()
    before, from_log = AuditResult.from_json(files.audit_before), AuditResult.from_json(files.audit_from_log)
    for table, cols in LL144_COLUMNS.items():
        pd.testing.assert_frame_equal(before.tables[table][list(cols)], from_log.tables[table][list(cols)])
    assert from_log.provenance["historical"] is True
    assert any("recommendations as a log" in line for line in lines)
    assert json.loads((tmp_path / "demo_outputs.json").read_text())["audit_from_log"] == files.audit_from_log

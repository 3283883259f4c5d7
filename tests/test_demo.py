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

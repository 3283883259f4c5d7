"""
Each job's own applicants: segregated pools and the global-pool illusion
========================================================================

On a hiring platform each job ranks its own applicants, and applicants are
segregated by occupation: a nursing job's are mostly women, an electrician job's
mostly men. This example makes such data with ``make_hiring_data(...,
segregation=1.0, applicants_per_job=...)`` (each occupation's sex and
race/ethnicity mix from the US Bureau of Labor Statistics' CPS 2022 Table 11;
see the data card), audits a BM25 recommender twice, against **each job's own
applicants** and against **the global pool** (every job ranking everyone), and
writes the report of the first.

The same rankings of the same people give no flag in the first audit and a large
sex gap in the second: the global pool charges the recommender for who applied.
"""

# %%
# Segregated applicants
# ---------------------
# Two care occupations (mostly women) and two trades (mostly men), 20 candidates
# each. A platform has more trade jobs than care jobs: we keep one job per care
# occupation and four per trade, so the trade workers each apply to four jobs.
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from fairaudit import audit, make_hiring_data
from fairaudit.data.datasets import occupation_statistics

occupations = ["specialist nurse", "early years teacher", "electrician", "carpenter"]
jobs, candidates, applications = make_hiring_data(16, 80, seed=0, occupations=occupations, segregation=1.0,
                                                  applicants_per_job=20)
care = jobs["family"].isin(["care", "education"])
jobs = jobs[~care | ~jobs["occupation"].duplicated()].reset_index(drop=True)  # 1 job per care occupation
applications = applications[applications["job_id"].isin(jobs["job_id"])]

bls = occupation_statistics().loc[occupations, ["bls_occupation", "women"]]
bls["women among the applicants (%)"] = [
    round(100 * (candidates.loc[candidates["occupation"] == o, "sex"] == "female").mean(), 1) for o in occupations]
bls.join(jobs["occupation"].value_counts().rename("jobs"))

# %%
# Two audits of the same recommender
# ----------------------------------
# ``candidate_sets=applications``: each job ranks only its applicants, rates count
# the (job, applicant) pairs, and each job's gap is measured against its own
# applicants' mix. Without it, every job ranks all 80 people and is compared
# with the whole pool's mix.
options = dict(recommender="bm25", k=(5, 10), seed=0, n_bootstrap=200, n_permutations=499,
               created_at="2026-01-15T00:00:00Z")
own = audit(jobs, candidates, candidate_sets=applications, **options)
pool = audit(jobs, candidates, drivers="none", decomposition="none", **options)


def sex_rows(result, view):
    impact = result.to_frame("impact").query("k == 10 and attribute == 'sex' and group != 'unknown'")
    diversity = result.to_frame("diversity").query("k == 10 and attribute == 'sex'").iloc[0]
    return impact.assign(view=view, mean_gap=diversity["mean_gap"], match_rate=diversity["match_rate"])[
        ["view", "group", "n_assessed", "selected", "selection_rate", "impact_ratio", "four_fifths_flag",
         "mean_gap", "match_rate"]]


table = pd.concat([sex_rows(own, "each job's own applicants"), sex_rows(pool, "global pool")])
table.round(3)

# %%
# Against its own applicants each job's top 10 has about its applicants' mix
# (small gaps, no four-fifths flag). Against the global pool every woman counts as
# considered, and rejected, for every trade job she never applied to, and every top
# 10 is compared with the whole pool's mix: a flagged impact ratio and large gaps
# that no change to the job texts could move. The verdicts, beside their chance
# levels (the own-applicants audit warns that the trade workers recur across jobs,
# four each: its chance level is then approximate, see "Each job's own candidates"
# in the concepts):
for name, result in (("own applicants", own), ("global pool", pool)):
    print(f"{name}: {result.summary['verdict']['attributes']['sex']['text']}")

# %%
# Per-job gaps under the two views
# --------------------------------
# Each bar is one job's distance between its top-10 sex mix and its target mix
# (its own applicants', or the whole pool's); a bar at 0 is a top 10 with exactly
# its applicants' mix.
gaps = pd.DataFrame({name: result.to_frame("per_job").query("k == 10 and attribute == 'sex'")
                     .set_index("job_id")["gap"] for name, result in (("own applicants", own), ("global pool", pool))})
gaps = gaps.loc[jobs["job_id"]]
fig, ax = plt.subplots(figsize=(6, 3))
for i, name in enumerate(gaps.columns):
    ax.bar(np.arange(len(gaps)) + 0.4 * i, gaps[name], width=0.4, label=name)
ax.axhline(own.config.tolerance, color="crimson", linestyle="--", linewidth=1, label="tolerance")
ax.set_xticks(np.arange(len(gaps)) + 0.2, [o.split()[-1] for o in jobs["occupation"]], rotation=45, fontsize=8)
ax.set_ylabel("sex gap of the top 10")
ax.set_ylim(0, 0.75)
ax.legend(fontsize=8, ncol=3, loc="upper center")
fig.tight_layout()

# %%
# Who applied, identity cues, the job text: the three causes
# -----------------------------------------------------------
#
# With each job's own candidates, the audit splits each attribute's mean gap
# against the whole pool (the global-pool view above) into what comes from **who
# applied** (each job's applicants' mix against the pool's), from **identity cues
# in profiles** (names and pronouns, measured by masking them), from **the job
# text** (measured by neutralising its gender-coded words) and a residual, each
# with its chance level (see "Three causes" in the concepts). Here the largest
# part beyond chance is who applied: the lever is the applicant pipeline, not the
# ad and not the recommender.
from fairaudit import CauseSplit  # noqa: E402

split = CauseSplit.from_result(own)
print(f"sex, top 10: {split.lever('sex', k=10)}")
split.to_frame().query("k == 10 and attribute == 'sex'")[
    ["part", "value", "share", "chance_low", "chance_high", "p_value", "beyond_chance"]].round(3)

# %%
# The report
# ----------
# The report of the own-applicants audit says which analyses a candidate-set audit
# does not run yet (word drivers and the identity-blind decomposition re-rank the
# whole pool). Unsigned here; see the first example for signing.
from fairaudit.report import build_report  # noqa: E402

workdir = Path(tempfile.mkdtemp(prefix="fairaudit-gallery-"))
files = build_report(own, workdir / "report.pdf")
print(f"{files.pages} pages, {files.size_bytes:,} bytes")

# %%
# The report's first page, rendered with poppler's ``pdftoppm``:
if shutil.which("pdftoppm"):
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", files.pdf, str(workdir / "page")],
                   check=True)
    fig, ax = plt.subplots(figsize=(6, 8.5))
    ax.imshow(plt.imread(next(workdir.glob("page*.png"))))
    ax.set_axis_off()
    fig.tight_layout()
else:
    print("pdftoppm (poppler-utils) is not installed: no page image")

shutil.rmtree(workdir, ignore_errors=True)

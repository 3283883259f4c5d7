"""
Audit, rewrite and a signed report
==================================

The whole pipeline on a small synthetic pool: audit the packaged embedding
recommender, rewrite the jobs whose gap exceeds the tolerance with the
AutoRefine policy that ships with fairaudit, re-audit them, and write a signed
before/after PDF report that :func:`fairaudit.report.verify_report` checks.

The data are tiny (20 jobs, 400 candidates) so that the documentation builds in
minutes; with so few candidates per occupation the numbers are noisy, which is
why every gap is printed beside its chance level (the random-top-k noise floor).
"""

# %%
# Synthetic data and a first audit
# --------------------------------
# ``make_hiring_data`` writes job ads and candidate bios from packaged tables
# (see the data card); it plants no scores.
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from fairaudit import audit, make_hiring_data

jobs, candidates = make_hiring_data(20, 400, seed=0)
options = dict(recommender="embedding", k=(10, 50), seed=0, n_bootstrap=200,
               drivers="flagged", decomposition="none", created_at="2026-01-15T00:00:00Z")
before = audit(jobs, candidates, **options)
print(before.verdict())

# %%
# The NYC LL144 table: selection rates and impact ratios per group.
before.to_frame("impact").query("k == 50")[["attribute", "group", "n_pool", "selected",
                                              "selection_rate", "impact_ratio", "four_fifths_flag"]]

# %%
# Rewrite the flagged jobs and re-audit
# -------------------------------------
# ``audit_rewrite_report`` runs audit → rewrite → re-audit → report once, as
# ``fairaudit demo`` and the quarterly review do. The rewriter is the shipped
# AutoRefine policy (SmolLM2-135M with a LoRA adapter), limited to two jobs (the documentation must build in minutes).
from fairaudit.pipeline import AutoRefineRewriter, audit_rewrite_report
from fairaudit.recommenders import EmbeddingRecommender
from fairaudit.report import init_keys, load_signer, verify_report, write_report

workdir = Path(tempfile.mkdtemp(prefix="fairaudit-gallery-"))
keys = init_keys(workdir / "keys")
signer = load_signer(key_dir=workdir / "keys")
recommender = EmbeddingRecommender()
rewriter = AutoRefineRewriter(recommender=recommender, candidates=candidates, method="policy",
                              flagged_only=True, max_jobs=2, seed=0)
run = audit_rewrite_report(jobs, candidates, audit_options={**options, "recommender": recommender},
                           rewriter=rewriter, report_options={"sign_with": signer})
rewrites = run.rewrites
print(f"{len(rewrites)} job(s) rewritten, {int(rewrites['accepted'].sum())} accepted")
rewrites[["job_id", "accepted", "gap_before", "gap_after", "meaning_score", "reason"]]

# %%
# What the accepted edits were (a rejected rewrite keeps the original text):
for row in rewrites.itertuples():
    print(f"{row.job_id}: {row.edits or '(no edit)'}")

# %%
# Write and verify the signed report
# ----------------------------------
# The PDF and its JSON sidecar are written together (atomically); ``verify``
# checks the signature, the certificate and that the sidecar matches.
pdf = workdir / "report.pdf"
files = write_report(run.report, pdf)
print(f"{files.pages} pages, signed by {files.signer}")
check = verify_report(pdf, trust=keys.cert)
print("signature valid and trusted:", check.ok)

# %%
# The first page of the report, rendered with poppler's ``pdftoppm``:
if shutil.which("pdftoppm"):
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(workdir / "page")],
                   check=True)
    page = next(workdir.glob("page*.png"))
    fig, ax = plt.subplots(figsize=(6, 8.5))
    ax.imshow(plt.imread(page))
    ax.set_axis_off()
    fig.tight_layout()
else:
    print("pdftoppm (poppler-utils) is not installed: no page image")


# %%
# The example's key, report and page images were written to a temporary folder:
shutil.rmtree(workdir, ignore_errors=True)

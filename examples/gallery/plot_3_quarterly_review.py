"""
A quarterly review with a history
=================================

A review is one call driven by a validated configuration (the same keys as
``examples/review.toml``): load the data, audit, compare with past periods,
check the thresholds, write a signed-or-unsigned PDF with its JSON, and record
the outcome in a history store (SQLite here; any SQLAlchemy URL). A scheduler
runs ``fairaudit review --config review.toml --period 2026-Q3`` and reads the
exit code: 0 all thresholds met, 3 a threshold breached, 2 a configuration error.

Two quarters are reviewed here on small synthetic pools with the BM25
recommender (fast; the default is the embedding model).
"""

# %%
# The configuration
# -----------------
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from fairaudit.review import open_store, parse_config, run_review

out = Path(tempfile.mkdtemp(prefix="fairaudit-review-"))


def config(period: str, seed: int):
    return parse_config({
        "title": "Quarterly fairness review", "period": period, "output_dir": str(out),
        "source": {"kind": "synthetic", "n_jobs": 30, "n_candidates": 400, "seed": seed},
        "recommender": {"name": "bm25"},
        "audit": {"k": [10, 50], "n_bootstrap": 100, "seed": 0, "drivers": "none", "decomposition": "none"},
        "thresholds": {"min_impact_ratio": 0.8, "match_rate_goal": 0.5, "max_gap": 0.25},
    }, base_dir=out)


# %%
# Two quarters
# ------------
for period, seed in (("2026-Q3", 0), ("2026-Q4", 1)):
    outcome = run_review(config(period, seed))
    print(f"{outcome.period} v{outcome.version}: {outcome.status} (exit code {outcome.exit_code}), "
          f"report {outcome.report_path.name}")
    for breach in outcome.breaches[:4]:
        print("  breach:", breach.message)
    if len(outcome.breaches) > 4:
        print(f"  ... and {len(outcome.breaches) - 4} more")

# %%
# The history store keeps every review's metrics, hashes and report path
# ----------------------------------------------------------------------
store = open_store(config("2026-Q4", 1).history_url)
history = store.frame()
history[["period", "version", "status", "k", "attribute", "min_impact_ratio", "match_rate", "mean_gap"]]

# %%
# One metric across periods (the review's PDF draws the same trend charts):
at50 = history[(history["k"] == 50) & (history["stage"] == "before")]
fig, ax = plt.subplots(figsize=(6, 3))
for attribute, rows in at50.groupby("attribute"):
    ax.plot(rows["period"], rows["min_impact_ratio"], marker="o", label=attribute)
ax.axhline(0.8, color="crimson", linestyle="--", linewidth=1, label="threshold")
ax.set_ylabel("lowest impact ratio, k = 50")
ax.legend(fontsize=8)
fig.tight_layout()
store.close()
shutil.rmtree(out, ignore_errors=True)  # the example's reports and history were temporary

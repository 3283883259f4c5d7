"""
Audit your own recommender
==========================

fairaudit audits any recommender: an object with ``fit(candidate_texts)``,
``score(job_texts) -> (n_jobs, n_candidates)`` scores, ``describe()`` and a
``name``, or a plain function ``fn(job_texts, candidate_texts) -> scores``.

Here a TF-IDF recommender (scikit-learn) is audited twice: as it is, and with a
deliberate bias (a bonus for bios that say "He"), to show that the audit sees
the difference and puts it beside its chance level.
"""

# %%
# A recommender is a small class
# ------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from fairaudit import audit, make_hiring_data


class TfidfRecommender:
    """Cosine similarity of TF-IDF vectors; ``bonus`` is added for bios that say "He"."""

    def __init__(self, bonus: float = 0.0):
        self.bonus = bonus
        self.name = "tfidf" if bonus == 0 else f"tfidf+he-bonus{bonus}"

    def fit(self, candidate_texts):
        self.vectorizer = TfidfVectorizer(sublinear_tf=True).fit(candidate_texts)
        self.candidates = self.vectorizer.transform(candidate_texts)
        self.he = np.array([" He " in f" {t} " for t in candidate_texts], dtype=float)
        return self

    def score(self, job_texts):
        scores = (self.vectorizer.transform(job_texts) @ self.candidates.T).toarray()
        return scores + self.bonus * self.he

    def describe(self):
        return {"name": self.name, "kind": "tf-idf cosine", "he_bonus": self.bonus}


jobs, candidates = make_hiring_data(60, 1500, seed=0)
results = {}
for bonus in (0.0, 0.05):
    results[bonus] = audit(jobs, candidates, recommender=TfidfRecommender(bonus), k=(10, 50), seed=0,
                           n_bootstrap=200, drivers="none", decomposition="none",
                           created_at="2026-01-15T00:00:00Z")
    print(bonus, results[bonus].verdict())

# %%
# Per-job gaps beside the noise floor
# -----------------------------------
# A job's gap is the distance between its top-k sex mix and the pool's mix; a
# top-k drawn at random from this pool already shows a gap of about the noise
# floor, so only what exceeds it says something about the recommender.
from fairaudit.metrics import random_topk_gap

import json

counts = candidates["sex"].value_counts().reindex(["female", "male"]).to_numpy()
floor = random_topk_gap(counts, counts / counts.sum(), 50)
female_share = counts[0] / counts.sum()
for bonus, result in results.items():
    per_job = result.to_frame("per_job").query("k == 50 and attribute == 'sex'")
    women = per_job["mix"].map(lambda m: (json.loads(m) if isinstance(m, str) else m)["female"]).mean()
    print(f"he-bonus {bonus}: mean gap {per_job['gap'].mean():.3f} (noise floor {floor:.3f}), "
          f"women in the top 50: {women:.1%} (pool {female_share:.1%})")

# %%
# Impact ratios by sex at k = 50, against the four-fifths line
# -------------------------------------------------------------
fig, ax = plt.subplots(figsize=(6, 3))
for i, (bonus, result) in enumerate(results.items()):
    impact = result.to_frame("impact").query("k == 50 and attribute == 'sex'")
    ax.bar(np.arange(len(impact)) + 0.4 * i, impact["impact_ratio"], width=0.4,
           label=f"he-bonus {bonus}")
    ax.set_xticks(np.arange(len(impact)) + 0.2, impact["group"])
ax.axhline(0.8, color="crimson", linestyle="--", linewidth=1, label="four-fifths line")
ax.set_ylabel("impact ratio")
ax.set_ylim(0, 1.1)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()

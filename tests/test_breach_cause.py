"""The cause of an impact-ratio breach (issue 27, item 4): the breach's ratio with identity cues masked."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from fairaudit import audit
from fairaudit.engine.breach_cause import breach_cuts, breach_entry, breach_line

SKILLS = ["python", "sales", "data", "excel", "report", "customer", "manage", "design", "audit", "budget"]
BLACK_FIRST = ("Lakisha", "Jamal", "Tamika", "Darnell")
WHITE_FIRST = ("Emily", "Greg", "Anne", "Todd")


def _data(n: int = 240, n_jobs: int = 30, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        race = "black" if i % 2 else "white"
        first = (BLACK_FIRST if race == "black" else WHITE_FIRST)[i % 4]
        name = f"{first} {['Walsh', 'Baker', 'Jones', 'Moore'][(i // 2) % 4]}"
        sex = "female" if first in ("Lakisha", "Tamika", "Emily", "Anne") else "male"
        pron = "She" if sex == "female" else "He"
        rows.append({"candidate_id": f"c{i}", "name": name, "sex": sex, "race_ethnicity": race,
                     "text": f"{name} has worked on {' '.join(rng.choice(SKILLS, 4, replace=False))}. {pron} leads."})
    jobs = pd.DataFrame({"job_id": [f"j{j}" for j in range(n_jobs)], "title": [f"Job {j}" for j in range(n_jobs)],
                         "text": [" ".join(rng.choice(SKILLS, 3, replace=False)) for _ in range(n_jobs)]})
    return jobs, pd.DataFrame(rows)


def reads_names(job_texts, cand_texts):
    """A recommender that matches skills and marks down profiles carrying a Black first name."""
    out = np.zeros((len(job_texts), len(cand_texts)))
    for j, jt in enumerate(job_texts):
        words = set(jt.lower().split())
        for c, ct in enumerate(cand_texts):
            toks = ct.replace(".", " ").split()
            out[j, c] = len(words & {t.lower() for t in toks}) + 1e-3 * (c % 7) \
                - 2.0 * any(t in BLACK_FIRST for t in toks)
    return out


@pytest.mark.parametrize("method", ["full", "sample"])
def test_a_breach_from_names_is_traced_to_identity_cues(method):
    jobs, cands = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = audit(jobs, cands, recommender=reads_names, k=(10,), seed=0, n_bootstrap=10, n_permutations=0,
                  drivers="none", decomposition=method, decomposition_sample=120)
    par = r.tables["parity"].set_index("attribute")
    assert par.loc["race_ethnicity", "min_impact_ratio"] < 0.5  # the names breach the four-fifths rule
    found = {e["attribute"]: e for e in r.summary["decomposition"]["breaches"]}
    e = found["race_ethnicity"]
    assert e["k"] == 10 and e["method"] == method and e["group"] == "black"
    assert e["min_impact_ratio"] == pytest.approx(par.loc["race_ethnicity", "min_impact_ratio"])
    assert e["masked_min_impact_ratio"] > 0.8 and e["mostly_identity"] and e["identity_share"] > 0.5
    line = breach_line(e)
    assert "no rewrite of the ad can fix" in line and f"{e['masked_min_impact_ratio']:.3f}" in line
    assert ("sample estimates" in line) == (method == "sample")
    if method == "full":  # the exact comparison ranks the same profiles: its unmasked ratio is the audit's
        assert e["compared_min_impact_ratio"] == pytest.approx(e["min_impact_ratio"])
    # terminal and PDF say the same sentence; the audit JSON keeps the figures
    from io import StringIO

    from rich.console import Console

    from fairaudit.engine.display import print_summary
    from fairaudit.report.sections import _decomposition_summary

    buf = StringIO()
    print_summary(r, Console(file=buf, width=10_000))
    assert line in buf.getvalue()
    assert line in _decomposition_summary(r.summary["decomposition"])["breaches"]
    assert '"masked_min_impact_ratio"' in r.to_json()


def test_a_breach_that_masking_does_not_close_says_so():
    e = breach_entry("sex", 50, 0.6, (0.6, "female"), (0.65, "female"), 0.8, "full", 1000, 50)
    assert e["identity_share"] == pytest.approx(0.25) and not e["mostly_identity"]
    assert "most of the breach stays without identity cues" in breach_line(e)
    par = pd.DataFrame({"k": [10, 50], "attribute": ["sex", "sex"], "min_impact_ratio": [0.9, 0.6]})
    assert breach_cuts(par, 0.8) == [("sex", 50, 0.6)]

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


# --- the masked ratio's own p-value and verdict (issue 27, item 4) ------------------------------------------

def _mixed(n: int = 400, n_jobs: int = 40, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sex and race independent; a name that signals race, and a credential more frequent among White candidates."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["white", "black"], n, p=[0.6, 0.4])
    sex = rng.choice(["female", "male"], n)
    site = rng.choice(["north", "south"], n)
    rows = []
    for i in range(n):
        first = (BLACK_FIRST if race[i] == "black" else WHITE_FIRST)[(0 if sex[i] == "female" else 1) + 2 * (i % 2)]
        cred = "certified " if rng.random() < (0.5 if race[i] == "white" else 0.3) else ""
        pron = "She" if sex[i] == "female" else "He"
        rows.append({"candidate_id": f"c{i}", "name": f"{first} Moore", "sex": sex[i], "race_ethnicity": race[i],
                     "site": site[i], "text": f"{first} Moore has worked on {cred}"
                                              f"{' '.join(rng.choice(SKILLS, 4, replace=False))}. {pron} leads."})
    jobs = pd.DataFrame({"job_id": [f"j{j}" for j in range(n_jobs)], "title": [f"Job {j}" for j in range(n_jobs)],
                         "text": [" ".join(rng.choice(SKILLS, 3, replace=False)) + " certified" for _ in range(n_jobs)]})
    return jobs, pd.DataFrame(rows)


def reads_names_and_credentials(job_texts, cand_texts):
    """Skills and a credential the job asks for, and a mark-down of profiles with a Black first name."""
    out = np.zeros((len(job_texts), len(cand_texts)))
    for j, jt in enumerate(job_texts):
        words = set(jt.lower().split())
        for c, ct in enumerate(cand_texts):
            toks = ct.replace(".", " ").split()
            out[j, c] = len(words & {t.lower() for t in toks}) + 1.5 * ("certified" in toks) + 1e-3 * (c % 11) \
                - 0.6 * any(t in BLACK_FIRST for t in toks)
    return out


def _quiet_audit(jobs, cands, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return audit(jobs, cands, recommender=reads_names_and_credentials, seed=4, n_bootstrap=0, drivers="none",
                     **kw)


@pytest.mark.parametrize("strata", [None, ["site"]])
def test_the_masked_ratio_is_tested_as_an_audit_of_the_masked_profiles_would_be(strata):
    # the masked figure's p-value and verdict come from the audit's own machinery: the same permutations
    # (seed, strata) and the same lowest-ratio family, so an audit of the masked profiles gives exactly them
    from fairaudit.engine.drivers import mask_identity

    jobs, cands = _mixed()
    kw = dict(k=(10, 20), n_permutations=199, strata=strata)
    r = _quiet_audit(jobs, cands, decomposition="full", **kw)
    par = r.tables["parity"].set_index(["attribute", "k"])
    entries = {(e["attribute"], e["k"]): e for e in r.summary["decomposition"]["breaches"]}
    assert ("race_ethnicity", 10) in entries
    masked = cands.assign(text=mask_identity(cands["text"].tolist(), cands["name"].tolist()))
    blind = _quiet_audit(jobs, masked, decomposition="none", **kw).tables["parity"].set_index(["attribute", "k"])
    for key, e in entries.items():
        # as written: the audit's ranking, so the audit's own figure, p-value and verdict
        assert (e["compared_min_impact_ratio"], e["compared_p_value"], e["compared_verdict"]) == pytest.approx(
            (par.loc[key, "min_impact_ratio"], par.loc[key, "p_value"], par.loc[key, "verdict"]))
        assert e["masked_min_impact_ratio"] == pytest.approx(blind.loc[key, "min_impact_ratio"])
        assert e["masked_p_value"] == blind.loc[key, "p_value"] and e["masked_verdict"] == blind.loc[key, "verdict"]
    e = entries[("race_ethnicity", 10)]
    assert e["compared_p_value"] < e["masked_p_value"]  # the names are part of the breach
    assert e["compared_min_impact_ratio"] < e["masked_min_impact_ratio"] < 0.8  # the credential is the rest
    line = breach_line(e)
    assert f"({e['compared_verdict']}, p = {e['compared_p_value']:.3f})" in line
    assert f"{e['masked_min_impact_ratio']:.3f} with names, titles and pronouns masked in the profiles " \
           f"({e['masked_verdict']}, p = {e['masked_p_value']:.3f})" in line


def test_a_sampled_comparison_tests_both_sample_ratios():
    jobs, cands = _mixed()
    r = _quiet_audit(jobs, cands, k=(10,), n_permutations=99, decomposition="sample", decomposition_sample=200)
    e = next(e for e in r.summary["decomposition"]["breaches"] if e["attribute"] == "race_ethnicity")
    assert e["method"] == "sample" and e["sample_k"] == 5
    for side in ("compared", "masked"):
        assert 0 < e[f"{side}_p_value"] <= 1 and e[f"{side}_verdict"]
    line = breach_line(e)
    assert f"as written ({e['compared_verdict']}, p = {e['compared_p_value']:.3f}) and" in line
    assert f"({e['masked_verdict']}, p = {e['masked_p_value']:.3f})" in line and "sample estimates" in line


def test_the_masked_test_reaches_the_json_the_terminal_and_the_pdf_text():
    import json
    from io import StringIO

    from rich.console import Console

    from fairaudit import AuditResult
    from fairaudit.engine.display import print_summary
    from fairaudit.report.sections import _decomposition_summary

    jobs, cands = _mixed()
    r = _quiet_audit(jobs, cands, k=(10,), n_permutations=99, decomposition="full")
    back = AuditResult.from_dict(json.loads(r.to_json()))  # what `fairaudit report` and the demo's terminal read
    e, e_back = (next(x for x in res.summary["decomposition"]["breaches"] if x["attribute"] == "race_ethnicity")
                 for res in (r, back))
    assert {f: e_back[f] for f in ("masked_p_value", "masked_verdict", "compared_p_value", "compared_verdict")} \
        == {f: e[f] for f in ("masked_p_value", "masked_verdict", "compared_p_value", "compared_verdict")}
    line = breach_line(e)
    assert breach_line(e_back) == line
    buf = StringIO()
    print_summary(back, Console(file=buf, width=10_000))
    assert line in buf.getvalue() and line in _decomposition_summary(back.summary["decomposition"])["breaches"]


def test_without_permutations_the_masked_ratio_is_not_assessed():
    jobs, cands = _mixed()
    r = _quiet_audit(jobs, cands, k=(10,), n_permutations=0, decomposition="full")
    e = next(e for e in r.summary["decomposition"]["breaches"] if e["attribute"] == "race_ethnicity")
    assert e["masked_verdict"] is None and np.isnan(e["masked_p_value"])
    assert "p =" not in breach_line(e)


def test_a_stored_entry_with_missing_figures_still_reads():
    # JSON stores NaN as null: a sampled ratio at or above the floor leaves the share undefined
    import json

    e = breach_entry("race_ethnicity", 10, 0.7, (0.85, "black", 0.4, "pass"), (0.9, "black", 0.6, "pass"), 0.8,
                     "sample", 200, 5)
    assert np.isnan(e["identity_share"])
    stored = json.loads(json.dumps(e).replace("NaN", "null"))
    line = breach_line(stored)
    assert line == breach_line(e) and line.endswith("(pass, p = 0.600).")

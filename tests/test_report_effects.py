"""Issue 26, item 6: a before/after report says per attribute what the rewriting changed and whether the gap is
text-driven, so it never reads as "rewriting fixed it" for a breach no wording drives."""
from __future__ import annotations

import pandas as pd

from fairaudit.report.effects import rewrite_effects
from fairaudit.report.sections import rewrite_section
from fairaudit.report.sidecar import check_rewrites, rewrites_summary

CAUSES = {
    "sex": {"cause": "job text", "reason": "gap beyond chance (p = 0.005); masking identity cues changes it by +0.01"},
    "race_ethnicity": {"cause": "identity cues in profiles",
                       "reason": "gap beyond chance (p = 0.010); masking identity cues changes it by +0.08 of 0.10"},
}


def rewrites() -> pd.DataFrame:
    return check_rewrites(pd.DataFrame({
        "job_id": ["a", "b"], "original": ["x ninja", "y"], "rewrite": ["x expert", "y"], "accepted": [True, False],
        "gap_before": [0.3, 0.2], "gap_after": [0.2, 0.2], "meaning_score": [0.95, 1.0],
        "gap_before_sex": [0.30, 0.20], "gap_after_sex": [0.20, 0.20],
        "gap_before_race_ethnicity": [0.10, 0.12], "gap_after_race_ethnicity": [0.11, 0.12],
        "text_driven_sex": [True, False], "text_driven_race_ethnicity": ["False", "False"]}))


def test_a_breach_that_no_wording_drives_is_said_to_be_not_text_driven():
    by = {e["attribute"]: e for e in rewrite_effects(rewrites_summary(rewrites())["by_attribute"], CAUSES)}
    assert by["sex"]["text_driven"] is True and by["sex"]["change"] < 0
    assert "text-driven: rewriting the job texts can move it" in by["sex"]["sentence"]
    race = by["race_ethnicity"]
    assert race["text_driven"] is False and "not text-driven" in race["sentence"]
    assert "identity cues in profiles" in race["sentence"] and "no wording moves it in 2 of 2 jobs" in race["sentence"]
    # no cause in the audit: say it was not assessed rather than guess
    (un,) = rewrite_effects([{"attribute": "sex", "mean_gap_before": 0.2, "mean_gap_after": 0.1}], None)
    assert un["text_driven"] is None and "not assessed" in un["sentence"]


def test_the_before_after_section_carries_the_effects():
    sec = rewrite_section(rewrites(), 10, 5, CAUSES)
    assert [e["attribute"] for e in sec["effects"]] == ["sex", "race_ethnicity"]
    assert rewrite_section(rewrites(), 10, 5)["effects"][1]["text_driven"] is False   # no wording moves it


def test_the_pdf_says_once_where_a_verdict_and_its_gap_cause_disagree():
    # issue 27: the terminal explained a "pass" beside "cause: job text" (they test different things); the PDF,
    # which shows the same causes, did not
    from fairaudit.engine.causes import DIFFERENT_QUESTIONS, verdict_cause_line
    from fairaudit.engine.display import cause_lines

    causes = {"sex": {**CAUSES["sex"], "k": 50, "verdict": "pass", "note": DIFFERENT_QUESTIONS},
              "race_ethnicity": {**CAUSES["race_ethnicity"], "k": 50, "verdict": "breach, beyond chance", "note": ""}}
    line = verdict_cause_line(causes)
    assert line == f"Verdict and cause differ for sex (pass; gap: job text). {DIFFERENT_QUESTIONS}"
    assert rewrite_section(rewrites(), 10, 5, causes)["cause_note"] == line == cause_lines(causes)[-1]
    assert rewrite_section(rewrites(), 10, 5, CAUSES)["cause_note"] == ""  # no verdict, nothing to reconcile
    from html import unescape

    from fairaudit.report.render import environment

    macros = environment().get_template("_comparison.html").module  # the PDF's before/after chapter
    html = str(macros.rewrites_section(rewrite_section(rewrites(), 10, 5, causes), 6))
    assert line in " ".join(unescape(html).split())

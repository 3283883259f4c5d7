"""One family of tests per attribute, and verdict words that cannot be misread (issue 27, items 1 and 3).

A group row's p-value is adjusted for the attribute's groups from the same
permutations (single-step max-T on the impact ratio), so a group row beyond
chance implies its attribute beyond chance; the reference group is not tested;
a significant difference above 4/5 is a "shortfall, significant"; a group with
too little power says why; the match-rate goal is "met" / "not met".
"""
import json

import numpy as np
import pandas as pd
import pytest

from fairaudit.data.groups import encode
from fairaudit.engine.causes import DIFFERENT_QUESTIONS, gap_causes, verdict_cause_note
from fairaudit.engine.permutation import null_draws
from fairaudit.engine.verdicts import (BEYOND, GOAL_MET, GOAL_MISSED_BEYOND, GOAL_MISSED_WITHIN, LOW_POWER_SIZE,
                                       LOW_POWER_TEST, PASS, REFERENCE, SHORTFALL, SIGNIFICANT, TOO_SMALL, WITHIN,
                                       assess, attribute_verdict, describe, goal_verdict, group_verdict,
                                       low_power_reason)
from fairaudit.metrics.counts import group_counts
from fairaudit.metrics.impact import impact_ratios, rated_mask, selection_rates
from fairaudit.recommenders.base import topk_block

RACES = ["white", "hispanic", "black", "asian", "multiracial"]


def _null_audit(seed: int, n: int = 400, n_jobs: int = 40, ks=(10, 50), n_perm: int = 99,
                race_p=(0.55, 0.2, 0.13, 0.07, 0.05)):
    """Every (attribute, k) Chance of a recommender that ignores the attributes (scores: shared quality + noise)."""
    rng = np.random.default_rng([27, seed])
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)], "text": "",
                          "sex": rng.choice(["female", "male"], n),
                          "race_ethnicity": rng.choice(RACES, n, p=list(race_p))})
    scores = 0.7 * rng.standard_normal(n)[None, :] + rng.standard_normal((n_jobs, n))
    idx, _ = topk_block(scores, max(ks))
    encs = [encode(cands, "sex"), encode(cands, "race_ethnicity")]
    targets = {e.attribute: e.pool_counts[: e.n_known] / e.pool_counts[: e.n_known].sum() for e in encs}
    draws = null_draws(idx, encs, ks, targets, 0.1, n_perm, seed, None, 0)
    out = {}
    for enc in encs:
        rated = rated_mask(enc.pool_counts, enc.n_known, 0.02)
        for k in ks:
            sel = group_counts(idx[:, :k], enc.codes, enc.n_codes).sum(axis=0)
            ir = impact_ratios(selection_rates(sel, enc.pool_counts, n_jobs)[: enc.n_known], rated)
            out[(enc.attribute, k)] = (ir, assess(
                draws[(enc.attribute, k)], impact=ir, rated=rated, pool=enc.pool_counts, n_jobs=n_jobs,
                match_rate=float("nan"), mean_gap=float("nan"), alpha=0.05, four_fifths=0.8, power=0.8,
                judge_ratio=0.6, seed=seed))
    return out


def test_a_group_row_beyond_chance_implies_its_attribute_beyond_chance_on_null_data():
    # issue 27: with each group tested on its own null, 15-17 % of attribute-blind audits had a group row
    # "beyond chance" under an attribute that was not; one family per attribute makes that impossible
    any_group = 0
    for seed in range(40):
        for (attr, k), (ir, ch) in _null_audit(seed).items():
            tested = ~np.isnan(ch.p)
            assert (ch.p[tested] >= ch.min_p - 1e-12).all(), (seed, attr, k)  # the attribute's p is the family's min
            low = int(np.nanargmin(ir))
            if ir[low] < 1:  # (every rated group at ratio 1: all are the reference)
                assert ch.p[low] == pytest.approx(ch.min_p)  # the lowest group's adjusted p is the attribute's
            significant_rows = [v for v in ch.verdict if v in SIGNIFICANT]
            any_group += bool(significant_rows)
            if significant_rows:
                assert ch.verdict_attribute in SIGNIFICANT, (seed, attr, k, ch.verdict, ch.verdict_attribute)
            if ch.verdict_attribute == BEYOND or BEYOND in ch.verdict:
                assert ch.verdict_attribute == BEYOND or BEYOND not in ch.verdict
    assert any_group <= 0.15 * 40 * 4  # a family rate near 5 %, far under the uncorrected 13-20 %


def test_raw_p_is_kept_and_is_never_above_the_family_p():
    ir, ch = _null_audit(3)[("race_ethnicity", 10)]
    tested = ~np.isnan(ch.p)
    assert (ch.p_raw[tested] <= ch.p[tested] + 1e-12).all()
    row = ch.group_fields(int(np.flatnonzero(tested)[0]))
    assert {"p_value", "p_value_raw", "own_power_at_0_6", "expected_selected", "low_power_reason"} <= set(row)


@pytest.mark.parametrize("ir, p, too_small, expected", [
    (1.0, float("nan"), True, REFERENCE),  # the highest rate: no test of itself, whatever its power
    (1.0, 1.0, False, REFERENCE),
    (0.86, 0.037, False, SHORTFALL),  # the case: IR 0.86, p 0.037 is not a plain "pass"
    (0.86, 0.037, True, SHORTFALL),  # significant, so detected whatever the power
    (0.86, 0.2, False, PASS),
    (0.86, 0.2, True, TOO_SMALL),
    (0.5, 0.01, False, BEYOND),
    (0.5, 0.2, False, WITHIN),
    (0.5, 0.2, True, TOO_SMALL),
    (0.5, float("nan"), False, WITHIN),  # not assessed is never significant
    (float("nan"), 0.01, False, None),
])
def test_group_verdict_cases(ir, p, too_small, expected):
    assert group_verdict(ir, p, too_small, 0.05, 0.8) == expected


def test_attribute_verdict_has_a_significant_shortfall_and_ignores_the_reference_power():
    impact = np.array([1.0, 0.85])
    assert attribute_verdict(0.85, 0.03, impact, [REFERENCE, SHORTFALL], 0.05, 0.8) == SHORTFALL
    # the reference group has no test of itself, so its power does not make the attribute unjudgeable
    assert attribute_verdict(0.85, 0.4, impact, [REFERENCE, PASS], 0.05, 0.8) == PASS
    assert attribute_verdict(0.85, 0.4, impact, [REFERENCE, TOO_SMALL], 0.05, 0.8) == TOO_SMALL


def test_reference_group_is_described_without_a_test_of_itself():
    text = describe(REFERENCE, 1.0)
    assert text.startswith("reference group") and "p =" not in text and "pass" not in text


def test_shortfall_words_name_the_guidelines():
    text = describe(SHORTFALL, 0.037)
    assert text.startswith("shortfall, significant") and "1607.4(D)" in text and "p = 0.037" in text


def test_goal_words_are_not_the_legal_words():
    assert goal_verdict(0.24, 0.8, 0.001, 0.05) == GOAL_MISSED_BEYOND == "goal not met, beyond chance"
    assert goal_verdict(0.7, 0.8, 0.3, 0.05) == GOAL_MISSED_WITHIN
    assert goal_verdict(0.9, 0.8, 0.3, 0.05) == GOAL_MET
    assert goal_verdict(0.9, None, 0.3, 0.05) is None
    assert not any("breach" in w for w in (GOAL_MET, GOAL_MISSED_BEYOND, GOAL_MISSED_WITHIN))


def test_low_power_reasons_differ_by_cause():
    size = low_power_reason(LOW_POWER_SIZE, 14, 90.0, 200, 0.41, 0.2, 0.6)
    assert "14 candidates" in size and "0.5 expected top-k places per job" in size and "too few" in size
    test = low_power_reason(LOW_POWER_TEST, 2442, 1200.0, 200, 0.41, 0.93, 0.6)
    assert "too few" not in test and "attribute's test has little power at this k" in test and "0.41" in test
    assert low_power_reason("", 10, 1.0, 1, 0.4, 0.9, 0.6) == ""


def test_a_large_group_with_low_power_is_not_called_too_small():
    # a big group beside small rated ones at k=10: the lowest-ratio test's critical value, not the
    # group's size, is why it cannot detect 0.6 (the demo's White and Hispanic rows)
    seen = set()
    for seed in range(6):
        ir, ch = _null_audit(seed, n=3000, n_jobs=60, ks=(10,), race_p=(0.7, 0.21, 0.03, 0.03, 0.03))[
            ("race_ethnicity", 10)]
        for g, v in enumerate(ch.verdict):
            if v != TOO_SMALL:
                continue
            seen.add(ch.low_power[g])
            assert (ch.low_power[g] == LOW_POWER_TEST) == (ch.own_power[g] >= 0.8)
            reason = ch.group_fields(g)["low_power_reason"]
            if ch.low_power[g] == LOW_POWER_TEST:
                assert "too few" not in reason
    assert LOW_POWER_TEST in seen  # the case arises on such pools


def test_verdict_cause_note_only_where_they_disagree():
    assert verdict_cause_note(BEYOND, "neither") == DIFFERENT_QUESTIONS
    assert verdict_cause_note(PASS, "job text") == DIFFERENT_QUESTIONS
    assert verdict_cause_note(BEYOND, "job text") == ""
    assert verdict_cause_note(PASS, "neither") == ""
    assert verdict_cause_note(PASS, "not measured") == ""


def test_cause_marks_a_sample_estimate_and_keeps_it_apart_from_the_exact_gap():
    div = pd.DataFrame([{"k": 50, "attribute": "sex", "mean_gap": 0.078, "mean_gap_p_value": 0.005,
                         "mean_gap_null_median": 0.055}])
    dec = {"method": "sample", "sample_size": 2000, "sample_k": 25,
           "by_attribute": {"sex": {"mean_gap": 0.089, "mean_identity_part": 0.012, "identity_part_ci_low": -0.008,
                                    "identity_part_ci_high": 0.035}}}
    par = pd.DataFrame([{"k": 50, "attribute": "sex", "verdict": PASS}])
    c = gap_causes(div, dec, 50, 0.05, par)["sex"]
    assert "0.078 is beyond chance" in c["reason"]
    assert "sample of 2,000 candidates" in c["reason"] and "the sample's gap by +0.012" in c["reason"]
    assert "of its 0.089" in c["reason"]  # the sample's own gap, named as such
    assert c["verdict"] == PASS and c["note"] == DIFFERENT_QUESTIONS
    exact = gap_causes(div, {**dec, "method": "full"}, 50, 0.05)["sex"]
    assert "sample" not in exact["reason"] and "note" not in exact


def test_terminal_defines_p_by_its_formula_and_lists_group_reasons():
    from rich.console import Console

    from fairaudit import audit, make_hiring_data
    from fairaudit.engine.display import print_summary

    jobs, cands = make_hiring_data(30, 600, seed=1)
    r = audit(jobs, cands, recommender=lambda j, c: np.random.default_rng(0).random((len(j), len(c))),
              k=(10,), drivers="none", decomposition="none", n_bootstrap=0, n_permutations=99,
              attributes=["sex", "race_ethnicity"])
    con = Console(width=400, record=True)
    print_summary(r, console=con)
    text = con.export_text()
    assert "p = (1 + number of shuffles whose lowest impact ratio is at or below the observed one) / (1 + 99)" in text
    assert "share of permutations" not in text and "NOT MET" not in text
    assert "reference group (highest selection rate; the others are compared with it, no test of itself)" in text
    assert "(voluntary): goal" in text
    imp = r.impact[r.impact["verdict"] == REFERENCE]
    assert len(imp) and imp["p_value"].isna().all()  # the reference has no p-value of itself


def test_a_version_2_file_is_read_with_group_verdicts_not_assessed(tmp_path):
    from fairaudit import AuditResult, audit, make_hiring_data

    jobs, cands = make_hiring_data(20, 300, seed=2)
    r = audit(jobs, cands, recommender=lambda j, c: np.random.default_rng(1).random((len(j), len(c))),
              k=(10,), drivers="none", decomposition="none", n_bootstrap=0, n_permutations=99,
              attributes=["race_ethnicity"])
    d = json.loads(r.to_json())
    assert d["schema_version"] == 3
    d["schema_version"] = 2  # what version 2 wrote: its own words, group p-values unadjusted
    for row in d["tables"]["impact"]:
        for col in ("p_value_raw", "own_power_at_0_6", "expected_selected", "low_power_reason"):
            row.pop(col)
        row["p_value"], row["verdict"] = 0.01, "breach, beyond chance"
    d["tables"]["parity"][0]["verdict"] = "too small to judge"
    d["summary"]["verdict"]["attributes"]["race_ethnicity"]["verdict"] = "too small to judge"
    d["summary"]["verdict"]["diversity_category"] = "breach, beyond chance"
    (tmp_path / "v2.json").write_text(json.dumps(d))
    old = AuditResult.from_json(tmp_path / "v2.json")
    assert old.impact["verdict"].isna().all() and old.impact["p_value"].isna().all()
    assert (old.impact["p_value_raw"].dropna() == 0.01).all()
    assert old.parity["verdict"].iloc[0] == TOO_SMALL
    v = old.verdict()
    assert v["attributes"]["race_ethnicity"]["verdict"] == TOO_SMALL
    assert v["diversity_category"] == GOAL_MISSED_BEYOND
    assert json.loads(old.to_json())["schema_version"] == 3


def test_version_2_words_in_the_reader_match_the_engine():
    from fairaudit.data.schema import V2_GOAL_WORDS, V2_WORDS
    from fairaudit.engine.verdicts import RENAMED, VERDICTS

    assert V2_WORDS == RENAMED and set(V2_WORDS.values()) <= set(VERDICTS)
    assert set(V2_GOAL_WORDS.values()) == {GOAL_MET, GOAL_MISSED_BEYOND, GOAL_MISSED_WITHIN}


def test_summary_page_words():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "reports" / "templates" / "summary.html").read_text()
    assert "too few candidates to tell" not in page and "too small to judge" not in page
    assert "shortfall, significant" in page and "reference group" in page
    from fairaudit.report.chance import PERMUTATION_SENTENCE

    assert "(1 + number of shuffles whose lowest impact ratio is at or below the observed one)" in PERMUTATION_SENTENCE
    assert "share of shuffles" not in PERMUTATION_SENTENCE


def test_p_and_the_reference_group_in_the_same_words_everywhere():
    # issue 27: the terminal said "(1 + shuffles whose ...)", the PDF and LL144 summary "(1 + number of shuffles
    # whose ...)", the README "(1 + shuffles at or below ...)", and the reference group had three explanations
    import re
    from pathlib import Path

    from fairaudit.engine.display import p_formula
    from fairaudit.engine.verdicts import P_FORMULA, REFERENCE_NOTE
    from fairaudit.report.chance import PERMUTATION_SENTENCE

    root = Path(__file__).resolve().parents[1]
    formula = P_FORMULA.format(n="1,000")
    assert formula in p_formula(1000) and formula in PERMUTATION_SENTENCE.format(n="1,000")
    assert formula in " ".join((root / "README.md").read_text().split())
    assert formula in " ".join((root / "docs" / "concepts" / "significance.md").read_text().split())
    reference = f"reference group ({REFERENCE_NOTE})"
    assert describe(REFERENCE) == reference
    assert reference in " ".join((root / "docs" / "concepts" / "significance.md").read_text().split())
    page = (root / "reports" / "templates" / "summary.html").read_text()
    assert re.search(r"<em>reference group</em> \(\{\{ reference_note \}\}\)", page)

"""Name-based proxy inference: labelled as inferred, never overwrites self-reports."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairaudit.data.datasets import make_hiring_data
from fairaudit.errors import ConfigError, DataError
from fairaudit.data.io import LABELS, validate_candidates
from fairaudit.data.proxy import infer_attributes, split_name


@pytest.fixture(scope="module")
def people():
    return pd.DataFrame({
        "candidate_id": ["a", "b", "c", "d", "e", "f"],
        "text": ["bio"] * 6,
        "name": ["Maria Garcia", "John Smith", "Nguyen, Thi", "Zzqx Qqzz", None, "Taylor Johnson"],
        "sex": ["male", "", "female", "female", "male", "female"],  # deliberately "wrong" for a
        "race_ethnicity": ["white", "unknown", "", "black", "asian", "hispanic"],
    })


def test_never_overwrites_self_reported(people):
    out = infer_attributes(people)
    pd.testing.assert_series_equal(out["sex"], people["sex"])
    pd.testing.assert_series_equal(out["race_ethnicity"], people["race_ethnicity"])
    assert list(out.columns[: len(people.columns)]) == list(people.columns)
    assert "sex_inferred" not in people.columns  # input untouched


def test_inferred_values(people):
    out = infer_attributes(people).set_index("candidate_id")
    assert out.loc["a", "sex_inferred"] == "female"
    assert out.loc["a", "race_ethnicity_inferred"] == "hispanic"
    assert out.loc["b", "sex_inferred"] == "male"
    assert out.loc["c", "race_ethnicity_inferred"] == "asian"  # "Last, First" form
    # unknown names and missing names
    for cid in ("d", "e"):
        assert out.loc[cid, "sex_inferred"] == "unknown"
        assert out.loc[cid, "race_ethnicity_inferred"] == "unknown"
        assert np.isnan(out.loc[cid, "sex_inferred_confidence"])


def test_unknown_below_threshold(people):
    lo = infer_attributes(people, min_confidence=0.5).set_index("candidate_id")
    hi = infer_attributes(people, min_confidence=0.999).set_index("candidate_id")
    # "Taylor" is used by both sexes; "Smith" is common in several groups
    conf_t = lo.loc["f", "sex_inferred_confidence"]
    assert 0.5 <= conf_t < 0.9
    assert lo.loc["f", "sex_inferred"] != "unknown"
    assert hi.loc["f", "sex_inferred"] == "unknown"
    assert lo.loc["b", "race_ethnicity_inferred"] == "white"
    assert hi.loc["b", "race_ethnicity_inferred"] == "unknown"
    # reported labels are exactly those at or above the threshold
    for df, t in ((lo, 0.5), (hi, 0.999)):
        known = df["race_ethnicity_inferred"] != "unknown"
        assert (df.loc[known, "race_ethnicity_inferred_confidence"] >= t).all()
        assert not (df.loc[~known, "race_ethnicity_inferred_confidence"] >= t).any()


def test_labels_validate_and_accuracy_on_synthetic():
    _, cands = make_hiring_data(1, 3000, seed=9)
    out = validate_candidates(infer_attributes(cands.drop(columns=["sex"])))
    assert set(out["sex_inferred"]) <= set(LABELS["sex"]) | {"unknown"}
    assert set(out["race_ethnicity_inferred"]) <= set(LABELS["race_ethnicity"]) | {"unknown"}
    known = out["sex_inferred"] != "unknown"
    assert known.mean() > 0.9
    assert (out.loc[known, "sex_inferred"] == cands.loc[known, "sex"]).mean() > 0.95
    k = out["race_ethnicity_inferred"] != "unknown"
    assert (out.loc[k, "race_ethnicity_inferred"] == cands.loc[k, "race_ethnicity"]).mean() > 0.8


def test_errors():
    with pytest.raises(DataError, match="name"):
        infer_attributes(pd.DataFrame({"candidate_id": ["a"], "text": ["x"]}))
    with pytest.raises(ConfigError):
        infer_attributes(pd.DataFrame({"name": ["A B"]}), min_confidence=0.2)


@pytest.mark.parametrize("raw,expected", [
    ("Maria Garcia", ("MARIA", "GARCIA")),
    ("Garcia, Maria", ("MARIA", "GARCIA")),
    ("Dr. John Q. Smith Jr.", ("JOHN", "SMITH")),
    ("Cher", ("CHER", "")),
    ("", ("", "")),
])
def test_split_name(raw, expected):
    assert split_name(raw) == expected

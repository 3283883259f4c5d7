"""Issue 19, item 11: custom category labels add to the built-in ones, end to end (API, CLI, review)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from fairaudit.cli import main
from fairaudit.errors import ConfigError, DataError
from fairaudit.data.io import LABELS, load_candidates, normalize_labels, validate_candidates
from fairaudit.data.labels import merge_vocab, read_labels

RACES = ["Caucasian", "black", "asian", "hispanic", "Middle Eastern"]


def _cands(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame({"candidate_id": [f"c{i}" for i in range(n)],
                         "text": [f"{['engineer python', 'nurse caring', 'sales data'][i % 3]} profile {i}"
                                  for i in range(n)],
                         "sex": ["female" if i % 2 else "male" for i in range(n)],
                         "race_ethnicity": [RACES[i % 5] for i in range(n)]})


JOBS = pd.DataFrame({"job_id": ["j1", "j2", "j3"], "title": ["Engineer", "Nurse", "Sales"],
                     "text": ["engineer python", "nurse caring", "sales data"]})
CUSTOM = {"race_ethnicity": {"white": ["caucasian"], "mena": ["middle eastern"]}}


def test_custom_labels_add_to_the_built_in_ones():
    out = normalize_labels(pd.Series(RACES + ["nh_white", ""]), "race_ethnicity", CUSTOM["race_ethnicity"])
    assert out.tolist() == ["white", "black", "asian", "hispanic", "mena", "white", "unknown"]


def test_a_new_name_absorbs_a_built_in_category_and_stays_idempotent():
    vocab, lookup = merge_vocab(LABELS["race_ethnicity"], {"caucasian": ["white"]})
    assert "white" not in vocab and {"black", "asian", "hispanic"} <= set(vocab)
    assert lookup["white"] == lookup["nh_white"] == lookup["caucasian"] == "caucasian"
    once = normalize_labels(pd.Series(["white", "Caucasian", "nh_white", "black"]), "race_ethnicity",
                            {"caucasian": ["white"]})
    assert once.tolist() == ["caucasian", "caucasian", "caucasian", "black"]
    assert normalize_labels(once, "race_ethnicity", {"caucasian": ["white"]}).tolist() == once.tolist()


def test_conflicting_spellings_and_bad_shapes_are_refused():
    with pytest.raises(ConfigError, match="listed under both"):
        merge_vocab(LABELS["race_ethnicity"], {"a": ["x"], "b": ["x"]})
    with pytest.raises(ConfigError, match="unknown attribute 'race'"):
        read_labels({"race": {"white": ["caucasian"]}})
    with pytest.raises(ConfigError, match="list of spellings"):
        read_labels({"race_ethnicity": {"white": "caucasian"}})


def test_error_message_names_only_real_options():
    with pytest.raises(DataError) as exc:
        normalize_labels(pd.Series(["martian"]), "race_ethnicity")
    msg = str(exc.value)
    assert "[labels] table" in msg and "--labels" in msg and "labels= in Python (fairaudit.audit" in msg
    import inspect

    from fairaudit import audit

    assert "labels" in inspect.signature(audit).parameters  # the option the message recommends exists
    assert "labels" in inspect.signature(load_candidates).parameters


def test_api_audit_with_labels_and_with_a_table_that_remembers_them():
    from fairaudit import audit

    opts = dict(recommender="bm25", k=(5,), n_bootstrap=0, drivers="none", decomposition="none", min_share=0)
    r1 = audit(JOBS, _cands(), labels=CUSTOM, **opts)
    assert {"white", "mena", "black", "asian", "hispanic"} <= set(r1.groups["race_ethnicity"])
    loaded = validate_candidates(_cands(), labels=CUSTOM)  # as load_candidates(..., labels=) and the review do
    r2 = audit(JOBS, loaded, **opts)  # no labels= again: the table remembers them
    assert r2.groups == r1.groups
    pd.testing.assert_frame_equal(r1.to_frame("impact"), r2.to_frame("impact"))
    with pytest.raises(DataError, match="unknown race_ethnicity label"):
        audit(JOBS, _cands(), **opts)  # without them the custom spellings are unknown, as before


def test_cli_audit_labels(tmp_path):
    JOBS.to_csv(tmp_path / "jobs.csv", index=False)
    _cands().to_csv(tmp_path / "cands.csv", index=False)
    (tmp_path / "labels.toml").write_text('[labels.race_ethnicity]\nwhite = ["caucasian"]\n'
                                          'mena = ["middle eastern"]\n', encoding="utf-8")
    common = ["audit", "--jobs", str(tmp_path / "jobs.csv"), "--candidates", str(tmp_path / "cands.csv"),
              "--recommender", "bm25", "--k", "5", "--bootstrap", "0", "--drivers", "none",
              "--decomposition", "none", "--min-share", "0", "--quiet"]
    for spec in (json.dumps(CUSTOM), str(tmp_path / "labels.toml")):
        assert main([*common, "--labels", spec, "--out", str(tmp_path / "a.json")]) == 0
        groups = json.loads((tmp_path / "a.json").read_text())["groups"]["race_ethnicity"]
        assert "mena" in groups and "white" in groups and "black" in groups
    assert main([*common, "--out", str(tmp_path / "b.json")]) == 2  # unknown 'caucasian' without --labels


def test_review_labels_end_to_end(tmp_path):
    from test_review_run import write_config

    cfg = write_config(tmp_path, extra='[labels.race_ethnicity]\nwhite = ["caucasian"]\nmena = ["middle eastern"]\n')
    cands = pd.read_csv(tmp_path / "candidates.csv")
    cands["race_ethnicity"] = [RACES[i % 5] for i in range(len(cands))]
    cands.to_csv(tmp_path / "candidates.csv", index=False)
    rc = main(["review", "--config", str(cfg), "-q", "--json"])
    assert rc in (0, 3)
    audit = json.loads((tmp_path / "out" / "audit-2026-Q3-v1.json").read_text())
    assert {"white", "mena", "black", "asian", "hispanic"} <= set(audit["groups"]["race_ethnicity"])

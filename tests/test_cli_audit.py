"""`fairaudit audit` end to end with BM25 (no model): output, errors, exit codes."""
import json

import pytest

from fairaudit.cli import main
from toy import toy_data


@pytest.fixture
def files(tmp_path):
    jobs, cands = toy_data(12, 120)
    j, c = tmp_path / "jobs.csv", tmp_path / "cands.csv"
    jobs.to_csv(j, index=False)
    cands.to_csv(c, index=False)
    return j, c


def test_audit_writes_json_and_prints_summary(files, tmp_path, capsys):
    j, c = files
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--k", "5", "10", "--bootstrap", "50"])
    assert rc == 0
    data = json.loads(out.read_text())
    assert data["config"]["ks"] == [5, 10]
    assert {r["attribute"] for r in data["tables"]["impact"]} == {"sex", "race_ethnicity", "sex_race"}
    printed = capsys.readouterr().out
    # the summary on stdout: the audit's id and size, one row per (k, attribute) with the JSON's figures
    assert f"fairaudit {data['provenance']['audit_id']}: 12 jobs x 120 candidates, recommender bm25" in printed
    for row in data["tables"]["diversity"]:
        line = next(ln for ln in printed.splitlines() if f" {row['attribute']} " in ln and
                    ln.strip("│┃ ").startswith(str(row["k"])))
        assert f"{row['ndkl']:.3f}" in line and f"{row['match_rate']:.3f}" in line, line
    for row in data["tables"]["parity"]:
        line = next(ln for ln in printed.splitlines() if f" {row['attribute']} " in ln and
                    ln.strip("│┃ ").startswith(str(row["k"])))
        assert f"{row['min_impact_ratio']:.3f}" in line, line
    assert "Four-fifths rule at k=5: FAIL" in printed and f"wrote {out}" in printed


@pytest.mark.parametrize("mutate,match", [
    (lambda j, c: j.write_text(""), "is empty"),
    (lambda j, c: j.write_text("job_id,title\n1,a\n"), "missing required column"),
    (lambda j, c: c.write_text("candidate_id,text,sex\n1,x,robot\n2,y,f\n"), "unknown sex label"),
])
def test_bad_input_exit_code_and_no_output(files, tmp_path, capsys, mutate, match):
    j, c = files
    mutate(j, c)
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert match in err and "Traceback" not in err
    assert err.count("\n") == 1  # one readable line
    assert not out.exists()


@pytest.mark.parametrize("args, match", [
    (["--k", "10", "10"], "k values must be distinct"),          # issue 11, item 7
    (["--k", "5", "10", "5"], "k values must be distinct"),
    (["--min-share", "2"], "min_share must be in [0, 1)"),                # item 15
    (["--created-at", "yesterday"], "is not an ISO 8601 time"),          # item 16
])
def test_bad_options_exit_2_with_one_line(files, tmp_path, capsys, args, match):
    j, c = files
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--quiet", *args])
    err = capsys.readouterr().err
    assert rc == 2 and match in err and err.count("\n") == 1, err
    assert not out.exists()


def _median_data(folder):
    """BM25 scores that differ from job to job, so each job's median and the sample's median differ."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    vocab = ["python", "sql", "sales", "data", "excel", "care", "team", "lead", "nurse", "rugby", "code", "report"]
    sex = ["female", "male"] * 40
    cands = pd.DataFrame({"candidate_id": [f"c{i}" for i in range(80)], "sex": sex,
                          "race_ethnicity": [["white", "black", "asian", "hispanic"][i % 4] for i in range(80)],
                          "text": [" ".join(rng.choice(vocab[:6] if s == "male" else vocab[4:], 4)) for s in sex]})
    jobs = pd.DataFrame({"job_id": [f"j{i}" for i in range(6)], "title": [f"Job {i}" for i in range(6)],
                         "text": [" ".join(rng.choice(vocab[:8] if i % 2 else vocab[4:], 3)) for i in range(6)]})
    jobs.to_csv(folder / "mjobs.csv", index=False)
    cands.to_csv(folder / "mcands.csv", index=False)
    return jobs, cands


def test_scoring_median_option(tmp_path):
    """Issue 11, item 14: --scoring-median reaches the audit; issue 19: both rates checked against the scores."""
    import numpy as np

    from fairaudit.recommenders import make_recommender

    jobs, cands = _median_data(tmp_path)
    scores = make_recommender("bm25").fit(cands["text"].tolist()).score(jobs["text"].tolist()).astype(np.float64)
    expected = {"job": scores > np.median(scores, axis=1, keepdims=True), "sample": scores > np.median(scores)}
    rates = {}
    for choice in ("job", "sample"):
        out = tmp_path / f"{choice}.json"
        assert main(["audit", "--jobs", str(tmp_path / "mjobs.csv"), "--candidates", str(tmp_path / "mcands.csv"),
                     "--out", str(out), "--recommender", "bm25", "--k", "5", "--bootstrap", "0", "--no-drivers",
                     "--no-decomposition", "--scoring-median", choice, "--quiet"]) == 0
        data = json.loads(out.read_text())
        assert data["config"]["scoring_median"] == choice
        rates[choice] = {r["group"]: r["scoring_rate"] for r in data["tables"]["impact"] if r["attribute"] == "sex"}
        for g in ("female", "male"):  # by hand: pairs above the median / all pairs of the group
            member = (cands["sex"] == g).to_numpy()
            assert rates[choice][g] == pytest.approx(expected[choice][:, member].mean())
    # the two medians give different rates on these scores: the option is not a no-op
    assert abs(rates["job"]["male"] - rates["sample"]["male"]) > 0.05


def test_min_share_option(files, tmp_path):
    """Issue 11, item 15: --min-share reaches the audit and its JSON."""
    j, c = files
    out = tmp_path / "audit.json"
    assert main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
                 "--k", "5", "--bootstrap", "0", "--no-drivers", "--no-decomposition", "--min-share", "0.3",
                 "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["config"]["min_share"] == 0.3
    race = [r for r in data["tables"]["impact"] if r["attribute"] == "race_ethnicity" and r["group"] != "unknown"]
    small = [r for r in race if r["pool_share"] < 0.3]
    assert small and len(small) < len(race)
    assert all(r["excluded"] == (r["pool_share"] < 0.3) for r in race)
    assert all("under 30%" in r["exclusion_reason"] for r in small)


def test_warnings_are_one_line_each(files, tmp_path, capsys):
    """Items 9 and 12 through the CLI: exit 0, each warning one line, the rest audited."""
    import pandas as pd

    j, c = files
    cands = pd.read_csv(c).assign(sex="female")
    cands.to_csv(c, index=False)
    jobs = pd.read_csv(j)
    jobs.loc[0, "text"] = "\U0001F680\U0001F525"
    jobs.to_csv(j, index=False)
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--k", "5", "--bootstrap", "0", "--quiet"])
    err = capsys.readouterr().err.splitlines()
    assert rc == 0 and out.exists()
    assert len(err) == 3 and all(line.startswith("fairaudit audit: warning: ") for line in err), err
    assert "'sex' skipped" in err[0] and "'sex_race' skipped" in err[1] and "row order" in err[2]
    assert json.loads(out.read_text())["config"]["attributes"] == ["race_ethnicity"]


def test_semicolon_csv_hint_and_sep(files, tmp_path, capsys):
    """Issue 11, item 11: a semicolon file gets a one-line hint, and --sep ';' reads it."""
    import pandas as pd

    j, c = files
    for f in (j, c):
        pd.read_csv(f).to_csv(f, sep=";", index=False)
    out = tmp_path / "audit.json"
    base = ["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
            "--k", "5", "--bootstrap", "0", "--no-drivers", "--no-decomposition", "--quiet"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "looks semicolon-separated" in err and "--sep ';'" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(base + ["--sep", ";"]) == 0 and out.exists()


def _rename_text(j, c):
    import pandas as pd

    pd.read_csv(c).rename(columns={"text": "bio"}).to_csv(c, index=False)


def _drop_attributes(j, c):
    import pandas as pd

    pd.read_csv(c).drop(columns=["sex", "race_ethnicity"]).to_csv(c, index=False)


@pytest.mark.parametrize("mutate, args, says, never", [
    (_rename_text, [], "--candidate-columns text=bio", "--job-columns"),
    (lambda j, c: c.write_text("candidate_id,text,sex\n1,x,robot\n2,y,f\n"), [], "Recode them in the data",
     "pass labels="),
    (_drop_attributes, [], "--infer-attributes", "use fairaudit.data.proxy.infer_attributes\n"),
    (lambda j, c: None, ["--job-columns", "foo=text"], "'foo' is not a jobs column", "Traceback"),
    (lambda j, c: None, ["--candidate-columns", "bio=text"], "'bio' is not a candidates column", "Traceback"),
])
def test_hints_name_the_right_option(files, tmp_path, capsys, mutate, args, says, never):
    """Issue 11, item 13: each hint names what a CLI user can do."""
    j, c = files
    mutate(j, c)
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--quiet", *args])
    err = capsys.readouterr().err
    assert rc == 2 and says in err and never not in err and err.count("\n") == 1, err


@pytest.mark.parametrize("how", ["--created-at", "SOURCE_DATE_EPOCH"])
def test_same_inputs_give_a_byte_identical_audit_json(files, tmp_path, monkeypatch, how):
    """Issue 11, item 16: the creation time can be fixed, so the audit JSON is reproducible byte for byte."""
    import time

    j, c = files
    extra = []
    if how == "--created-at":
        extra = ["--created-at", "2026-01-01T00:00:00Z"]
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    outs = []
    for i in range(2):
        out = tmp_path / f"a{i}.json"
        assert main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
                     "--k", "5", "10", "--bootstrap", "50", "--quiet", *extra]) == 0
        outs.append(out.read_bytes())
        time.sleep(1.1)  # a clock-based created_at would differ between the two runs
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["provenance"]["created_at"] == "2026-01-01T00:00:00+00:00"


def test_bad_source_date_epoch(files, tmp_path, monkeypatch, capsys):
    j, c = files
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(tmp_path / "a.json"),
                 "--recommender", "bm25", "--quiet"]) == 2
    assert "SOURCE_DATE_EPOCH must be a whole number" in capsys.readouterr().err


def test_k_larger_than_pool(files, tmp_path, capsys):
    j, c = files
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(tmp_path / "a.json"),
               "--recommender", "bm25", "--k", "1000", "--quiet"])
    assert rc == 2 and "larger than the candidate pool" in capsys.readouterr().err


def test_driver_and_decomposition_options(files, tmp_path, capsys):
    """Issue 13: --drivers / --decomposition scopes; issue 14: occlusion drivers as an audit option."""
    j, c = files
    out = tmp_path / "audit.json"
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--k", "5", "10", "--bootstrap", "20", "--drivers", "all", "--driver-method", "occlusion",
               "--decomposition", "sample", "--decomposition-sample", "60"])
    captured = capsys.readouterr()
    assert rc == 0
    data = json.loads(out.read_text())
    cfg = data["config"]
    assert (cfg["drivers"], cfg["driver_method"], cfg["decomposition"], cfg["decomposition_sample"]) == \
        ("all", "occlusion", "sample", 60)
    assert data["tables"]["occlusion"] and not data["tables"]["drivers"]
    assert {r["method"] for r in data["tables"]["decomposition"]} == {"sample"}
    assert "stratified sample of 60 of 120 candidates" in " ".join(captured.out.split())
    assert "occlusion drivers for 12 of 12 jobs" in captured.err  # the stage lines on stderr
    rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
               "--k", "5", "--bootstrap", "0", "--no-drivers", "--decomposition", "none", "--quiet"])
    data = json.loads(out.read_text())
    assert rc == 0 and data["config"]["drivers"] == "none" and not data["tables"]["decomposition"]


@pytest.mark.parametrize("args, match", [
    (["--decomposition-sample", "1"], "decomposition_sample must be a whole number of candidates, at least 2"),
    (["--drivers", "some"], "invalid choice: 'some'"),
    (["--driver-method", "shap"], "invalid choice: 'shap'"),
])
def test_bad_driver_options(files, tmp_path, capsys, args, match):
    j, c = files
    out = tmp_path / "audit.json"
    with pytest.raises(SystemExit) if "invalid choice" in match else _no_raise():
        rc = main(["audit", "--jobs", str(j), "--candidates", str(c), "--out", str(out), "--recommender", "bm25",
                   "--quiet", *args])
        assert rc == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not out.exists()


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

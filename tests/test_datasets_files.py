"""write_hiring_data and ``fairaudit datasets write``: example inputs for the command line."""
from __future__ import annotations

import pandas as pd
import pytest

from fairaudit.cli import main
from fairaudit.data.datasets import make_hiring_data, write_hiring_data
from fairaudit.data.io import load_candidates, load_jobs
from fairaudit.errors import ConfigError, OutputError


def test_files_hold_the_generator_data_and_load(tmp_path):
    files = write_hiring_data(tmp_path / "d", 12, 80, seed=3)
    jobs, cands = make_hiring_data(12, 80, seed=3)
    assert (files.n_jobs, files.n_candidates) == (12, 80)
    loaded_jobs, loaded_cands = load_jobs(files.jobs), load_candidates(files.candidates)
    assert list(loaded_jobs["job_id"]) == list(jobs["job_id"])
    assert list(loaded_cands["sex"]) == list(cands["sex"])
    pd.testing.assert_series_equal(loaded_jobs["text"], jobs["text"], check_names=False)


def test_same_arguments_same_bytes(tmp_path):
    a = write_hiring_data(tmp_path / "a", 10, 50, seed=1)
    b = write_hiring_data(tmp_path / "b", 10, 50, seed=1)
    assert a.jobs.read_bytes() == b.jobs.read_bytes() and a.candidates.read_bytes() == b.candidates.read_bytes()


def test_existing_files_are_refused_untouched_unless_overwrite(tmp_path):
    (tmp_path / "jobs.csv").write_text("my real jobs\n")
    with pytest.raises(OutputError, match="already exist"):
        write_hiring_data(tmp_path, 10, 50)
    assert (tmp_path / "jobs.csv").read_text() == "my real jobs\n"
    assert not (tmp_path / "candidates.csv").exists()  # neither file is written
    files = write_hiring_data(tmp_path, 10, 50, overwrite=True)
    assert files.jobs.read_text().startswith("job_id,")


def test_bad_sizes_and_a_file_as_folder_are_one_error(tmp_path):
    with pytest.raises(ConfigError):
        write_hiring_data(tmp_path / "d", 0, 50)
    assert not (tmp_path / "d" / "jobs.csv").exists()
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        write_hiring_data(tmp_path / "f", 10, 50)


def test_cli_writes_then_refuses(tmp_path, capsys):
    assert main(["datasets", "write", str(tmp_path / "d"), "--jobs", "10", "--candidates", "60", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "jobs.csv (10 ads)" in out and "fairaudit audit --jobs" in out
    before = (tmp_path / "d" / "candidates.csv").read_bytes()
    assert main(["datasets", "write", str(tmp_path / "d"), "--jobs", "10", "--candidates", "61"]) == 2
    assert "already exist" in capsys.readouterr().err
    assert (tmp_path / "d" / "candidates.csv").read_bytes() == before
    assert main(["datasets", "write", str(tmp_path / "d"), "--jobs", "10", "--candidates", "61", "--force"]) == 0
    assert len(load_candidates(tmp_path / "d" / "candidates.csv")) == 61

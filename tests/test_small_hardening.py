"""Issue 19, item 12: one table as jobs and candidates, the UTF-16 hint, quiet model loading, quiet install."""
from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from toy import save_tiny_llama

from fairaudit.cli import main
from fairaudit.data.encoding import detect_encoding
from fairaudit.errors import DataError, FairauditWarning
from fairaudit.data.io import load_jobs

ROOT = Path(__file__).resolve().parents[1]


def _both(n: int = 30) -> pd.DataFrame:
    """One file with the jobs' and the candidates' columns."""
    return pd.DataFrame({"job_id": [f"j{i}" for i in range(n)], "candidate_id": [f"c{i}" for i in range(n)],
                         "title": ["Engineer"] * n,
                         "text": [f"{['engineer python', 'nurse caring', 'sales data'][i % 3]} {i}" for i in range(n)],
                         "sex": ["female" if i % 2 else "male" for i in range(n)]})


OPTS = dict(recommender="bm25", k=(5,), n_bootstrap=0, drivers="none", decomposition="none")


def test_one_table_as_jobs_and_candidates_warns():
    from fairaudit import audit

    df = _both()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = audit(df, df, **OPTS)
    msgs = [str(w.message) for w in caught if issubclass(w.category, FairauditWarning)]
    assert any("the jobs and the candidates are the same table" in m for m in msgs), msgs
    assert any("same table" in w for w in result.summary["warnings"])
    with warnings.catch_warnings(record=True) as caught:  # separate tables: no such warning
        warnings.simplefilter("always")
        audit(df.iloc[:10], df, **OPTS)
    assert not any("same table" in str(w.message) for w in caught)


def test_cli_same_file_with_different_text_columns_warns(tmp_path, capsys):
    df = _both().assign(bio=lambda d: "profile " + d["text"])
    df.to_csv(tmp_path / "both.csv", index=False)
    rc = main(["audit", "--jobs", str(tmp_path / "both.csv"), "--candidates", str(tmp_path / "both.csv"),
               "--candidate-columns", "text=bio", "--recommender", "bm25", "--k", "5", "--bootstrap", "0",
               "--drivers", "none", "--decomposition", "none", "--quiet", "--out", str(tmp_path / "a.json")])
    assert rc == 0
    err = capsys.readouterr().err
    assert "warning: the jobs and the candidates are the same table" in err


@pytest.mark.parametrize("codec, name", [("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"),
                                         ("utf-16-be", "UTF-16BE"), ("utf-32", "UTF-32LE")])
def test_utf16_hint_names_the_encoding(tmp_path, codec, name):
    p = tmp_path / "jobs.csv"
    p.write_bytes("job_id,title,text\nj1,Caf\u00e9,We hire a manager\n".encode(codec))
    assert detect_encoding(p.read_bytes()) == name
    with pytest.raises(DataError) as exc:
        load_jobs(p)
    msg = str(exc.value)
    assert f"iconv -f {name} -t UTF-8" in msg and "latin1" not in msg.lower()


def test_legacy_8bit_hint_does_not_claim_utf16(tmp_path):
    p = tmp_path / "jobs.csv"
    p.write_bytes("job_id,title,text\nj1,Caf\u00e9,x\n".encode("latin-1"))
    assert detect_encoding(p.read_bytes()) is None
    with pytest.raises(DataError, match="not valid UTF-8.*Windows-1252"):
        load_jobs(p)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    pytest.importorskip("torch")
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama-quiet"), hidden_size=16, intermediate_size=32,
                           num_hidden_layers=1, max_position_embeddings=256)


def test_loading_the_language_model_prints_no_weights_bar(tiny_model_dir, capfd):
    from transformers import AutoModelForCausalLM

    from fairaudit.rewriting.policy import load_model

    AutoModelForCausalLM.from_pretrained(tiny_model_dir)  # control: transformers alone draws the bar
    assert "Loading weights" in capfd.readouterr().err
    load_model(tiny_model_dir, device="cpu")
    assert "Loading weights" not in capfd.readouterr().err


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_rewrite_quiet_prints_no_loading_bar(tmp_path, capfd):
    """The shipped policy through the CLI with --quiet: nothing on stdout, no progress bar on stderr."""
    pd.DataFrame({"job_id": ["j1"], "title": ["Engineer"],
                  "text": ["We want a competitive ninja who writes Python. You lead the team."]}
                 ).to_csv(tmp_path / "jobs.csv", index=False)
    pd.DataFrame({"candidate_id": [f"c{i}" for i in range(20)],
                  "text": [f"{'She' if i % 2 else 'He'} writes Python {i}" for i in range(20)],
                  "sex": ["female" if i % 2 else "male" for i in range(20)]}).to_csv(tmp_path / "c.csv", index=False)
    assert main(["rewrite", "--jobs", str(tmp_path / "jobs.csv"), "--candidates", str(tmp_path / "c.csv"),
                 "--recommender", "bm25", "--k", "5", "--out", str(tmp_path / "rw.csv"), "--quiet"]) == 0
    out, err = capfd.readouterr()
    assert out == "" and "Loading weights" not in err and "%|" not in err


@pytest.mark.slow
def test_build_has_no_setuptools_warnings(tmp_path):
    """`pip install -e .` / `pip wheel .`: no deprecated license table, no undeclared data packages."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    for name in ("fairaudit", "reports", "rewriting"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.safetensors"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                           "-v", "-w", str(tmp_path / "dist")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    assert "BuildBackendWarning" not in log and "absent from the `packages`" not in log, log[-3000:]
    assert "project.license" not in log


def _peft_deprecations(caught):
    return [w for w in caught if "is_gradient_checkpointing" in str(w.message)]


def test_attaching_an_adapter_raises_no_transformers_deprecation_warning(tiny_model_dir, tmp_path):
    """Issue 25: every demo run printed transformers' `is_gradient_checkpointing` FutureWarning (from PEFT)."""
    from peft import PeftModel, get_peft_model

    from fairaudit.rewriting.adapter_io import attach_adapter, save_adapter
    from fairaudit.rewriting.policy import LoraSettings, load_model

    model, _ = load_model(tiny_model_dir, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        folder = save_adapter(get_peft_model(model, LoraSettings().to_peft(1)), {}, tmp_path / "adapter")
    base, _ = load_model(tiny_model_dir, device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        PeftModel.from_pretrained(base, str(folder))  # control: PEFT alone makes transformers warn
    assert _peft_deprecations(caught)
    base, _ = load_model(tiny_model_dir, device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        attach_adapter(base, folder, trainable=False)
    assert not _peft_deprecations(caught), [str(w.message) for w in caught]


def test_quiet_loading_turns_off_the_gguf_loaders_own_progress_bar(capfd):
    """Issue 25: de-quantising the packaged GGUF printed 272 "de-quantizing GGUF tensors" lines (tqdm, not
    transformers' progress setting); other warnings still show."""
    import transformers.modeling_gguf_pytorch_utils as gguf_utils

    from fairaudit.models import quiet_transformers

    def loader():  # what the GGUF loader does for every tensor
        for _ in gguf_utils.tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
            pass

    loader()
    assert "de-quantizing GGUF" in capfd.readouterr().err  # control
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_transformers():
            loader()
            warnings.warn("another FutureWarning", FutureWarning)
    assert "de-quantizing GGUF" not in capfd.readouterr().err
    assert [str(w.message) for w in caught] == ["another FutureWarning"]
    loader()  # the bar is back afterwards
    assert "de-quantizing GGUF" in capfd.readouterr().err


@pytest.mark.slow
def test_converting_the_packaged_gguf_prints_no_progress_lines(tmp_path, monkeypatch, capfd):
    """The real path: ensure_default_model de-quantises the packaged SmolLM2 GGUF into an empty cache."""
    monkeypatch.setenv("FAIRAUDIT_CACHE", str(tmp_path))
    from fairaudit.rewriting.policy import ensure_default_model

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = ensure_default_model(progress=True)
    err = capfd.readouterr().err
    assert (folder / "config.json").is_file() and "de-quantizing" not in err and "%|" not in err, err[-2000:]
    assert not _peft_deprecations(caught)


@pytest.mark.slow
def test_the_makefiles_editable_install_is_quiet_and_still_reports_errors(tmp_path):
    """Issue 25: `pip install -q -e .` (the Makefile's install) printed setuptools' "Editable installation." banner.

    Runs the Makefile's own PIP_EDITABLE command into a throwaway venv that sees this environment's pip
    and setuptools (no download): quiet on success, the error shown when the build fails."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    src = tmp_path / "src"
    for name in ("fairaudit", "reports", "rewriting"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.safetensors"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                   "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    def pip_version(folder):  # the newest pip of this environment's folders comes first
        import re

        init = Path(folder) / "pip" / "__init__.py"
        m = re.search(r'__version__ = "(\d+)\.(\d+)', init.read_text()) if init.is_file() else None
        return tuple(int(x) for x in m.groups()) if m else (0, 0)

    # this environment's site folders, with the ones its .pth files add
    here = sorted(dict.fromkeys(p for p in sys.path if p.endswith("site-packages")), key=pip_version, reverse=True)
    (purelib / "_outer.pth").write_text("\n".join(dict.fromkeys(here)) + "\n")
    (venv / "bin" / "pip").write_text(f"#!/bin/sh\nexec {venv / 'bin' / 'python'} -m pip \"$@\"\n")
    (venv / "bin" / "pip").chmod(0o755)

    def install(command="$(PIP_EDITABLE)"):
        rule = f"try-editable: ; {command} $(SRC) --no-deps --no-build-isolation"
        return subprocess.run(["make", "-s", "--no-print-directory", "-f", str(ROOT / "Makefile"), "--eval", rule,
                               "try-editable", f"BIN={venv / 'bin'}", f"SRC={src}"],
                              capture_output=True, text=True, cwd=tmp_path)

    control = install("$(BIN)/pip install -q -e")  # the command before the fix
    if "Editable installation" not in control.stderr:
        pytest.skip("this pip does not show the build backend's warnings (pip < 24), so there is no banner to hide")
    proc = install()
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc.stdout + proc.stderr
    text = (src / "pyproject.toml").read_text().replace("fairaudit.version.__version__", "fairaudit.nope.__version__")
    (src / "pyproject.toml").write_text(text)
    proc = install()
    assert proc.returncode != 0 and "error" in (proc.stdout + proc.stderr).lower()

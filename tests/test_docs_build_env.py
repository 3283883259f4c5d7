"""The docs build runs the gallery's models with one torch thread unless told otherwise (docs/conf.py).

Its rewriting example runs thousands of small matrix products; on a 2-core machine that another
process shares, a two-thread pool waited for its descheduled thread at each one and the example ran
many times slower (issue 29, item 6). ``conf.py`` sets ``OMP_NUM_THREADS=1`` before anything imports
torch; a value the caller set is kept.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")  # the docs extra

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"
PROBE = f"import runpy; runpy.run_path({str(CONF)!r}); import torch; print(torch.get_num_threads())"


def _threads_after_conf(**env: str) -> int:
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "FAIRAUDIT_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True,
                         timeout=300, check=True)
    return int(out.stdout.split()[-1])


def test_the_docs_build_uses_one_torch_thread():
    assert _threads_after_conf() == 1


def test_a_thread_count_the_caller_sets_is_kept():
    assert _threads_after_conf(OMP_NUM_THREADS="2") == 2

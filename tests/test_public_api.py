"""Issue 21, item 2: the public import paths keep working after the core moved into subpackages.

Pins the package's own names, the subpackages named as public (metrics, recommenders, report,
review, rewriting), the names the documentation shows, and every module path of earlier versions
(an alias of the moved module itself, ``fairaudit/compat.py``). Add a line to ``MOVED`` when a
module moves.
"""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

MOVED = [
    ("fairaudit.auditing", "fairaudit.engine.auditing"),
    ("fairaudit.measure", "fairaudit.engine.measure"),
    ("fairaudit.counterfactuals", "fairaudit.engine.counterfactuals"),
    ("fairaudit.drivers", "fairaudit.engine.drivers"),
    ("fairaudit.occlusion", "fairaudit.engine.occlusion"),
    ("fairaudit.identity_blind", "fairaudit.engine.identity_blind"),
    ("fairaudit.gap", "fairaudit.engine.gap"),
    ("fairaudit.groups", "fairaudit.data.groups"),
    ("fairaudit.result", "fairaudit.engine.result"),
    ("fairaudit.display", "fairaudit.engine.display"),
    ("fairaudit.lexicon", "fairaudit.text.lexicon"),
    ("fairaudit.textnorm", "fairaudit.text.textnorm"),
    ("fairaudit.language", "fairaudit.text.language"),
    ("fairaudit.reading", "fairaudit.engine.reading"),
    ("fairaudit.permutation", "fairaudit.engine.permutation"),
    ("fairaudit.verdicts", "fairaudit.engine.verdicts"),
    ("fairaudit.chance_options", "fairaudit.engine.chance_options"),
    ("fairaudit.crosscheck", "fairaudit.engine.crosscheck"),
    ("fairaudit.io", "fairaudit.data.io"),
    ("fairaudit.schema", "fairaudit.data.schema"),
    ("fairaudit.group_labels", "fairaudit.data.group_labels"),
    ("fairaudit.labels", "fairaudit.data.labels"),
    ("fairaudit.encoding", "fairaudit.data.encoding"),
    ("fairaudit.csvsafe", "fairaudit.data.csvsafe"),
    ("fairaudit.proxy", "fairaudit.data.proxy"),
    ("fairaudit.datasets", "fairaudit.data.datasets"),
    ("fairaudit.rewrites", "fairaudit.data.rewrites_table"),
    ("fairaudit.precheck", "fairaudit.adcheck.checker"),
    ("fairaudit.check_result", "fairaudit.adcheck.outcome"),
    ("fairaudit.review.report", "fairaudit.review.report_section"),
    ("fairaudit.review.checks", "fairaudit.review.thresholds"),
]


def test_package_names():
    import fairaudit

    for name in ("audit", "audit_log", "AuditConfig", "AuditResult", "CauseSplit", "FairauditError", "GapScorer", "check",
                 "load_candidates", "load_jobs", "make_hiring_data", "__version__"):
        assert hasattr(fairaudit, name), name
    import fairaudit.adcheck.checker  # noqa: F401  (importing a subpackage must not replace a function)
    import fairaudit.engine.auditing  # noqa: F401
    assert callable(fairaudit.audit) and not isinstance(fairaudit.audit, type(fairaudit))
    assert callable(fairaudit.check) and not isinstance(fairaudit.check, type(fairaudit))


@pytest.mark.parametrize("path,names", [
    ("fairaudit.metrics", ["gap_score", "random_topk_gap", "soft_topk_shares", "group_counts", "target_distribution"]),
    ("fairaudit.recommenders", ["make_recommender", "EmbeddingRecommender", "BM25Recommender", "rank",
                                "group_counts"]),
    ("fairaudit.recommenders.base", ["group_counts", "Recommender", "Rankings"]),
    ("fairaudit.report", ["build_report", "render_report", "write_summary"]),
    ("fairaudit.review", ["load_config", "run_review"]),
    ("fairaudit.datasets", ["make_hiring_data"]),
    ("fairaudit.io", ["load_jobs", "load_candidates", "LABELS", "UNKNOWN"]),
    ("fairaudit.proxy", ["infer_attributes"]),
    ("fairaudit.lexicon", ["neutralize_text"]),
    ("fairaudit.gap", ["GapScorer"]),
    ("fairaudit.precheck", ["check", "read_ad"]),
    ("fairaudit.result", ["AuditConfig", "AuditResult"]),
    ("fairaudit.backends", ["get_backend", "Backend", "LocalBackend"]),
])
def test_documented_names(path, names):
    mod = importlib.import_module(path)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{path} lacks {missing}"


def test_rewriting_is_importable_by_name():
    pytest.importorskip("peft")
    mod = importlib.import_module("fairaudit.rewriting")
    assert hasattr(mod, "AutoRefine")


@pytest.mark.parametrize("old,new", MOVED)
def test_old_module_path_is_the_moved_module(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_submodule_of_a_moved_package():
    assert importlib.import_module("fairaudit.datasets.hiring") is importlib.import_module("fairaudit.data.datasets.hiring")


def test_old_paths_in_a_fresh_process():
    """``from fairaudit.io import ...`` as the first import of a program (no fairaudit module loaded before)."""
    code = ("from fairaudit.io import load_jobs; import fairaudit.measure as m, fairaudit.engine.measure as n; "
            "assert m is n; from fairaudit import check, audit; assert callable(check) and callable(audit)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_alias_is_pinned_here():
    from fairaudit.compat import MOVED as ALIASES

    assert ALIASES == dict(MOVED)


def test_an_old_path_leaves_the_moved_module_its_own_spec():
    """Importing an alias must not give the moved module the alias's spec (ImportWarnings on relative imports)."""
    code = ("import warnings; warnings.simplefilter('error', ImportWarning)\n"
            "import fairaudit.auditing as old, fairaudit.engine.auditing as new\n"
            "assert new.__spec__.name == 'fairaudit.engine.auditing', new.__spec__.name\n"
            "import importlib; importlib.reload(new)\n"
            "from toy import ToyRecommender, toy_data\n"
            "jobs, cands = toy_data()\n"
            "old.audit(jobs, cands, recommender=ToyRecommender(), k=5, n_bootstrap=0, drivers='none', "
            "decomposition='none', n_permutations=0)\n")
    tests = str(Path(__file__).resolve().parent)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tests)

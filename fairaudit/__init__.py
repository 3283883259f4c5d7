"""fairaudit: audit job-ad recommenders for gender and race/ethnicity bias."""
from __future__ import annotations

from .compat import install as _install_aliases

_install_aliases()  # the module paths of earlier versions stay importable (see compat.MOVED)

from .errors import FairauditError
from .data.io import load_candidates, load_jobs
from .engine.result import AuditConfig, AuditResult
from .engine.cause_result import CauseSplit
from .version import __version__
from .engine.auditing import audit
from .engine.log_audit import audit_log


def __getattr__(name: str):
    # heavy imports (models, fairlearn) only when used
    if name == "make_hiring_data":
        from .data.datasets import make_hiring_data

        return make_hiring_data
    if name == "check":  # the pre-publication check of one ad (orchestration: may load AutoRefine)
        from .adcheck.checker import check

        return check
    if name == "GapScorer":
        from .engine.gap import GapScorer

        return GapScorer
    raise AttributeError(f"module 'fairaudit' has no attribute {name!r}")


__all__ = ["audit", "audit_log", "AuditConfig", "AuditResult", "CauseSplit", "FairauditError", "GapScorer", "check", "load_candidates",
           "load_jobs", "make_hiring_data", "__version__"]

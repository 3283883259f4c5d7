"""fairaudit: audit job-ad recommenders for gender and race/ethnicity bias."""
from __future__ import annotations

from .errors import FairauditError
from .io import load_candidates, load_jobs
from .result import AuditConfig, AuditResult
from .version import __version__
from .auditing import audit


def __getattr__(name: str):
    # heavy imports (models, fairlearn) only when used
    if name == "make_hiring_data":
        from .datasets import make_hiring_data

        return make_hiring_data
    if name == "check":  # the pre-publication check of one ad (orchestration: may load AutoRefine)
        from .precheck import check

        return check
    if name == "GapScorer":
        from .gap import GapScorer

        return GapScorer
    raise AttributeError(f"module 'fairaudit' has no attribute {name!r}")


__all__ = ["audit", "AuditConfig", "AuditResult", "FairauditError", "GapScorer", "check", "load_candidates",
           "load_jobs", "make_hiring_data", "__version__"]

"""The module paths of earlier versions, kept importable (issue 21: the core moved into subpackages).

``import fairaudit.io`` gives the module ``fairaudit.data.io`` itself (the same
object, so its functions, its constants and anything patched on it are shared);
a moved package's submodules follow it (``fairaudit.datasets.hiring``).
:func:`install` is called by ``fairaudit/__init__.py``; new code imports the new paths.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

#: old module -> new module
MOVED = {
    "fairaudit.auditing": "fairaudit.engine.auditing",
    "fairaudit.measure": "fairaudit.engine.measure",
    "fairaudit.counterfactuals": "fairaudit.engine.counterfactuals",
    "fairaudit.drivers": "fairaudit.engine.drivers",
    "fairaudit.occlusion": "fairaudit.engine.occlusion",
    "fairaudit.identity_blind": "fairaudit.engine.identity_blind",
    "fairaudit.gap": "fairaudit.engine.gap",
    "fairaudit.groups": "fairaudit.data.groups",
    "fairaudit.result": "fairaudit.engine.result",
    "fairaudit.display": "fairaudit.engine.display",
    "fairaudit.lexicon": "fairaudit.text.lexicon",
    "fairaudit.textnorm": "fairaudit.text.textnorm",
    "fairaudit.language": "fairaudit.text.language",
    "fairaudit.reading": "fairaudit.engine.reading",
    "fairaudit.permutation": "fairaudit.engine.permutation",
    "fairaudit.verdicts": "fairaudit.engine.verdicts",
    "fairaudit.chance_options": "fairaudit.engine.chance_options",
    "fairaudit.crosscheck": "fairaudit.engine.crosscheck",
    "fairaudit.io": "fairaudit.data.io",
    "fairaudit.schema": "fairaudit.data.schema",
    "fairaudit.group_labels": "fairaudit.data.group_labels",
    "fairaudit.labels": "fairaudit.data.labels",
    "fairaudit.encoding": "fairaudit.data.encoding",
    "fairaudit.csvsafe": "fairaudit.data.csvsafe",
    "fairaudit.proxy": "fairaudit.data.proxy",
    "fairaudit.datasets": "fairaudit.data.datasets",
    "fairaudit.rewrites": "fairaudit.data.rewrites_table",
    "fairaudit.precheck": "fairaudit.adcheck.checker",
    "fairaudit.check_result": "fairaudit.adcheck.outcome",
    "fairaudit.review.report": "fairaudit.review.report_section",
    "fairaudit.review.checks": "fairaudit.review.thresholds",
}


def new_name(name: str) -> str | None:
    """The new path of an old module path (or of a module inside a moved package); None if not moved."""
    for old, new in MOVED.items():
        if name == old or name.startswith(old + "."):
            return new + name[len(old):]
    return None


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self) -> None:
        self._own_specs: dict[str, Any] = {}  # old name -> the moved module's own spec, while it is imported

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        return importlib.util.spec_from_loader(name, self) if new_name(name) else None

    def create_module(self, spec: Any) -> Any:
        module = importlib.import_module(new_name(spec.name))  # the moved module itself, not a copy
        self._own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: Any) -> None:
        # already executed under its new name; the import system has just set the alias's spec on it:
        # give it back its own (a wrong __spec__ breaks its relative imports and importlib.reload)
        module.__spec__ = self._own_specs.pop(module.__spec__.name)


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        # first: an old name must never be found by the path finder inside a moved package (a second copy)
        sys.meta_path.insert(0, _Alias())

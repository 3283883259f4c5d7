"""Every public name has an API page, and every cross-reference of the API pages links somewhere.

Without building the site:

- each package of fairaudit (and ``fairaudit.rewriting``) that declares ``__all__`` has each of
  those names on a page of the API reference (``docs/_ext/apipages.py`` generates the pages
  from ``PUBLIC_MODULES``): a name in ``__all__`` gets a page, or leaves ``__all__``;
- each role (``:func:``, ``:class:``, ``:mod:``, ...) in a docstring that the reference renders
  names an object with an entry, resolved as Sphinx's Python domain resolves it (the page's
  module, then the class for a class page). The build has no hook that hides a reference to an
  object without a page, so such a reference fails ``make docs``; this finds it in seconds.
  An internal module or helper is named as literal text, e.g. ``fairaudit.engine.permutation``.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


API = _load("fairaudit_docs_apipages", ROOT / "docs" / "_ext" / "apipages.py")


def packages(roots=("fairaudit", "fairaudit.rewriting")) -> list[str]:
    """Every package (a folder with ``__init__.py``) under ``roots``, roots included."""
    found: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop(0)
        if name in found:
            continue
        found.append(name)
        pkg = importlib.import_module(name)
        todo += [f"{name}.{info.name}" for info in pkgutil.iter_modules(pkg.__path__) if info.ispkg]
    return found


def names_without_page(modname: str) -> list[str]:
    """The names of ``modname.__all__`` whose object has no entry in the API reference."""
    mod = importlib.import_module(modname)
    if modname in API.PUBLIC_MODULES:
        return []
    documented = API.documented_objects()
    return [n for n in getattr(mod, "__all__", ())
            if not any(getattr(mod, n) is d for d in documented)]


@pytest.mark.parametrize("modname", packages())
def test_every_name_in_all_has_a_page(modname):
    missing = names_without_page(modname)
    assert not missing, (f"{modname}.__all__ names {missing}, which have no API page: add the package to "
                         "PUBLIC_MODULES (docs/_ext/apipages.py) or take the names out of __all__")


def test_the_page_check_finds_a_name_without_page(tmp_path, monkeypatch):
    pkg = tmp_path / "fa_page_probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Probe."""\nfrom fairaudit import audit\n\n\ndef helper():\n'
                                     '    """Undocumented in the reference."""\n\n\n__all__ = ["audit", "helper"]\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert names_without_page("fa_page_probe") == ["helper"]   # audit is on the fairaudit page
    assert "fairaudit.rewriting.trainers" in packages()


# --- cross-references ------------------------------------------------------------------------------

ROLE = re.compile(r":(?:py:)?(class|func|meth|attr|data|mod|exc|obj|const):`([^`]+)`")


def _conf_ignores() -> list[tuple[re.Pattern, re.Pattern]]:
    text = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    block = text[text.index("nitpick_ignore_regex = ["):]
    block = block[: block.index("\n]\n") + 3]
    scope: dict = {}
    exec(block, scope)  # the list alone: conf.py itself sets environment variables on import
    return [(re.compile(t), re.compile(r)) for t, r in scope["nitpick_ignore_regex"]]


def _summary(doc: str) -> str:
    para = inspect.cleandoc(doc).split("\n\n")[0]
    m = re.search(r"\.(\s|$)", para)
    return para[: m.end()] if m else para


def _attr_docs(cls) -> dict[str, str]:
    """``#:`` comments and docstrings of class attributes, as autodoc reads them."""
    from sphinx.pycode import ModuleAnalyzer

    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        modname = getattr(klass, "__module__", "") or ""
        if not modname.startswith(("fairaudit", "rewriting")):
            continue
        analyzer = ModuleAnalyzer.for_module(modname)
        analyzer.analyze()
        out.update({name: "\n".join(lines) for (qual, name), lines in analyzer.attr_docs.items()
                    if qual == klass.__qualname__})
    return out


def rendered_texts() -> tuple[dict[str, str], list[tuple[str, str, str | None, str]]]:
    """The objects with an entry (full name -> kind) and every text the API pages render.

    Each text comes with where it is shown, the module and the class it is resolved in.
    """
    from sphinx.util.inspect import getdoc

    objects: dict[str, str] = {}
    texts: list[tuple[str, str, str | None, str]] = []
    for modname in API.PUBLIC_MODULES:
        mod = importlib.import_module(modname)
        objects[modname] = "module"
        texts.append((modname, modname, None, mod.__doc__ or ""))
        for name, obj, kind in API.public_names(modname):
            full = f"{modname}.{name}"
            objects[full] = kind
            if kind == "data":
                texts.append((full, modname, None, API.data_doc(modname, name) or ""))
                continue
            doc = getdoc(obj) or ""
            texts.append((f"{full} (summary on {modname})", modname, None, _summary(doc)))
            texts.append((full, modname, name if kind == "class" else None, doc))
            if kind != "class":
                continue
            objects[f"{obj.__module__}.{obj.__qualname__}"] = "class"   # autodoc's :canonical: name
            attr_docs = _attr_docs(obj)
            for mname, member in vars(obj).items():
                if mname.startswith("_"):
                    continue
                raw = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                mdoc = attr_docs.get(mname) or (getdoc(raw, cls=obj, name=mname)
                                                if callable(raw) or isinstance(raw, property) else None)
                if mdoc:
                    objects[f"{full}.{mname}"] = "member"
                    texts.append((f"{full}.{mname}", modname, name, mdoc))
            for mname, adoc in attr_docs.items():
                if not mname.startswith("_"):
                    objects.setdefault(f"{full}.{mname}", "member")
                    texts.append((f"{full}.{mname}", modname, name, adoc))
            for base in API.shown_bases(list(getattr(obj, "__orig_bases__", None) or obj.__bases__)):
                if (getattr(base, "__module__", "") or "").startswith(("fairaudit", "rewriting")):
                    texts.append((f"{full} (bases)", modname, None, f":class:`{base.__module__}.{base.__qualname__}`"))
    return objects, texts


def resolves(role: str, target: str, module: str, cls: str | None, objects: dict[str, str],
             ignores: list[tuple[re.Pattern, re.Pattern]]) -> bool:
    """Whether Sphinx's Python domain finds ``target`` (its ``find_obj``, both search modes)."""
    target = re.sub(r"^.*<(.+)>$", r"\1", target).lstrip("~")
    specific = target.startswith(".")
    name = target.lstrip(".")
    if any(t.fullmatch(f"py:{role}") and r.fullmatch(name) for t, r in ignores):
        return True
    if role == "mod":
        return objects.get(name) == "module" or (specific and any(
            o.endswith("." + name) and k == "module" for o, k in objects.items()))
    tries = [name, f"{cls}.{name}" if cls else None, f"{module}.{name}", f"{module}.{cls}.{name}" if cls else None]
    if any(t in objects for t in tries if t):
        return True
    return specific and any(o.endswith("." + name) for o in objects)


def unresolved(objects, texts, ignores) -> list[str]:
    out = set()
    for where, module, cls, text in texts:
        for m in ROLE.finditer(text):
            if not resolves(m.group(1), m.group(2), module, cls, objects, ignores):
                out.add(f"{where}: :{m.group(1)}:`{m.group(2)}`")
    return sorted(out)


def test_every_reference_of_the_api_pages_resolves():
    pytest.importorskip("sphinx")  # the docs extra (make docs installs it)
    objects, texts = rendered_texts()
    broken = unresolved(objects, texts, _conf_ignores())
    assert not broken, ("references to objects without an API page (name the public path, or write an "
                        "internal name as ``literal``):\n" + "\n".join(broken))


def test_the_reference_check_finds_a_broken_reference():
    pytest.importorskip("sphinx")
    objects, _ = rendered_texts()
    ignores = _conf_ignores()
    texts = [
        ("probe", "fairaudit.report", None,
         ":func:`~fairaudit.recommenders.rank` :func:`render_report` :class:`numpy.ndarray` "
         ":mod:`fairaudit.review` :class:`fairaudit.recommenders.base.Rankings`"),   # all resolve
        ("probe", "fairaudit.report", "VerificationResult", ":attr:`ok`"),
        ("broken", "fairaudit.report", None, ":func:`fairaudit.recommenders.base.rank`"),  # no page under that name
        ("broken", "fairaudit.report", None, ":mod:`fairaudit.engine.permutation`"),      # an internal module
        ("broken", "fairaudit.report", None, ":attr:`ok`"),                                # no class context
        ("broken", "fairaudit", None, ":class:`HiringDataConfig`"),                        # on another module's page
    ]
    assert unresolved(objects, texts, ignores) == sorted([
        "broken: :func:`fairaudit.recommenders.base.rank`", "broken: :mod:`fairaudit.engine.permutation`",
        "broken: :attr:`ok`", "broken: :class:`HiringDataConfig`"])


def test_a_base_class_without_page_is_shown_as_its_bases():
    from pydantic import BaseModel

    from fairaudit.errors import DataError, FairauditError, HistoryError
    from fairaudit.review import ReviewConfig

    # ReviewConfig derives from the review's private StrictModel, which has no page
    assert API.shown_bases(list(ReviewConfig.__bases__)) == [BaseModel]
    assert API.shown_bases(list(HistoryError.__bases__)) == list(HistoryError.__bases__)
    assert API.shown_bases([DataError, FairauditError]) == [DataError, FairauditError]

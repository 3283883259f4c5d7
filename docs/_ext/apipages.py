"""API reference pages generated from each public module's ``__all__``.

One page per public module (``docs/api/generated/<module>.rst``, not committed) lists
its classes, functions and constants, in the order of ``__all__``; autosummary then
writes one page per class or function from its numpy-style docstring. Constants are
documented from their ``#:`` comment in the module that defines them.

The helpers at the top import no Sphinx, so ``tests/test_docstrings.py`` uses the same
definition of "public name" and "documented" as the site.
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

#: The public modules of the API reference, in the order of the site's menu.
PUBLIC_MODULES = ("fairaudit", "fairaudit.errors", "fairaudit.pipeline", "fairaudit.metrics",
                  "fairaudit.recommenders", "fairaudit.backends", "fairaudit.report", "fairaudit.review",
                  "fairaudit.rewriting", "fairaudit.data.datasets", "fairaudit.data.proxy")


def kind_of(obj: Any) -> str:
    """``"class"``, ``"function"`` or ``"data"`` for one public object.

    Parameters
    ----------
    obj : object
        The value of a public name.
    """
    if inspect.isclass(obj):
        return "class"
    if inspect.isroutine(obj) or (callable(obj) and hasattr(obj, "__wrapped__")):
        return "function"
    return "data"


def public_names(modname: str) -> list[tuple[str, Any, str]]:
    """``(name, object, kind)`` for every name in ``modname.__all__``.

    Parameters
    ----------
    modname : str
        A dotted module name; lazily exported names (module ``__getattr__``) are loaded.
    """
    mod = importlib.import_module(modname)
    return [(name, getattr(mod, name), kind_of(getattr(mod, name))) for name in mod.__all__]


def _source_files(mod: ModuleType) -> list[Path]:
    files = [Path(mod.__file__)] if getattr(mod, "__file__", None) else []
    if hasattr(mod, "__path__"):
        for info in pkgutil.iter_modules(mod.__path__):
            if not info.ispkg:
                files.append(Path(info.module_finder.path) / f"{info.name}.py")
    return [f for f in files if f.is_file()]


def _assign_doc(path: Path, name: str) -> str | None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    body = tree.body
    for i, stmt in enumerate(body):
        targets = (stmt.targets if isinstance(stmt, ast.Assign)
                   else [stmt.target] if isinstance(stmt, ast.AnnAssign) else [])
        if not any(isinstance(t, ast.Name) and t.id == name for t in targets):
            continue
        comment: list[str] = []  # "#:" lines right above the assignment (Sphinx's convention)
        j = stmt.lineno - 2
        while j >= 0 and lines[j].lstrip().startswith("#:"):
            comment.insert(0, lines[j].lstrip()[2:].strip())
            j -= 1
        if not comment and "#:" in lines[stmt.lineno - 1]:
            comment = [lines[stmt.lineno - 1].split("#:", 1)[1].strip()]
        if not comment and i + 1 < len(body):  # or a string literal right below it
            nxt = body[i + 1]
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                comment = [inspect.cleandoc(nxt.value.value)]
        if comment and " ".join(comment).strip():
            return "\n".join(comment)
    return None


def data_doc(modname: str, name: str) -> str | None:
    """The documentation of a public constant, or None when it has none.

    Looks for a module-level assignment to ``name`` in ``modname`` and its submodules
    with a ``#:`` comment above it (or at its end), or a string literal below it.

    Parameters
    ----------
    modname : str
        The public module that exports the name.
    name : str
        The constant's name.
    """
    for path in _source_files(importlib.import_module(modname)):
        doc = _assign_doc(path, name)
        if doc:
            return doc
    return None


def object_doc(obj: Any) -> str | None:
    """The object's own docstring (not one inherited from a builtin), or None.

    Parameters
    ----------
    obj : object
        A public class or function.
    """
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return doc if doc and doc.strip() else None


def module_page(modname: str) -> str:
    """The reST source of one module's API page.

    Parameters
    ----------
    modname : str
        One of :data:`PUBLIC_MODULES`.
    """
    names = public_names(modname)
    title = f"``{modname}``"
    out = [title, "=" * len(title), "", f".. automodule:: {modname}", "   :no-members:", "",
           f".. currentmodule:: {modname}", ""]
    for kind, heading in (("class", "Classes"), ("function", "Functions")):
        items = [n for n, _, k in names if k == kind]
        if items:
            out += [heading, "-" * len(heading), "", ".. autosummary::", "   :toctree: .",
                    "   :nosignatures:", ""] + [f"   {n}" for n in items] + [""]
    data = [(n, o) for n, o, k in names if k == "data"]
    if data:
        out += ["Constants", "---------", ""]
        for n, o in data:
            out += [f".. py:data:: {n}", f"   :value: {_short_repr(o)}", ""]
            out += ["   " + ln for ln in (data_doc(modname, n) or "").splitlines()] + [""]
    return "\n".join(out) + "\n"


def _short_repr(obj: Any) -> str:
    text = " ".join(repr(obj).split())
    return text if len(text) <= 100 else text[:97] + "..."


def write_pages(outdir: Path) -> list[Path]:
    """Write the module pages, leaving unchanged files untouched (no needless re-read).

    Parameters
    ----------
    outdir : pathlib.Path
        The folder of the generated pages.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for modname in PUBLIC_MODULES:
        path = outdir / f"{modname}.rst"
        text = module_page(modname)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@functools.lru_cache(maxsize=1)
def documented_objects() -> tuple[Any, ...]:
    """Every object that has an entry in the API reference (each public name's value)."""
    return tuple(obj for modname in PUBLIC_MODULES for _, obj, _ in public_names(modname))


def shown_bases(bases: list[Any]) -> list[Any]:
    """The base classes a class page names: those with a page of their own, or from other libraries.

    A base class of fairaudit's own that has no page (a private helper such as the review
    config's ``StrictModel``) is replaced by its own bases, so every base named is one the
    reader can open (or one of another library's, e.g. ``pydantic.BaseModel``).

    Parameters
    ----------
    bases : list of type
        The class's direct bases, as autodoc finds them.
    """
    documented = documented_objects()
    out: list[Any] = []
    for base in bases:
        own = (getattr(base, "__module__", None) or "").split(".")[0] in ("fairaudit", "rewriting")
        if own and not any(base is d for d in documented):
            replaced = shown_bases(list(getattr(base, "__bases__", ())))
        else:
            replaced = [base]
        out += [b for b in replaced if not any(b is o for o in out)]
    return out


def _on_process_bases(app, name, obj, options, bases) -> None:
    bases[:] = shown_bases(bases)


def _on_config_inited(app, config) -> None:
    write_pages(Path(app.srcdir) / "api" / "generated")


def setup(app):
    # before Sphinx lists the source files, which autosummary's generation step scans
    app.connect("config-inited", _on_config_inited)
    app.connect("autodoc-process-bases", _on_process_bases)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

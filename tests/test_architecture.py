"""The structure the README's "Architecture" section describes, checked on the source.

- imports: no module imports another module's private name (``_x``) unless the
  private name lives in its own package; no import cycle inside ``fairaudit``,
  counting every import: at module level, inside functions (lazy) and under
  ``if TYPE_CHECKING`` (a cycle hidden behind a lazy import is still a cycle);
  the core never imports ``fairaudit.rewriting`` (only the orchestration layer
  joins audit, rewriting and report);
- layers: the folders are layers (``LAYERS``, the table of ``docs/architecture.md``);
  a module imports only its own layer and the layers below it;
- size: no module over 450 lines, no exemption;
- packaging: the wheel installs ``fairaudit`` only (templates and rewriting under
  its namespace) with the templates, the adapter and the occupation figures as package data.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where each installed package lives in the checkout (pyproject.toml's package-dir).
SOURCES = {"fairaudit": ROOT / "fairaudit", "fairaudit.reports": ROOT / "reports",
           "fairaudit.rewriting": ROOT / "rewriting"}
#: The orchestration layer: the only modules that may import fairaudit.rewriting.
ORCHESTRATION = ("fairaudit.cli", "fairaudit.demo", "fairaudit.pipeline", "fairaudit.adcheck.checker", "fairaudit.review",
                 "fairaudit.rewriting")
MAX_LINES = 450
#: Known exceptions inside rewriting/ and its benchmarks, owned by the AutoRefine work; remove
#: each entry when its file switches to the public name (fairaudit.atomic, fairaudit.progress, ...).
def _modules() -> dict[str, Path]:
    out = {}
    for pkg, folder in SOURCES.items():
        for f in folder.rglob("*.py"):
            parts = list(f.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([pkg, *parts])] = f
    for f in (ROOT / "benchmarks").glob("*.py"):
        out[f"benchmarks.{f.stem}"] = f
    return out


MODULES = _modules()


def _alias(name: str) -> str:
    """``rewriting.x`` (the checkout's name, used by benchmarks) is ``fairaudit.rewriting.x``."""
    return "fairaudit." + name if name.split(".")[0] in ("rewriting", "reports") else name


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(module: str, type_hints: bool = False) -> list[str]:
    """Every name ``module`` imports (``pkg.mod`` or ``pkg.mod.name``), at any depth (inside functions too).

    ``type_hints``: also those under ``if TYPE_CHECKING`` (no runtime edge, but an edge of the design).
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not type_hints:
                continue  # annotations only: no runtime edge
            if isinstance(child, ast.Import):
                out.extend(_alias(a.name) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = _alias(child.module or "")
                out.extend(f"{target}.{a.name}" for a in child.names)
            visit(child)

    visit(tree)
    return [n for n in out if n.split(".")[0] in ("fairaudit", "benchmarks")]


def _owner(name: str) -> str:
    """The module an imported name resolves to (``a.b.c`` -> ``a.b`` when ``c`` is not a module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _component(name: str) -> str:
    """``fairaudit.rewriting`` is its own component, though installed inside ``fairaudit``."""
    return "fairaudit.rewriting" if name.startswith("fairaudit.rewriting") else name.split(".")[0]


def test_no_private_names_across_modules():
    bad = []
    for module in MODULES:
        for name in _imports(module):
            parts = name.split(".")
            for i, part in enumerate(parts):
                if part.startswith("_") and not part.startswith("__"):
                    # a private name may be used inside the package that holds it, and only there
                    home = ".".join(parts[:i])
                    inside = module.startswith(home + ".") and _component(module) == _component(name)
                    if not inside:
                        bad.append(f"{module} imports {name}")
                    break
    assert not bad, "\n".join(bad)


def test_core_never_imports_rewriting():
    bad = [f"{m} imports {n}" for m in MODULES if m.startswith("fairaudit") and not m.startswith(ORCHESTRATION)
           for n in _imports(m) if n.startswith("fairaudit.rewriting")]
    assert not bad, "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph`` (module -> modules it imports): Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            connect(v)
    return cycles


def _graph(modules) -> dict[str, set[str]]:
    # every import counts: module level, lazy (inside a function) and for type hints only
    return {m: {_owner(n) for n in _imports(m, type_hints=True)} - {m, ""} for m in modules}


#: The layers, lowest first: a module may import its own layer and the ones before it (issue 21, item 2).
#: The first match of a module's name (longest prefix) decides its layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("infrastructure", ("fairaudit.errors", "fairaudit.atomic", "fairaudit.progress", "fairaudit.threads",
                        "fairaudit.version", "fairaudit.models", "fairaudit.paths", "fairaudit.options",
                        "fairaudit.compat")),
    ("text", ("fairaudit.text",)),
    ("data", ("fairaudit.data",)),
    ("metrics", ("fairaudit.metrics",)),
    ("ranking", ("fairaudit.recommenders", "fairaudit.backends")),
    ("engine", ("fairaudit.engine",)),
    ("report", ("fairaudit.report", "fairaudit.reports")),
    ("rewriting", ("fairaudit.rewriting",)),
    ("orchestration", ("fairaudit.adcheck", "fairaudit.pipeline", "fairaudit.demo", "fairaudit.review",
                       "fairaudit.cli", "fairaudit")),
]
#: Upward imports that are allowed, each with its reason (keep this short).
UPWARD = {
    ("fairaudit.engine.display", "fairaudit.report.charts"):
        "the notebook view of a result draws the report's impact-ratio chart (one chart style), lazily",
}


def _layer(module: str) -> int:
    best = max(((len(p), i) for i, (_, prefixes) in enumerate(LAYERS) for p in prefixes
                if module == p or module.startswith(p + ".")), default=None)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and to docs/architecture.md"
    return best[1]


def test_every_module_has_a_layer():
    for m in MODULES:
        if m.startswith("fairaudit"):
            _layer(m)


def test_layers_import_only_downwards():
    bad = []
    for m in MODULES:
        if not m.startswith("fairaudit"):
            continue
        for n in {_owner(x) for x in _imports(m, type_hints=True)} - {m, ""}:
            if n.startswith("fairaudit") and _layer(n) > _layer(m) and (m, n) not in UPWARD:
                bad.append(f"{m} ({LAYERS[_layer(m)][0]}) imports {n} ({LAYERS[_layer(n)][0]})")
    assert not bad, "\n".join(sorted(bad))


def test_upward_exceptions_are_still_needed():
    for m, n in UPWARD:
        assert n in {_owner(x) for x in _imports(m, type_hints=True)}, f"{m} no longer imports {n}: drop it"


def test_the_architecture_page_names_every_layer():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [p for _, prefixes in LAYERS for p in prefixes if p != "fairaudit" and f"`{p.replace('fairaudit.', '')}" not in page
               and f"`{p}" not in page]
    assert not missing, f"docs/architecture.md does not mention {missing}"


def test_no_import_cycles():
    assert not (cycles := _cycles(_graph(m for m in MODULES if m.startswith("fairaudit")))), cycles


def test_modules_are_small():
    """No module over MAX_LINES lines; no docstring buys an exemption (issue 21, item 4)."""
    big = []
    for module, path in MODULES.items():
        if not module.startswith("fairaudit"):
            continue
        n = path.read_text(encoding="utf-8").count("\n")
        if n > MAX_LINES:
            big.append(f"{path.relative_to(ROOT)}: {n} lines (at most {MAX_LINES}); split it within its folder")
    assert not big, "\n".join(big)


def test_no_module_has_an_invalid_escape_sequence():
    """A docstring's LaTeX in a plain string loses letters: "\\frac" holds a form feed, "\\tfrac" a tab, so the
    docs' formula renders wrong, and Python 3.12 warns at every import. Raw strings or doubled backslashes."""
    import warnings

    bad = []
    for path in MODULES.values():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            except (SyntaxError, SyntaxWarning, DeprecationWarning) as err:
                bad.append(f"{path.relative_to(ROOT)}: {err}")
    assert not bad, "\n".join(bad)


def test_cycle_check_counts_lazy_and_type_hint_imports(tmp_path, monkeypatch):
    """A cycle made of an import inside a function and one under TYPE_CHECKING is found."""
    a, b = "fairaudit._cycle_probe_a", "fairaudit._cycle_probe_b"
    (tmp_path / "a.py").write_text(f"def f():\n    import {b}\n")
    (tmp_path / "b.py").write_text(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import {a}\n")
    monkeypatch.setitem(MODULES, a, tmp_path / "a.py")
    monkeypatch.setitem(MODULES, b, tmp_path / "b.py")
    assert _cycles(_graph([a, b])) == [[a, b]]
    assert a not in {_owner(n) for n in _imports(b)}  # without type hints: no edge b -> a


def test_pyproject_lists_every_package():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert conf["package-dir"] == {"fairaudit.reports": "reports", "fairaudit.rewriting": "rewriting"}
    packages = {m for m, p in MODULES.items() if m.startswith("fairaudit") and p.name == "__init__.py"}
    data_only = {"fairaudit.reports.templates", "fairaudit.rewriting.adapter", "fairaudit.rewriting.data"}  # folders of package data
    assert set(conf["packages"]) == packages | data_only
    # data files inside a code package: the synthetic data's published occupation figures
    assert set(conf["package-data"]) == data_only | {"fairaudit.data.datasets"}


@pytest.mark.slow
def test_wheel_installs_one_namespace_with_templates_and_adapter(tmp_path):
    """Item 7 of issue 12: no top-level ``reports`` / ``rewriting`` in site-packages."""
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    for name in ("fairaudit", "reports", "rewriting"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    (src / "rewriting" / "adapter").mkdir(exist_ok=True)
    (src / "rewriting" / "adapter" / "adapter_config.json").write_text("{}\n")  # stands in for the trained files
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("fairaudit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"fairaudit", wheel.name.split("-py3")[0] + ".dist-info"}
    for template in ("base.html", "audit.html", "review.html", "summary.html", "style.css"):
        assert f"fairaudit/reports/templates/{template}" in names
    assert "fairaudit/rewriting/autorefine.py" in names
    assert "fairaudit/rewriting/adapter/adapter_config.json" in names
    assert "fairaudit/rewriting/data/phrase_pairs.csv" in names  # the mined edit vocabulary
    assert "fairaudit/data/datasets/bls_occupations_2022.csv" in names  # the segregated data's figures

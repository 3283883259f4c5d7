"""Benchmark tables rendered at build time from ``benchmarks/results/*.json``.

Directives (MyST: ```` ```{benchmark} audit_bench.json ````):

``benchmark FILE``
    Every key of one results file: the machine it ran on first, then its scalars as
    a key/value table, a dict of dicts as one table (a row per key), a list of
    records as one table (the union of their keys as columns), deeper values as
    compact JSON. Options: ``:bar: PATH[:FIELD]`` draws a bar chart of the numbers
    under PATH (dotted; with FIELD, of that field of each record), ``:line: PATH X Y
    [HUE]`` a line chart of a list of records, ``:exclude: KEY, KEY`` leaves top-level
    keys out. A ``FILE.png`` beside the JSON file is shown too.
``benchmark-rest``
    Every results file the page has not rendered yet, so new benchmarks appear
    without editing the docs.

The rendering looks only at the keys a file has: the benchmarks change while the
docs stay, so a missing or new key changes the table, never the build. A plot whose
keys are missing is replaced by one sentence saying so. A file that is not valid
JSON is a build warning (an error under ``-W``): a results file must be readable.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: Keys that describe the machine a benchmark ran on, looked for when a file has no ``machine`` key.
MACHINE_KEYS = ("machine", "platform", "cpu", "cpus", "cpu_count", "usable_cpus", "memory_gib", "gpu",
                "python", "torch", "torch_threads")
MAX_CHARS = 160
MAX_DEPTH = 4


def results_dir(srcdir: str | Path) -> Path:
    return Path(srcdir).resolve().parent / "benchmarks" / "results"


# ----------------------------------------------------------------------------- formatting
def is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def fmt(v: Any) -> str:
    """One cell's text: floats to 4 significant digits, booleans as yes/no, None as a dash."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-4):
            return f"{v:.3e}"
        return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, list) and all(is_scalar(x) for x in v):
        text = ", ".join(fmt(x) for x in v[:12]) + (f", … ({len(v)} values)" if len(v) > 12 else "")
    elif isinstance(v, (list, dict)):
        text = json.dumps(v, ensure_ascii=False, default=str)
    else:
        text = str(v)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1] + "…"


def label(key: Any) -> str:
    return str(key).replace("_", " ")


# ----------------------------------------------------------------------------- docutils nodes
def table(header: list[str], rows: list[list[str]], classes: tuple[str, ...] = ()) -> nodes.table:
    tbl = nodes.table(classes=["benchmark-table", *classes])
    group = nodes.tgroup(cols=len(header))
    tbl += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for r in rows:
        body += _row(r)
    return tbl


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for c in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=c)
        row += entry
    return row


def rubric(text: str) -> nodes.rubric:
    return nodes.rubric(text=text)


def render_value(value: Any, path: str, depth: int = 0) -> list[nodes.Node]:
    """Nodes for one JSON value at ``path`` (a heading text)."""
    if is_scalar(value) or (isinstance(value, list) and all(is_scalar(x) for x in value)):
        return [rubric(path), table(["key", "value"], [[path.rsplit(" › ", 1)[-1], fmt(value)]])]
    if isinstance(value, list):
        records = [v for v in value if isinstance(v, dict)]
        if records and len(records) == len(value):
            cols: list[str] = []
            for r in records:
                cols += [k for k in r if k not in cols]
            return [rubric(path), table([label(c) for c in cols], [[fmt(r.get(c)) for c in cols] for r in records])]
        return [rubric(path), nodes.paragraph(text=fmt(value))]
    if isinstance(value, dict):
        return render_dict(value, path, depth)
    return [rubric(path), nodes.paragraph(text=fmt(value))]


def render_dict(d: dict, path: str, depth: int = 0) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    flat = [(k, v) for k, v in d.items() if is_scalar(v) or (isinstance(v, list) and all(is_scalar(x) for x in v))]
    if flat:
        if path:
            out.append(rubric(path))
        out.append(table(["key", "value"], [[label(k), fmt(v)] for k, v in flat]))
    for k, v in d.items():
        if (k, v) in flat:
            continue
        sub = f"{path} › {label(k)}" if path else label(k)
        if isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()) \
                and all(all(is_scalar(y) or isinstance(y, list) for y in x.values()) for x in v.values()):
            cols: list[str] = []  # a dict of records: one table, a row per key
            for x in v.values():
                cols += [c for c in x if c not in cols]
            out += [rubric(sub), table([""] + [label(c) for c in cols],
                                       [[label(name)] + [fmt(x.get(c)) for c in cols] for name, x in v.items()])]
        elif isinstance(v, dict) and depth >= MAX_DEPTH:
            out += [rubric(sub), nodes.paragraph(text=fmt(v))]
        else:
            out += render_value(v, sub, depth + 1)
    return out


def machine_of(data: dict) -> dict[str, Any] | None:
    """What the file says about the machine: its ``machine`` entry, else the machine-like keys
    found at the top level or one level down (``meta``, ``setup``, ...)."""
    m = data.get("machine")
    if isinstance(m, dict):
        return m
    found: dict[str, Any] = {}
    for scope in [data] + [v for v in data.values() if isinstance(v, dict)]:
        for k in MACHINE_KEYS:
            if k in scope and is_scalar(scope[k]) and k not in found:
                found[k] = scope[k]
    return found or None


# ----------------------------------------------------------------------------- plots
def lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            raise KeyError(dotted)
    return data


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def bar_plot(data: dict, spec: str, out: Path, title: str) -> str | None:
    """Bars of the numbers under ``PATH[:FIELD]``; the reason when there is nothing to plot."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path, _, field = spec.partition(":")
    try:
        node = lookup(data, path)
    except KeyError:
        return f"no bar chart: the file has no key {path!r}"
    if isinstance(node, list):
        node = {str(i): v for i, v in enumerate(node)}
    if not isinstance(node, dict):
        return f"no bar chart: {path!r} is not a table"
    values = {str(k): _number(v.get(field) if field and isinstance(v, dict) else v) for k, v in node.items()}
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        return f"no bar chart: no numbers under {spec!r}"
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(values) + 1.2))
    ax.barh(list(values)[::-1], list(values.values())[::-1], color="#3b6ea5")
    ax.set_xlabel(f"{field or path.rsplit('.', 1)[-1]}".replace("_", " "))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return None


def line_plot(data: dict, spec: str, out: Path, title: str) -> str | None:
    """Lines of Y against X over the records under PATH, one per HUE value."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = spec.split()
    if len(parts) not in (3, 4):
        return f"no line chart: ':line:' needs PATH X Y [HUE], got {spec!r}"
    path, x, y, hue = (parts + [None])[:4]
    try:
        records = lookup(data, path)
    except KeyError:
        return f"no line chart: the file has no key {path!r}"
    series: dict[str, list[tuple[float, float]]] = {}
    for r in records if isinstance(records, list) else []:
        if isinstance(r, dict) and _number(r.get(x)) is not None and _number(r.get(y)) is not None:
            series.setdefault(str(r.get(hue)) if hue else y, []).append((_number(r[x]), _number(r[y])))
    if not series:
        return f"no line chart: no records under {path!r} with numeric {x!r} and {y!r}"
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, pts in series.items():
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    xs = [p[0] for pts in series.values() for p in pts]
    if min(xs) > 0 and max(xs) / min(xs) > 100:
        ax.set_xscale("log")
    ys = [p[1] for pts in series.values() for p in pts]
    if min(ys) > 0 and max(ys) / min(ys) > 100:
        ax.set_yscale("log")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.set_title(title, fontsize=10)
    if hue:
        ax.legend(title=hue.replace("_", " "))
    fig.tight_layout()
    fig.savefig(out, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return None


# ----------------------------------------------------------------------------- directives
class BenchmarkDirective(SphinxDirective):
    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec = {"bar": directives.unchanged, "line": directives.unchanged,
                   "exclude": directives.unchanged, "no-machine": directives.flag}

    def run(self) -> list[nodes.Node]:
        return render_file(self, self.arguments[0], self.options)


class BenchmarkRestDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        done = self.env.temp_data.setdefault("benchmark_files", set())
        out: list[nodes.Node] = []
        for path in sorted(results_dir(self.env.srcdir).glob("*.json")):
            if path.name not in done:
                out += [nodes.rubric(text=path.name, classes=["benchmark-file"])] + render_file(self, path.name, {})
        return out


def render_file(directive: SphinxDirective, name: str, options: dict) -> list[nodes.Node]:
    env = directive.env
    path = results_dir(env.srcdir) / name
    env.temp_data.setdefault("benchmark_files", set()).add(path.name)
    env.note_dependency(str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("benchmark results %s cannot be read: %s", path.name, exc, location=directive.get_location())
        return [nodes.paragraph(text=f"{path.name} cannot be read: {exc}")]
    out: list[nodes.Node] = [nodes.paragraph("", "", nodes.Text("Source: "),
                                             nodes.literal(text=f"benchmarks/results/{path.name}"))]
    if not isinstance(data, dict):
        return out + render_value(data, path.stem)
    if "no-machine" not in options:
        machine = machine_of(data)
        out.append(rubric("Machine"))
        out.append(table(["key", "value"], [[label(k), fmt(v)] for k, v in machine.items()]) if machine
                   else nodes.paragraph(text="This file does not record the machine it ran on."))
    gen = Path(env.srcdir) / "_generated" / "benchmarks"
    gen.mkdir(parents=True, exist_ok=True)
    for opt, draw in (("bar", bar_plot), ("line", line_plot)):
        for i, spec in enumerate(s for s in options.get(opt, "").split(";") if s.strip()):
            png = gen / f"{path.stem}-{opt}{i}.png"
            why = draw(data, spec.strip(), png, f"{path.name}: {spec.strip()}")
            out.append(nodes.paragraph(text=why) if why else
                       nodes.image(uri=f"/_generated/benchmarks/{png.name}", alt=f"{path.name} {spec}"))
    sibling = path.with_suffix(".png")
    if sibling.is_file():  # copied in: images are read from the source folder
        copy = gen / sibling.name
        if not copy.is_file() or copy.read_bytes() != sibling.read_bytes():
            shutil.copyfile(sibling, copy)
        env.note_dependency(str(sibling))
        out.append(nodes.image(uri=f"/_generated/benchmarks/{sibling.name}", alt=sibling.name))
    exclude = {k.strip() for k in options.get("exclude", "").split(",") if k.strip()} | {"machine"}
    out += render_dict({k: v for k, v in data.items() if k not in exclude}, "")
    return out


def setup(app):
    app.add_directive("benchmark", BenchmarkDirective)
    app.add_directive("benchmark-rest", BenchmarkRestDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

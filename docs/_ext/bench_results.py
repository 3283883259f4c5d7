"""The benchmarks page's numbers, tables and plots, read from ``benchmarks/results/*.json`` at build time.

The page is written like a paper's results section; every number on it comes from a
results file through one of these (nothing is copied by hand):

``{bench}`FILE:PATH|SPEC```
    One value inline. ``PATH`` is dotted (``cold.audit_s``); a list is indexed by
    position (``runs.0.wall_s``) or by a record's fields (``cells[attribute=sex,k=50].test_rejects.rate``);
    ``SPEC`` is a Python format spec (``.1f``, ``.0%``, ``,.0f``). Booleans read yes / no.
``bench-table FILE``
    A table written in the page, one row per content line, cells separated by ``|``,
    the first line the header; ``{PATH|SPEC}`` in a cell is replaced by the value.
``bench-records FILE``
    One row per record under ``:rows: PATH`` (a list of records, or a dict of them: the
    key is the first column), the columns ``:columns: FIELD=Label|SPEC, ...``, only the
    records matching ``:where: field=value, ...``.
``bench-plot FILE``
    ``:kind: bar`` (``:y:`` of each record under ``:rows:``, labelled by ``:x:``; a dict
    of numbers needs neither) or ``line`` (``:y:`` against ``:x:``, one line per ``:hue:``),
    ``:where:``, ``:title:``, ``:xlabel:``, ``:ylabel:``, ``:hline: VALUE-or-{PATH}`` (a
    limit or target, labelled ``:hline-label:``), ``:logx:``.
``bench-list FILE``
    The strings under ``:rows: PATH`` as a bullet list (a benchmark's own verdict lines).

A key a file no longer has renders as "n/a", never as a build error (the benchmarks
change while the docs stay); ``tests/test_docs_benchmarks.py`` fails instead when a
reference on the page does not resolve, so the page is fixed with the results.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective, SphinxRole

from benchmark_tables import fmt as plain_fmt, table as make_table  # one cell format for both extensions

MISSING = "n/a"
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]*)(?:\[(?P<where>[^\]]*)\])?$")
_FIELD = re.compile(r"\{([^{}|]+)(?:\|([^{}]*))?\}")


def results_dir(srcdir: str | Path) -> Path:
    return Path(srcdir).resolve().parent / "benchmarks" / "results"


def _matches(record: Any, where: str) -> bool:
    if not isinstance(record, dict):
        return False
    for cond in (c for c in where.split(",") if c.strip()):
        key, _, want = cond.partition("=")
        if str(record.get(key.strip())) != want.strip():
            return False
    return True


def lookup(data: Any, path: str) -> Any:
    """The value at ``path``; ``KeyError`` when there is none."""
    for part in (p for p in re.split(r"\.(?![^\[]*\])", path.strip()) if p):  # no split inside [...]
        m = _SEGMENT.match(part)
        if m is None:
            raise KeyError(path)
        name, where = m.group("name"), m.group("where")
        if name:
            if isinstance(data, dict) and name in data:
                data = data[name]
            elif isinstance(data, list) and name.isdigit() and int(name) < len(data):
                data = data[int(name)]
            else:
                raise KeyError(path)
        if where is not None:
            found = [r for r in (data if isinstance(data, list) else []) if _matches(r, where)]
            if not found:
                raise KeyError(path)
            data = found[0]
    return data


def fmt(value: Any, spec: str | None = None) -> str:
    if isinstance(value, bool) or value is None or not spec:
        return plain_fmt(value)
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return plain_fmt(value)


def value(data: Any, path: str, spec: str | None = None) -> str:
    try:
        return fmt(lookup(data, path), spec)
    except KeyError:
        return MISSING


def substitute(text: str, data: Any) -> str:
    return _FIELD.sub(lambda m: value(data, m.group(1), m.group(2)), text)


def references(text: str) -> list[tuple[str, str]]:
    """``(file, path)`` of every value a page's source takes from a results file (for the test)."""
    out = [(m.group(1), m.group(2).rstrip("\\"))
           for m in re.finditer(r"\{bench\}`([^:`]+):([^|`]+)(?:\|[^`]*)?`", text)]
    for block in re.finditer(r"^```\{(bench-[a-z]+)\} (\S+)\n(.*?)^```", text, re.S | re.M):
        name, body = block.group(2), block.group(3)
        out += [(name, m.group(1)) for m in _FIELD.finditer(body)]
        rows = re.search(r"^:rows: (\S+)", body, re.M)
        if rows:
            out.append((name, rows.group(1)))
    return out


def load(directive: SphinxDirective | SphinxRole, name: str) -> Any:
    env = directive.env
    path = results_dir(env.srcdir) / name
    env.temp_data.setdefault("benchmark_files", set()).add(path.name)
    env.note_dependency(str(path))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _records(data: Any, path: str, where: str) -> list[tuple[str, Any]]:
    try:
        node = lookup(data, path)
    except KeyError:
        return []
    items = list(node.items()) if isinstance(node, dict) else [("", r) for r in node] if isinstance(node, list) else []
    return [(k, r) for k, r in items if not where or _matches(r, where)]


def _columns(spec: str) -> list[tuple[str, str, str | None]]:
    out = []
    # entries split at a comma that starts the next FIELD= (labels and specs may hold commas)
    for part in (p.strip() for p in re.split(r",\s*(?=[A-Za-z_][\w.\[\]]*=)", spec) if p.strip()):
        field, _, rest = part.partition("=")
        label, _, fspec = (rest or field).partition("|")
        out.append((field.strip(), label.strip(), fspec.strip() or None))
    return out


class BenchRole(SphinxRole):
    def run(self):
        name, _, rest = self.text.replace("\\|", "|").partition(":")
        path, _, spec = rest.partition("|")
        return [nodes.inline(text=value(load(self, name), path, spec or None), classes=["bench-value"])], []


class _BenchDirective(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {"rows": directives.unchanged, "columns": directives.unchanged, "where": directives.unchanged,
                   "caption": directives.unchanged, "kind": directives.unchanged, "x": directives.unchanged,
                   "y": directives.unchanged, "hue": directives.unchanged, "title": directives.unchanged,
                   "xlabel": directives.unchanged, "ylabel": directives.unchanged, "hline": directives.unchanged,
                   "hline-label": directives.unchanged, "logx": directives.flag}

    def _wrap(self, body: nodes.Node) -> list[nodes.Node]:
        caption = self.options.get("caption")
        source = nodes.paragraph("", "", nodes.Text("Source: "),
                                 nodes.literal(text=f"benchmarks/results/{self.arguments[0]}"),
                                 classes=["bench-source"])
        out = [nodes.paragraph("", "", nodes.strong(text=caption))] if caption else []
        return out + [body, source]


class BenchTable(_BenchDirective):
    def run(self):
        data = load(self, self.arguments[0])
        lines = [ln for ln in self.content if ln.strip()]
        # cells split on "|" outside {PATH|SPEC}
        rows = [[substitute(c.strip(), data) for c in re.split(r"\|(?![^{]*\})", ln)] for ln in lines]
        width = len(rows[0])
        rows = [(r + [""] * width)[:width] for r in rows]
        return self._wrap(make_table(rows[0], rows[1:], ("bench-results",)))


class BenchRecords(_BenchDirective):
    def run(self):
        data = load(self, self.arguments[0])
        cols = _columns(self.options.get("columns", ""))
        recs = _records(data, self.options.get("rows", ""), self.options.get("where", ""))
        keyed = any(k for k, _ in recs)
        header = ([""] if keyed else []) + [label for _, label, _ in cols]
        rows = [([k.replace("_", " ")] if keyed else []) + [value(r, f, s) for f, _, s in cols] for k, r in recs]
        return self._wrap(make_table(header, rows or [[MISSING] * len(header)], ("bench-results",)))


class BenchList(_BenchDirective):
    def run(self):
        data = load(self, self.arguments[0])
        try:
            items = lookup(data, self.options.get("rows", ""))
        except KeyError:
            items = [MISSING]
        bullets = nodes.bullet_list()
        for text in items if isinstance(items, list) else [items]:
            item = nodes.list_item()
            item += nodes.paragraph(text=str(text))
            bullets += item
        return self._wrap(bullets)


class BenchPlot(_BenchDirective):
    def run(self):
        data = load(self, self.arguments[0])
        opts = self.options
        gen = Path(self.env.srcdir) / "_generated" / "benchmarks"
        gen.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{Path(self.arguments[0]).stem}-{opts.get('title', '')}".lower())
        png = gen / f"{slug.strip('-')}.png"
        why = draw(data, opts, png)
        body = nodes.paragraph(text=why) if why else nodes.image(uri=f"/_generated/benchmarks/{png.name}",
                                                                 alt=opts.get("title", png.stem))
        return self._wrap(body)


def _series(data: Any, opts: dict) -> dict[str, list[tuple[Any, float]]]:
    recs = _records(data, opts.get("rows", ""), opts.get("where", ""))
    x, y, hue = opts.get("x"), opts.get("y", ""), opts.get("hue")
    series: dict[str, list[tuple[Any, float]]] = {}
    for key, r in recs:
        try:
            yv = lookup(r, y) if y else r
            xv = lookup(r, x) if x else key
            name = str(lookup(r, hue)) if hue else ""
        except KeyError:
            continue
        if isinstance(yv, (int, float)) and not isinstance(yv, bool):
            series.setdefault(name, []).append((xv, float(yv)))
    return series


def draw(data: Any, opts: dict, out: Path) -> str | None:
    """Draw the plot into ``out``; the reason when there is nothing to draw."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = _series(data, opts)
    if not series:
        return f"No plot: the results file has no numbers under {opts.get('rows')!r}."
    kind = opts.get("kind", "bar")
    fig, ax = plt.subplots(figsize=(6.4, 3.6 if kind == "line" else 0.42 * sum(map(len, series.values())) + 1.3))
    if kind == "line":
        for name, pts in series.items():
            pts.sort(key=lambda p: p[0])
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name or None)
        if "logx" in opts:
            ax.set_xscale("log")
        if opts.get("hue"):
            ax.legend(title=(opts.get("hue") or "").replace("_", " ") or None, fontsize=8)
    else:
        pts = [(f"{name} {x}".strip() if name else str(x), v) for name, p in series.items() for x, v in p]
        ax.barh([p[0].replace("_", " ") for p in pts][::-1], [p[1] for p in pts][::-1], color="#3b6ea5")
    line = opts.get("hline")
    if line:
        ref = substitute(line, data) if "{" in line else line
        try:
            ref_v = float(ref)
        except ValueError:
            ref_v = None
        if ref_v is not None:
            draw_ref = ax.axhline if kind == "line" else ax.axvline
            draw_ref(ref_v, color="#c0392b", linestyle="--", linewidth=1, label=opts.get("hline-label"))
            if opts.get("hline-label"):
                ax.legend(fontsize=8)
    ax.set_xlabel(opts.get("xlabel", ""))
    ax.set_ylabel(opts.get("ylabel", ""))
    ax.set_title(opts.get("title", ""), fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return None


def setup(app):
    app.add_role("bench", BenchRole())
    for name, cls in (("bench-table", BenchTable), ("bench-records", BenchRecords), ("bench-plot", BenchPlot),
                      ("bench-list", BenchList)):
        app.add_directive(name, cls)
    # env_version: bump it when the rendering changes, so that Sphinx re-reads the pages that use it
    return {"version": "1", "env_version": 2, "parallel_read_safe": True, "parallel_write_safe": True}

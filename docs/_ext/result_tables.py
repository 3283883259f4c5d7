"""The "Result tables" reference, generated from :data:`fairaudit.data.columns.TABLES`.

Directive (MyST: ```` ```{result-tables} ````): one section per table of
``AuditResult.to_frame`` (its rows, its purpose, the pages that define its
quantities) with a table of its columns and their definitions. The JSON schema
copies the same definitions, and ``tests/test_result_columns.py`` fails when an
audit writes a column that has none, so the page cannot drift from the code.
"""
from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective


def inline(text: str) -> list[nodes.Node]:
    """Text with ````code```` spans as literals."""
    out: list[nodes.Node] = []
    for i, part in enumerate(re.split(r"``(.+?)``", text)):
        if part:
            out.append(nodes.literal(text=part) if i % 2 else nodes.Text(part))
    return out


def doc_link(docname: str, source: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=False,
                                refdoc=source)
    ref += nodes.inline(text=docname)
    return ref


def columns_table(columns) -> nodes.table:
    tbl = nodes.table(classes=["result-columns"])
    group = nodes.tgroup(cols=2)
    tbl += group
    group += nodes.colspec(colwidth=28)
    group += nodes.colspec(colwidth=72)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in ("column", "definition"):
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    head += row
    body = nodes.tbody()
    group += body
    for name, definition in columns.items():
        row = nodes.row()
        entry = nodes.entry()
        entry += nodes.paragraph("", "", nodes.literal(text=name))
        row += entry
        entry = nodes.entry()
        entry += nodes.paragraph("", "", *inline(definition))
        row += entry
        body += row
    return tbl


class ResultTablesDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        from fairaudit.data import columns

        self.env.note_dependency(columns.__file__)
        out = []
        for table in columns.TABLES.values():
            section = nodes.section(ids=[f"table-{table.name.replace('_', '-')}"], names=[table.name])
            section += nodes.title(text=table.name)
            section += nodes.paragraph("", "", *inline(table.what))
            see = nodes.paragraph("", "", nodes.strong(text="One row: "), *inline(table.rows), nodes.Text(". "),
                                  nodes.strong(text="Defined on: "))
            for i, doc in enumerate(table.see):
                if i:
                    see += nodes.Text(", ")
                see += doc_link(doc, self.env.docname)
            see += nodes.Text(".")
            section += see
            section += nodes.paragraph("", "", nodes.literal(text=f'result.to_frame("{table.name}")'),
                                       nodes.Text(f"  ·  {len(table.columns)} columns"))
            section += columns_table(table.columns)
            out.append(section)
        return out


def setup(app):
    app.add_directive("result-tables", ResultTablesDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

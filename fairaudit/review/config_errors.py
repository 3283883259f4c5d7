"""pydantic's validation errors of a review configuration as one line per problem.

``<field path>: <what is wrong>``, e.g. ``audit.k: k values must be distinct``;
the discriminator tag pydantic puts into a source's path is left out.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from pydantic import ValidationError


def field_path(loc: tuple) -> str:
    parts: list[str] = []
    for i, item in enumerate(loc):
        # pydantic puts the discriminator tag into the path (source.files.jobs)
        if i > 0 and loc[i - 1] == "source" and item in ("files", "sql", "synthetic", "log"):
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def problem_text(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known option (check the spelling)"
    if kind == "union_tag_invalid":
        return f"kind {ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "needs `kind` = \"files\", \"sql\", \"synthetic\" or \"log\""
    msg = str(err.get("msg", "is invalid"))
    msg = msg.removeprefix("Value error, ")
    if "input" in err and kind not in ("value_error",) and not isinstance(err["input"], (dict, list)):
        msg += f" (got {err['input']!r})"
    return msg


def problem_line(err: Mapping[str, Any]) -> str:
    """``<field path>: <what is wrong>``; a rule across fields (no path of its own) names its field itself."""
    path, text = field_path(tuple(err["loc"])), problem_text(err)
    if path == "(top level)" and re.match(r"^[a-z_]+(\.[a-z_]+)*: ", text):
        return text
    return f"{path}: {text}"


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [problem_line(e) for e in exc.errors()]
    head = f"{source}: {len(lines)} problem(s) in the review configuration"
    return head + "\n  " + "\n  ".join(lines)

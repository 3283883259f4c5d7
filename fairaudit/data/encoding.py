"""Name the encoding of a text file that is not UTF-8, so the hint to convert it is right.

Spreadsheet programs often export "Unicode text" as UTF-16 (with a byte-order
mark, or without one: then every other byte of ASCII text is NUL). Such a file
is recognised here and named exactly (``iconv -f UTF-16LE -t UTF-8``); any other
non-UTF-8 file is most likely a legacy 8-bit export (Windows-1252, Latin-1),
which cannot be told apart reliably, so the hint says so instead of guessing.
"""
from __future__ import annotations

import codecs
from pathlib import Path

__all__ = ["detect_encoding", "not_utf8_message"]

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32LE"), (codecs.BOM_UTF32_BE, "UTF-32BE"),
         (codecs.BOM_UTF16_LE, "UTF-16LE"), (codecs.BOM_UTF16_BE, "UTF-16BE"))


def detect_encoding(raw: bytes) -> str | None:
    """``"UTF-16LE"``, ``"UTF-16BE"``, ``"UTF-32LE"`` or ``"UTF-32BE"`` when ``raw`` looks like it, else None."""
    for bom, name in _BOMS:  # UTF-32 first: its LE mark starts with UTF-16's
        if raw.startswith(bom):
            return name
    sample = raw[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # ASCII text in UTF-16: the NUL is the high byte, second in LE, first in BE
    if odd > 2 * even:
        return "UTF-16LE"
    if even > 2 * odd:
        return "UTF-16BE"
    return None


def not_utf8_message(path: Path, raw: bytes, position: int) -> str:
    """One line: the file is not UTF-8, what it probably is, and the command that converts it."""
    found = detect_encoding(raw)
    if found:
        return (f"{path} is not UTF-8 but {found} (as spreadsheet programs save 'Unicode text'); re-save it as "
                f"UTF-8, e.g. `iconv -f {found} -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix}`")
    return (f"{path} is not valid UTF-8 (byte {position}: {raw[position:position + 1]!r}), probably a legacy "
            "8-bit encoding such as Windows-1252 or Latin-1; re-save it as UTF-8, e.g. "
            f"`iconv -f WINDOWS-1252 -t UTF-8 {path.name} > {path.stem}-utf8{path.suffix}`")

"""Review period labels (``2026-Q4``, ``2026-03``, ...) and the day each one starts."""
from __future__ import annotations

import datetime as dt
import re

from ..errors import ConfigError

_PERIOD_RE = re.compile(
    r"^(?P<year>\d{4})(?:-(?:Q(?P<q>[1-4])|H(?P<h>[12])|W(?P<w>\d{2})|(?P<m>\d{2})))?$"
)


def period_start(label: str) -> dt.date:
    """First day of a review period label.

    Accepted labels: ``YYYY``, ``YYYY-Qn`` (quarter), ``YYYY-Hn`` (half year),
    ``YYYY-MM`` (month) and ``YYYY-Www`` (ISO week). Periods are ordered by this
    date in the history, so trend charts and retention never depend on how
    labels happen to sort as strings.

    Raises
    ------
    ConfigError
        If the label has none of the accepted forms.
    """
    m = _PERIOD_RE.match(str(label).strip())
    if not m:
        raise ConfigError(
            f"period {label!r} is not a period label; use YYYY-Qn (e.g. 2026-Q4), "
            "YYYY-MM, YYYY-Hn, YYYY-Www or YYYY"
        )
    year = int(m["year"])
    try:
        if m["q"]:
            return dt.date(year, 3 * (int(m["q"]) - 1) + 1, 1)
        if m["h"]:
            return dt.date(year, 1 if m["h"] == "1" else 7, 1)
        if m["m"]:
            return dt.date(year, int(m["m"]), 1)
        if m["w"]:
            return dt.date.fromisocalendar(year, int(m["w"]), 1)
    except ValueError:
        raise ConfigError(f"period {label!r} names a month or week that does not exist") from None
    return dt.date(year, 1, 1)

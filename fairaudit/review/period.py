"""Review period labels (``2026-Q4``, ``2026-03``, ...), their one spelling and the day each one starts."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from ..errors import ConfigError
from ..options import check_not_future

# ASCII digits only: Python's \d also matches full-width and other scripts' digits, which made
# "２０２６-Q4" a period of its own beside "2026-Q4"
_PERIOD_RE = re.compile(
    r"^(?P<year>\d{4})(?:-(?:Q(?P<q>[1-4])|H(?P<h>[12])|W(?P<w>\d{2})|(?P<m>\d{2})))?$", re.ASCII
)


def period_label(label: str) -> str:
    """The one spelling of a period label: compatibility forms folded (NFKC), surrounding space removed.

    ``"２０２６-Ｑ４"`` (full-width) is ``"2026-Q4"``, so the history never holds the same
    period under two labels; digits of other scripts are refused by :func:`period_start`.

    Parameters
    ----------
    label : str
        A period label as given.
    """
    return unicodedata.normalize("NFKC", str(label)).strip()


def period_start(label: str) -> dt.date:
    """First day of a review period label.

    Accepted labels: ``YYYY``, ``YYYY-Qn`` (quarter), ``YYYY-Hn`` (half year),
    ``YYYY-MM`` (month) and ``YYYY-Www`` (ISO week), in ASCII after
    ``period_label()``. Periods are ordered by this date in the history, so
    trend charts and retention never depend on how labels happen to sort as strings.

    Parameters
    ----------
    label : str
        A period label, e.g. ``"2026-Q4"``, ``"2026-H1"``, ``"2026-11"``, ``"2026-W05"``
        or ``"2026"``.

    Returns
    -------
    datetime.date

    Raises
    ------
    ConfigError
        If the label has none of the accepted forms.
    """
    m = _PERIOD_RE.match(period_label(label))
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


def reviewable_period(label: str, now: dt.datetime | None = None) -> str:
    """The label of a period that can be reviewed now: valid, in its one spelling, and already begun.

    A period that starts after now (beyond a day of clock tolerance) has no data yet,
    and recorded in the history it would count among the latest periods and push
    real ones out of ``keep_periods`` retention (``9999-Q4``).

    Parameters
    ----------
    label : str
        A period label as given.
    now : datetime, optional
        The current time (aware); default: this machine's clock.

    Raises
    ------
    ConfigError
        Not a period label, or a period that has not begun.
    """
    start = period_start(label)
    check_not_future(start, f"period {period_label(label)!r} (starting {start.isoformat()})", now)
    return period_label(label)

"""Refuse an audit whose numbers its own counts do not give: what is rendered and signed is what was checked.

A report, a before/after comparison or an LL144 summary prints and signs the
figures of an audit file; a file edited by hand (an impact ratio raised, a
verdict turned into "pass") would be signed as if fairaudit had measured it.
:func:`check_consistency` re-derives every number it can from the stored counts
with the engine's own functions and raises one :class:`~fairaudit.errors.DataError`
line naming the first field that disagrees (its JSON path, the stored value and
the re-derived one). It runs before anything is rendered or written.

What is checked (the rules of :data:`RULES`, in this order)
-----------------------------------------------------------
``finite``
    No infinite number in the impact, parity, diversity and per-job tables.
``counts``
    Candidates, pairs and selections are whole numbers >= 0; a group has no
    more selections than (job, candidate) pairs assessed (``n_pool x n_jobs``
    when every job ranks every candidate, ``n_assessed`` otherwise), no more
    people than pairs, and (candidate sets) no more pairs than
    ``n_pool x n_jobs``.
``pool``
    A group has the same people and pairs at every k; an attribute's groups add
    up to the audit's ``n_candidates`` (whole pool), to its ``n_individuals``
    and ``n_pairs`` (candidate sets, logs), or to the counts table's
    ``totals`` (aggregate counts); the whole pool's pairs are ``n_pool x n_jobs``.
``selections``
    Each attribute's selections at k add up to ``n_jobs x min(k, n_candidates)``
    (every job's top-k of the whole pool); with candidate sets, to the
    provenance's ``selections`` (:math:`\\sum_j \\min(k, |C_j|)`, or the recorded
    selections at k = 0), the same for every attribute and at most
    ``n_jobs x k``; with counts, to their ``totals``.
``selection_rate``, ``rated``, ``impact_ratio``, ``four_fifths_flag``
    Selection and scoring rates are selected / assessed pairs (the three kinds of
    audit: :mod:`fairaudit.engine.rederive`); ``excluded``
    follows ``min_share`` (:func:`~fairaudit.metrics.impact.rated_mask`); impact
    and scoring impact ratios divide by the reference group
    (:func:`~fairaudit.metrics.impact.reference_mask`); the four-fifths flag
    follows the ratio.
``p_value``, ``group_verdict``
    A rated group's p-value lies in ``[1 / (n_permutations + 1), 1]``, its null
    5th percentile is at most its median, and its power in [0, 1]; its verdict is
    :func:`~fairaudit.engine.verdicts.group_verdict` of its ratio, p-value and power.
``parity``, ``attribute_p_value``, ``attribute_verdict``
    The lowest ratio, the four-fifths pass, demographic parity, the count of
    groups too small to judge and of unknown candidates; the attribute's p-value
    as a group's; its verdict is :func:`~fairaudit.engine.verdicts.attribute_verdict`.
``per_job``, ``diversity``, ``ranking``
    Each job's gap from its stored mix and the target (``target="own"``: the
    job's own candidates' mix, its ``own_mix`` column), its match and gap score;
    the match rate, mean gap, gap score and undefined jobs as the per-job rows
    give them; top-k shares and exposure ratios.
``cause_split``
    The three-way split's parts add up to its total, shares are value / total,
    ``beyond_chance`` is ``p_value <= alpha`` and the null's quantiles are
    ordered (:mod:`fairaudit.engine.consistency_split`; the parts themselves need
    the counterfactual rankings and are not re-derived).
``created_at``
    The audit date is an ISO 8601 time no later than now (a day of clock
    tolerance): an LL144 summary publishes it as the date of the bias audit.
``summary``
    The headline verdict (cover and summary) and the gap causes are what
    :func:`~fairaudit.engine.measure.summarize` and
    :func:`~fairaudit.engine.causes.gap_causes` give for the checked tables.

What is not checked
-------------------
A p-value cannot be re-derived without the candidates (it needs the
permutations). It is checked for its range, against the verdict it gives,
and against the null quantiles stored beside it: a permutation p-value
:math:`(1 + \\#\\{T^{(b)} \\le T\\}) / (1 + m)` is above ``q`` whenever the observed
ratio is at least the null's ``q``-quantile (``q`` = 0.05 and 0.5), so a ratio
at or above the null's median with p < 0.5 is refused. Only this direction is
checked: it holds for a family-wise adjusted p-value too (adjusting only
raises p). The null quantiles, the power, the bootstrap intervals, exposure,
NDKL, the cross-check tests (Fisher, two-SD), drivers and the decomposition
are not re-derived: they need the rankings or the model. The audit's
provenance (hashes, dates) is the signer's statement, not a derived number.

Tolerances
----------
Numbers agree within :data:`~fairaudit.engine.rederive.RTOL` (1e-6 relative) or
:data:`~fairaudit.engine.rederive.ATOL` (1e-9); per-job gaps, re-derived from
mixes stored to 6 decimals, within :data:`~fairaudit.engine.rederive.MIX_ATOL`.
"""
from __future__ import annotations

from typing import Iterator

from ..errors import DataError
from .consistency_rules import RULES
from . import consistency_split  # noqa: F401  (registers the rule "cause_split" after the others)
from .rederive import AuditView, Disagreement, show
from .result import AuditResult

__all__ = ["RULES", "Disagreement", "check_consistency", "disagreements"]


def disagreements(result: AuditResult) -> Iterator[Disagreement]:
    """Every disagreement of ``result`` with its own counts, rule by rule in the order of :data:`RULES`.

    Parameters
    ----------
    result : AuditResult
        An audit, read from a file or just measured.
    """
    view = AuditView(result)
    for check in RULES.values():
        yield from check(view)


def check_consistency(result: AuditResult, source: str | None = None) -> None:
    """Raise :class:`~fairaudit.errors.DataError` at the first number ``result``'s counts do not give.

    Parameters
    ----------
    result : AuditResult
        The audit to render or sign.
    source : str, optional
        How the message names the audit; default: the file it was read from, else "audit".

    Raises
    ------
    DataError
        One line: the JSON path of the first field that disagrees, its stored
        value and what fairaudit re-derives (see the module docstring).
    """
    first = next(disagreements(result), None)
    if first is not None:
        source = source or str((result.run_info or {}).get("source") or "audit")
        raise DataError(f"{source}: {first.path} is {show(first.stored)}, but {first.derived} (rule {first.rule!r}); "
                        "the file was changed after the audit or is damaged, and fairaudit renders and signs only "
                        "numbers it can re-derive: run `fairaudit audit` again")

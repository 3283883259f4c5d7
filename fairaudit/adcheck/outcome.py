"""The result of a pre-publication check (:func:`fairaudit.adcheck.checker.check`) and its text.

Plain dataclasses with ``to_dict()`` and the formatting of :func:`format_check`;
nothing is measured here. The word-level diff is written the way
``git diff --word-diff`` does: ``[-removed-]{+added+}``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from ..report.format import attribute_label, group_label, target_text
from ..engine.verdicts import describe

#: The verdict category of a top-k whose tied scores, broken by row order, decide whether the gap
#: exceeds the tolerance: the recommender did not decide it, so the check does not judge it.
TIED = "cannot be judged (tied scores)"


@dataclass(frozen=True)
class MixAtK:
    """The ad's top-k group mix at one k against the target and the noise floor."""

    k: int
    mix: dict[str, float]
    target: dict[str, float]
    gap: float
    noise_floor: float
    within_tolerance: bool
    p_value: float | None = None  # share of random top-k lists from the pool with a gap at least this large
    verdict: str | None = None  # fairaudit.engine.verdicts category of the gap against the tolerance
    null_exceed_share: float | None = None  # share of random top-k lists whose gap exceeds the tolerance
    order_decided: int = 0  # top-k places filled by row order among tied scores (fairaudit.metrics.ties)
    judgeable: bool = True  # False when those places can carry the gap across the tolerance (verdict TIED)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IdentityBlind:
    """The gap with names and pronouns masked in the profiles: what the text itself moves."""

    k: int
    gap: float
    gap_blind: float

    @property
    def identity_part(self) -> float:
        return self.gap - self.gap_blind

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "identity_part": self.identity_part, "text_part": self.gap_blind}


@dataclass(frozen=True)
class Driver:
    """A word or sentence whose removal narrows the gap by ``delta`` (the gap k's units).

    ``label`` says what it is: a Gaucher-coded word (the word list is a label,
    not a filter), a style word a rewrite may change, a word a rewrite keeps
    (ESCO job vocabulary such as skills and duties, a name, a title word), or a
    sentence with the coded words it holds.
    """

    kind: str  # "word" or "sentence"
    text: str
    sentence_no: int
    coded: bool
    category: str | None
    label: str
    gap_without: float
    delta: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RewriteCheck:
    """The shipped AutoRefine rewrite of the ad and its effect."""

    text: str
    accepted: bool
    reason: str
    edits: str
    meaning_score: float
    skill_recall: float
    mixes: list[MixAtK]
    diff: list[dict[str, str]]
    method: str = "policy"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mixes"] = [m.to_dict() for m in self.mixes]
        return d


@dataclass
class CheckResult:
    """Everything :func:`check` found (``seconds``, the time of each step, is left out of :meth:`to_dict`)."""

    text: str
    title: str
    pool: str
    synthetic_pool: bool
    n_candidates: int
    recommender: str
    attribute: str
    target: Any
    tolerance: float
    gap_k: int
    mixes: list[MixAtK]
    identity_blind: IdentityBlind | None
    drivers: list[Driver]
    text_driven: bool
    text_driven_reason: str
    rewrite: RewriteCheck | None
    seconds: dict[str, float] = field(default_factory=dict)
    #: What the reader should know about the text (mixed scripts, not English, longer than the model reads).
    warnings: list[str] = field(default_factory=list)
    #: How much of the ad the embedding model reads (:class:`fairaudit.engine.reading.ReadExtent`), None without a limit.
    read: dict[str, Any] | None = None

    @property
    def headline(self) -> MixAtK:
        """The mix at the gap k, the one the verdict is judged at."""
        return next(m for m in self.mixes if m.k == self.gap_k)

    @property
    def within_tolerance(self) -> bool:
        return self.headline.within_tolerance

    @property
    def judgeable(self) -> bool:
        """False when row order among tied scores decides the verdict at the gap k (:data:`TIED`)."""
        return self.headline.judgeable

    @property
    def exit_code(self) -> int:
        """0 when the gap at the gap k is within the tolerance, 3 when it exceeds it, 4 when that cannot be judged."""
        return 4 if not self.judgeable else 0 if self.within_tolerance else 3

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text, "title": self.title, "pool": self.pool, "synthetic_pool": self.synthetic_pool,
            "n_candidates": self.n_candidates, "recommender": self.recommender, "attribute": self.attribute,
            "target": self.target, "tolerance": self.tolerance, "gap_k": self.gap_k,
            "within_tolerance": self.within_tolerance, "judgeable": self.judgeable, "exit_code": self.exit_code,
            "mixes": [m.to_dict() for m in self.mixes],
            "identity_blind": None if self.identity_blind is None else self.identity_blind.to_dict(),
            "text_driven": self.text_driven, "text_driven_reason": self.text_driven_reason,
            "drivers": [d.to_dict() for d in self.drivers],
            "rewrite": None if self.rewrite is None else self.rewrite.to_dict(),
            "warnings": list(self.warnings), "read": self.read,
        }




def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def mix_lines(mixes: Sequence[MixAtK], groups: Sequence[str], indent: str = "  ") -> list[str]:
    """One line per k: the top-k shares, the gap and the noise floor."""
    out = []
    for m in mixes:
        shares = ", ".join(f"{group_label(g)} {_pct(m.mix.get(g, 0.0))}" for g in groups)
        verdict = "within tolerance" if m.within_tolerance else "EXCEEDS tolerance"
        if not m.judgeable:
            verdict = f"row order among tied scores filled {m.order_decided} of the {m.k} places"
        chance = f"; {describe(m.verdict, m.p_value)}" if m.verdict else ""
        out.append(f"{indent}top-{m.k}: {shares}; gap {m.gap:.3f} ({verdict}), "
                   f"random top-{m.k}: {m.noise_floor:.3f}{chance}")
    return out


def diff_text(segments: Sequence[dict[str, str]]) -> str:
    """A word diff as one string: ``[-removed-]`` and ``{+added+}`` around the changes."""
    out = []
    for s in segments:
        text = s["text"]
        if s["op"] == "equal":
            out.append(text)
        else:
            lead = text[: len(text) - len(text.lstrip())]
            mark = ("[-", "-]") if s["op"] == "delete" else ("{+", "+}")
            out.append(f"{lead}{mark[0]}{text.strip()}{mark[1]}")
    return "".join(out)


def format_check(result: CheckResult, max_drivers: int = 8) -> str:
    """The check's findings as plain text (what ``fairaudit check`` prints)."""
    groups = list(result.headline.mix)
    head = result.headline
    lines = [f"Ad checked against {result.n_candidates:,} candidates: {result.pool}",
             f"Recommender {result.recommender}; {attribute_label(result.attribute).lower()} mix of the top-k vs "
             f"the target ({target_text(result.target)}: "
             + ", ".join(f"{group_label(g)} {_pct(head.target[g])}" for g in groups) + ")"]
    lines += [f"Warning: {w}" for w in result.warnings]
    lines += mix_lines(result.mixes, groups)
    verdict = "within" if result.within_tolerance else "exceeds"
    category = f"; {describe(head.verdict, head.p_value, head.null_exceed_share)}" if head.verdict else ""
    if not result.judgeable:
        lines.append(f"Verdict at k={result.gap_k}: cannot be judged: {head.order_decided} of the top-{result.gap_k} "
                     f"places were filled by row order among tied scores, and another order could put the gap "
                     f"(here {head.gap:.3f}) on the other side of the tolerance {result.tolerance:.3f} "
                     f"(exit {result.exit_code})")
    else:
        lines.append(f"Verdict at k={result.gap_k}: gap {head.gap:.3f} {verdict} the tolerance "
                     f"{result.tolerance:.3f}{category} (exit {result.exit_code})")
    lines.append(f"Text-driven: {'yes' if result.text_driven else 'no'}: {result.text_driven_reason}")
    if result.identity_blind is not None:
        b = result.identity_blind
        lines.append(f"  identity-blind (names and pronouns masked in the profiles): gap {b.gap_blind:.3f}; "
                     f"identity cues {b.identity_part:+.3f}")
    if result.drivers:
        lines.append(f"What drives it (how much removing it narrows the top-{result.gap_k} gap; "
                     "the word list is a label, not a filter):")
        for d in result.drivers[:max_drivers]:
            what = f"\u201c{d.text}\u201d" if d.kind == "word" else f"sentence {d.sentence_no}: \u201c{d.text}\u201d"
            lines.append(f"  {d.delta:.3f}  {what} ({d.label})")
        if len(result.drivers) > max_drivers:
            lines.append(f"  ... and {len(result.drivers) - max_drivers} more (see the JSON)")
    else:
        lines.append(f"What drives it: removing no single word or sentence narrows the gap at k={result.gap_k}")
    rw = result.rewrite
    if rw is None:
        lines.append("Rewrite: not requested")
    elif not rw.accepted:
        lines.append(f"AutoRefine rewrite ({rw.method}): none kept: {rw.reason or 'no change proposed'}")
    else:
        lines.append(f"AutoRefine rewrite ({rw.method}): meaning similarity {rw.meaning_score:.3f}, "
                     f"skill recall {rw.skill_recall:.3f}; edits: {rw.edits}")
        lines += mix_lines(rw.mixes, groups, indent="  after  ")
        lines.append("  diff ([-removed-] {+added+}):")
        lines += ["    " + ln for ln in diff_text(rw.diff).splitlines()]
    if result.synthetic_pool:
        lines.append("Note: no --candidates given, so this ran on the packaged SYNTHETIC pool; pass your own "
                     "candidates for a real answer")
    return "\n".join(lines)

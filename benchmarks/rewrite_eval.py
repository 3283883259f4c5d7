"""Round-3 evaluation of rewrites: several unseen pools, every audited attribute, paired CIs and power.

Every number is measured with the audit's hard top-k mix (:class:`fairaudit.engine.gap.GapScorer`) on
``len(EVAL_POOL_SEEDS)`` evaluation pools that no training, selection or setting has seen, and each
ad's numbers are **averaged over the pools** before anything is averaged over ads (so one pool's
accidents of which candidate sits at rank k weigh a third).

Per attribute (``sex``, ``race_ethnicity`` and their intersection ``sex_race``):

* *gap* = W1 (two groups) or total variation (more) between the top-k mix and the pool's mix;
  *gap reduction* = gap before − gap after (higher is better); *gap above floor* = mean
  ``max(gap − floor, 0)``, with the floor = the expected gap of a random top-k from the pool
  (:attr:`GapScorer.noise_floor`, averaged over the pools).
* *shift toward the target*: for sex, the change of the top-k female share in the direction that
  undoes the ad's coding (coded ads only, as in round 2); for race/ethnicity and the
  intersection, the change of the top-k mix projected on the unit vector from the ad's
  pool-averaged mix before to the target (all ads).
* *share of the human rewrite's shift* = mean shift / the human rewrite's mean shift.
* *diversity match rate* (AutoRefine, arXiv:2501.07324): the share of (ad, pool) pairs whose
  gap is within ``TOLERANCE`` of the target, before and after, and its relative change
  (the paper reports +18.7% on average over gender and race).
* *harm beyond noise*: accepted rewrites whose gap of the attribute rose beyond what
  meaning-neutral variants of the same ad do on the same pools (:func:`harm_flags`; the calibrated
  test, ``benchmarks/calibrate_harm.py``), and ends above the floor.
* *widened beyond the floor* (the round-3 count, kept for comparison): accepted rewrites whose pool-averaged gap of the attribute rose
  and ends above the floor (the acceptance count), and those that rose by more than one
  candidate's worth (1/k).

Paired bootstrap 95% CIs over ads (:func:`fairaudit.metrics.bootstrap.paired_bootstrap_ci`)
and the smallest paired difference the set resolves with 80% power at α = 0.05,

.. math:: \\mathrm{MDE} = (z_{0.975} + z_{0.8})\\, s_d / \\sqrt{n} \\approx 2.80\\, s_d/\\sqrt{n},

with :math:`s_d` the standard deviation of the per-ad paired differences.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fairaudit.engine.gap import GapScorer
from fairaudit.metrics.bootstrap import paired_bootstrap_ci
from fairaudit.metrics.diversity import gap as gap_fn

ATTRIBUTES = ("sex", "race_ethnicity", "sex_race")
K = 50
TOLERANCE = 0.1  # the audit's default match tolerance (fairaudit.metrics.diversity_match_rate)
Z_POWER = 1.959964 + 0.841621  # two-sided alpha 0.05, power 0.8


@dataclass
class PoolSet:
    """One recommender per evaluation pool and a :class:`GapScorer` per (pool, attribute)."""

    scorers: dict[tuple[int, str], GapScorer]

    @classmethod
    def build(cls, recommender_factory, pools: dict[int, pd.DataFrame], attributes=ATTRIBUTES, k: int = K):
        scorers = {}
        for seed, pool in pools.items():
            rec = recommender_factory()
            for i, a in enumerate(attributes):
                scorers[(seed, a)] = GapScorer(rec, pool, k=k, target="pool", attribute=a, fit=(i == 0))
        return cls(scorers)

    @property
    def seeds(self) -> list[int]:
        return sorted({s for s, _ in self.scorers})

    @property
    def attributes(self) -> list[str]:
        return list(dict.fromkeys(a for _, a in self.scorers))

    def measure(self, texts: list[str]) -> dict[str, dict[str, np.ndarray]]:
        """Per attribute: ``mix`` (pools, texts, groups), ``gap`` (pools, texts), ``target``, ``floor``, ``labels``."""
        out = {}
        for a in self.attributes:
            mixes, gaps, floors, target = [], [], [], None
            for s in self.seeds:
                sc = self.scorers[(s, a)]
                m = sc.mix(texts)
                mixes.append(m)
                gaps.append(gap_fn(m, sc.target))
                floors.append(sc.noise_floor)
                target = sc.target if target is None else target
            out[a] = {"mix": np.stack(mixes), "gap": np.stack(gaps), "target": np.asarray(target),
                      "floor": float(np.mean(floors)), "labels": list(self.scorers[(self.seeds[0], a)].labels)}
        return out


def per_ad(before: dict, after: dict, coding: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per-ad numbers of one method, each averaged over the pools, for every attribute."""
    out = {}
    sign = np.where(coding == "masculine", 1.0, np.where(coding == "feminine", -1.0, np.nan))
    for a, b in before.items():
        aft = after[a]
        gb, ga = b["gap"].mean(0), aft["gap"].mean(0)
        dm = (aft["mix"] - b["mix"]).mean(0)  # (texts, groups)
        if a == "sex":
            f = b["labels"].index("female")
            shift = sign * dm[:, f]
        else:
            direction = b["target"][None, :] - b["mix"].mean(0)
            norm = np.linalg.norm(direction, axis=1, keepdims=True)
            shift = (dm * direction / np.where(norm > 0, norm, 1)).sum(1)
        out[a] = {"gap_before": gb, "gap_after": ga, "reduction": gb - ga, "shift": shift,
                  "match_before": (b["gap"] <= TOLERANCE + 1e-12).mean(0),
                  "match_after": (aft["gap"] <= TOLERANCE + 1e-12).mean(0), "floor": b["floor"]}
    return out


#: Meaning-neutral variants per ad for the harm test's null, and its false-alarm rate.
N_NULL, HARM_ALPHA = 8, 0.05


def neutral_null(ps, originals: list[str], before: dict, n_null: int = N_NULL, seed: int = 0) -> dict:
    """Per attribute, a list (one per ad) of the neutral variants' gap rises, shape (variants, pools).

    The variants (:func:`rewriting.noise.neutral_variants`) are measured on the same pools as every
    method, once per test set.
    """
    from fairaudit.rewriting.noise import neutral_variants

    variants = [neutral_variants(t, n_null, seed) for t in originals]
    flat = [v for vs in variants for v in vs]
    m = ps.measure(flat) if flat else None
    out: dict[str, list] = {a: [] for a in before}
    k = 0
    for j, vs in enumerate(variants):
        for a in before:
            g = m[a]["gap"][:, k:k + len(vs)] if vs else np.zeros((before[a]["gap"].shape[0], 0))
            out[a].append((g - before[a]["gap"][:, j:j + 1]).T)
        k += len(vs)
    return out


def harm_flags(before: dict, after: dict, null: dict, alpha: float = HARM_ALPHA) -> dict[str, np.ndarray]:
    """Per attribute and ad: the gap rose beyond noise (:func:`rewriting.noise.rise_beyond_noise` over the
    pools, against the ad's neutral variants) and ends above the floor."""
    from fairaudit.rewriting.noise import rise_beyond_noise

    out = {}
    for a, b in before.items():
        rise = after[a]["gap"] - b["gap"]  # (pools, ads)
        flags = np.zeros(rise.shape[1], dtype=bool)
        for j, nul in enumerate(null[a]):
            if len(nul) >= 2:
                flags[j] = bool(rise_beyond_noise(rise[:, j], nul, alpha).flagged) and \
                    after[a]["gap"][:, j].mean() > b["floor"]
        out[a] = flags
    return out


def _mean(x) -> float | None:
    x = np.asarray(x, dtype=float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else None


def summarise(method: str, test: str, ev: dict, rw: pd.DataFrame | None, human: dict | None,
              extra: dict | None = None, harm: dict | None = None) -> list[dict]:
    """One row per attribute: gaps, shift, share of the human's shift, match rates, widened and harm counts."""
    rows = []
    acc = rw["accepted"].to_numpy(bool) if rw is not None else np.ones(len(next(iter(ev.values()))["gap_before"]), bool)
    k = K
    for a, e in ev.items():
        hs = _mean(human[a]["shift"]) if human is not None else None
        mb, ma = float(e["match_before"].mean()), float(e["match_after"].mean())
        rose = e["gap_after"] > e["gap_before"] + 1e-12
        row = {
            "method": method, "test_set": test, "k": k, "attribute": a, "n_jobs": int(len(e["gap_before"])),
            "noise_floor": e["floor"], "mean_gap_before": _mean(e["gap_before"]), "mean_gap": _mean(e["gap_after"]),
            "gap_reduction": _mean(e["reduction"]),
            "gap_above_floor_before": _mean(np.maximum(e["gap_before"] - e["floor"], 0)),
            "gap_above_floor": _mean(np.maximum(e["gap_after"] - e["floor"], 0)),
            "shift_toward_target": _mean(e["shift"]),
            "human_share": (_mean(e["shift"]) / hs) if hs and _mean(e["shift"]) is not None and hs > 0 else None,
            "match_rate_before": mb, "match_rate_after": ma,
            "match_rate_relative_change": (ma - mb) / mb if mb > 0 else None,
            "acceptance_rate": float(acc.mean()),
            "widened_beyond_floor": int((acc & rose & (e["gap_after"] > e["floor"])).sum()),
            "widened_by_one_candidate": int((acc & (e["gap_after"] - e["gap_before"] > 1.0 / k)).sum()),
            "harm_beyond_noise": int((acc & harm[a]).sum()) if harm is not None else None,
        }
        if rw is not None and acc.any():
            row["meaning_similarity"] = float(rw.loc[acc, "meaning_score"].mean())
            row["skill_recall"] = float(rw.loc[acc, "skill_recall"].mean())
        row.update(extra or {})
        rows.append(row)
    return rows


def mde(d: np.ndarray) -> float | None:
    """Smallest paired mean difference resolved with 80% power at alpha 0.05 (normal approximation)."""
    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    return float(Z_POWER * d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 2 else None


def paired(test: str, per_job: dict[str, dict], pairs: list[tuple[str, str]], n_boot: int, seed: int) -> list[dict]:
    """Paired CIs (policy − other) per attribute, for gap reduction and shift toward the target."""
    out = []
    for a_name, b_name in pairs:
        if a_name not in per_job or b_name not in per_job:
            continue
        for attr in per_job[a_name]:
            for metric in ("gap_reduction", "shift"):
                key = "reduction" if metric == "gap_reduction" else "shift"
                x, y = per_job[a_name][attr][key], per_job[b_name][attr][key]
                ci = paired_bootstrap_ci(x, y, n_boot, seed)
                out.append({"comparison": f"{a_name} − {b_name}", "test_set": test, "k": K, "attribute": attr,
                            "metric": metric, **ci, "mde_80": mde(np.asarray(x) - np.asarray(y))})
    return out

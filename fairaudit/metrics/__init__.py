"""Fairness metrics: small pure functions over arrays of group counts."""
from .counts import group_counts
from .diversity import (diversity_match_rate, gap, gap_score, match, random_topk_gap, soft_topk_shares,
                        target_distribution,
                        topk_shares, total_variation, wasserstein_binary)
from .impact import four_fifths_flags, impact_ratios, is_above, is_below, rated_mask, reference_mask, selection_rates
from .parity import demographic_parity, dp_from_rates, selection_rate_frame
from .ranking import exposure, ndkl, position_weights, skew_at_k

__all__ = [
    "group_counts",
    "diversity_match_rate", "gap", "gap_score", "match", "random_topk_gap", "soft_topk_shares", "target_distribution", "topk_shares",
    "total_variation", "wasserstein_binary", "four_fifths_flags", "impact_ratios", "is_below",
    "is_above", "rated_mask", "reference_mask",
    "selection_rates", "demographic_parity", "dp_from_rates", "selection_rate_frame", "exposure",
    "ndkl", "position_weights", "skew_at_k",
]

"""The statistics of a paired comparison: exact McNemar test, paired bootstrap intervals, precision/recall."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 2019
LEVEL = 0.95


def mcnemar_exact(baseline_only: int, candidate_only: int) -> float:
    """Two-sided exact McNemar p-value: under "both models are equally good", each of the n discordant
    documents is equally likely to favour either model, so the smaller count is Binomial(n, 1/2)."""
    n = baseline_only + candidate_only
    if n == 0:
        return 1.0
    k = min(baseline_only, candidate_only)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2 ** n)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


Statistic = Callable[[np.ndarray], np.ndarray]  # resample index rows (B, n) -> one value per row (B,)


def paired_bootstrap(n: int, statistic: Statistic, resamples: int = BOOTSTRAP_RESAMPLES,
                     seed: int = BOOTSTRAP_SEED, level: float = LEVEL) -> tuple[float | None, float | None]:
    """Percentile interval of `statistic` over `resamples` resamples of the n documents with replacement.

    The same rows of document indices serve every statistic of one comparison (same seed), and both
    models are scored on each row together: the interval is of the paired difference. Resamples where the
    statistic is undefined (NaN: no document predicted a label) are left out; None when all are."""
    if n == 0:
        return None, None
    rows = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    values = np.asarray(statistic(rows), dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def rate_difference(candidate_hits: np.ndarray, baseline_hits: np.ndarray, candidate_base: np.ndarray,
                    baseline_base: np.ndarray) -> Statistic:
    """candidate rate − baseline rate on each resample, a rate being hits / base summed over the resample
    (accuracy: hits = right, base = 1; precision: hits = true positives, base = predicted positives)."""
    def statistic(rows: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            candidate = candidate_hits[rows].sum(axis=1) / candidate_base[rows].sum(axis=1)
            baseline = baseline_hits[rows].sum(axis=1) / baseline_base[rows].sum(axis=1)
        return candidate - baseline
    return statistic

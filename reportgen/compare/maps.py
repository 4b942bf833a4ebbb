"""How far two models' maps of one document agree: rank correlation and top-k overlap of token weights."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from reportgen.metrics.sanity import spearman

TOP_K = 10


def top_k_overlap(a: Sequence[float], b: Sequence[float], k: int = TOP_K) -> tuple[float | None, int]:
    """Share of the k highest-weighted token positions the two maps have in common, and the k used (at most
    the token count). Ties at the cut are broken by position, so the answer is deterministic."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"maps of different lengths: {x.size} and {y.size}")
    k = min(k, x.size)
    if k == 0:
        return None, 0
    top_a = set(np.lexsort((np.arange(x.size), -x))[:k].tolist())
    top_b = set(np.lexsort((np.arange(y.size), -y))[:k].tolist())
    return len(top_a & top_b) / k, k


def agreement(a: Sequence[float], b: Sequence[float], k: int = TOP_K) -> tuple[float | None, float | None, int]:
    """(Spearman rho, top-k overlap, k) of two maps over the same tokens."""
    overlap, used = top_k_overlap(a, b, k)
    return spearman(a, b), overlap, used

"""Resizing a layer-resolution map to the document's token count.

As in the tutorial: the layer's time steps and the tokens are both placed at evenly spaced points over
[0, 1] and scipy's `interp1d` of the asked kind maps one onto the other. Kinds that need more points than
the layer has fall back to one that works, and the result says why.
"""

from __future__ import annotations

import numpy as np

from reportgen.spec.choices import INTERPOLATION_KINDS as KINDS

# interp1d needs at least this many points for each kind (spline order + 1)
MIN_POINTS = {"linear": 2, "nearest": 2, "zero": 2, "slinear": 2, "quadratic": 3, "cubic": 4,
              "previous": 2, "next": 2}


def resize(values: np.ndarray, length: int, kind: str = "linear") -> tuple[np.ndarray, str, str | None]:
    """Return (resized values, kind applied, note or None)."""
    if kind not in KINDS:
        raise ValueError(f"interpolation kind {kind!r}; expected one of {', '.join(KINDS)}")
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if length <= 0:
        return np.zeros(0), kind, None
    if n == length:  # every kind returns the knots themselves; skip the float noise of evaluating them
        return values.copy(), kind, None
    if n == 1:
        return np.full(length, values[0]), "constant", (
            f"the layer has 1 time step: '{kind}' needs {MIN_POINTS[kind]}, so its single value is spread "
            "over every token")
    used, note = kind, None
    if n < MIN_POINTS[kind]:
        used = "linear"
        note = f"'{kind}' needs at least {MIN_POINTS[kind]} time steps and the layer has {n}: used 'linear'"
    from scipy.interpolate import interp1d

    f = interp1d(np.linspace(0.0, 1.0, n), values, kind=used)
    return f(np.linspace(0.0, 1.0, length)), used, note

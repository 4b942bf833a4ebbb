"""Which layer gives the most faithful maps? Per-layer means with confidence intervals, and a recommendation.

A sample's score for a layer is its AOPC gain, AOPC - random_aopc, averaged over the sample's predicted
targets first (so every sample counts once and the interval is over independent samples). Only predicted
targets count when a sample has any: a map explains a decision, and for the labels the model rejects
removing evidence raises their probability, so averaging them in would cancel the predicted label's
numbers (a binary model's two targets mirror each other exactly). The table reports the mean
over samples with a two-sided t interval: mean ± t_{(1+c)/2, n-1} * s / sqrt(n), s the sample standard
deviation (ddof=1); with n < 2 there is no interval.

The recommended layer has the highest mean gain among the layers whose maps pass the model randomisation
sanity check (a row's `sanity.passed` is True); when none passes, or the check did not run, it is the
highest mean gain of all, and `recommended_passes_sanity` (False / None) and the note say so. Deletion alone
is not enough: a map that tracks word identity (an embedding layer's) can rank the words the model relies
on well while staying the same for a model that learned nothing, which is what the sanity check catches.
On an exact tie (after rounding to the report's 7 significant digits) the deeper layer wins, i.e. the later
one in the order given, which is the model's order: Grad-CAM's usual choice is the last layer with a time
axis, whose maps are the most class-specific.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from reportgen.results import round_float

# Numbers averaged over a layer's samples (each first averaged over the sample's targets).
TABLE_FIELDS = ("aopc", "random_aopc", "lerf_aopc", "comprehensiveness", "sufficiency")
CURVE_FIELDS = ("morf", "random", "lerf")


def confidence_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of a t interval over `values`; (None, None, None) if empty, no interval if n < 2."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if x.size == 0:
        return None, None, None
    mean = float(x.mean())
    if x.size < 2:
        return mean, None, None
    half = float(stats.t.ppf((1 + confidence) / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def _decision_entries(entries: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    chosen = [e for e in entries.values() if e.get("predicted")]
    return chosen or list(entries.values())


def _sample_means(entries: Mapping[str, Mapping[str, Any]], key: str) -> float:
    return float(np.mean([e[key] for e in _decision_entries(entries)]))


def _mean_curves(samples: list[Mapping[str, Mapping[str, Any]]]) -> dict[str, list[float]] | None:
    """Pointwise mean over samples (each first averaged over its targets) of the deletion curves."""
    if not samples:
        return None
    first = next(iter(samples[0].values()))["curves"]
    out: dict[str, list[float]] = {"fractions": [float(f) for f in first["fractions"]]}
    for name in CURVE_FIELDS:
        per_sample = [np.mean([e["curves"][name] for e in _decision_entries(entries)], axis=0)
                      for entries in samples]
        out[name] = [float(v) for v in np.mean(per_sample, axis=0)]
    return out


def layer_table(per_doc: Mapping[str, Mapping[str, Mapping[str, Mapping[str, Any]]] | None],
                layers: Sequence[str], *, auto_layer: str | None = None,
                confidence: float = 0.95) -> list[dict[str, Any]]:
    """One row per layer, in the order given: the gain's mean and interval, n, means of the other scores."""
    rows = []
    for layer in layers:
        samples = [m[layer] for _, m in sorted(per_doc.items()) if m and m.get(layer)]
        gains = [_sample_means(entries, "aopc_gain") for entries in samples]
        mean, low, high = confidence_interval(gains, confidence)
        row: dict[str, Any] = {"layer": layer, "n": len(samples), "mean": mean, "ci_low": low, "ci_high": high}
        for key in TABLE_FIELDS:
            row[key] = float(np.mean([_sample_means(e, key) for e in samples])) if samples else None
        row["auto"] = layer == auto_layer
        row["best"] = False
        row["curves"] = _mean_curves(samples)
        rows.append(row)
    return rows


def _gain(value: float) -> str:
    return f"{value:.3f}".replace("-", "\u2212")


def _layers(count: int) -> str:
    return "1 layer" if count == 1 else f"{count} layers"


def _best(scored: list[tuple[int, dict[str, Any]]]) -> tuple[int, dict[str, Any]]:
    return max(scored, key=lambda ir: (round_float(ir[1]["mean"]), ir[0]))


def _passes(row: Mapping[str, Any]) -> bool | None:
    sanity = row.get("sanity")
    return None if not sanity else sanity.get("passed")


def recommend_layer(rows: list[dict[str, Any]], auto_layer: str | None = None) -> dict[str, Any]:
    """Mark the recommended row `best` (see the module docstring) and say why and how it relates to auto.

    `separated` is True when the recommended layer's interval lies wholly above the interval of every other
    candidate (the scored layers that pass the sanity check, or all scored layers when none passes); None
    when it had no other candidate. `most_faithful_layer` is the highest mean gain regardless of the check.
    """
    scored = [(i, r) for i, r in enumerate(rows) if r["mean"] is not None]
    for r in rows:
        r["best"] = False
    if not scored:
        return {"recommended_layer": None, "auto_layer": auto_layer, "differs_from_auto": None,
                "separated": None, "most_faithful_layer": None, "recommended_passes_sanity": None,
                "recommendation_note": "No layer could be scored."}
    checked = any(r.get("sanity") for _, r in scored)
    passing = [(i, r) for i, r in scored if _passes(r) is True]
    candidates = passing or scored
    best_index, best = _best(candidates)
    top = _best(scored)[1]
    best["best"] = True
    others = [r for i, r in candidates if i != best_index]
    separated = None if not others else best["ci_low"] is not None and all(
        r["ci_high"] is not None and best["ci_low"] > r["ci_high"] for r in others)
    if passing:
        passes: bool | None = True
        if len(scored) == 1:
            note = "The only layer scored; its maps pass the sanity check."
        elif len(passing) == len(scored):
            note = f"Best of {len(scored)} by the deletion test; every layer's maps pass the sanity check."
        elif len(passing) == 1:
            note = f"The only one of {_layers(len(scored))} whose maps pass the sanity check."
        else:
            note = (f"Best by the deletion test among the {len(passing)} of {len(scored)} layers whose maps pass "
                    "the sanity check.")
        if top is not best:
            why = ("they barely change when the model's top layers are re-initialised, so they follow the words "
                   "more than what the model learned" if _passes(top) is False
                   else "the check gave no verdict for them")
            note += (f" {top['layer']} scores higher on the deletion test (AOPC gain {_gain(top['mean'])} against "
                     f"{_gain(best['mean'])}) but its maps do not pass the sanity check: {why}.")
    elif checked:
        passes = False
        if len(scored) == 1:
            note = ("The only layer scored, and its maps do not pass the sanity check: they are not shown to "
                    "change when the model's top layers are re-initialised, so they may reflect the words more "
                    "than what the model learned; read them with care.")
        else:
            note = (f"No layer's maps pass the sanity check: none is shown to change when the model's top layers "
                    f"are re-initialised, so the maps may reflect the words more than what the model learned. "
                    f"Shown: the best of {len(scored)} by the deletion test alone; read its maps with care.")
    else:
        passes = None
        note = (f"Best of {len(scored)} by the deletion test; the sanity check did not run, so whether the maps "
                "follow what the model learned is untested.") if len(scored) > 1 else (
            "The only layer scored; the sanity check did not run.")
    return {
        "recommended_layer": best["layer"],
        "auto_layer": auto_layer,
        "differs_from_auto": None if auto_layer is None else best["layer"] != auto_layer,
        "separated": separated,
        "most_faithful_layer": top["layer"],
        "recommended_passes_sanity": passes,
        "recommendation_note": note,
    }

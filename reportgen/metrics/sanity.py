"""Model randomisation sanity check (Adebayo et al. 2018): maps that explain a model must change when the
model's learned weights are replaced by fresh random ones.

`randomize_top_layers` clones the model and re-initialises its top N weight-carrying layers (counted from
the output, nested models flattened, a wrapper such as Bidirectional counting as one layer) with each
layer's own initialisers, seeded; `randomized_in_place` gives the model itself those weights for the length
of a `with` block and puts the learned ones back after. `sanity_check` recomputes the maps with the
randomised model and compares each to the original by Spearman rank correlation rho. A map "did not
change" when |rho| > threshold (default 0.5: more than a moderate rank agreement survives destroying what
the model learned); the check fails when the mean |rho| over the maps exceeds the threshold. Maps that are
constant in both models count as unchanged (rho = 1); a map constant in only one of them has no rank
correlation and is left out (counted).

The verdict is per layer: an embedding layer's map tracks word identity and can survive randomising every
layer above it while a deeper layer's maps change, so one layer's result says nothing about another's.
`compute_maps` may return the maps of several layers at once (a mapping layer -> maps; the engine computes
them in one pass), and each layer is judged on its own maps.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from scipy import stats

DEFAULT_THRESHOLD = 0.5

# keras model -> the maps (one 1-D map per sample and target), or a mapping layer -> such maps, in the same
# order for any model of this architecture
ComputeMaps = Callable[[Any], Sequence[Any] | Mapping[str, Sequence[Any]]]


def _leaf_layers(model: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(path, layer) in model order with nested models expanded ("outer/inner"); wrappers stay whole."""
    import keras

    out = []
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            out.extend(_leaf_layers(layer, prefix=f"{path}/"))
        else:
            out.append((path, layer))
    return out


def weight_layer_paths(model: Any) -> list[str]:
    """Paths of the weight-carrying layers, input side first (what `randomize_top_layers` counts)."""
    return [path for path, layer in _leaf_layers(model) if layer.weights]


def _seeded(config: Any, seeds: list[int]) -> Any:
    """A copy of a layer config with every seed-taking object's `seed` set from `seeds`, in config order."""
    if isinstance(config, list):
        return [_seeded(v, seeds) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: _seeded(v, seeds) for k, v in config.items()}
    inner = out.get("config")
    if "class_name" in out and isinstance(inner, dict) and "seed" in inner:
        out["config"] = {**inner, "seed": seeds.pop(0)}
    return out


def _clone(model: Any) -> Any:
    """An independent copy with the same weights; models clone_model cannot copy go through a .keras file."""
    import keras

    try:
        clone = keras.models.clone_model(model)
        clone.set_weights(model.get_weights())
        return clone
    except Exception:  # subclassed models and custom layers without a usable clone path
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            return keras.models.load_model(path, compile=False)


def _fresh_weights(layer: Any, seed: int) -> list[np.ndarray]:
    """Weights of a new layer built from `layer`'s config with its initialisers seeded."""
    config = layer.get_config()
    fresh = layer.__class__.from_config(_seeded(config, [seed * 1000 + k for k in range(1000)]))
    fresh.build_from_config(layer.get_build_config())
    return fresh.get_weights()


def _top_weight_layers(model: Any, n: int) -> list[Any]:
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    return [layer for _, layer in _leaf_layers(model) if layer.weights][-n:]


def _reinitialize(top: Sequence[Any], seed: int) -> None:
    """Fresh seeded weights for `top` (the top weight-carrying layers, input side first)."""
    for rank, layer in enumerate(reversed(top)):
        fresh = _fresh_weights(layer, seed * 1009 + rank)
        if [w.shape for w in fresh] != [tuple(v.shape) for v in layer.weights]:
            raise ValueError(f"layer {layer.name}: a fresh copy has differently shaped weights")
        layer.set_weights(fresh)


def randomize_top_layers(model: Any, n: int = 1, seed: int = 0) -> Any:
    """A clone of `model` whose top `n` weight-carrying layers hold fresh seeded initial weights.

    The original model is not touched. The same seed gives the same weights.
    """
    _top_weight_layers(model, n)  # a bad n fails before the model is copied
    clone = _clone(model)
    _reinitialize(_top_weight_layers(clone, n), seed)
    return clone


@contextlib.contextmanager
def randomized_in_place(model: Any, n: int = 1, seed: int = 0):
    """`model` itself with the weights `randomize_top_layers(model, n, seed)` would give its clone, until
    the block ends (the learned weights come back even when it raises).

    The model object stays the same, so whatever a caller compiled for it (a traced Grad-CAM step reads
    the layers' variables) serves the randomised weights without tracing again: a fresh clone costs a
    full trace per randomised model.
    """
    top = _top_weight_layers(model, n)
    learned = [layer.get_weights() for layer in top]
    try:
        _reinitialize(top, seed)
        yield model
    finally:
        for layer, weights in zip(top, learned):
            layer.set_weights(weights)


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman rho of two maps; 1.0 when both are constant, None when only one is (no ranks to compare)."""
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"maps of different lengths: {x.size} and {y.size}")
    x_const, y_const = np.ptp(x) == 0, np.ptp(y) == 0
    if x_const and y_const:
        return 1.0
    if x_const or y_const or x.size < 2:
        return None
    rho = stats.spearmanr(x, y).statistic
    return float(rho) if math.isfinite(rho) else None


def compare_maps(original: Sequence[Any], randomized: Sequence[Any], *, threshold: float = DEFAULT_THRESHOLD,
                 labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Rank correlations of paired maps and their summary (mean, mean |rho|, min, max, verdict)."""
    if len(original) != len(randomized):
        raise ValueError(f"{len(original)} original maps but {len(randomized)} randomised ones")
    rhos = [spearman(a, b) for a, b in zip(original, randomized)]
    valid = [r for r in rhos if r is not None]
    mean_abs = float(np.mean(np.abs(valid))) if valid else None
    return {
        "n": len(valid),
        "undefined": len(rhos) - len(valid),
        "mean": float(np.mean(valid)) if valid else None,
        "mean_abs": mean_abs,
        "min": float(min(valid)) if valid else None,
        "max": float(max(valid)) if valid else None,
        "unchanged": sum(abs(r) > threshold for r in valid),
        "passed": None if mean_abs is None else mean_abs <= threshold,
        "rho": rhos,
        "labels": list(labels) if labels is not None else None,
    }


def _by_layer(maps: Sequence[Any] | Mapping[str, Sequence[Any]]) -> dict[str | None, list[np.ndarray]]:
    groups = maps if isinstance(maps, Mapping) else {None: maps}
    return {layer: [np.asarray(m, dtype=np.float64) for m in group] for layer, group in groups.items()}


def sanity_check(model: Any, compute_maps: ComputeMaps, *, top_layers: Sequence[int] = (1,), seed: int = 0,
                 threshold: float = DEFAULT_THRESHOLD, labels: Sequence[str] | None = None,
                 in_place: bool = True) -> dict[str, Any]:
    """Run the check once per entry of `top_layers` and per layer; a layer passes only if every run passes.

    `compute_maps(model)` must return the same maps, in the same order, for any model of this architecture:
    a sequence (one group, recorded with layer None) or a mapping layer -> maps (one verdict per layer, in
    the mapping's order). `labels` names each group's maps (e.g. "sample 17 / positive") for the report.
    Each randomised model is built once and serves every layer. `in_place` (the default) hands
    `compute_maps` the model itself with randomised weights (`randomized_in_place`), so what it compiled
    for the model is reused; False hands it a clone (`randomize_top_layers`). The weights, and so the
    maps, are the same either way.
    """
    original = _by_layer(compute_maps(model))
    available = weight_layer_paths(model)
    runs: dict[str | None, list[dict[str, Any]]] = {layer: [] for layer in original}
    for n in top_layers:
        n_used = min(int(n), len(available))
        if in_place:
            with randomized_in_place(model, n_used, seed) as randomized_model:
                randomized = _by_layer(compute_maps(randomized_model))
        else:
            randomized = _by_layer(compute_maps(randomize_top_layers(model, n_used, seed)))
        if set(randomized) != set(original):
            raise ValueError(f"the randomised model gave maps of layers {sorted(map(str, randomized))}, "
                             f"the original of {sorted(map(str, original))}")
        for layer, maps in original.items():
            run = compare_maps(maps, randomized[layer], threshold=threshold, labels=labels)
            runs[layer].append({"top_layers": n_used, "randomized_layers": available[len(available) - n_used:],
                                **run})
    return {
        "method": "model randomisation (Adebayo et al. 2018), Spearman rank correlation",
        "threshold": threshold,
        "seed": seed,
        "layers": [{"layer": layer, **layer_verdict(layer_runs), "runs": layer_runs}
                   for layer, layer_runs in runs.items()],
    }


def layer_verdict(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A layer's summary over its runs: passed only if every run passed (None if any run had no verdict or
    there was no run); mean_abs and top_layers of the run with the highest mean |rho|, the one that decides."""
    verdicts = [r["passed"] for r in runs]
    defined = [r for r in runs if r["mean_abs"] is not None]
    worst = max(defined, key=lambda r: r["mean_abs"]) if defined else None
    return {
        "passed": None if not verdicts or any(v is None for v in verdicts) else all(verdicts),
        "mean_abs": worst["mean_abs"] if worst else None,
        "top_layers": worst["top_layers"] if worst else None,
    }

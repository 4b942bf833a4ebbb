"""Every heatmap of a (document, layer, target) from the one layer-resolution map the engine computed.

relu, counterfactual, gradient normalisation and interpolation are cheap functions of that map and its
gradient norm, so results store the map once (results/maps.parquet) and this module derives the variants,
for the engine and for anyone reading the stored results: both go through `heatmaps_of`, so a map read
back is the map the build rendered, bit for bit.

Imports: numpy, scipy (through resize), results; never TensorFlow (readers of stored results use it).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from reportgen.engine.resize import resize
from reportgen.results import Heatmap, LayerMap

L2_EPSILON = 1e-12  # as keras.backend.l2_normalize, which the tutorial used


def heatmaps_of(layer_map: LayerMap, length: int, keep: slice, *, relu: Iterable[bool],
                counterfactual: Iterable[bool], interpolation: Iterable[str], normalize_gradients: bool,
                score_kind: str) -> list[Heatmap]:
    """The map's heatmaps in the engine's order (counterfactual, then relu, then interpolation kind).

    `length`: ids the model read (padding included); `keep`: the positions that hold the document's tokens.
    """
    raw = np.asarray(layer_map.values, dtype=np.float32)
    norm = layer_map.grad_norm
    base = raw / np.sqrt(max(norm * norm, L2_EPSILON)) if normalize_gradients else raw
    out = []
    for flipped in counterfactual:
        signed = -base if flipped else base
        for clipped in relu:
            values = np.maximum(signed, 0.0) if clipped else signed
            for kind in interpolation:
                out.append(_heatmap(layer_map, values, length, keep, kind, clipped, flipped, normalize_gradients,
                                    score_kind))
    return out


def signed_token_weights(layer_map: LayerMap, length: int, keep: slice) -> np.ndarray:
    """The plain signed map (no relu, no counterfactual, no normalisation) resized linearly, one weight per
    kept token: what corpus statistics add up."""
    raw = np.asarray(layer_map.values, dtype=np.float32)
    if not layer_map.time_axis:
        return np.full(keep.stop - keep.start, float(raw[0]))
    return resize(raw, length, "linear")[0][keep]


def _heatmap(layer_map: LayerMap, values: np.ndarray, length: int, keep: slice, kind: str, relu: bool,
             counterfactual: bool, normalize: bool, score_kind: str) -> Heatmap:
    notes = list(layer_map.notes)
    if layer_map.time_axis:
        full, used, note = resize(values, length, kind)
        if note:
            notes.insert(0, note)
        uniform = False
    else:
        full, used = np.full(length, float(values[0])), "constant"
        uniform = True
        notes.insert(0, f"layer {layer_map.layer!r} has no time axis: its map is one number, shown on every token")
    return Heatmap(layer=layer_map.layer, target=layer_map.target, target_label=layer_map.target_label,
                   score_kind=score_kind, score=layer_map.score, relu=relu, counterfactual=counterfactual,
                   normalize_gradients=normalize, interpolation=kind, interpolation_used=used,
                   weights=full[keep].tolist(), uniform=uniform, notes=notes,
                   layer_resolution=len(values) if layer_map.time_axis else None)

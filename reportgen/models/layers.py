"""Layer resolution: which layers a model has, which have a time axis, and what `auto` picks.

Layers are addressed by path: a top-level layer by its name ("conv1d"), a layer inside a nested
sub-model by "outer/inner". An int is an index into `model.layers`, as in Keras.

The `auto` rule (documented in the method page): among layers whose output is (batch, time, channels),
take the deepest recurrent, convolutional or transformer block (a Bidirectional wrapper counts as
recurrent; a KerasHub `TransformerEncoder`/`TransformerDecoder` is a block, so a transformer's last encoder
block is picked); if there is none, the deepest pooling layer that keeps a time axis; if none, the deepest
embedding (KerasHub's `TokenAndPositionEmbedding` counts). Masking, dropout, normalisation and reshaping
layers are never chosen by `auto`: they repeat their input.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

from reportgen.errors import LayerError

RECURRENT_OR_CONV = ("LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "Conv1D", "SeparableConv1D",
                     "DepthwiseConv1D", "Conv1DTranspose", "ConvLSTM1D", "TransformerEncoder", "TransformerDecoder")
POOLING = ("MaxPooling1D", "AveragePooling1D")
EMBEDDING = ("Embedding", "TokenAndPositionEmbedding", "ReversibleEmbedding")


@dataclass
class LayerEntry:
    path: str
    layer: Any  # the keras Layer
    index: int | None  # position in model.layers for top-level layers
    depth: int  # order in a flattened walk (larger = deeper)

    @property
    def class_name(self) -> str:
        return type(self.layer).__name__


def walk_layers(model) -> list[LayerEntry]:
    """Every layer, nested sub-models flattened in call order, each with its path."""
    entries: list[LayerEntry] = []

    def visit(container, prefix: str, top: bool) -> None:
        for i, layer in enumerate(container.layers):
            path = f"{prefix}{layer.name}"
            entries.append(LayerEntry(path, layer, i if top else None, len(entries)))
            if _is_nested_model(layer):
                visit(layer, path + "/", False)

    visit(model, "", True)
    return entries


def _is_nested_model(layer) -> bool:
    import keras

    return isinstance(layer, keras.Model)


def auto_layer(entries: list[LayerEntry], time_axis: dict[str, bool]) -> LayerEntry | None:
    candidates = [e for e in entries if time_axis.get(e.path) and not _is_nested_model(e.layer)]
    for family in (RECURRENT_OR_CONV, POOLING, EMBEDDING):
        chosen = [e for e in candidates if e.class_name in family]
        if chosen:
            return chosen[-1]
    return None


def resolve_layer(entries: list[LayerEntry], ref, model_name: str = "model") -> LayerEntry:
    """One layer reference (int index, name/path, or Layer object) to its entry; clear error otherwise."""
    if isinstance(ref, bool):
        raise LayerError(f"layer {ref!r}: expected a layer name, path or index")
    if isinstance(ref, numbers.Integral):  # numpy integers too (an index read from an array)
        ref = int(ref)
    if isinstance(ref, int):
        top = [e for e in entries if e.index is not None]
        if not -len(top) <= ref < len(top):
            raise LayerError(f"layer index {ref} is out of range: {model_name} has {len(top)} layers "
                             f"(0..{len(top) - 1})")
        return top[ref]
    if isinstance(ref, str):
        for e in entries:
            if e.path == ref:
                return e
        by_name = [e for e in entries if e.layer.name == ref]
        if len(by_name) == 1:
            return by_name[0]
        import difflib

        close = difflib.get_close_matches(ref, [e.path for e in entries], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "; `reportgen inspect MODEL` lists the layers"
        raise LayerError(f"layer {ref!r} not found in {model_name}{hint}")
    if not _is_layer(ref):
        raise LayerError(f"layer {ref!r}: expected a layer name, path, index or Layer object, "
                         f"not {type(ref).__name__}")
    for e in entries:
        if e.layer is ref:
            return e
    raise LayerError(f"layer {getattr(ref, 'name', ref)!r} is not part of {model_name}")


def _is_layer(ref) -> bool:
    import keras

    return isinstance(ref, keras.layers.Layer)

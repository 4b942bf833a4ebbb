"""The facts about a model that `reportgen inspect` shows and `reportgen init` writes a spec from.

`describe_model(adapter)` gives them as JSON-ready data: the layer table (path, class, output shape, time
axis, parameters, the layer `auto` picks), what the model takes (token ids, or strings through its own
TextVectorization), its input length, output, task and labels, and whether padding is masked.
"""

from __future__ import annotations

from typing import Any


def describe_model(adapter) -> dict[str, Any]:
    """Every fact `inspect` shows, as JSON-ready data (no absolute paths, stable order)."""
    layers = []
    entries = {entry.path: entry for entry in adapter.entries}
    for info in adapter.layer_infos():
        layers.append({
            "index": info.index, "path": info.path, "class": info.class_name,
            "output_shape": _output_shape(info, entries[info.path].layer), "time_axis": info.time_axis,
            "time_steps": info.time_steps, "params": info.params, "auto": info.auto,
        })
    auto = next((layer["path"] for layer in layers if layer["auto"]), None)
    vectorizer = adapter.vectorizer
    model_input: dict[str, Any] = {
        "kind": "strings" if vectorizer is not None else "ids",
        "length": adapter.input_length,
        "vocabulary_size": _vocabulary_size(adapter),
        # Fixed-length inputs are always padded to the same length, so masking does not change a prediction.
        "padding_masked": None if adapter.input_length is not None else adapter.masks_padding(0),
    }
    if len(adapter.inputs) > 1:
        model_input["fed"] = [{"name": i.name, "role": i.role, "dtype": i.dtype,
                               "shape": [None] + [None if n is None else int(n) for n in i.shape],
                               "what": i.describe()} for i in adapter.inputs]
    if vectorizer is not None:
        config = vectorizer.get_config()
        model_input["vectorizer"] = {
            "layer": vectorizer.name, "split": str(config.get("split")),
            "standardize": str(config.get("standardize")),
        }
    return {
        "model": {"path": str(adapter.path), "name": adapter.model.name, "format": adapter.format},
        "input": model_input,
        "output": {"activation": adapter.head.activation, "units": adapter.head.units,
                   **({"name": adapter.output} if adapter.output is not None else {})},
        "task": adapter.task,
        "labels": list(adapter.labels),
        "auto_layer": auto,
        "time_axis_layers": [layer["path"] for layer in layers
                             if layer["time_axis"] and layer["class"] != "InputLayer"],
        "layers": layers,
    }


def _output_shape(info, layer) -> list[int | None]:
    """The probed shape; for layers the probe cannot record (the input, a TextVectorization whose output
    the engine replaces), the shape Keras declares."""
    if len(info.output_shape) > 1:
        return info.output_shape
    try:
        declared = layer.output.shape
    except (AttributeError, ValueError):  # a layer used twice, or never called symbolically
        return info.output_shape
    return [None] + [None if n is None else int(n) for n in tuple(declared)[1:]]


def _vocabulary_size(adapter) -> int | None:
    """Ids the model knows: its TextVectorization's vocabulary, else what its first embedding takes."""
    if adapter.vectorizer is not None:
        return int(adapter.vectorizer.vocabulary_size())
    limit = adapter.id_limit()
    if limit is not None:
        return limit[1]
    for entry in adapter.entries:
        if entry.class_name == "Embedding":
            return int(entry.layer.input_dim)
    return None

"""`reportgen inspect MODEL`: what reportgen sees in a model file.

The layer table (path, class, output shape, time axis, parameters, the layer `auto` picks) and the facts a
spec depends on: what the model takes (token ids, or strings through its own TextVectorization), its
input length, its output and the task that implies, whether padding is masked, and how the file was
loaded. `--json` prints the same facts as sorted JSON for scripts. `reportgen init` writes its starter
spec from `describe_model`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FORMAT_TEXT = {
    "keras": "Keras 3",
    "legacy-h5": "Keras 2 HDF5, converted to Keras 3 on loading",
}


def load_adapter(model_path: str | Path, labels: list[str] | None = None):
    """The model file loaded (Keras 3 or converted Keras 2) and wrapped in the engine's ModelAdapter."""
    from reportgen.api import adapter_for
    from reportgen.models.load import load_keras_model

    model = load_keras_model(model_path)
    return adapter_for(model, labels, path=str(model_path))


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
    if vectorizer is not None:
        config = vectorizer.get_config()
        model_input["vectorizer"] = {
            "layer": vectorizer.name, "split": str(config.get("split")),
            "standardize": str(config.get("standardize")),
        }
    return {
        "model": {"path": str(adapter.path), "name": adapter.model.name, "format": adapter.format},
        "input": model_input,
        "output": {"activation": adapter.head.activation, "units": adapter.head.units},
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
    """Ids the model knows: its TextVectorization's vocabulary, else the first Embedding's input_dim."""
    if adapter.vectorizer is not None:
        return int(adapter.vectorizer.vocabulary_size())
    for entry in adapter.entries:
        if entry.class_name == "Embedding":
            return int(entry.layer.input_dim)
    return None


def run(model: str, *, as_json: bool = False) -> int:
    description = describe_model(load_adapter(model))
    if as_json:
        print(json.dumps(description, sort_keys=True, indent=2))
    else:
        print(format_description(description))
    return 0


# ----- the text form ------------------------------------------------------------------------------

def format_description(d: dict[str, Any]) -> str:
    facts = [
        ("model", f"{d['model']['path']} ({FORMAT_TEXT.get(d['model']['format'], d['model']['format'])})"),
        ("input", _input_text(d["input"])),
        ("padding", _padding_text(d["input"])),
        ("output", f"{d['output']['activation']}, {d['output']['units']} unit"
                   f"{'s' if d['output']['units'] != 1 else ''} -> task guess: {d['task']} "
                   f"({len(d['labels'])} labels)"),
        ("auto layer", d["auto_layer"] or "none (no layer has a time axis; name one in explain.layers)"),
    ]
    width = max(len(name) for name, _ in facts)
    lines = [f"{name:<{width}}  {text}" for name, text in facts]
    lines.append("")
    lines.extend(_layer_table(d["layers"]))
    lines.append("")
    lines.append("* picked by `explain.layers: auto`: the deepest recurrent or convolutional layer with a time axis,")
    lines.append("  else the deepest pooling layer with one, else the embedding")
    return "\n".join(lines)


def _input_text(model_input: dict[str, Any]) -> str:
    length = model_input["length"]
    length_text = f"fixed length {length}" if length is not None else "variable length"
    size = model_input["vocabulary_size"]
    if model_input["kind"] == "strings":
        vec = model_input["vectorizer"]
        known = f", vocabulary of {size} tokens" if size is not None else ""
        return (f"strings, turned into ids by its TextVectorization layer {vec['layer']!r} (split {vec['split']}, "
                f"standardize {vec['standardize']}{known}); {length_text}; no vocabulary file needed")
    known = f" (embedding of {size} ids)" if size is not None else ""
    return f"token ids{known}; {length_text}; a spec needs the vocabulary that made them"


def _padding_text(model_input: dict[str, Any]) -> str:
    masked = model_input["padding_masked"]
    if masked is None:
        return "every input is padded to the fixed length, so masking does not matter here"
    if masked:
        return "masked: padding with id 0 leaves the prediction unchanged, so documents share batches"
    return ("not masked: padding with id 0 changes the prediction, so documents of different lengths are "
            "run in separate batches")


def _layer_table(layers: list[dict[str, Any]]) -> list[str]:
    header = ("#", "layer", "class", "output shape", "time axis", "params", "auto")
    rows = [header]
    for layer in layers:
        rows.append((
            "" if layer["index"] is None else str(layer["index"]),
            layer["path"],
            layer["class"],
            "(" + ", ".join("None" if n is None else str(n) for n in layer["output_shape"]) + ")",
            _time_axis_text(layer),
            f"{layer['params']:,}",
            "*" if layer["auto"] else "",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {0, 5}  # numbers line up on the right
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def _time_axis_text(layer: dict[str, Any]) -> str:
    if not layer["time_axis"]:
        return "no"
    steps = layer["time_steps"]
    return f"yes, {steps} steps" if steps is not None else "yes, variable"


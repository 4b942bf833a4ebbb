"""`reportgen inspect MODEL`: what reportgen sees in a model file.

The layer table (path, class, output shape, time axis, parameters, the layer `auto` picks) and the facts a
spec depends on: what the model takes (token ids, or strings through its own TextVectorization), its
input length, its output and the task that implies, whether padding is masked, and how the file was
loaded. `--json` prints the same facts as sorted JSON for scripts. The facts come from
`reportgen.models.describe`, which `reportgen init` writes its starter spec from too.
"""

from __future__ import annotations

import json
from typing import Any

FORMAT_TEXT = {
    "keras": "Keras 3",
    "legacy-h5": "Keras 2 HDF5, converted to Keras 3 on loading",
}


def run(model: str, *, as_json: bool = False) -> int:
    from reportgen.api import load_adapter
    from reportgen.models.describe import describe_model

    description = describe_model(load_adapter(model))
    if as_json:
        print(json.dumps(description, sort_keys=True, indent=2))
    else:
        from reportgen.textsafe import terminal_safe

        # layer and model names come from the model file: never let them act on the terminal
        print(terminal_safe(format_description(description), keep_lines=True))
    return 0


# ----- the text form ------------------------------------------------------------------------------

def format_description(d: dict[str, Any]) -> str:
    facts = [
        ("model", f"{d['model']['path']} ({FORMAT_TEXT.get(d['model']['format'], d['model']['format'])})"),
        ("input", _input_text(d["input"])),
        *[(f"  {fed['name']}", f"{fed['dtype']} {_shape_text(fed['shape'])} <- {fed['what']}")
          for fed in d["input"].get("fed", [])],
        ("padding", _padding_text(d["input"])),
        ("output", ("" if d["output"].get("name") is None else f"{d['output']['name']!r}: ")
                   + f"{d['output']['activation']}, {d['output']['units']} unit"
                   f"{'s' if d['output']['units'] != 1 else ''} -> task guess: {d['task']} "
                   f"({len(d['labels'])} labels)"),
        ("auto layer", d["auto_layer"] or "none (no layer has a time axis; name one in explain.layers)"),
    ]
    width = max(len(name) for name, _ in facts)
    lines = [f"{name:<{width}}  {text}" for name, text in facts]
    lines.append("")
    lines.extend(_layer_table(d["layers"]))
    lines.append("")
    lines.append("* picked by `explain.layers: auto`: the deepest recurrent, convolutional or transformer block with a")
    lines.append("  time axis, else the deepest pooling layer with one, else the embedding")
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
    fed = model_input.get("fed")
    several = f", fed to one of its {len(fed)} inputs (the others are built from them)" if fed else ""
    return f"token ids{known}{several}; {length_text}; a spec needs the vocabulary that made them"


def _shape_text(shape: list) -> str:
    return "(" + ", ".join("None" if n is None else str(n) for n in shape) + ")"


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


"""What a model file says about itself, read from its saved config as JSON: no TensorFlow, no Keras.

`reportgen validate` checks a spec against the model in well under a second with it: whether the model
takes token ids (no TextVectorization in the config), the layer paths a spec may name (nested sub-models as
"outer/inner", as `models.layers.walk_layers` names them), and the output layer's units and activation, from
which the label count follows as the adapter decides it (`class_count`). A `.keras` file is a zip holding
`config.json`; a Keras 2 or Keras 3 `.h5` keeps the same JSON in its `model_config` attribute (read with h5py,
imported only then). A file whose config cannot be read gives None: loading it is the build's business, and
the build names what is wrong with it.

Imports: the standard library (h5py lazily); nothing from reportgen.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Real configs are kilobytes to a few megabytes; past this the build reports what is wrong with the file.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
VECTORIZERS = ("TextVectorization", "StringLookup")
# Output layers whose config states the output size; an Activation or Softmax head takes its size from the
# layer before it, which the config does not record, so its label count is left to the build.
SIZED_HEADS = ("Dense",)


@dataclass(frozen=True)
class ModelConfig:
    input_kind: str | None  # "ids", "strings", or None when the config does not say
    layer_paths: tuple[str, ...]  # every layer, nested sub-models' layers as "outer/inner", in config order
    output_units: int | None  # units of the final Dense layer; None when the head's size is not in the config
    output_activation: str | None

    def has_layer(self, name: str) -> bool:
        """Whether `name` resolves as `models.layers.resolve_layer` resolves a name: a full path, or the
        name of a layer anywhere in the model (nested ones included)."""
        return name in self.layer_paths or any(path.rpartition("/")[2] == name for path in self.layer_paths)


def class_count(units: int, task: str = "auto") -> int:
    """How many labels a head of `units` outputs has, as `models.adapter` decides it: one sigmoid unit of a
    binary model stands for two labels (below / at or above the threshold); otherwise one per unit."""
    if task == "auto":
        task = "binary" if units == 1 else "multiclass"  # multilabel or multiclass: one label per unit either way
    return 2 if task == "binary" and units == 1 else units


def read_model_config(path: Path) -> ModelConfig | None:
    """The facts of the model file at `path`, or None when it has no config to read."""
    config = _raw_config(Path(path))
    if not isinstance(config, dict):
        return None
    try:
        units, activation = _output(config)
        return ModelConfig(input_kind=_input_kind(config), layer_paths=tuple(_layer_paths(config)),
                           output_units=units, output_activation=activation)
    except RecursionError:  # a config nested past Python's limit is no model Keras wrote
        return None


def _raw_config(path: Path) -> Any:
    suffix = path.suffix.lower()
    try:
        if suffix == ".keras":
            if not zipfile.is_zipfile(path):
                return None
            with zipfile.ZipFile(path) as archive:
                if "config.json" not in archive.namelist():
                    return None
                if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:  # a zip bomb, not a model
                    return None
                return json.loads(archive.read("config.json"))
        if suffix in (".h5", ".hdf5"):
            try:
                import h5py
            except ImportError:
                return None
            if not h5py.is_hdf5(path):
                return None
            with h5py.File(path, "r") as handle:
                raw = handle.attrs.get("model_config")
            if raw is None:
                return None
            return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else str(raw))
    except (OSError, ValueError, zipfile.BadZipFile, RecursionError, KeyError):
        return None
    return None


def _input_kind(config: dict[str, Any]) -> str | None:
    found: dict[str, Any] = {"vectorizer": False, "input_dtype": None}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("class_name")
            if name in VECTORIZERS:
                found["vectorizer"] = True
            if name == "InputLayer" and found["input_dtype"] is None and isinstance(node.get("config"), dict):
                dtype = node["config"].get("dtype")
                if isinstance(dtype, dict):  # a DTypePolicy
                    dtype = (dtype.get("config") or {}).get("name")
                found["input_dtype"] = str(dtype) if dtype is not None else None
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    dtype = found["input_dtype"]
    if found["vectorizer"] or (dtype is not None and "string" in dtype):
        return "strings"
    return "ids" if dtype is not None else None


def _layers_of(model: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The layer entries of a model's config, or None when `model` is not a model (a plain layer)."""
    config = model.get("config")
    if isinstance(config, list):  # Keras 2.0/2.1 Sequential: the config is the layer list itself
        layers = config
    elif isinstance(config, dict) and isinstance(config.get("layers"), list):
        layers = config["layers"]
    else:
        return None
    return [layer for layer in layers if isinstance(layer, dict)]


def _name(layer: dict[str, Any]) -> str | None:
    name = layer.get("name")
    if name is None and isinstance(layer.get("config"), dict):
        name = layer["config"].get("name")
    return str(name) if name is not None else None


def _layer_paths(model: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for layer in _layers_of(model) or []:
        name = _name(layer)
        if name is None:
            continue
        paths.append(prefix + name)
        if _layers_of(layer) is not None:
            paths += _layer_paths(layer, f"{prefix}{name}/")
    return paths


def _output(model: dict[str, Any]) -> tuple[int | None, str | None]:
    """Units and activation of the layer that makes the model's (first) output."""
    layers = _layers_of(model)
    if not layers:
        return None, None
    last = _output_layer(model, layers)
    if last is None:
        return None, None
    if _layers_of(last) is not None:  # a nested model as the output layer: its own output
        return _output(last)
    config = last.get("config")
    if last.get("class_name") not in SIZED_HEADS or not isinstance(config, dict):
        return None, None
    units, activation = config.get("units"), config.get("activation", "linear")
    if isinstance(activation, dict):  # a serialised function or activation object
        activation = activation.get("config", {}).get("name") if isinstance(activation.get("config"), dict) \
            else activation.get("class_name")
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        return None, None
    return units, str(activation) if activation is not None else None


def _output_layer(model: dict[str, Any], layers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The layer named by a functional model's `output_layers` (Keras 3 writes [name, 0, 0] for one output,
    Keras 2 [[name, 0, 0], ...]); a Sequential model's last layer."""
    config = model.get("config")
    outputs = config.get("output_layers") if isinstance(config, dict) else None
    if not outputs:
        return layers[-1]
    if isinstance(outputs, dict) or (isinstance(outputs[0], list) and len(outputs) > 1):
        return None  # several outputs (a dict of them, in Keras 3): which one is explained is model.output's
    first = outputs[0] if isinstance(outputs[0], list) else outputs
    if not first or not isinstance(first[0], str):
        return None
    return next((layer for layer in layers if _name(layer) == first[0]), None)

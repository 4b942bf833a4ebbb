"""Keras 2 HDF5 models (`model.save("x.h5")` in Keras 2.x or tf.keras 2.x) rebuilt as Keras 3 models.

Keras 3 cannot read these files: their config JSON uses Keras 2 argument names and defaults, and some
layers compute differently under the same name (`hard_sigmoid`, the GRU reset gate). We translate the
config ourselves, build a Keras 3 model with the same layer names, then copy the weights by layer name
and order, checking every weight's name and shape. Anything we cannot convert faithfully is a
`ModelError` that names the file and the layer, never a silently different model.

Only imported when a model is loaded (it imports Keras at the top).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np

from reportgen.errors import ModelError

__all__ = ["is_legacy_h5", "keras2_hard_sigmoid", "load_legacy_h5"]


@keras.saving.register_keras_serializable(package="reportgen", name="keras2_hard_sigmoid")
def keras2_hard_sigmoid(x):
    """Keras 2's hard sigmoid, clip(0.2 x + 0.5, 0, 1) (Keras 3's uses x / 6 + 0.5)."""
    x = keras.ops.convert_to_tensor(x)
    return keras.ops.clip(x * 0.2 + 0.5, 0.0, 1.0)


# Keras 2 activation names whose Keras 3 function computes the same thing. `hard_sigmoid` is the one
# name whose formula changed; any other name (a custom function) is refused.
_SAME_ACTIVATIONS = frozenset(
    {"linear", "relu", "tanh", "sigmoid", "softmax", "elu", "selu", "softplus", "softsign",
     "exponential", "swish", "silu", "gelu", "mish"}
)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _aliases(*class_names: str) -> dict[str, str]:
    """Map every spelling Keras 2 wrote (`GlorotUniform`, `glorot_uniform`) to the Keras 3 class name."""
    table = {}
    for name in class_names:
        table[name.lower()] = name
        table[_snake(name)] = name
    return table


_INITIALIZERS = _aliases(
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "Orthogonal", "Identity", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
    "LecunNormal",
)
_REGULARIZERS = {**_aliases("L1L2", "L1", "L2"), "l1_l2": "L1L2"}
_CONSTRAINTS = _aliases("MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm")

# Keras 2 class name -> Keras 3 layer class name. Anything else (custom layers, Lambda) is refused.
_LAYER_CLASSES = {
    name: name
    for name in (
        "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
        "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Flatten", "Reshape", "Permute",
        "RepeatVector", "Masking", "Embedding", "Conv1D", "Conv2D", "SeparableConv1D", "SeparableConv2D",
        "MaxPooling1D", "AveragePooling1D", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling1D",
        "GlobalAveragePooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "ZeroPadding1D",
        "Cropping1D", "UpSampling1D", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "TimeDistributed",
        "BatchNormalization", "LayerNormalization", "Concatenate", "Add", "Subtract", "Multiply",
        "Average", "Maximum", "Minimum", "Dot", "LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax",
    )
}
_LAYER_CLASSES.update(
    {
        "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "MaxPool1D": "MaxPooling1D",
        "AvgPool1D": "AveragePooling1D", "MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D",
        "GlobalMaxPool1D": "GlobalMaxPooling1D", "GlobalAvgPool1D": "GlobalAveragePooling1D",
        "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
        "CuDNNLSTM": "LSTM", "CuDNNGRU": "GRU",
    }
)
_MODEL_CLASSES = frozenset({"Sequential", "Model", "Functional"})
_RECURRENT = frozenset({"LSTM", "GRU", "SimpleRNN", "CuDNNLSTM", "CuDNNGRU"})
# Keys that describe the model's input rather than the layer; they become an `Input`.
_INPUT_KEYS = ("batch_input_shape", "input_shape", "batch_size")


class _Unsupported(Exception):
    """A layer config that cannot be converted faithfully (the message says why)."""


# --------------------------------------------------------------------------------------------------
# Public functions


def is_legacy_h5(path: str | Path) -> bool:
    """True for an HDF5 file holding a whole Keras 2 (or tf.keras 2) model; False for Keras 3 files."""
    try:
        if not h5py.is_hdf5(path):
            return False
        with h5py.File(path, "r") as f:
            version = _text(f.attrs.get("keras_version"))
            has_config = "model_config" in f.attrs
    except (OSError, ValueError):
        return False
    if version is not None and version.startswith("2."):
        return True
    return has_config and not (version or "").startswith("3.")


def load_legacy_h5(path: str | Path) -> keras.Model:
    """Rebuild the Keras 2 model stored in `path` as a Keras 3 model with the same names and weights."""
    where = str(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ModelError(f"{where}: cannot open as HDF5 ({exc}); give a Keras 2 .h5 model file") from exc
    with f:
        version = _text(f.attrs.get("keras_version")) or "unknown"
        if version.startswith("1."):
            raise ModelError(
                f"{where}: saved by Keras {version}; only Keras 2 files can be converted — re-save it with Keras 2"
            )
        raw_config = _text(f.attrs.get("model_config"))
        if raw_config is None:
            raise ModelError(
                f"{where}: holds weights only (no model_config); save the whole model with model.save()"
            )
        try:
            config = json.loads(raw_config)
        except json.JSONDecodeError as exc:
            raise ModelError(f"{where}: model_config is not valid JSON ({exc})") from exc
        converter = _Converter(where, version)
        model = converter.model(config, top_level=True)
        weights_group = f["model_weights"] if "model_weights" in f else f
        _WeightLoader(where, converter.cudnn_layers).load(model, weights_group)
    return model


# --------------------------------------------------------------------------------------------------
# Config translation


class _Converter:
    """Turns a Keras 2 model config into Keras 3 layers and models."""

    def __init__(self, path: str, keras_version: str):
        self.path = path
        # Multi-backend Keras (up to 2.3) counted a nested model's own input->output node as node 0 in
        # every config; tf.keras does so only for nested models that have an input.
        self.multi_backend = _version_tuple(keras_version) < (2, 4)
        self.models_with_input: set[int] = set()
        # Names of layers converted from CuDNNLSTM/CuDNNGRU: their weights need a layout change.
        self.cudnn_layers: dict[str, str] = {}

    def error(self, name: str, class_name: str, reason: str) -> ModelError:
        return ModelError(
            f"{self.path}: layer '{name}' ({class_name}): {reason}; "
            "rebuild the model in Keras 3 (or re-save it with built-in layers only) and save it as .keras"
        )

    # Models --------------------------------------------------------------------------------------

    def model(self, spec: dict, top_level: bool = False) -> keras.Model:
        class_name = spec.get("class_name")
        config = spec.get("config")
        if class_name == "Sequential":
            return self._sequential(config, top_level)
        if class_name in ("Model", "Functional"):
            return self._functional(config)
        raise ModelError(
            f"{self.path}: the saved model is a '{class_name}', not a Sequential or Functional model; "
            "subclassed models cannot be converted — rebuild it in Keras 3"
        )

    def _sequential(self, config: Any, top_level: bool) -> keras.Model:
        # Keras 2.0/2.1 stored the layer list itself; 2.2+ and tf.keras wrap it with a name.
        if isinstance(config, list):
            config = {"name": "sequential", "layers": config}
        name = config.get("name", "sequential")
        specs = list(config.get("layers", []))
        if not specs:
            raise ModelError(f"{self.path}: Sequential model '{name}' has no layers")
        model = keras.Sequential(name=name)
        batch_shape, dtype, input_name = None, "float32", None
        first = specs[0]
        first_config = first.get("config", {})
        if first.get("class_name") == "InputLayer":
            specs = specs[1:]
            batch_shape = first_config.get("batch_input_shape", first_config.get("batch_shape"))
            dtype = _policy_name(first_config.get("dtype")) or dtype
            input_name = first_config.get("name")
        elif first_config.get("batch_input_shape") is not None:
            batch_shape = first_config["batch_input_shape"]
            dtype = _policy_name(first_config.get("dtype")) or dtype
            input_name = f"{first_config.get('name', 'input')}_input"
        elif config.get("build_input_shape") is not None:
            batch_shape = config["build_input_shape"]
        if batch_shape is not None:
            model.add(keras.Input(batch_shape=tuple(batch_shape), dtype=dtype, name=input_name), rebuild=False)
        elif top_level:
            raise ModelError(
                f"{self.path}: Sequential model '{name}' records no input shape, so it cannot be rebuilt; "
                "re-save it after building it on an input"
            )
        for spec in specs:
            model.add(self.layer(spec), rebuild=False)
        if batch_shape is not None:
            self._build_sequential(model, tuple(batch_shape), dtype, specs)
            self.models_with_input.add(id(model))
        return model

    def _build_sequential(self, model: keras.Sequential, batch_shape: tuple, dtype: str, specs: list[dict]) -> None:
        # Built once, after all layers are added, so each layer has exactly one node in the model.
        try:
            model.build(batch_shape)
        except Exception as exc:  # noqa: BLE001 - Keras raises many types; reported with the culprit
            raise self._build_failure(model.name, batch_shape, dtype, specs, exc) from exc
        if not model.built:
            raise ModelError(f"{self.path}: Sequential model '{model.name}' could not be built in Keras 3")

    def _build_failure(
        self, name: str, batch_shape: tuple, dtype: str, specs: list[dict], exc: Exception
    ) -> ModelError:
        """Name the first layer Keras 3 cannot apply, by replaying the stack on fresh copies."""
        x = keras.Input(batch_shape=batch_shape, dtype=dtype)
        for spec in specs:
            try:
                x = self.layer(spec)(x)
            except ModelError as inner:
                return inner
            except Exception as inner:  # noqa: BLE001
                layer_name = (spec.get("config") or {}).get("name", "?")
                reason = f"Keras 3 cannot apply it ({_first_line(inner)})"
                return self.error(layer_name, spec.get("class_name", "?"), reason)
        return ModelError(f"{self.path}: Sequential model '{name}' could not be built in Keras 3 ({_first_line(exc)})")

    def _functional(self, config: dict) -> keras.Model:
        name = config.get("name", "model")
        layer_specs = config.get("layers", [])
        layers: dict[str, Any] = {}
        outputs: dict[tuple[str, int], Any] = {}
        pending: list[tuple[dict, int, list]] = []
        for spec in layer_specs:
            layer_name = spec.get("name") or spec.get("config", {}).get("name")
            if spec.get("class_name") == "InputLayer":
                outputs[(layer_name, 0)] = self._input(spec.get("config", {}), layer_name)
                continue
            layer = layers[layer_name] = self.layer(spec)
            first_node = int(
                isinstance(layer, keras.Model) and (self.multi_backend or id(layer) in self.models_with_input)
            )
            for node_index, node in enumerate(spec.get("inbound_nodes", []), start=first_node):
                pending.append((spec, node_index, node))
        # Keras 2 lists layers in creation order, but a shared layer's later call can come before the
        # layers that feed it, so apply nodes whenever their inputs exist until none are left.
        while pending:
            still_pending = []
            for spec, node_index, node in pending:
                layer_name = spec.get("name") or spec["config"]["name"]
                inbound = _inbound_entries(node)
                if all((entry[0], entry[1]) in outputs for entry in inbound):
                    outputs[(layer_name, node_index)] = self._call(layers[layer_name], spec, inbound, outputs)
                else:
                    still_pending.append((spec, node_index, node))
            if len(still_pending) == len(pending):
                spec = still_pending[0][0]
                raise self.error(spec.get("name", "?"), spec.get("class_name", "?"), "its inputs are never produced")
            pending = still_pending
        model_inputs = [_pick(outputs, entry, self.path) for entry in config.get("input_layers", [])]
        model_outputs = [_pick(outputs, entry, self.path) for entry in config.get("output_layers", [])]
        try:
            model = keras.Model(
                model_inputs[0] if len(model_inputs) == 1 else model_inputs,
                model_outputs[0] if len(model_outputs) == 1 else model_outputs,
                name=name,
            )
            self.models_with_input.add(id(model))
            return model
        except Exception as exc:  # noqa: BLE001
            raise ModelError(
                f"{self.path}: model '{name}' could not be assembled in Keras 3 ({_first_line(exc)})"
            ) from exc

    def _input(self, config: dict, name: str):
        if config.get("ragged"):
            raise self.error(name, "InputLayer", "ragged inputs are not supported")
        batch_shape = config.get("batch_input_shape", config.get("batch_shape"))
        if batch_shape is None:
            raise self.error(name, "InputLayer", "no input shape recorded")
        return keras.Input(
            batch_shape=tuple(batch_shape),
            dtype=_policy_name(config.get("dtype")) or "float32",
            sparse=bool(config.get("sparse", False)),
            name=name,
        )

    def _call(self, layer, spec: dict, inbound: list, outputs: dict):
        tensors = [_pick(outputs, entry, self.path) for entry in inbound]
        kwargs: dict = {}
        for entry in inbound:
            extra = entry[3] if len(entry) > 3 else {}
            if any(isinstance(v, (dict, list)) for v in (extra or {}).values()):
                reason = f"call arguments {sorted(extra)} are not supported"
                raise self.error(layer.name, spec.get("class_name", "?"), reason)
            kwargs.update(extra or {})
        try:
            return layer(tensors[0] if len(tensors) == 1 else tensors, **kwargs)
        except Exception as exc:  # noqa: BLE001
            reason = f"Keras 3 cannot apply it ({_first_line(exc)})"
            raise self.error(layer.name, spec.get("class_name", "?"), reason) from exc

    # Layers --------------------------------------------------------------------------------------

    def layer(self, spec: dict):
        """One Keras 3 layer (or nested model) from a Keras 2 layer spec."""
        class_name = spec.get("class_name", "?")
        config = dict(spec.get("config") or {})
        name = config.get("name") or spec.get("name") or "?"
        if class_name in _MODEL_CLASSES:
            return self.model({"class_name": class_name, "config": config})
        if class_name == "Lambda":
            raise self.error(name, class_name, "Lambda layers hold Python code, which is not converted")
        if class_name not in _LAYER_CLASSES:
            raise self.error(name, class_name, "unknown layer class (a custom layer?)")
        try:
            arguments = self._arguments(class_name, config)
            if class_name in ("Bidirectional", "TimeDistributed"):
                arguments["layer"] = self.layer(config["layer"])
                if arguments.get("backward_layer") is not None:
                    arguments["backward_layer"] = self.layer(arguments["backward_layer"])
            layer_class = getattr(keras.layers, _LAYER_CLASSES[class_name])
            layer = layer_class(**arguments)
        except _Unsupported as exc:
            raise self.error(name, class_name, str(exc)) from exc
        except (TypeError, ValueError) as exc:
            raise self.error(name, class_name, f"Keras 3 rejects its config ({_first_line(exc)})") from exc
        if class_name in ("CuDNNLSTM", "CuDNNGRU"):
            self.cudnn_layers[name] = class_name
        return layer

    def _arguments(self, class_name: str, config: dict) -> dict:
        args = {key: value for key, value in config.items() if key not in _INPUT_KEYS}
        if "dtype" in args:
            args["dtype"] = _policy_name(args["dtype"])
        for key, value in list(args.items()):
            if key.endswith("_initializer"):
                args[key] = _keras_object(value, key, _INITIALIZERS, keras.initializers.get)
            elif key.endswith("_regularizer"):
                args[key] = _keras_object(value, key, _REGULARIZERS, keras.regularizers.get)
            elif key.endswith("_constraint"):
                args[key] = _keras_object(value, key, _CONSTRAINTS, keras.constraints.get)
            elif key in ("activation", "recurrent_activation"):
                args[key] = _activation(value, key)
        tweak = _TWEAKS.get(class_name)
        if tweak is not None:
            tweak(args, class_name)
        return args


def _activation(value: Any, key: str):
    if value is None:
        return "linear"
    if isinstance(value, dict) and isinstance(value.get("config"), str):
        value = value["config"]  # {"class_name": "function", "config": "relu"} in some tf.keras files
    if value == "hard_sigmoid":
        return keras2_hard_sigmoid
    if isinstance(value, str) and value in _SAME_ACTIVATIONS:
        return value
    raise _Unsupported(f"{key} {value!r} is a custom or unknown activation")


def _keras_object(value: Any, key: str, known: dict[str, str], get: Callable):
    """An initializer/regularizer/constraint from its Keras 2 form ("name" or {class_name, config})."""
    if value is None:
        return None
    if isinstance(value, str):
        class_name, config = value, {}
    elif isinstance(value, dict) and "class_name" in value:
        class_name, config = value["class_name"], dict(value.get("config") or {})
    else:
        raise _Unsupported(f"{key} has an unreadable value {value!r}")
    keras3_name = known.get(str(class_name).lower()) or known.get(_snake(str(class_name)))
    if keras3_name is None:
        raise _Unsupported(f"{key} {class_name!r} is a custom or unknown object")
    if keras3_name == "VarianceScaling" and config.get("distribution") == "normal":
        config["distribution"] = "truncated_normal"  # what Keras 2 drew for "normal"
    try:
        return get({"class_name": keras3_name, "config": config})
    except (TypeError, ValueError) as exc:
        raise _Unsupported(f"{key} {class_name!r} cannot be rebuilt ({_first_line(exc)})") from exc


def _tweak_embedding(args: dict, class_name: str) -> None:
    args.pop("input_length", None)  # the model's Input carries the length
    if args.pop("sparse", False):
        raise _Unsupported("sparse embeddings are not supported")


def _tweak_recurrent(args: dict, class_name: str) -> None:
    args.pop("implementation", None)  # a speed choice with the same results
    if args.pop("time_major", False):
        raise _Unsupported("time-major inputs are not supported")
    if class_name == "GRU":
        # Keras 2 files from before the option existed computed the reset gate before the matmul;
        # Keras 3 defaults to after.
        args.setdefault("reset_after", False)
    elif class_name == "CuDNNLSTM":
        args.update(activation="tanh", recurrent_activation="sigmoid")
    elif class_name == "CuDNNGRU":
        args.update(activation="tanh", recurrent_activation="sigmoid", reset_after=True)


def _tweak_bidirectional(args: dict, class_name: str) -> None:
    if args.pop("num_constants", None):
        raise _Unsupported("constants passed to the wrapped layer are not supported")


def _tweak_leaky_relu(args: dict, class_name: str) -> None:
    if "alpha" in args:
        args["negative_slope"] = args.pop("alpha")


def _tweak_spatial_dropout(args: dict, class_name: str) -> None:
    if args.pop("noise_shape", None) is not None:
        raise _Unsupported("a custom noise_shape is not supported")


def _tweak_batch_normalization(args: dict, class_name: str) -> None:
    axis = args.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        args["axis"] = axis[0]
    args.pop("fused", None)  # an implementation choice with the same results
    unsupported = [args.pop("renorm", False), args.pop("virtual_batch_size", None), args.pop("adjustment", None)]
    if any(value not in (None, False) for value in unsupported):
        raise _Unsupported("batch renormalization, virtual batches and adjustments are not supported")
    args.pop("renorm_clipping", None)  # only meaningful with renorm
    args.pop("renorm_momentum", None)


_TWEAKS: dict[str, Callable[[dict, str], None]] = {
    "Embedding": _tweak_embedding,
    **{name: _tweak_recurrent for name in _RECURRENT},
    "Bidirectional": _tweak_bidirectional,
    "LeakyReLU": _tweak_leaky_relu,
    "SpatialDropout1D": _tweak_spatial_dropout,
    "SpatialDropout2D": _tweak_spatial_dropout,
    "BatchNormalization": _tweak_batch_normalization,
}


# --------------------------------------------------------------------------------------------------
# Weights


class _WeightLoader:
    """Copies the `model_weights` group onto a converted model, layer by layer, checking each weight."""

    def __init__(self, path: str, cudnn_layers: dict[str, str]):
        self.path = path
        self.cudnn_layers = cudnn_layers

    def load(self, model: keras.Model, group: h5py.Group) -> None:
        saved_names = [_text(n) for n in _attribute_list(group, "layer_names")]
        saved = {name: group[name] for name in saved_names if name in group}
        relayout = self._cudnn_relayouts(model)
        for layer in model.layers:
            # Keras 2 saved each layer's trainable weights first, then the others (also for nested models).
            variables = list(layer.trainable_weights) + list(layer.non_trainable_weights)
            layer_group = saved.pop(layer.name, None)
            names = [_text(n) for n in _attribute_list(layer_group, "weight_names")]
            if not variables and not names:
                continue
            if len(names) != len(variables):
                raise ModelError(
                    f"{self.path}: layer '{layer.name}' has {len(names)} weights in the file but the converted "
                    f"layer expects {len(variables)}; the file does not match its own config"
                )
            for variable, weight_name in zip(variables, names):
                value = np.asarray(layer_group[weight_name])
                fix = relayout.get(id(variable))
                if fix is not None:
                    try:
                        value = fix(value)
                    except ValueError as exc:
                        raise ModelError(
                            f"{self.path}: layer '{layer.name}': weight '{weight_name}' of shape "
                            f"{tuple(value.shape)} is not in the cuDNN layout ({_first_line(exc)})"
                        ) from exc
                self._check(layer.name, weight_name, value, variable)
                variable.assign(value)
        leftover = sorted(name for name, g in saved.items() if _attribute_list(g, "weight_names"))
        if leftover:
            raise ModelError(
                f"{self.path}: weights saved for layers {leftover} that are not in the model config; "
                "the file does not match its own config"
            )

    def _check(self, layer_name: str, weight_name: str, value: np.ndarray, variable) -> None:
        saved_base = weight_name.split("/")[-1].split(":")[0]
        if saved_base != variable.name:
            raise ModelError(
                f"{self.path}: layer '{layer_name}': weight '{weight_name}' arrives where Keras 3 expects "
                f"'{variable.name}'; the weight order differs — cannot convert"
            )
        saved_direction, expected_direction = _direction(weight_name), _direction(variable.path)
        if saved_direction and expected_direction and saved_direction != expected_direction:
            raise ModelError(
                f"{self.path}: layer '{layer_name}': weight '{weight_name}' ({saved_direction}) arrives at "
                f"the {expected_direction} layer; cannot convert"
            )
        if tuple(value.shape) != tuple(variable.shape):
            raise ModelError(
                f"{self.path}: layer '{layer_name}': weight '{weight_name}' has shape {tuple(value.shape)} "
                f"in the file but Keras 3 expects {tuple(variable.shape)}"
            )

    def _cudnn_relayouts(self, model: keras.Model) -> dict[int, Callable[[np.ndarray], np.ndarray]]:
        """Per-variable fixes for layers converted from CuDNNLSTM/CuDNNGRU (found at any depth)."""
        fixes: dict[int, Callable] = {}
        for layer in _all_layers(model):
            base_name = re.sub(r"^(forward|backward)_", "", layer.name)
            kind = self.cudnn_layers.get(layer.name) or self.cudnn_layers.get(base_name)
            if kind is None or not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
                continue
            gates = 4 if kind == "CuDNNLSTM" else 3
            cell = layer.cell
            fixes[id(cell.kernel)] = lambda k, g=gates: _cudnn_input_kernel(k, g)
            fixes[id(cell.recurrent_kernel)] = lambda k, g=gates: _per_gate(k, g, np.transpose)
            if getattr(cell, "bias", None) is not None:
                fixes[id(cell.bias)] = _cudnn_lstm_bias if kind == "CuDNNLSTM" else _cudnn_gru_bias
        return fixes


def _per_gate(kernel: np.ndarray, gates: int, transform: Callable) -> np.ndarray:
    return np.concatenate([transform(block) for block in np.split(kernel, gates, axis=-1)], axis=-1)


def _cudnn_input_kernel(kernel: np.ndarray, gates: int) -> np.ndarray:
    # cuDNN keeps each gate's (units x inputs) matrix row-major in the (inputs x units) slot.
    def to_keras(block: np.ndarray) -> np.ndarray:
        inputs, units = block.shape
        return block.reshape(-1).reshape(units, inputs).T

    return _per_gate(kernel, gates, to_keras)


def _cudnn_lstm_bias(bias: np.ndarray) -> np.ndarray:
    # cuDNN has separate input and recurrent biases; they are only ever summed.
    half = bias.shape[0] // 2
    return bias[:half] + bias[half:]


def _cudnn_gru_bias(bias: np.ndarray) -> np.ndarray:
    return bias.reshape(2, -1)  # Keras 3 GRU(reset_after=True) keeps input and recurrent rows


# --------------------------------------------------------------------------------------------------
# Small helpers


def _all_layers(layer) -> list:
    """Every layer inside `layer`: nested models' layers and wrapped layers, at any depth."""
    children = list(layer.layers) if isinstance(layer, keras.Model) else []
    for attribute in ("forward_layer", "backward_layer", "layer"):
        child = getattr(layer, attribute, None)
        if isinstance(child, keras.layers.Layer):
            children.append(child)
    found = []
    for child in children:
        found += [child, *_all_layers(child)]
    return found


def _version_tuple(version: str) -> tuple[int, ...]:
    numbers = re.findall(r"\d+", version)[:2]
    return tuple(int(n) for n in numbers) if numbers else (2, 0)


def _direction(path: str) -> str | None:
    for part in path.split("/"):
        if part.startswith("forward_"):
            return "forward"
        if part.startswith("backward_"):
            return "backward"
    return None


def _inbound_entries(node: Any) -> list:
    # A node is a list of [layer_name, node_index, tensor_index, kwargs] entries.
    if node and isinstance(node[0], str):
        return [node]
    return list(node)


def _pick(outputs: dict, entry: list, path: str):
    layer_name, node_index = entry[0], entry[1]
    tensor_index = entry[2] if len(entry) > 2 else 0
    if (layer_name, node_index) not in outputs:
        raise ModelError(
            f"{path}: the config refers to output {node_index} of layer '{layer_name}', which is never built"
        )
    value = outputs[(layer_name, node_index)]
    if isinstance(value, (list, tuple)):
        return value[tensor_index]
    return value


def _policy_name(dtype: Any) -> str | None:
    """Keras 2 wrote dtypes as strings; tf.keras mixed precision wrote a Policy object."""
    if isinstance(dtype, dict):
        return (dtype.get("config") or {}).get("name")
    return dtype


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.bytes_):
        return bytes(value).decode("utf-8")
    return str(value)


def _attribute_list(group: Any, name: str) -> list:
    """An HDF5 list attribute; Keras 2 split long ones into name0, name1, ... chunks."""
    if group is None:
        return []
    if name in group.attrs:
        return list(group.attrs[name])
    chunks, index = [], 0
    while f"{name}{index}" in group.attrs:
        chunks.extend(group.attrs[f"{name}{index}"])
        index += 1
    return chunks


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

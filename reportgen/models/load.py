"""Loading a Keras model from a file, whatever Keras wrote it.

Keras 3 `.keras` and Keras 3 `.h5` load through Keras itself; a Keras 2 HDF5 file is converted by
`reportgen.models.legacy`. A TF SavedModel cannot expose its layers to Grad-CAM, so it is refused with
a message saying how to re-save the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.errors import ModelError

# TensorFlow settings of a reportgen process, set before TensorFlow is first imported (read once, then; a user's
# own setting wins). TF_CPP_MIN_LOG_LEVEL: its C++ chatter (CUDA probing) is not for report users.
# TF_ENABLE_ONEDNN_OPTS off: oneDNN's kernels keep a compiled primitive per input shape, and a corpus brings new
# shapes (batch widths) to the end. Measured on the IMDB BiLSTM, 12 rounds of 512 reviews each of new lengths:
# the C heap in use grew 8.5 MB a round with them (TensorFlow's defaults) and stayed at 196 MB without; on 512
# reviews of repeated shapes an explain call took 6.0-6.7 s with them and 5.7-6.0 s without. A build of 5,000
# held-out reviews peaked 5 % above one of 1,000 without them (benchmarks/corpus.py), 8 % with.
TENSORFLOW_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}


def set_tensorflow_environment() -> None:
    """TENSORFLOW_ENVIRONMENT where the process has not set it; in effect only before TensorFlow's import."""
    for name, value in TENSORFLOW_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


set_tensorflow_environment()


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras with the C++ start-up chatter (CUDA probing on CPU machines) hidden.

    That chatter is written by absl straight to file descriptor 2 before TF_CPP_MIN_LOG_LEVEL is read, so
    the descriptor itself is pointed at /dev/null for the import. Python-level errors still surface: they
    are raised after the descriptor is restored.
    """
    import sys

    if "tensorflow" not in sys.modules:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                import keras  # noqa: F401
                import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    import tensorflow

    # tf.function's retracing warnings are about reportgen's own tracing (one per model it builds, e.g. the
    # randomised copies of the sanity check), not something a report user can act on
    tensorflow.get_logger().setLevel("ERROR")


def model_format(path: Path) -> str:
    """"keras" (Keras 3), "legacy-h5" (Keras 2 HDF5) or "savedmodel"; raises ModelError if unknown."""
    if path.is_dir():
        if (path / "saved_model.pb").exists():
            return "savedmodel"
        raise ModelError(f"{path}: a folder, not a model file (expected .keras or .h5)")
    if not path.exists():
        raise ModelError(f"{path}: no such model file")
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras"
    if suffix in (".h5", ".hdf5"):
        from reportgen.models.legacy import is_legacy_h5

        return "legacy-h5" if is_legacy_h5(path) else "keras"
    if suffix == ".pb":
        return "savedmodel"
    raise ModelError(f"{path}: unknown model format {suffix!r} (expected .keras, or a Keras 2/3 .h5)")


@dataclass(frozen=True)
class LoadedModel:
    """A loaded Keras 3 model and the format its file had (the report records it: ModelInfo.format)."""

    model: Any
    format: str  # "keras" (Keras 3) | "legacy-h5" (a Keras 2 file, converted)


def load_keras_model(path: str | os.PathLike) -> LoadedModel:
    """Load a model file into a Keras 3 model (inference only, no compile), with the file's format."""
    path = Path(path)
    import_tensorflow_quietly()
    fmt = model_format(path)
    if fmt == "savedmodel":
        raise ModelError(
            f"{path}: a TensorFlow SavedModel hides its layers (TFSMLayer), so Grad-CAM cannot reach them; "
            "load it in the code that made it and save it with model.save('model.keras')")
    if fmt == "legacy-h5":
        from reportgen.models.legacy import load_legacy_h5

        model = load_legacy_h5(path)
    else:
        import keras

        try:
            model = keras.models.load_model(path, compile=False)
        except Exception as exc:  # Keras raises many types; the user needs the file and the reason
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path}: cannot load the model: {reason}") from exc
    _refuse_opaque_layers(model, path)
    return LoadedModel(model, fmt)


def _refuse_opaque_layers(model, path: Path) -> None:
    for layer in _walk(model):
        if type(layer).__name__ == "TFSMLayer":
            raise ModelError(
                f"{path}: layer {layer.name!r} is a TFSMLayer wrapping a SavedModel; its inner layers cannot be "
                "explained. Re-save the original model as .keras")


def _walk(model):
    for layer in getattr(model, "layers", []):
        yield layer
        if hasattr(layer, "layers") and layer is not model:
            yield from _walk(layer)

"""What many test files share: a tiny word-level Keras model saved beside its vocabulary (`word_model`).

Fake results for renderer tests, which need no model, come from `tests/fakes.py` (`make_results`).

Tiny models are built here, never loaded from the trained samples (those are for the few integration
tests): a few layers over a handful of words, seeded, so a build of them takes a second or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.models.load import set_tensorflow_environment

# TensorFlow as a reportgen process runs it, whichever of them a test imports first (no TensorFlow import here)
set_tensorflow_environment()


def save_word_model(root: Path, vocab: list[str], *, name: str, body: str = "conv", length: int | None = None,
                    mask_zero: bool = True, width: int = 4, classes: int = 2) -> Path:
    """A seeded Embedding -> `body` -> pooling -> softmax model saved as `root/model.keras`, and
    `root/vocab.txt` (one token per line, id = line number). `body`: "conv" (Conv1D of `width` filters,
    kernel 3), "conv2" (3 filters, kernel 2), "bigru" (a bidirectional GRU) or "pool" (pooling only)."""
    import keras

    keras.utils.set_random_seed(0)
    layers = [keras.Input((length,), dtype="int32"),
              keras.layers.Embedding(len(vocab), 6 if body == "bigru" else 4, mask_zero=mask_zero, name="embedding")]
    if body == "conv":
        layers.append(keras.layers.Conv1D(width, 3, padding="same", name="conv"))
    elif body == "conv2":
        layers.append(keras.layers.Conv1D(3, 2, padding="same", name="conv"))
    elif body == "bigru":
        layers.append(keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True), name="bigru"))
    pooling = keras.layers.GlobalAveragePooling1D if body == "pool" else keras.layers.GlobalMaxPooling1D
    layers += [pooling(name="pool"), keras.layers.Dense(classes, activation="softmax", name="out")]
    # named: Keras numbers unnamed models per process, and the name is part of the report
    keras.Sequential(layers, name=name).save(root / "model.keras")
    (root / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return root / "model.keras"


@pytest.fixture(scope="session")
def word_model():
    """`save_word_model`, for module fixtures that build a project folder around a tiny model."""
    return save_word_model

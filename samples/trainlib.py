"""Helpers shared by the sample training scripts (`samples/*/train.py`); not part of the reportgen package.

The scripts read their texts through `reportgen.samples.load_samples`, the loader a report uses, so the
ids and texts a model was trained and tested on are exactly the ones its spec explains.
"""

from __future__ import annotations

import json
import os
import platform
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from reportgen.samples import Sample, load_samples  # noqa: E402
from reportgen.spec.schema import SamplesSpec  # noqa: E402


class Clock:
    """Wall and process CPU time since creation (CPU time is steadier on a shared machine)."""

    def __init__(self) -> None:
        self.wall0 = time.perf_counter()
        self.cpu0 = time.process_time()

    def wall(self) -> float:
        return time.perf_counter() - self.wall0

    def cpu(self) -> float:
        return time.process_time() - self.cpu0

    def say(self, what: str) -> None:
        print(f"[{self.wall():7.1f} s wall, {self.cpu():7.1f} s cpu] {what}", flush=True)


def seed_everything(seed: int) -> None:
    """Same seed, same weights: seeds Python, numpy and TF, and makes TF ops deterministic."""
    import keras
    import tensorflow as tf

    random.seed(seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def read_samples(**section: Any) -> list[Sample]:
    """Samples of a spec-style `samples:` section, read by reportgen's own loader."""
    return load_samples(SamplesSpec.model_validate(section), REPO)


def stratified_split(labels: Sequence[int], test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a seeded, per-class held-out split: (train, test), each sorted."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        cut = int(round(len(members) * test_fraction))
        test.extend(members[:cut])
        train.extend(members[cut:])
    return np.sort(np.array(train)), np.sort(np.array(test))


def pick_showcase(ids: Sequence[str], correct: Sequence[bool], seed: int, n_correct: int = 30,
                  n_wrong: int = 10) -> list[str]:
    """Held-out ids for the spec: `n_wrong` mistakes (all of them if fewer) and correct ones up to the
    total, drawn with a seed, in the order of the data."""
    rng = np.random.default_rng(seed)
    correct = np.asarray(correct, dtype=bool)
    wrong_at = np.flatnonzero(~correct)
    right_at = np.flatnonzero(correct)
    wrong = rng.choice(wrong_at, size=min(n_wrong, len(wrong_at)), replace=False)
    right = rng.choice(right_at, size=min(n_correct + n_wrong - len(wrong), len(right_at)), replace=False)
    return [ids[i] for i in sorted(np.concatenate([wrong, right]).tolist())]


@dataclass
class Showcase:
    """The held-out ids a spec explains, and how many of them the model gets wrong."""

    ids: list[str]
    wrong: int
    position: dict[str, int]  # every held-out id -> its index among the held-out documents


def choose_showcase(test_ids: Sequence[str], short: Sequence[bool], correct: np.ndarray, seed: int) -> Showcase:
    """`pick_showcase` among the held-out documents short enough for a report page (`short`)."""
    pool = [k for k, fits in enumerate(short) if fits]
    ids = pick_showcase([test_ids[k] for k in pool], correct[pool], seed)
    position = {sid: k for k, sid in enumerate(test_ids)}
    return Showcase(ids, sum(not correct[position[s]] for s in ids), position)


def topic_checks(showcase: Showcase, labels: Sequence[str], y_test: np.ndarray, probabilities: np.ndarray,
                 count: int) -> list[dict[str, Any]]:
    """Reference predictions for tests: `count` showcase documents spread across it, every class's probability."""
    return [{"id": sid, "label": labels[y_test[showcase.position[sid]]],
             "probabilities": [float(p) for p in probabilities[showcase.position[sid]]]}
            for sid in spread(showcase.ids, count)]


def confusion(y_test: Sequence[int], predicted: Sequence[int], n_labels: int) -> dict[str, Any]:
    matrix = np.zeros((n_labels, n_labels), dtype=int)
    for truth, guess in zip(y_test, predicted):
        matrix[truth, guess] += 1
    return {"rows": "true label", "columns": "predicted label", "matrix": matrix.tolist()}


def run_metrics(clock: Clock, saved: dict[str, Any], seed: int, n_train: int, n_test: int, test_fraction: float,
                epochs: int, batch_size: int, accuracy: float, showcase: Showcase, **specific: Any) -> dict[str, Any]:
    """metrics.json: what every sample's run records, and the sample's own fields."""
    return {
        "model": saved,
        "seed": seed,
        "split": {"train": int(n_train), "test": int(n_test), "test_fraction": test_fraction, "stratified": True},
        "epochs": epochs,
        "batch_size": batch_size,
        "accuracy": round(accuracy, 4),
        **specific,
        "showcase": {"ids": showcase.ids, "wrong": int(showcase.wrong)},
        "wall_seconds": round(clock.wall(), 1),
        "cpu_seconds": round(clock.cpu(), 1),
        "versions": versions(),
    }


def save_for_inference(model: Any, path: Path, probe: Any) -> dict[str, Any]:
    """Save `model` without optimizer state, reload it and check it predicts `probe` identically.

    Keras 3 stores the optimizer of a compiled model; reloading with compile=False and saving that copy
    leaves it out, so the committed file holds the architecture and trained weights only.
    """
    import keras

    expected = np.asarray(model.predict(probe, verbose=0))
    with tempfile.TemporaryDirectory() as folder:
        staged = Path(folder) / "compiled.keras"
        model.save(staged)
        keras.models.load_model(staged, compile=False).save(path)
    reloaded = keras.models.load_model(path, compile=False)
    got = np.asarray(reloaded.predict(probe, verbose=0))
    if not np.array_equal(got, expected):
        raise SystemExit(f"{path}: the reloaded model predicts differently (max diff {np.abs(got - expected).max()})")
    if getattr(reloaded, "optimizer", None) is not None:
        raise SystemExit(f"{path}: an optimizer was saved with the model")
    size = path.stat().st_size
    print(f"saved {path} ({size / 1e6:.2f} MB), reload checked on {len(expected)} inputs", flush=True)
    return {"file": path.name, "bytes": size}


def versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {"python": platform.python_version(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "numpy": np.__version__}


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def yaml_list(values: Sequence[str], indent: int) -> str:
    """A YAML flow list of quoted strings, wrapped to stay readable."""
    quoted = [json.dumps(v) for v in values]
    lines, line = [], []
    for item in quoted:
        if line and len(", ".join(line + [item])) > 100 - indent:
            lines.append(", ".join(line))
            line = []
        line.append(item)
    lines.append(", ".join(line))
    pad = " " * (indent + 2)
    return "[\n" + ",\n".join(pad + chunk for chunk in lines) + "\n" + " " * indent + "]"


def spread(items: Sequence[str], count: int) -> list[str]:
    """`count` items evenly spaced through `items` (first included), for reference checks across classes."""
    step = max(1, len(items) // count)
    return list(items[::step][:count])

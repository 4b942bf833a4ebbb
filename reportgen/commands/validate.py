"""`reportgen validate SPEC`: check a spec, its files and its samples without loading the model.

Beyond the spec itself, everything a build would refuse that can be known without TensorFlow: the
model file's own config (read from the `.keras` zip or the `.h5` attributes, as JSON) says whether the
model takes token ids, which then need a vocabulary; the vocabulary and labels files are read; the
spec's start/OOV tokens must be in the vocabulary; every text sample must give tokens; every sample's
labels must be among the spec's labels. A model whose config cannot be read is left to `build`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from reportgen.errors import InputError, ReportgenError, SpecError
from reportgen.samples import Sample, load_samples, source_name
from reportgen.spec.load import load_spec, spec_problem
from reportgen.spec.schema import Spec
from reportgen.textsafe import terminal_safe

# Real configs are kilobytes to a few megabytes; past this the build reports what is wrong with the file.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
# Mirrors reportgen.text.factory: the message a build gives for an ids model without a vocabulary.
NEEDS_VOCABULARY = ("the model takes token ids, so the spec needs the vocabulary that maps words (or characters)"
                    " to them, or input.level: ids with pre-vectorised samples")


def run(spec_path: str) -> int:
    """Print one "ok" line, or raise SpecError / InputError naming every problem found."""
    spec = load_spec(spec_path)
    samples = load_samples(spec)
    check_inputs(spec, samples)
    count = f"{len(samples)} sample{'s' if len(samples) != 1 else ''}"
    source = f"{source_name(spec.samples)} ({spec.samples.source})"
    print(terminal_safe(f"ok: {spec.title} — {count} from {source}; model {spec.model.path}"))
    return 0


def check_inputs(spec: Spec, samples: list[Sample]) -> None:
    """Raise what a build would raise about the model's input, vocabulary, labels and texts."""
    paths = spec.paths
    kind = model_input_kind(paths.model)
    pipeline = None
    # A hook is user code: running it is the build's business. A strings model tokenises for itself.
    if spec.input.hook is None and kind != "strings":
        if paths.vocabulary is not None or spec.input.level == "ids":
            pipeline = _pipeline(spec)
        elif kind == "ids":
            raise spec_problem(spec, "input.vocabulary", NEEDS_VOCABULARY)
    pad = spec.input.pad_value
    for sample in samples:
        if sample.ids is not None and all(i == pad for i in sample.ids):
            raise InputError(terminal_safe(f"sample {sample.id!r}: every position is padding ({pad!r})"))
    if pipeline is not None:
        for sample in samples:
            if sample.ids is not None:
                continue
            try:
                encoded = pipeline.encode(sample.text or "")
            except ReportgenError as exc:
                raise InputError(terminal_safe(f"sample {sample.id!r}: {exc}")) from None
            if not encoded.ids:
                raise InputError(terminal_safe(f"sample {sample.id!r}: the text gives no tokens (empty, or only unknown"
                                         " words without an OOV token); remove it or give the pipeline an"
                                         " oov_token"))
    labels = _labels(spec)
    if labels is not None:
        _check_targets(spec, labels)
        from reportgen.build import label_indices

        for sample in samples:
            try:
                label_indices(sample, labels)
            except ReportgenError as exc:
                raise InputError(terminal_safe(str(exc))) from None


def _check_targets(spec: Spec, labels: list[str]) -> None:
    """Targets named in the spec must be labels (or indices of labels), as the build's engine requires."""
    targets = spec.explain.targets
    if not isinstance(targets, list):
        return
    for index, ref in enumerate(targets):
        if isinstance(ref, str) and ref in labels:
            continue
        number = ref if isinstance(ref, int) else int(ref) if ref.lstrip("-").isdigit() else None
        if number is None:
            message = f"target {ref!r} is not a label; labels are: {', '.join(labels)}"
        elif 0 <= number < len(labels):
            continue
        else:
            message = f"target {number} is out of range: the model has {len(labels)} labels (0..{len(labels) - 1})"
        raise spec_problem(spec, f"explain.targets[{index}]", message)


def _pipeline(spec: Spec):
    from reportgen.text.factory import pipeline_from_spec

    try:
        return pipeline_from_spec(spec.input, spec.paths.vocabulary, None, spec.base_dir)
    except SpecError:
        raise
    except ReportgenError as exc:
        # The vocabulary as the spec writes it, not the absolute path the loader was given.
        message = str(exc).replace(str(spec.paths.vocabulary), str(spec.input.vocabulary))
        raise spec_problem(spec, "input.vocabulary", message) from None
    except OSError as exc:
        raise spec_problem(spec, "input.vocabulary", f"cannot read '{spec.input.vocabulary}'"
                                                     f" ({exc.strerror or exc})") from None


def _labels(spec: Spec) -> list[str] | None:
    if spec.model.labels is not None:
        return list(spec.model.labels)
    if spec.paths.labels_file is None:
        return None
    from reportgen.build import read_labels

    try:
        return read_labels(spec.paths.labels_file)
    except ReportgenError as exc:
        raise spec_problem(spec, "model.labels_file", str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise spec_problem(spec, "model.labels_file", f"cannot read '{spec.model.labels_file}' ({reason})") from None


# ----- the model's config, read as JSON -----------------------------------------------------------------

def model_input_kind(path: Path) -> str | None:
    """"ids", "strings", or None when the file has no config to read (the build says what is wrong with it)."""
    config = _model_config(path)
    if config is None:
        return None
    found: dict[str, Any] = {"vectorizer": False, "input_dtype": None}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            name = node.get("class_name")
            if name in ("TextVectorization", "StringLookup"):
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


def _model_config(path: Path) -> Any:
    """The model's config as JSON data, or None."""
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

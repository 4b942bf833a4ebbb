"""`reportgen validate SPEC`: check a spec, its files and its samples without loading the model.

Beyond the spec itself, everything a build would refuse that can be known without TensorFlow. The model
file's own config (`reportgen.models.archive`: the `.keras` zip or the `.h5` attributes, read as JSON) says
whether the model takes token ids, which then need a vocabulary; how many labels its output layer has; and
which layers `explain.layers` may name. Each problem is reported at its spec key and YAML line. The
vocabulary and labels files are read; the spec's start/OOV tokens must be in the vocabulary; every text
sample must give tokens; every sample's labels must be among the spec's labels; every id `output.pages` lists
must be a sample. What a model's config does
not tell (a file without one, a head whose size is not recorded) is left to `build`.
"""

from __future__ import annotations

import difflib

from reportgen.build import check_pages, spec_labels
from reportgen.errors import InputError, ReportgenError, SpecError
from reportgen.models.archive import ModelConfig, class_count, read_model_config
from reportgen.samples import Sample, load_samples, source_name
from reportgen.spec.load import load_spec, spec_problem
from reportgen.spec.schema import Spec
from reportgen.textsafe import terminal_safe

# Mirrors reportgen.text.factory: the message a build gives for an ids model without a vocabulary.
NEEDS_VOCABULARY = ("the model takes token ids, so the spec needs the vocabulary that maps words (or characters)"
                    " to them, or input.level: ids with pre-vectorised samples")


def run(spec_path: str) -> int:
    """Print one "ok" line, or raise SpecError / InputError naming every problem found."""
    spec = load_spec(spec_path)
    samples = load_samples(spec)
    check_pages(spec, samples)
    check_inputs(spec, samples)
    count = f"{len(samples)} sample{'s' if len(samples) != 1 else ''}"
    source = f"{source_name(spec.samples)} ({spec.samples.source})"
    print(terminal_safe(f"ok: {spec.title} — {count} from {source}; model {spec.model.path}"))
    return 0


def check_inputs(spec: Spec, samples: list[Sample]) -> None:
    """Raise what a build would raise about the model's input, vocabulary, labels and texts."""
    paths = spec.paths
    model = read_model_config(paths.model)
    labels = spec_labels(spec)
    problems = _model_problems(spec, model, labels) if model is not None else []
    problems += _baseline_problems(spec, model, labels)
    if problems:
        raise SpecError(problems)
    pipeline = None
    # A hook is user code: running it is the build's business. A strings model tokenises for itself.
    if spec.input.hook is None and (model is None or model.input_kind != "strings"):
        if paths.vocabulary is not None or spec.input.level == "ids":
            pipeline = _pipeline(spec)
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
    if labels is not None:
        _check_targets(spec, labels)
        from reportgen.build import label_indices

        for sample in samples:
            try:
                label_indices(sample, labels)
            except ReportgenError as exc:
                raise InputError(terminal_safe(str(exc))) from None


def _model_problems(spec: Spec, model: ModelConfig, labels: list[str] | None) -> list[str]:
    """What the spec asks of the model that its config says it lacks, in the order of the spec's sections."""
    problems = []
    units, activation, task = model.output_units, model.output_activation, spec.model.task
    if units is not None:
        if task == "binary" and units not in (1, 2):
            problems.append(spec.problem_at("model.task", f"task binary but the model's output layer has {units} "
                                                          "units; binary needs 1 sigmoid unit or 2"))
        elif task == "multilabel" and activation == "softmax":
            problems.append(spec.problem_at("model.task", "task multilabel needs independent sigmoid outputs, "
                                                          "the model ends in softmax"))
        elif labels is not None and len(labels) != class_count(units, task):
            key = "model.labels" if spec.model.labels is not None else "model.labels_file"
            problems.append(spec.problem_at(key, _label_count_message(len(labels), units, activation, task)))
    if spec.input.hook is None and model.input_kind == "ids" and spec.paths.vocabulary is None \
            and spec.input.level != "ids":
        problems.append(spec.problem_at("input.vocabulary", NEEDS_VOCABULARY))
    if isinstance(spec.explain.layers, list):
        for index, ref in enumerate(spec.explain.layers):
            if isinstance(ref, str) and ref != "auto" and not model.has_layer(ref):  # auto may sit in a list
                problems.append(spec.problem_at(f"explain.layers[{index}]", _missing_layer_message(ref, model)))
    return [terminal_safe(problem) for problem in problems]


def _label_count_message(given: int, units: int, activation: str | None, task: str) -> str:
    head = f"{units} {activation} unit{'s' if units != 1 else ''}" if activation else \
        f"{units} unit{'s' if units != 1 else ''}"
    expected = class_count(units, task)
    if expected == 2 and units == 1:
        return (f"{given} label{'s' if given != 1 else ''} given but the model's output layer is {head}, "
                "which stands for 2 labels: give [negative-label, positive-label]")
    return (f"{given} label{'s' if given != 1 else ''} given but the model's output layer has {head}: "
            f"give {expected} names, one per unit, in output order")


def _missing_layer_message(ref: str, model: ModelConfig) -> str:
    close = difflib.get_close_matches(ref, model.layer_paths, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; its layers: {', '.join(model.layer_paths)}"
    return f"layer {ref!r} not found in the model{hint}"


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


def _baseline_problems(spec: Spec, model: ModelConfig | None, labels: list[str] | None) -> list[str]:
    """Each `compare:` baseline read like the model: its labels (matched by name with the model's) and their
    count against its output layer, its input kind against the report's pipeline, the layers it names."""
    from reportgen.build import read_labels

    problems = []
    for index, entry in enumerate(spec.compare):
        key = f"compare[{index}]"
        config = read_model_config(spec.resolve(entry.path))
        theirs = list(entry.labels) if entry.labels is not None else labels
        if entry.labels_file is not None:
            try:
                theirs = read_labels(spec.resolve(entry.labels_file))
            except ReportgenError as exc:
                problems.append(spec.problem_at(f"{key}.labels_file", str(exc)))
                continue
        where = f"{key}.labels_file" if entry.labels_file is not None else f"{key}.labels"
        if labels is not None and theirs is not None and sorted(theirs) != sorted(labels):
            problems.append(spec.problem_at(where, f"the baseline's labels ({', '.join(theirs)}) are not the model's "
                                                   f"({', '.join(labels)}): labels are matched by name"))
        if config is None:
            continue
        units, task = config.output_units, spec.model.task
        if units is not None and theirs is not None and len(theirs) != class_count(units, task):
            problems.append(spec.problem_at(where, _label_count_message(len(theirs), units, config.output_activation,
                                                                        task)))
        if entry.input is None and model is not None and None not in (model.input_kind, config.input_kind) \
                and config.input_kind != model.input_kind:
            problems.append(spec.problem_at(f"{key}.path", f"the baseline takes {config.input_kind} but the report's "
                                                           f"input pipeline gives the model {model.input_kind}; give "
                                                           "the baseline its own input: section"))
        if isinstance(entry.layers, list):
            for n, ref in enumerate(entry.layers):
                if isinstance(ref, str) and ref != "auto" and not config.has_layer(ref):
                    problems.append(spec.problem_at(f"{key}.layers[{n}]", _missing_layer_message(ref, config)))
    return [terminal_safe(problem) for problem in problems]

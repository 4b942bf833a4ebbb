"""`reportgen build`: spec -> model and text pipeline -> engine -> metrics -> results -> site, PDF, JSON.

Everything is computed before anything is written; the output folder is replaced atomically at the end,
so a failed build leaves the previous report as it was. `build` runs one function per stage: load the
adapter, make the documents, explain, score (metrics), assemble the results, write. An error a spec key
caused carries that key in its type (`reportgen.errors`), and `_blame` places it at the key's YAML line.
"""

from __future__ import annotations

import contextlib
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from reportgen.errors import InputError, ReportgenError, SpecError

# (what, done, total): `total` None when not known ahead (PDF pages). A progress object may also listen for
# whole stages: `stage_started(stage, message)` and `stage_finished(stage, seconds, detail)` (see _Clock).
Progress = Callable[[str, int, "int | None"], None]
# Cascading randomisation (Adebayo et al. 2018): the top layer, then the top two, then three; a single
# output unit re-initialised alone mostly rescales or flips the logit, so one step says little on its own.
SANITY_TOP_LAYERS = (1, 2, 3)


@dataclass
class BuildSummary:
    out_dir: Path
    documents: int
    files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    pdf_pages: int | None = None
    alerts: list = field(default_factory=list)  # reportgen.report.alerts.Alert, warnings first


def read_labels(path: Path) -> list[str]:
    """Labels file: one label per line (index = line), or csv `label,index` (the seed's labels_index.csv)."""
    from reportgen.text.vocab import load_vocabulary

    if path.suffix.lower() in (".csv", ".json"):
        vocab = load_vocabulary(path)
        by_id = sorted((i, t) for t, i in vocab.token_to_id.items())
        if [i for i, _ in by_id] != list(range(len(by_id))):
            raise InputError(f"{path}: label indices must be 0..{len(by_id) - 1} without gaps")
        return [t for _, t in by_id]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                         "save the labels file as UTF-8") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the labels file ({error.strerror or error})") from None
    labels = [line.strip() for line in lines if line.strip()]
    if not labels:
        raise InputError(f"{path}: no labels in the file")
    return labels


def spec_labels(spec) -> list[str] | None:
    """The labels a spec gives: `model.labels`, else its labels file's; None when it gives neither. A labels
    file that cannot be read is a problem at `model.labels_file` and its YAML line."""
    if spec.model.labels is not None:
        return list(spec.model.labels)
    if spec.paths.labels_file is None:
        return None
    from reportgen.spec.load import spec_problem

    try:
        return read_labels(spec.paths.labels_file)
    except ReportgenError as exc:
        raise spec_problem(spec, "model.labels_file", str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise spec_problem(spec, "model.labels_file", f"cannot read '{spec.model.labels_file}' ({reason})") from None


def label_indices(sample, labels: list[str]) -> list[int] | None:
    """A sample's labels (names or indices, as the source gave them) -> label indices."""
    if sample.label is None:
        return None
    out = []
    for value in sample.label:
        text = str(value).strip()
        if text in labels:
            out.append(labels.index(text))
        elif text.lstrip("-").isdigit() and 0 <= int(text) < len(labels):
            out.append(int(text))
        else:
            where = f" ({sample.origin})" if getattr(sample, "origin", None) else ""
            raise InputError(f"sample {sample.id!r}{where}: label {text!r} is not one of the model's labels "
                             f"({', '.join(labels)})")
    return sorted(set(out))


def report_date(spec) -> str:
    if spec.date is not None:
        return spec.date.isoformat()
    from reportgen.output import source_date

    return source_date() or ""


def versions() -> dict[str, str]:
    import importlib.metadata as md

    import reportgen

    out = {"reportgen": reportgen.__version__, "python": platform.python_version()}
    for dist in ("tensorflow", "keras", "numpy", "scipy", "weasyprint"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


class _Clock:
    """Seconds per stage for the summary, and each stage's start and end told to a progress object that
    listens for them, so a terminal shows what runs before its first progress step (or when it has none)."""

    def __init__(self, progress: Progress | None = None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextlib.contextmanager
    def stage(self, name: str, message: str | None):
        """`with clock.stage(...) as outcome:`; set `outcome["detail"]` ("41 docs") for the finished line.
        `message` None: the stage is not announced (it only says when it is done)."""
        started = getattr(self.progress, "stage_started", None)
        if started and message is not None:
            started(name, message)
        start = time.perf_counter()
        outcome = {"detail": ""}
        yield outcome
        seconds = time.perf_counter() - start
        self.timings[name] = self.timings.get(name, 0.0) + seconds
        finished = getattr(self.progress, "stage_finished", None)
        if finished:
            finished(name, seconds, outcome["detail"])


def shown_path(path: str | os.PathLike) -> str:
    """A path as a user reads it in a message: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


@contextlib.contextmanager
def _blame(spec, stage_key: str | None = None):
    """Place an error at the spec key that caused it: the key its type names (`spec_key`), else the key the
    whole stage depends on; an error with neither (a sample's problem, a bug in the model) passes as it is."""
    from reportgen.spec.load import spec_problem

    try:
        yield
    except SpecError:
        raise
    except ReportgenError as exc:
        key = exc.spec_key or stage_key
        if key is None:
            raise
        raise spec_problem(spec, key, str(exc)) from exc


def build(spec_path: str | os.PathLike, out: str | os.PathLike | None = None, pdf: bool | None = None,
          progress: Progress | None = None) -> BuildSummary:
    """Run the stages in order. Everything is written into the output's temporary folder (the stored maps as
    the engine streams them), which replaces the output folder only when every stage succeeded."""
    from reportgen.samples import load_samples
    from reportgen.spec import load_spec

    clock = _Clock(progress)
    # not announced: a spec, samples or output-folder problem is then the one line a user reads, and this
    # stage takes a fraction of a second, so "loading model …" still comes first within a second
    with clock.stage("spec and samples", None) as outcome:
        spec = load_spec(spec_path)
        paths = spec.paths
        output = output_for(Path(out) if out is not None else paths.output_dir, paths)
        output.check()  # before any work: a folder that would lose someone's files is refused at once
        samples = load_samples(spec, paths.base_dir)
        check_pages(spec, samples)
        outcome["detail"] = f"{len(samples)} samples"
    with clock.stage("model loading", f"loading model {shown_path(paths.model)}") as outcome:
        context = ChunkContext.load(spec, outcome)
    spec_text = Path(paths.spec_file).read_text(encoding="utf-8") if paths.spec_file else None
    with output as tmp:
        tmp = Path(tmp)
        with clock.stage("engine", f"explaining {len(samples)} docs") as outcome:
            corpus = _explain_corpus_into(tmp, spec, context, samples, progress, clock)
            outcome["detail"] = f"{corpus.documents} docs"
        clock.timings["engine"] -= corpus.side_seconds  # the summary's split adds up to the build's time
        explanations = corpus.page_documents
        adapter, layers, settings = context.adapter, context.layers, context.settings
        if spec.metrics.enabled:
            with clock.stage("metrics", f"scoring {min(spec.metrics.max_samples, len(explanations))} docs") as outcome:
                metrics_report, layer_paths = _score(spec, adapter, context.pipeline, explanations, layers,
                                                     settings, progress)
                outcome["detail"] = f"{len(metrics_report.samples)} docs"
        else:
            metrics_report, layer_paths = _score(spec, adapter, context.pipeline, explanations, layers, settings,
                                                 progress)
        results = _assemble(spec, adapter, explanations, layer_paths, metrics_report)
        if spec.compare:
            with clock.stage("comparison", f"comparing with {len(spec.compare)} baseline(s)"):
                results.comparison = _compare(spec, results, progress)
                if spec.output.json:
                    _store_baselines(tmp / results.maps_file, results.comparison)
        results.corpus = corpus.summary
        results.corpus_evidence = corpus.corpus_evidence
        summary = _write_outputs(tmp, results, spec, pdf, progress, spec_text, clock)
        if not spec.output.json:  # the stored maps served the pages; the spec asked for no results files
            import shutil

            shutil.rmtree(tmp / Path(results.maps_file).parent, ignore_errors=True)
            summary.files = [f for f in summary.files if f.parent != tmp / Path(results.maps_file).parent]
    summary.files = [output.given / f.relative_to(tmp) for f in summary.files]
    summary.out_dir, summary.documents = output.given, corpus.documents
    summary.timings = clock.timings
    return summary


def check_pages(spec, samples) -> None:
    """`output.pages` ids must be samples: found before the engine spends minutes on a corpus (and by
    `reportgen validate`)."""
    from reportgen.spec.load import spec_problem

    pages = spec.output.pages
    if isinstance(pages, list):
        known = {sample.id for sample in samples}
        missing = [i for i in pages if i not in known]
        if missing:
            listed = ", ".join(repr(i) for i in missing[:5]) + (" …" if len(missing) > 5 else "")
            raise spec_problem(spec, "output.pages", f"{len(missing)} id(s) are not among the samples: {listed}")


def oov_id_of(section, adapter, pipeline) -> int | None:
    """The id the pipeline gives words outside the model's vocabulary (`input.oov_token`, or [UNK] of a model's
    own TextVectorization); None when it has none."""
    vocab = getattr(pipeline, "vocab", None)
    if section.oov_token and vocab is not None:
        return vocab.get(section.oov_token)
    if adapter.vectorizer is not None:
        return 1  # TextVectorization reserves 1 for [UNK]
    return None


@dataclass
class ChunkContext:
    """What explaining a chunk of samples needs, built once per process (once per Ray actor)."""

    spec: object
    adapter: object
    pipeline: object
    layers: list
    settings: object

    @property
    def oov_id(self) -> int | None:
        return oov_id_of(self.spec.input, self.adapter, self.pipeline)

    @classmethod
    def load(cls, spec, outcome: dict | None = None) -> "ChunkContext":
        adapter = _load_adapter(spec, outcome)
        layers, settings = _engine_settings(spec, adapter)
        return cls(spec, adapter, _pipeline(spec, adapter), layers, settings)


# Documents vectorised and explained at a time by the local backend: large enough that the engine's length
# buckets fill its batches, small enough that a chunk's expanded heatmaps stay a few megabytes.
CHUNK_DOCUMENTS = 512


def explain_chunk(context: ChunkContext, samples: list, first_index: int, timings: dict | None = None,
                  progress: Callable[[int], None] | None = None):
    """Vectorise and explain `samples` (document numbers `first_index`...), as rows of the stored maps;
    `progress(n)` after each engine batch of n documents."""
    from reportgen.engine.runner import explain_documents
    from reportgen.results import model_key
    from reportgen.store import table_of

    start = time.perf_counter()
    docs = _documents(context.spec, context.adapter, context.pipeline, samples)
    vectorised = time.perf_counter()
    with _blame(context.spec):
        explanations = explain_documents(context.adapter, docs, context.layers, context.settings, progress,
                                         pad_id=context.spec.input.pad_value, heatmaps=False)
    if timings is not None:
        timings["vectorising"] = timings.get("vectorising", 0.0) + vectorised - start
    return table_of(explanations, first_index, model=model_key(context.adapter.model.name))


def explain_corpus(spec, context: ChunkContext, samples: list, progress: Progress | None = None,
                   timings: dict | None = None):
    """Every sample's rows, chunk by chunk in corpus order, from the backend `execution.backend` names."""
    if spec.execution.backend == "ray":
        from reportgen.distributed import ray_tables

        # handed in, not imported there: distributed runs below build (build imports it)
        yield from ray_tables(spec, samples, progress, load_context=ChunkContext.load, explain_chunk=explain_chunk)
        return
    done = 0

    def batch_done(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("engine", done, len(samples))

    # the first batch also traces and compiles the gradient step (most of the stage when every document
    # fits one batch): the bar shows 0 docs with its elapsed time until then
    if progress:
        progress("engine", 0, len(samples))
    for first in range(0, len(samples), CHUNK_DOCUMENTS):
        yield explain_chunk(context, samples[first: first + CHUNK_DOCUMENTS], first, timings, batch_done)


def _explain_corpus_into(folder: Path, spec, context: ChunkContext, samples: list, progress, clock):
    """Stream every sample's maps into folder/results/maps.parquet, keeping one table row per document and
    the corpus evidence; then read back the documents that get a page."""
    from reportgen.corpus_pass import CorpusPass

    engine_timings: dict[str, float] = {}
    corpus = CorpusPass(folder, spec, context)
    try:
        for table in explain_corpus(spec, context, samples, progress, engine_timings):
            start = time.perf_counter()
            corpus.add(table)
            engine_timings["corpus statistics"] = engine_timings.get("corpus statistics", 0.0) + (
                time.perf_counter() - start)
    finally:
        corpus.close()
    for name, seconds in engine_timings.items():  # before the engine's own entry: the summary lists it first
        clock.timings[name] = clock.timings.get(name, 0.0) + seconds
    corpus.side_seconds = sum(engine_timings.values())  # the engine stage's time that these entries give
    with _blame(spec, "output.pages"):
        corpus.choose_pages()
    return corpus


def _load_adapter(spec, outcome: dict | None = None):
    """The model and what the engine needs to know about it, with the spec's labels and input length.

    `outcome["detail"]` says where the time went: start-up is most of a small build, and TensorFlow's
    import alone can be most of that."""
    from reportgen.api import adapter_for
    from reportgen.models.load import import_tensorflow_quietly, load_keras_model

    paths = spec.paths
    labels = spec_labels(spec)
    start = time.perf_counter()
    import_tensorflow_quietly()
    imported = time.perf_counter()
    with _blame(spec, "model.path"):
        loaded = load_keras_model(paths.model)
        read = time.perf_counter()
        adapter = adapter_for(loaded, labels, spec.model.task, spec.model.threshold, path=spec.model.path,
                              model_inputs=spec.input.model_inputs, output=spec.model.output,
                              pad_id=spec.input.pad_value)
    if outcome is not None:
        outcome["detail"] = (f"(tensorflow import {imported - start:.1f}s, model file {read - imported:.1f}s, "
                             f"layer shapes {time.perf_counter() - read:.1f}s)")
    if spec.input.length is not None and adapter.input_length is None:
        adapter.input_length = spec.input.length
        adapter.notes.append(f"inputs padded/truncated to input.length = {spec.input.length} as the spec asks")
    return adapter


def _documents(spec, adapter, pipeline, samples):
    """Each sample as the exact ids the model reads (texts through the spec's pipeline, ids as given)."""
    from reportgen.engine.inputs import from_encoded, from_padded, refit_to_model
    from reportgen.text.limit import limit_tokens

    docs = []
    pad = spec.input.pad_value
    for sample in samples:
        truth = label_indices(sample, adapter.labels)
        if sample.ids is not None:
            doc = from_padded(sample.id, sample.ids, sample.tokens, pad, spec.input.padding,
                              level=getattr(pipeline, "level", None), true_labels=truth,
                              token_text=getattr(pipeline, "token_text", None))
            doc = refit_to_model(adapter, doc, spec.input.padding, spec.input.truncating, pad)
        else:
            try:
                encoded = pipeline.encode(sample.text or "")
            except ReportgenError as exc:
                raise InputError(f"sample {sample.id!r}: {exc}") from exc
            encoded = limit_tokens(encoded, spec.input.max_tokens)
            doc = from_encoded(adapter, sample.id, encoded, spec.input.padding, spec.input.truncating, pad, truth)
        if not doc.ids:
            raise InputError(f"sample {sample.id!r}: the text gives no tokens (empty, or only unknown words "
                             "without an OOV token); remove it or give the pipeline an oov_token")
        docs.append(doc)
    return docs


def _pipeline(spec, adapter):
    """The spec's text pipeline for the model (its own TextVectorization, when it has one)."""
    from reportgen.text.factory import pipeline_from_spec

    with _blame(spec, "input"):
        return pipeline_from_spec(spec.input, spec.paths.vocabulary, adapter.vectorizer, spec.paths.base_dir)


def _make_documents(spec, adapter, samples):
    """The documents and the text pipeline (benchmarks time the engine on them without a build)."""
    pipeline = _pipeline(spec, adapter)
    return _documents(spec, adapter, pipeline, samples), pipeline


def _engine_settings(spec, adapter):
    """The layers to explain and the engine settings the spec asks for."""
    from reportgen.engine.runner import ExplainSettings

    explain_spec = spec.explain
    with _blame(spec, "explain.layers"):
        layers = adapter.resolve_layers("all" if explain_spec.layers == "best" else explain_spec.layers)
    with _blame(spec, "explain"):
        settings = ExplainSettings(targets=explain_spec.targets, relu=tuple(explain_spec.relu),
                                   counterfactual=tuple(explain_spec.counterfactual),
                                   interpolation=tuple(explain_spec.interpolation), score=explain_spec.score,
                                   normalize_gradients=explain_spec.normalize_gradients,
                                   batch_size=explain_spec.batch_size)
    return layers, settings


def _explain(spec, adapter, docs, progress: Progress | None):
    """Grad-CAM maps of every document for the spec's layers, targets and variants, in memory (benchmarks)."""
    from reportgen.engine.runner import explain_documents

    layers, settings = _engine_settings(spec, adapter)
    with _blame(spec):
        explanations = explain_documents(adapter, docs, layers, settings, pad_id=spec.input.pad_value)
    return explanations, layers, settings


def _score(spec, adapter, pipeline, explanations, layers, settings, progress: Progress | None):
    """The faithfulness metrics (None when off) and the explained layers' paths, the recommended one first
    when the spec asks for the best."""
    layer_paths = [e.path for e in layers]
    metrics_report = None
    if spec.metrics.enabled:
        metrics_report = _metrics(spec, adapter, pipeline, explanations, layers, settings, progress)
        if spec.explain.layers == "best" and metrics_report.recommended_layer:
            best = metrics_report.recommended_layer
            layer_paths = [best] + [p for p in layer_paths if p != best]
    return metrics_report, layer_paths  # 'best' without metrics never gets here: the spec refuses it


def _assemble(spec, adapter, explanations, layer_paths, metrics_report):
    """The results every output is rendered from (explanations.json's contract)."""
    from reportgen.results import ReportResults

    return ReportResults(
        title=spec.title, description=spec.description or "", dataset=spec.dataset or "", author=spec.author or "",
        date=report_date(spec),
        model=adapter.info(explained=layer_paths), documents=explanations,
        settings=_settings_record(spec, layer_paths, adapter), versions=versions(), metrics=metrics_report)


def _metrics(spec, adapter, pipeline, explanations, layers, settings, progress, reuse=True, section=None):
    """`reuse` False takes the slower path this stage had before it shared compiled steps and forward passes
    (benchmarks/metrics.py times both; the numbers are the same). `section`: the input section the documents
    were read with (a baseline's own; default the spec's)."""
    import numpy as np

    from reportgen.engine.batching import predict_ids, token_budget_groups
    from reportgen.engine.runner import explain_documents
    from reportgen.engine.targets import static_targets
    from reportgen.metrics import MetricsSettings, compute_metrics

    m = spec.metrics
    section = section or spec.input
    oov_id = oov_id_of(section, adapter, pipeline)
    start = section.start_token

    def removable(doc):
        return [not (t.span is None or (start is not None and t.text == start)) for t in doc.tokens]

    chosen = explanations[: m.max_samples]
    paths = [e.path for e in layers]
    judged = [d.prediction.predicted[:1] or [0] for d in chosen]
    # The engine run's own targets, when they hold every label judged, reuse its compiled step: a new
    # target count costs a trace (IMDB BiLSTM: ~5 s against ~0.45 s per target and pass, 4 passes), so up
    # to 3 targets are cheaper than tracing; else only each judged label is explained.
    run_targets = static_targets(settings.targets, adapter.labels) if reuse else None
    targets = "true"
    if run_targets and len(run_targets) <= 3 and all(t[0] in run_targets for t in judged):
        targets = run_targets

    # the sanity check explains the scored documents again with the model, then with each randomised one
    sanity_passes = 1 + len(SANITY_TOP_LAYERS)
    sanity_done = 0

    def compute_maps(model):
        nonlocal sanity_done
        if progress and sanity_done == 0:
            progress("sanity check", 0, sanity_passes)
        maps = _compute_maps(model)
        sanity_done += 1
        if progress:
            progress("sanity check", sanity_done, sanity_passes)
        return maps

    def _compute_maps(model):
        """Grad-CAM maps of the scored documents with another (randomised) model, per explained layer: the
        label the original model predicted (explained as if it were the true label), signed, linear. Every
        layer comes from the same engine pass, so judging them all costs about what judging one did."""
        from reportgen.api import adapter_for
        from reportgen.engine.inputs import from_encoded
        from reportgen.text.base import Encoded

        # the model randomised in place is still the adapter's: its compiled steps serve it as they are
        other = adapter if model is adapter.model else adapter_for(model, adapter.labels, adapter.task,
                                                                      adapter.threshold)
        other.input_length = adapter.input_length
        docs = [from_encoded(other, d.id, Encoded(d.text, [t.id for t in d.tokens], list(d.tokens)),
                             section.padding, section.truncating, section.pad_value, true_labels=label)
                for d, label in zip(chosen, judged)]
        same = type(settings)(targets=targets, relu=(False,), counterfactual=(False,), interpolation=("linear",),
                              score=settings.score, normalize_gradients=settings.normalize_gradients,
                              batch_size=settings.batch_size)
        out = explain_documents(other, docs, other.resolve_layers(paths), same, pad_id=section.pad_value)
        return {path: [np.asarray(h.weights) for o, label in zip(out, judged) for h in o.heatmaps
                       if h.layer == path and h.target == label[0]] for path in paths}

    # A forward pass keeps no tape, so the perturbed inputs go in batches as large as the engine's token
    # budget allows (one model call each) rather than the engine's batch size: IMDB, 5,732 inputs, 1.4-2x faster
    per_call = max(settings.batch_size, 1024) if reuse else settings.batch_size

    def predict_fn(batch):
        return predict_ids(adapter, batch, batch_size=per_call)

    def chunks(order, lengths, batch_size):
        return token_budget_groups(order, lengths, batch_size, adapter.input_length)

    def metrics_progress(done, total):
        if progress:
            progress("metrics", done, total)

    per_doc, report = compute_metrics(
        explanations, predict_fn, layers=paths,
        settings=MetricsSettings.from_mapping(m, batch_size=per_call, sanity_top_layers=SANITY_TOP_LAYERS),
        pad_id=section.pad_value, oov_id=oov_id, removable=removable, progress=metrics_progress,
        auto_layer=_auto_path(adapter), model=adapter.model, compute_maps=compute_maps if m.sanity else None,
        map_labels=[d.id for d in chosen], reuse=reuse, chunks=chunks if reuse else None)
    for d in explanations:
        d.metrics = per_doc.get(d.id)
    return report


def _auto_path(adapter) -> str | None:
    try:
        return adapter.auto_layer().path
    except ReportgenError:
        return None


def _settings_record(spec, layer_paths, adapter):
    from reportgen.results import ReportSettings

    e = spec.explain
    return ReportSettings(
        layers=list(layer_paths), layers_requested=e.layers if isinstance(e.layers, str) else list(e.layers),
        targets=e.targets if isinstance(e.targets, str) else list(e.targets), relu=list(e.relu),
        counterfactual=list(e.counterfactual), score=e.score, normalize_gradients=e.normalize_gradients,
        interpolation=list(e.interpolation), scale=e.scale, palette=e.palette, aggregate=e.aggregate,
        batch_size=e.batch_size, padding=spec.input.padding, truncating=spec.input.truncating,
        pad_value=spec.input.pad_value, level=spec.input.level or (
            "word" if adapter.vectorizer is not None else None),
        samples_source=_source_text(spec),
        # `where` filters by a field (usually the held-out split) and `limit` keeps the first N: only a
        # hand-picked selection makes the accuracy over the samples say nothing about the model
        samples_chosen_by=[key for key in ("select", "extra") if getattr(spec.samples, key)],
    )


def _source_text(spec) -> str:
    from reportgen.samples import source_name

    try:
        return source_name(spec.samples)
    except Exception:  # display only
        return ""


def output_for(out_dir: Path, paths):
    """The atomic writer for `out_dir`, told the build's inputs so it never replaces a folder holding them."""
    from reportgen.output import AtomicOutput

    return AtomicOutput(out_dir, inputs=(paths.spec_file, paths.model, paths.vocabulary, paths.labels_file,
                                         paths.samples))


def write_report(results, spec, output, pdf: bool | None, progress: Progress | None,
                 spec_text: str | None = None, clock: _Clock | None = None) -> BuildSummary:
    """Render results held in memory into a temporary folder, then swap it in (`output`: an AtomicOutput);
    the stored maps are written from `results.documents`."""
    from reportgen.store import MapsWriter, results_tables

    with output as tmp:
        tmp = Path(tmp)
        if spec.output.json:
            with MapsWriter(tmp / results.maps_file) as writer:
                for table in results_tables(results):
                    writer.write(table)
        summary = _write_outputs(tmp, results, spec, pdf, progress, spec_text, clock or _Clock(progress))
    summary.files = [output.given / f.relative_to(tmp) for f in summary.files]
    summary.out_dir = output.given
    return summary


def _write_outputs(tmp: Path, results, spec, pdf: bool | None, progress: Progress | None, spec_text: str | None,
                   clock: _Clock) -> BuildSummary:
    """Render every requested output into the open temporary folder `tmp` (files listed as paths in it)."""
    from reportgen.output import dump_json, write_text
    from reportgen.report.alerts import report_alerts

    files: list[Path] = []
    if spec.output.json:
        files.append(tmp / results.maps_file)
    pdf_pages = None
    want_pdf = spec.output.pdf.enabled if pdf is None else (pdf and spec.output.pdf.enabled)
    if want_pdf:
        # first: the page budget may leave samples out, and explanations.json, the PDF's attached copy of
        # it and the site's alerts must all name the samples the PDF really shows
        from reportgen.render.pdf import render_pdf

        with clock.stage("pdf", "writing report.pdf") as outcome:
            summary = render_pdf(results, tmp / "report.pdf", spec.output.pdf, spec_text=spec_text,
                                 progress=(lambda d, t: progress("pdf", d, t)) if progress else None)
            outcome["detail"] = f"{summary.pages} pages"
        results.pdf_samples = summary.record
        pdf_pages = summary.pages
        files.append(tmp / "report.pdf")
    alerts = report_alerts(results)
    if spec.output.json:
        json_path = tmp / "explanations.json"
        with clock.stage("json", "writing explanations.json"):
            if want_pdf and summary.json_bytes is not None:  # the PDF's attached copy, made once
                write_text(json_path, summary.json_bytes.decode("utf-8"))
            else:
                dump_json(results.to_dict(), json_path)
        files.append(json_path)
    if spec.output.html:
        from reportgen.render.html import render_site

        with clock.stage("html", "writing the html site") as outcome:
            pages = render_site(results, tmp, progress=(lambda d, t: progress("html", d, t))
                                if progress else None)
            outcome["detail"] = f"{sum(1 for p in pages if p.suffix == '.html')} pages"
        files.extend(pages)
    return BuildSummary(out_dir=tmp, documents=len(results.documents), files=files, pdf_pages=pdf_pages,
                        alerts=alerts)


def _compare(spec, results, progress: Progress | None = None):
    """The report's model (the candidate) against each baseline of `compare:`: every baseline explains the
    documents that have a page, with the report's explain settings (targets, variants, interpolation, score)
    and its own layers, reading the text through its own `input:` when given, else through the report's.
    None when the spec names no baseline. A baseline's problem is placed at its `compare[i]` key."""
    if not spec.compare:
        return None
    from reportgen.api import adapter_for
    from reportgen.compare import compare_models
    from reportgen.engine.inputs import from_encoded, from_padded
    from reportgen.engine.runner import ExplainSettings, explain_documents
    from reportgen.models.load import load_keras_model
    from reportgen.report.structure import Orders
    from reportgen.results import ComparisonReport, ReportResults, model_key
    from reportgen.spec.load import spec_problem
    from reportgen.text.factory import pipeline_from_spec
    from reportgen.text.limit import limit_tokens

    e = spec.explain
    with _blame(spec, "explain"):  # the report's own settings, so both models are explained alike
        settings = ExplainSettings(targets=e.targets, relu=tuple(e.relu), counterfactual=tuple(e.counterfactual),
                                   interpolation=tuple(e.interpolation), score=e.score,
                                   normalize_gradients=e.normalize_gradients, batch_size=e.batch_size)
    candidate_orders = Orders.of(results)
    candidate_kind = results.model.input_kind
    candidate = model_key(results.model.name)
    baselines = []
    for index, entry in enumerate(spec.compare):
        key = f"compare[{index}]"
        if entry.display_name() == candidate:  # the model key of its stored maps would be the report model's
            raise spec_problem(spec, f"{key}.name" if entry.name else f"{key}.path",
                               f"the baseline's name {candidate!r} is the report model's name, the key of its "
                               f"stored maps; give the baseline another name")
        with _blame(spec, f"{key}.labels_file"):
            labels = list(entry.labels) if entry.labels is not None else read_labels(
                spec.resolve(entry.labels_file)) if entry.labels_file is not None else results.model.labels
        with _blame(spec, f"{key}.path"):
            loaded = load_keras_model(spec.resolve(entry.path))
            adapter = adapter_for(loaded, labels, spec.model.task,
                                  entry.threshold if entry.threshold is not None else spec.model.threshold,
                                  path=entry.path)
        kind = "strings" if adapter.vectorizer is not None else "ids"
        if entry.input is None and kind != candidate_kind:
            raise spec_problem(spec, f"{key}.path", f"the baseline takes {kind} but the report's input pipeline "
                                                     f"gives the model {candidate_kind}; give the baseline its own "
                                                     f"input: section")
        if sorted(adapter.labels) != sorted(results.model.labels):
            where = f"{key}.labels" if entry.labels is not None else f"{key}.labels_file" if entry.labels_file \
                else f"{key}.path"
            raise spec_problem(spec, where, f"the baseline's labels ({', '.join(adapter.labels)}) are not the "
                                            f"model's ({', '.join(results.model.labels)}): labels are matched by name")
        section = entry.input or spec.input
        if section.length is not None and adapter.input_length is None:
            adapter.input_length = section.length
        vocabulary = spec.resolve(section.vocabulary) if section.vocabulary else None
        with _blame(spec, f"{key}.input" if entry.input is not None else "input"):
            pipeline = pipeline_from_spec(section, vocabulary, adapter.vectorizer, spec.base_dir)
        by_name = {name: i for i, name in enumerate(adapter.labels)}
        docs = []
        for d in results.documents:
            truth = None if d.true_labels is None else [by_name[results.model.labels[k]] for k in d.true_labels]
            if d.text:
                encoded = limit_tokens(pipeline.encode(d.text), section.max_tokens)
                docs.append(from_encoded(adapter, d.id, encoded, section.padding, section.truncating,
                                         section.pad_value, truth))
            else:  # pre-vectorised: the very ids the model read
                kept = [t for t in d.tokens if t.span is not None or t.id != section.pad_value]
                docs.append(from_padded(d.id, [t.id for t in kept], [t.text for t in kept], section.pad_value,
                                        section.padding, true_labels=truth))
        with _blame(spec, f"{key}.layers"):
            layers = adapter.resolve_layers(entry.layers)
        with _blame(spec, key):
            explained = explain_documents(adapter, docs, layers, settings, pad_id=section.pad_value)
        paths = [e.path for e in layers]
        metrics = None
        if spec.metrics.enabled:  # the same faithfulness stage as the candidate's, on the same documents
            with _blame(spec, key):
                metrics = _metrics(spec, adapter, pipeline, explained, layers, settings, None, section=section)
        model = adapter.info(explained=paths)
        own = ReportResults(title=results.title, model=model, documents=explained,
                            settings=type(results.settings)(**{**vars(results.settings), "layers": paths}))
        baseline_orders = Orders.of(own)
        baseline = compare_models(
            results.documents, results.model.labels, explained, adapter.labels, name=entry.display_name(),
            model=model, layers=paths, candidate_lead=lambda doc, t: candidate_orders.lead(doc, t),
            baseline_lead=lambda doc, t, o=baseline_orders: o.lead(doc, t))
        baseline.metrics = metrics
        baselines.append(baseline)
    return ComparisonReport(candidate=candidate, baselines=baselines)


def _store_baselines(path: Path, comparison) -> None:
    """Add each baseline's rows to the stored maps under its model key. The file was closed so the page
    documents could be read back, and Parquet cannot append: its row groups are copied one at a time into a new
    file, then the baselines' rows follow (a comparison build pays one copy of the file)."""
    import pyarrow.parquet as pq

    from reportgen.store import MapsWriter, table_of

    copy = path.with_name(path.name + ".part")
    stored = pq.ParquetFile(path)
    with MapsWriter(copy) as writer:
        for group in range(stored.num_row_groups):
            writer.write(stored.read_row_group(group))
        for baseline in comparison.baselines:
            writer.write(table_of(baseline.documents, model=baseline.name))
    stored.close()
    os.replace(copy, path)

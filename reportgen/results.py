"""Plain-data results: the contract between the engine and every renderer.

`explanations.json` is `ReportResults.to_dict()` written with sorted keys. Renderers read these objects
(or that JSON, through `ReportResults.from_dict`) and never recompute anything. Nothing here imports
TensorFlow or numpy, so a report can be re-rendered from the JSON alone.

Conventions
- Floats are rounded to `FLOAT_DIGITS` significant digits when serialised, so builds diff cleanly.
- A token's `span` is `[start, end)` in characters of the *original* document text; tokens that are not
  in the text (a start token, an OOV marker for a pre-vectorised sample) have `span = None`.
- A heatmap holds one weight per token of the document as explained (padding trimmed), in token order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

# 2: per-layer sanity check and recommendation (reportgen/metrics/__init__.py)
# 3: pdf_samples, which samples report.pdf shows and by what rule (output.pdf.samples)
# 4: settings.samples_chosen_by, the samples keys that hand-picked the samples (the curated-accuracy alert);
#    pdf_samples.ids are the samples the PDF shows once laid out, pdf_samples.left_out those max_pages cut
# 5: maps leave this file. Each document x layer x target's layer-resolution map and gradient norm are one row
#    of the Parquet file `maps_file` (results/maps.parquet), with the document's text, tokens and offsets;
#    every variant (relu, counterfactual, normalised, interpolated) is derived from it when read
#    (`reportgen.read_results`). `documents` keeps the documents that have a page, without text, tokens or
#    heatmaps; `corpus` lists every explained document (one row each) and which ones have a page.
SCHEMA_VERSION = 5
FLOAT_DIGITS = 7


def round_float(value: float | None) -> float | None:
    """Round to FLOAT_DIGITS significant digits; NaN and inf become None (JSON has no such numbers)."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    if value == 0.0:
        return 0.0
    return float(f"{value:.{FLOAT_DIGITS}g}")


def _plain(value: Any) -> Any:
    """A field's value as JSON-ready data (`_clean` of it, records turned into dicts first)."""
    return _clean(asdict(value) if hasattr(value, "__dataclass_fields__") else value)


def _clean(value: Any) -> Any:
    """Recursively turn dataclass dicts into JSON-ready data with rounded floats and list tuples."""
    if isinstance(value, float):
        return round_float(value)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _clean(value.item())
    return value


@dataclass
class Token:
    text: str
    span: tuple[int, int] | None
    id: int | None = None


@dataclass
class Prediction:
    """The model's output on the document exactly as it was explained."""

    probabilities: list[float]  # one per label; a single-sigmoid binary model gives [1 - p, p]
    predicted: list[int]  # label indices: argmax for binary/multiclass, all over threshold for multilabel
    threshold: float | None = None  # multilabel only


@dataclass
class Heatmap:
    """One Grad-CAM map: a (layer, target, variant, interpolation) combination for one document."""

    layer: str  # layer path, e.g. "conv1d" or "encoder/conv1d"
    target: int  # label index explained
    target_label: str
    score_kind: str  # "logit" or "probability"
    score: float  # the target's score on this document (logit or probability, as score_kind)
    relu: bool
    counterfactual: bool
    normalize_gradients: bool
    interpolation: str  # the kind asked for
    interpolation_used: str  # the kind applied (differs after a fallback)
    weights: list[float]  # one per token of the document
    uniform: bool = False  # the layer has no time axis: every token gets the same weight
    notes: list[str] = field(default_factory=list)  # fallbacks, uniform maps, anything a reader must know
    layer_resolution: int | None = None  # time steps of the layer (before resizing)

    @property
    def variant(self) -> str:
        return variant_name(self.relu, self.counterfactual)


def variant_name(relu: bool, counterfactual: bool) -> str:
    parts = ["relu" if relu else "signed"]
    if counterfactual:
        parts.append("counterfactual")
    return "+".join(parts)


@dataclass
class InputInfo:
    """What the text pipeline did to the document before the model saw it."""

    length: int  # tokens the model saw, padding included
    padding_side: str | None = None  # "pre" / "post" / None when not padded
    padded: int = 0  # pad tokens added
    truncated: int = 0  # tokens cut off to fit a fixed-length model
    truncating_side: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class LayerMap:
    """What the engine computed for one (document, layer, target), before any variant: every `Heatmap` of
    the document for that layer and target derives from it (`reportgen.engine.variants`)."""

    layer: str
    target: int
    target_label: str
    score: float
    grad_norm: float  # L2 norm of the whole gradient tensor (normalize_gradients divides by it)
    values: Any  # float32 numpy array: one weight per layer time step (a single one without a time axis)
    time_axis: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class DocumentExplanation:
    id: str
    text: str  # the original text as the user wrote it ("" when only tokens were given)
    tokens: list[Token]
    prediction: Prediction
    heatmaps: list[Heatmap]
    input: InputInfo
    true_labels: list[int] | None = None  # label indices; None when the sample has no ground truth
    # per-sample faithfulness numbers, keyed by layer then target; a plain dict (reportgen/metrics/__init__.py)
    metrics: dict[str, Any] | None = None
    # what the heatmaps derive from; kept in results/maps.parquet, never in explanations.json
    layer_maps: list[LayerMap] = field(default_factory=list)

    @property
    def correct(self) -> bool | None:
        if self.true_labels is None:
            return None
        return sorted(self.true_labels) == sorted(self.prediction.predicted)

    def find(self, layer: str | None = None, target: int | None = None, relu: bool | None = None,
             counterfactual: bool | None = None, interpolation: str | None = None) -> list[Heatmap]:
        out = []
        for h in self.heatmaps:
            if layer is not None and h.layer != layer:
                continue
            if target is not None and h.target != target:
                continue
            if relu is not None and h.relu != relu:
                continue
            if counterfactual is not None and h.counterfactual != counterfactual:
                continue
            if interpolation is not None and h.interpolation != interpolation:
                continue
            out.append(h)
        return out


@dataclass
class LayerInfo:
    path: str  # "name" or "outer/inner" for layers inside nested models
    index: int | None  # position in model.layers (top level only)
    class_name: str
    output_shape: list[int | None]
    time_axis: bool  # output is (batch, time, channels)
    time_steps: int | None = None  # None for variable-length
    params: int = 0
    explained: bool = False  # this report explains this layer
    auto: bool = False  # the `auto` rule picks this layer


@dataclass
class ModelInfo:
    name: str
    path: str  # as given in the spec (relative), never an absolute path of the build machine
    task: str  # "binary" / "multiclass" / "multilabel"
    labels: list[str]
    input_kind: str  # "ids" (integer sequences) or "strings" (TextVectorization inside)
    input_length: int | None  # fixed length, or None for variable length
    layers: list[LayerInfo]
    output_activation: str  # "sigmoid" / "softmax" / "linear"
    format: str = "keras"  # "keras" (Keras 3) or "legacy-h5" (converted Keras 2 HDF5)
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportSettings:
    """The explain settings the report was made with, resolved (defaults are the spec's)."""

    layers: list[str] = field(default_factory=list)  # explained layer paths, the lead layer first
    layers_requested: str | list[str | int] = "auto"  # as the spec wrote explain.layers
    targets: str | list[str | int] = "predicted"
    relu: list[bool] = field(default_factory=lambda: [True])
    counterfactual: list[bool] = field(default_factory=lambda: [False])
    score: str = "logit"
    normalize_gradients: bool = False
    interpolation: list[str] = field(default_factory=lambda: ["linear"])
    scale: str = "layer"  # what one colour scale spans: document, layer or report
    aggregate: str = "none"  # "word": character models also show word sums
    batch_size: int = 64
    padding: str = "post"
    palette: str = "safe"  # level colours: safe (blue/orange) or red-green
    truncating: str = "post"
    pad_value: int | str | None = None
    level: str | None = None  # word, char or ids; None when the pipeline decides
    samples_source: str = ""  # where the samples came from, as the report names it
    # the spec's samples keys that hand-picked the samples (select, extra): when set, accuracy
    # over the samples is of a chosen selection, not of the data
    samples_chosen_by: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReportSettings":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"explanations.json settings: unknown keys {', '.join(unknown)}")
        return cls(**data)


@dataclass
class PdfSamples:
    """Which samples report.pdf shows, in its order, and the rule that chose them (output.pdf.samples).

    Recorded once the PDF is laid out: samples the rule chose that did not fit output.pdf.max_pages are in
    `left_out`, not in `ids`, and the PDF names them on its summary page.
    """

    rule: str  # all | errors-first | stratified | ids (reportgen/report/sample_choice.py)
    count: int | None  # the N asked for; None: every sample the rule orders, or the listed ids
    ids: list[str]
    description: str  # the rule's choice in words: "12 of 41 samples: the 10 wrong predictions first, ..."
    left_out: list[str] = field(default_factory=list)  # chosen, but past output.pdf.max_pages

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PdfSamples":
        known = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) != known:
            raise ValueError(f"explanations.json pdf_samples: expected the keys {', '.join(sorted(known))}")
        return cls(**data)


def _record_fields(cls: type, data: Any, where: str) -> dict[str, Any]:
    """`data` as keyword arguments of `cls`, refused with the offending keys named when it does not have
    exactly the record's keys (a missing key would otherwise be a TypeError naming no place in the file)."""
    if not isinstance(data, dict):
        raise ValueError(f"explanations.json {where}: expected an object, got {type(data).__name__}")
    names = [f.name for f in fields(cls)]
    problems = []
    if unknown := sorted(set(data) - set(names)):
        problems.append(f"unknown keys {', '.join(unknown)}")
    if missing := [name for name in names if name not in data]:
        problems.append(f"missing keys {', '.join(missing)}")
    if problems:
        raise ValueError(f"explanations.json {where}: {'; '.join(problems)}")
    return dict(data)


@dataclass
class SanityVerdict:
    """A layer's verdict over its sanity-check runs: a metrics `layers[]` row's `sanity`."""

    passed: bool | None  # every run for the layer passed; None if a run had no verdict
    mean_abs: float | None  # highest mean |rho| over the runs (the run that decides)
    top_layers: int | None  # that run's top_layers

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.layers[].sanity") -> "SanityVerdict":
        return cls(**_record_fields(cls, data, where))


@dataclass
class SanityRun:
    """One comparison of a layer's maps with those of a model whose top layers were re-initialised."""

    top_layers: int
    randomized_layers: list[str]
    n: int  # maps with a defined rank correlation
    undefined: int  # constant maps, which have none
    mean: float | None
    mean_abs: float | None
    min: float | None
    max: float | None
    unchanged: int  # maps with |rho| above the threshold
    passed: bool | None
    rho: list[float | None]  # one per map, in the order of labels
    labels: list[str] | None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.sanity.layers[].runs[]") -> "SanityRun":
        return cls(**_record_fields(cls, data, where))


@dataclass
class SanityLayer(SanityVerdict):
    """One explained layer's sanity check; its verdict is the one its `layers[]` row carries."""

    layer: str | None  # None: one unnamed group of maps for several scored layers
    runs: list[SanityRun]

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.sanity.layers[]") -> "SanityLayer":
        values = _record_fields(cls, data, where)
        values["runs"] = [SanityRun.from_dict(run, f"{where}.runs[{i}]") for i, run in enumerate(values["runs"])]
        return cls(**values)


@dataclass
class SanityReport:
    """The model randomisation check (Adebayo et al. 2018), per explained layer in model order."""

    method: str
    threshold: float
    seed: int
    layers: list[SanityLayer]

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.sanity") -> "SanityReport":
        values = _record_fields(cls, data, where)
        values["layers"] = [SanityLayer.from_dict(entry, f"{where}.layers[{i}]")
                            for i, entry in enumerate(values["layers"])]
        return cls(**values)


@dataclass
class LayerScore:
    """One row of the metrics layer table: a layer's faithfulness over the scored samples."""

    layer: str
    n: int  # samples with a score for this layer
    mean: float | None  # AOPC gain, with its t interval
    ci_low: float | None
    ci_high: float | None
    aopc: float | None  # means over samples
    random_aopc: float | None
    lerf_aopc: float | None
    comprehensiveness: float | None
    sufficiency: float | None
    auto: bool
    best: bool  # the recommended layer
    # The series by name ("fractions", "morf", "random", "lerf"), as a document entry's curves are:
    # the SVG drawing reads both alike.
    curves: dict[str, list[float]] | None
    sanity: SanityVerdict | None  # None: the check did not run, or gave this layer no maps

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.layers[]") -> "LayerScore":
        values = _record_fields(cls, data, where)
        if values["sanity"] is not None:
            values["sanity"] = SanityVerdict.from_dict(values["sanity"], f"{where}.sanity")
        return cls(**values)


@dataclass
class SkippedSample:
    id: str
    reason: str

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics.skipped[]") -> "SkippedSample":
        return cls(**_record_fields(cls, data, where))


@dataclass
class MetricsReport:
    """The report-level faithfulness record (`ReportResults.metrics`); `reportgen/metrics/__init__.py`
    documents every key.

    `settings` stays a dict: it is `MetricsSettings.to_dict()` plus the removal operator (pad_id, oov_id,
    the AOPC formula, the count rule), and results may not import metrics, so a typed copy here would be a
    second list of those fields to keep in step. A document's own numbers (`DocumentExplanation.metrics`)
    are plain dicts too.
    """

    settings: dict[str, Any]
    samples: list[str]  # ids scored, in report order
    skipped: list[SkippedSample]
    not_evaluated: int  # documents past max_samples
    predict_calls: int
    predicted_inputs: int
    layers: list[LayerScore]  # model order
    recommended_layer: str | None
    auto_layer: str | None
    differs_from_auto: bool | None
    separated: bool | None
    most_faithful_layer: str | None
    recommended_passes_sanity: bool | None  # None: the check did not run
    recommendation_note: str
    sanity: SanityReport | None  # None: the check did not run
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "metrics") -> "MetricsReport":
        values = _record_fields(cls, data, where)
        values["skipped"] = [SkippedSample.from_dict(item, f"{where}.skipped[{i}]")
                             for i, item in enumerate(values["skipped"])]
        values["layers"] = [LayerScore.from_dict(row, f"{where}.layers[{i}]")
                            for i, row in enumerate(values["layers"])]
        if values["sanity"] is not None:
            values["sanity"] = SanityReport.from_dict(values["sanity"], f"{where}.sanity")
        return cls(**values)


# A document's keys that live in results/maps.parquet, not in explanations.json
STORED_APART = ("text", "tokens", "heatmaps", "layer_maps")
MAPS_FILE = "results/maps.parquet"


@dataclass
class CorpusRow:
    """One explained document in the report's table of every document (the index lists them all; only some
    have a page)."""

    index: int  # position in the corpus, 0-based
    id: str
    snippet: str  # the start of the text, for the table
    tokens: int
    true_labels: list[int] | None
    predicted: list[int]
    probabilities: list[float]
    threshold: float | None  # multilabel only
    page: bool  # has samples/ID.html
    # layer -> up to 3 [word, signed weight, target] of the predicted label's map (else the first target's)
    top_words: dict[str, list[list[Any]]]

    @property
    def correct(self) -> bool | None:
        if self.true_labels is None:
            return None
        return sorted(self.true_labels) == sorted(self.predicted)

    @property
    def prediction(self) -> Prediction:
        return Prediction(self.probabilities, self.predicted, self.threshold)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus.rows[]") -> "CorpusRow":
        return cls(**_record_fields(cls, data, where))


@dataclass
class CorpusSummary:
    """Every explained document and which of them have a page (`output.pages`)."""

    documents: int
    pages_rule: str  # why these documents have a page, in words
    rows: list[CorpusRow]

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus") -> "CorpusSummary":
        values = _record_fields(cls, data, where)
        values["rows"] = [CorpusRow.from_dict(row, f"{where}.rows[{i}]") for i, row in enumerate(values["rows"])]
        return cls(**values)


@dataclass
class ReportResults:
    title: str
    model: ModelInfo
    documents: list[DocumentExplanation]  # the documents that have a page, in report order
    settings: ReportSettings
    description: str = ""  # markdown from the spec (rendered and sanitised by the renderers)
    dataset: str = ""
    author: str = ""
    date: str = ""  # ISO date from the spec or SOURCE_DATE_EPOCH; never the wall clock
    versions: dict[str, str] = field(default_factory=dict)
    metrics: MetricsReport | None = None  # report-level faithfulness tables and layer recommendation
    pdf_samples: PdfSamples | None = None  # None: no PDF was made with these results
    corpus: CorpusSummary | None = None  # every explained document, one row each; None: results not from a build
    corpus_evidence: "CorpusEvidence | None" = None  # words that drive each label across the corpus
    maps_file: str = MAPS_FILE  # relative to explanations.json
    schema_version: int = SCHEMA_VERSION
    comparison: ComparisonReport | None = None  # the model against the spec's baselines (compare:)

    def __post_init__(self) -> None:
        if isinstance(self.pdf_samples, dict):  # read back from explanations.json
            self.pdf_samples = PdfSamples.from_dict(self.pdf_samples)
        if isinstance(self.comparison, dict):
            self.comparison = ComparisonReport.from_dict(self.comparison)
        if isinstance(self.corpus, dict):
            self.corpus = CorpusSummary.from_dict(self.corpus)
        if isinstance(self.corpus_evidence, dict):
            self.corpus_evidence = CorpusEvidence.from_dict(self.corpus_evidence)

    def every_document(self) -> "list[DocumentExplanation] | list[CorpusRow]":
        """What the report says about all explained documents (accuracy, confusion, the index table): the
        corpus rows, which include the documents without a page; the documents when there are no rows."""
        return self.corpus.rows if self.corpus is not None else self.documents

    def to_dict(self) -> dict[str, Any]:
        """explanations.json: everything but what `STORED_APART` names (see SCHEMA_VERSION 5), of the report's
        documents and of each baseline's alike."""
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in ("documents", "comparison")}
        out["documents"] = [_document_summary(d) for d in self.documents]
        out["comparison"] = None if self.comparison is None else self.comparison.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReportResults":
        """The results explanations.json holds: documents without text, tokens or heatmaps (those are in the
        Parquet file; `reportgen.read_results` reads both)."""
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"explanations.json schema_version {version!r}; this reportgen reads {SCHEMA_VERSION}")
        model = dict(data["model"])
        model["layers"] = [LayerInfo(**layer) for layer in model["layers"]]
        docs = [_summary_from_dict(d) for d in data["documents"]]
        known = {f.name for f in fields(cls)}
        rest = {k: v for k, v in data.items() if k in known and k not in ("model", "documents", "settings", "metrics")}
        metrics = data.get("metrics")
        return cls(model=ModelInfo(**model), documents=docs, settings=ReportSettings.from_dict(data["settings"]),
                   metrics=None if metrics is None else MetricsReport.from_dict(metrics), **rest)


def _document_summary(doc: DocumentExplanation) -> dict[str, Any]:
    """A document as explanations.json keeps it: without what `STORED_APART` names."""
    return {f.name: _plain(getattr(doc, f.name)) for f in fields(doc) if f.name not in STORED_APART}


def _summary_from_dict(d: dict[str, Any]) -> DocumentExplanation:
    """A document entry of explanations.json: no text, tokens or heatmaps (`reportgen.read_results` adds them
    from the Parquet file)."""
    d = {k: v for k, v in d.items() if k not in STORED_APART}
    d["prediction"] = Prediction(**d["prediction"])
    d["input"] = InputInfo(**d["input"])
    return DocumentExplanation(text="", tokens=[], heatmaps=[], **d)


# ---- model comparison (`compare:` in the spec; reportgen/compare/__init__.py) -----------------------------

# The model key of a stored map row (results/maps.parquet's `model` column) when the model has no name
DEFAULT_MODEL_KEY = "model"


def model_key(name: str | None) -> str:
    """The key a model's rows carry in the stored maps: the report's model its (Keras) name, a baseline the
    name `compare:` gives it."""
    return name or DEFAULT_MODEL_KEY


@dataclass
class MetricDifference:
    """One metric of both models on the same documents, and the paired interval of candidate − baseline."""

    metric: str  # "accuracy", "precision" or "recall"
    label: str | None  # None for accuracy
    baseline: float | None  # None: undefined (no document predicted or carries the label)
    candidate: float | None
    difference: float | None  # candidate − baseline
    ci_low: float | None  # percentile bootstrap interval of the difference (ComparisonBootstrap)
    ci_high: float | None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> "MetricDifference":
        return cls(**_record_fields(cls, data, where))


@dataclass
class McNemarTest:
    """Exact McNemar test on the documents with a true label that exactly one model gets right."""

    baseline_only: int  # the baseline right, the candidate wrong
    candidate_only: int  # the candidate right, the baseline wrong
    p_value: float

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> "McNemarTest":
        return cls(**_record_fields(cls, data, where))


@dataclass
class FlippedDocument:
    """A document whose predicted labels differ between the two models."""

    id: str
    kind: str  # "fixed" (baseline wrong, candidate right), "broken" (the reverse), "both-wrong", "no-truth"
    baseline_predicted: list[str]  # label names
    candidate_predicted: list[str]
    true_labels: list[str] | None
    baseline_probabilities: list[float]  # in the candidate's label order
    candidate_probabilities: list[float]
    change: float  # largest |candidate − baseline| probability over the labels (the list's order)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> "FlippedDocument":
        return cls(**_record_fields(cls, data, where))


@dataclass
class MapAgreement:
    """How far the two models' lead maps of one document agree, for the same target label."""

    id: str
    target_label: str | None  # None: no label has a map from both models
    baseline_layer: str | None
    candidate_layer: str | None
    rank_correlation: float | None  # Spearman rho over the tokens; None when undefined (one map constant)
    top_k_overlap: float | None  # share of the k highest-weighted tokens in common
    k: int
    note: str = ""  # why a number is missing

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> "MapAgreement":
        return cls(**_record_fields(cls, data, where))


@dataclass
class BaselineComparison:
    """The candidate (the report's model) against one baseline, on the report's documents."""

    name: str  # the model key: the baseline's name in the spec
    model: ModelInfo
    documents: list[DocumentExplanation]  # the baseline's explanations, in the report's document order
    layers: list[str]  # the baseline's explained layers, its lead layer first
    scored: int  # documents with a true label (accuracy, precision, recall, McNemar)
    differences: list[MetricDifference]  # accuracy, then precision and recall per label
    mcnemar: McNemarTest
    confusion: list[list[int]]  # rows: the baseline's predicted label, columns the candidate's (candidate order)
    flips: list[FlippedDocument]  # largest probability change first, then by id
    agreement: list[MapAgreement]  # one per document, report order
    bootstrap: dict[str, Any]  # {"resamples", "seed", "level"}
    notes: list[str] = field(default_factory=list)
    # the baseline's faithfulness metrics on the same documents (the report's metrics settings); None: off
    metrics: MetricsReport | None = None

    def to_dict(self) -> dict[str, Any]:
        out = _plain(replace(self, documents=[]))  # asdict would copy every map only to drop it
        out["documents"] = [_document_summary(d) for d in self.documents]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> "BaselineComparison":
        """Its documents without text, tokens or heatmaps, as the report's own (`reportgen.read_results`
        reads their maps back from the Parquet file, under the baseline's model key)."""
        values = _record_fields(cls, data, where)
        model = dict(values["model"])
        model["layers"] = [LayerInfo(**layer) for layer in model["layers"]]
        values["model"] = ModelInfo(**model)
        values["documents"] = [_summary_from_dict(d) for d in values["documents"]]
        if values["metrics"] is not None:
            values["metrics"] = MetricsReport.from_dict(values["metrics"], f"{where}.metrics")
        values["differences"] = [MetricDifference.from_dict(d, f"{where}.differences[{i}]")
                                 for i, d in enumerate(values["differences"])]
        values["mcnemar"] = McNemarTest.from_dict(values["mcnemar"], f"{where}.mcnemar")
        values["flips"] = [FlippedDocument.from_dict(d, f"{where}.flips[{i}]") for i, d in enumerate(values["flips"])]
        values["agreement"] = [MapAgreement.from_dict(d, f"{where}.agreement[{i}]")
                               for i, d in enumerate(values["agreement"])]
        return cls(**values)


@dataclass
class ComparisonReport:
    """`ReportResults.comparison`: the report's model (the candidate) against each baseline of the spec."""

    candidate: str  # the model key of the report's own model (`model_key` of its name)
    baselines: list[BaselineComparison]

    def to_dict(self) -> dict[str, Any]:
        return {"candidate": self.candidate, "baselines": [b.to_dict() for b in self.baselines]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "comparison") -> "ComparisonReport":
        values = _record_fields(cls, data, where)
        values["baselines"] = [BaselineComparison.from_dict(b, f"{where}.baselines[{i}]")
                               for i, b in enumerate(values["baselines"])]
        return cls(**values)


# ---- corpus evidence (issue 17; reportgen/corpus/) ---------------------------------------------------------

@dataclass
class WordExample:
    """A document where a word weighed heavily: its corpus position, id and the word's summed normalised weight
    in it (the document's map divided by its largest |weight|)."""

    doc_index: int
    doc_id: str
    weight: float

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus_evidence.labels[].toward[].examples[]") \
            -> "WordExample":
        return cls(**_record_fields(cls, data, where))


@dataclass
class WordEvidence:
    """One word's weight for one label at one layer, summed over the corpus (each document's map divided by its
    largest |weight| first, so every document counts alike). Intervals are percentile bootstrap intervals over
    documents; None where the bootstrap had no replicate to give one."""

    word: str  # lower-cased unit text
    total: float  # sum over documents of the word's normalised weight
    total_low: float | None
    total_high: float | None
    mean: float  # total / documents: the mean weight per document that contains the word
    mean_low: float | None
    mean_high: float | None
    documents: int  # document frequency
    flags: list[str]  # possible shortcut: "token", "markup", "number", "name", "punctuation" (empty: none)
    examples: list[WordExample]  # the documents where |weight| is largest, largest first

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus_evidence.labels[].toward[]") -> "WordEvidence":
        values = _record_fields(cls, data, where)
        values["examples"] = [WordExample.from_dict(e, f"{where}.examples[{i}]")
                              for i, e in enumerate(values["examples"])]
        return cls(**values)


@dataclass
class LabelEvidence:
    """The words that drive one label (the explained target) at one layer across the corpus."""

    layer: str
    target: int
    label: str
    documents: int  # documents whose map for this layer and target was added
    vocabulary: int  # distinct words seen in them
    min_documents: int  # a word needs this document frequency to rank by mean
    toward: list[WordEvidence]  # largest positive totals first
    away: list[WordEvidence]  # most negative totals first
    toward_mean: list[WordEvidence]  # largest positive means first (document frequency >= min_documents)
    away_mean: list[WordEvidence]  # most negative means first (document frequency >= min_documents)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus_evidence.labels[]") -> "LabelEvidence":
        values = _record_fields(cls, data, where)
        for key in ("toward", "away", "toward_mean", "away_mean"):
            values[key] = [WordEvidence.from_dict(w, f"{where}.{key}[{i}]") for i, w in enumerate(values[key])]
        return cls(**values)


@dataclass
class CorpusEvidence:
    """`ReportResults.corpus_evidence`: per label and explained layer, the words with the largest total and mean
    weight toward and away from the label across every explained document (`reportgen.corpus`)."""

    bootstrap: int  # replicates (Poisson(1) weight per document per replicate, seeded by seed and doc_index)
    seed: int
    confidence: float  # of the percentile intervals, e.g. 0.95
    top: int  # words per ranking
    labels: list[LabelEvidence]  # in label order, then layer order

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "corpus_evidence") -> "CorpusEvidence":
        values = _record_fields(cls, data, where)
        values["labels"] = [LabelEvidence.from_dict(e, f"{where}.labels[{i}]") for i, e in enumerate(values["labels"])]
        return cls(**values)

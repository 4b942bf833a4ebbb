"""The sections of a spec (model, input, samples, explain, metrics, output with its pdf, execution): strict models.

Values that may be written in more than one shape are normalised here, so code reading a section sees one
shape only:

- `explain.relu`, `explain.counterfactual`, `explain.interpolation`: always a non-empty list, duplicates
  dropped, order kept (`relu: false` -> `[False]`).
- `explain.layers`: "auto" | "all" | "best" or a list of layer names (str) and indices (int).
- `explain.targets`: "predicted" | "all" | "true" | "top-K" or a list of label names (str) / indices (int);
  `choices.parse_top_k` gives K.
- `samples.select`, inline item ids and labels: ids are strings (`select: [17]` -> `["17"]`); labels keep
  their type (str name or int index) and are always a list.
- `samples.where`: `{column: [accepted values as strings]}`.
- `samples.source`: filled in from the other keys when omitted (items -> inline, directory -> directory,
  the file's extension -> csv | jsonl | txt).
- `output.pdf`: always a `PdfSpec` (`pdf: false` -> `PdfSpec(enabled=False)`).

A section model is also the one check of its settings for code that is handed them without a spec file
(the metrics API validates through `MetricsSpec`, the PDF renderer through `PdfSpec`).
"""

from __future__ import annotations

import codecs
import keyword
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reportgen.spec.checks import (
    BoolList,
    Fraction,
    IdList,
    LabelList,
    LabelNames,
    NameOrIndex,
    OpenUnit,
    Problem,
    SampleId,
    Section,
    Text,
    as_id,
    check_choice,
    check_id,
    check_label,
    check_name_or_index,
    check_where_value,
    describe_value,
    did_you_mean,
    is_int,
    keyword_or_list,
    list_of,
    path_kind,
    problem,
    require_file,
    resolve_path,
    package_folder,
    shown_path,
)
from reportgen.spec.choices import (
    INTERPOLATION_KINDS,
    LAYER_KEYWORDS,
    PALETTES,
    PDF_CHOICES,
    PDF_SAMPLE_RULES,
    PDF_SAMPLE_WORDS,
    REMOVALS,
    SAMPLE_SOURCES,
    SCALE_KINDS,
    SCORE_KINDS,
    SOURCE_BY_EXTENSION,
    SOURCE_NEEDS,
    TARGET_KEYWORDS,
    parse_top_k,
)
from reportgen.spec.limits import MAX_INLINE_ITEMS


# --- values only a section takes -------------------------------------------------------------------

def _targets(value: Any) -> Any:
    if isinstance(value, str):
        if value in TARGET_KEYWORDS:
            return value
        try:
            k = parse_top_k(value)
        except ValueError as error:
            raise problem(str(error)) from None
        if k is not None:
            return f"top-{k}"
        options = (*TARGET_KEYWORDS, "top-K")
        raise problem(
            f"{describe_value(value)} is not one of predicted, all, true, top-K (e.g. top-2) or a list of"
            f" labels{did_you_mean(value, options)}"
        )
    if isinstance(value, list):
        return list_of(check_label, scalar_ok=False, duplicates="drop")(value)
    raise problem(f"expected predicted, all, true, top-K or a list of labels, got {describe_value(value)}")



def _pdf(value: Any) -> Any:
    if isinstance(value, bool):
        return {"enabled": value}
    if isinstance(value, dict):
        return value
    raise problem(f"expected true, false or a mapping of PDF settings, got {describe_value(value)}")


def _inline_item(value: Any) -> Any:
    if isinstance(value, str):
        return {"text": value}
    return value



# --- types ----------------------------------------------------------------------------------------

InterpolationKind = Literal[INTERPOLATION_KINDS]
InterpolationList = Annotated[
    list[InterpolationKind],
    BeforeValidator(
        list_of(check_choice(INTERPOLATION_KINDS), scalar_ok=True, duplicates="drop"),
        json_schema_input_type=Union[InterpolationKind, list[InterpolationKind]],
    ),
]
LayerSelection = Annotated[
    Union[Literal[LAYER_KEYWORDS], list[NameOrIndex]],
    BeforeValidator(
        keyword_or_list(LAYER_KEYWORDS, check_name_or_index("layer"), "layer names (e.g. [conv1d])")
    ),
]
PdfLayerSelection = Annotated[
    Union[Literal[PDF_CHOICES], list[NameOrIndex]],
    BeforeValidator(keyword_or_list(PDF_CHOICES, check_name_or_index("layer"), "layer names")),
]
TargetSelection = Annotated[
    Union[Annotated[StrictStr, Field(pattern=r"^(predicted|all|true|top-[1-9][0-9]*)$")], list[NameOrIndex]],
    BeforeValidator(_targets),
]
WhereValues = Annotated[
    list[StrictStr],
    BeforeValidator(
        list_of(check_where_value, scalar_ok=True, duplicates="drop", convert=str),
        json_schema_input_type=Union[str, int, float, list[Union[str, int, float]]],
    ),
]



class ModelSpec(Section):
    path: Text = Field(description="Model file (.keras, Keras 3 .h5 or Keras 2 .h5), relative to the spec file.")
    labels: LabelNames | None = Field(None, description="Label names in output order.")
    labels_file: Text | None = Field(None, description="Labels file: one per line, or csv 'label,index'.")
    task: Literal["auto", "binary", "multiclass", "multilabel"] = "auto"
    threshold: OpenUnit = Field(0.5, description="Decision threshold for binary/multilabel outputs, in (0, 1).")
    output: StrictStr | None = Field(None, description="The output to explain, for a model with several outputs.")

    @field_validator("path", "labels_file")
    @classmethod
    def _files_exist(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "://" in value:
            raise problem(_PRESET_REFUSED.format(value=describe_value(value), what="the model and its vocabulary"))
        return require_file(info, value)

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        if data.get("labels") is not None and data.get("labels_file") is not None:
            return [(("labels_file",), "give either 'labels' or 'labels_file', not both")]
        return []


_PRESET_REFUSED = (
    "{value} names a hub preset, which would be downloaded; reportgen downloads nothing: save {what} locally "
    "(model.save('model.keras'); tokenizer.save_assets(DIR) writes vocabulary.txt) and give input.tokenizer: "
    "wordpiece with input.vocabulary"
)
MODEL_INPUT_ROLES = ("ids", "mask", "segments", "constant")


def _tokenizer(value: Any) -> Any:
    if value == "wordpiece" or value is None:
        return value
    if isinstance(value, str):
        # a KerasHub preset name ("bert_base_en_uncased") or handle is the likely meaning of any other name
        raise problem(f"{describe_value(value)} is not wordpiece{did_you_mean(value, ('wordpiece',))}; "
                      + _PRESET_REFUSED.format(value="a KerasHub preset", what="the tokenizer's vocabulary"))
    raise problem(f"expected wordpiece, got {describe_value(value)}")


class InputSpec(Section):
    level: Literal["word", "char", "ids"] | None = Field(
        None, description="Tokenisation level; omitted: inferred from the model (e.g. its TextVectorization)."
    )
    vocabulary: Text | None = Field(
        None, description="txt (one token per line), json {token: id} or csv token,id."
    )
    index_offset: StrictInt = Field(
        0, description="For txt vocabularies: the id of a token is its 0-based line index plus this."
    )
    lower: StrictBool = True
    strip_punctuation: StrictBool = True
    start_token: StrictStr | None = None
    oov_token: StrictStr | None = None
    pad_value: StrictInt = 0
    padding: Literal["pre", "post"] = "post"
    truncating: Literal["pre", "post"] = "post"
    length: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="Fixed input length; null: the model's own."
    )
    max_tokens: Annotated[StrictInt, Field(ge=1)] | None = Field(
        None, description="Longest text, in tokens: a longer text is cut after this many (the model reads only "
                          "that part; the sample's page and explanations.json say so). null: no limit."
    )
    hook: StrictStr | None = Field(
        None, description="'module:function' turning a text into ids, tokens and offsets."
    )
    tokenizer: Annotated[Literal["wordpiece"] | None, BeforeValidator(_tokenizer)] = Field(
        None, description="wordpiece: KerasHub WordPieceTokenizer subwords from input.vocabulary (with lower, "
                          "strip_accents, oov_token). Hub presets are refused: nothing is downloaded."
    )
    strip_accents: StrictBool = Field(False, description="wordpiece: strip accents (KerasHub strip_accents).")
    model_inputs: dict[StrictStr, Union[Literal[MODEL_INPUT_ROLES], StrictInt]] | None = Field(
        None, description="For a model with several inputs: what each input (by name) is fed: ids | mask (1 on "
                          "tokens, 0 on padding) | segments (zeros) | constant (zeros) | a number (that constant). "
                          "Omitted: guessed from the input names."
    )

    @field_validator("vocabulary")
    @classmethod
    def _vocabulary_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        return require_file(info, value)

    @field_validator("hook")
    @classmethod
    def _hook_form(cls, value: str | None) -> str | None:
        if value is None:
            return value
        module, sep, function = value.partition(":")
        if not sep or not all(part.isidentifier() for part in module.split(".")) or not function.isidentifier():
            raise problem(f"expected 'module:function' (e.g. myhooks:encode), got {describe_value(value)}")
        return value


class InlineItem(Section):
    id: SampleId | None = None
    text: StrictStr | None = None
    ids: list[Annotated[StrictInt, Field(ge=0)]] | None = None
    tokens: list[StrictStr] | None = None
    label: LabelList | None = None

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        text, ids, tokens = data.get("text"), data.get("ids"), data.get("tokens")
        if text is None and ids is None:
            return [((), "an item needs 'text' (or 'ids' for pre-vectorised input)")]
        if tokens is not None and ids is None:
            return [(("tokens",), "'tokens' needs 'ids' alongside")]
        if isinstance(tokens, list) and isinstance(ids, list) and len(tokens) != len(ids):
            return [(("tokens",), f"'tokens' and 'ids' differ in length ({len(tokens)} and {len(ids)})")]
        return []


InlineItemInput = Annotated[
    InlineItem, BeforeValidator(_inline_item, json_schema_input_type=Union[str, InlineItem])
]


class SamplesSpec(Section):
    source: Literal[SAMPLE_SOURCES] | None = Field(
        None, description="Omitted: inline if items, directory if directory, else from the file extension."
    )
    file: Text | None = None
    directory: Text | None = Field(None, description="A folder of .txt files, one per sample; label = subfolder.")
    package: StrictStr | None = Field(None, description="Read file/directory from inside this installed package.")
    encoding: StrictStr | None = Field(None, description="Omitted: UTF-8, falling back to cp1252 then latin-1.")
    id_column: StrictStr | None = Field(None, description="Omitted: the 'id' column if any, else the row number.")
    text_column: StrictStr = "text"
    label_column: StrictStr | None = Field(None, description="Omitted: the 'label' column if any.")
    where: dict[str, WhereValues] | None = Field(
        None, description="Keep rows whose column equals (one of) the values."
    )
    items: Annotated[list[InlineItemInput], Field(max_length=MAX_INLINE_ITEMS)] | None = None
    select: IdList | None = Field(None, description="Only these ids, in this order.")
    select_file: Text | None = Field(
        None, description="Only the ids listed in this file (one per line, relative to the spec), in its order: "
                          "a held-out split. Unlike select, not a hand-picked selection."
    )
    limit: Annotated[StrictInt, Field(ge=1)] | None = None
    extra: Annotated[list[InlineItemInput], Field(max_length=MAX_INLINE_ITEMS)] | None = Field(
        None, description="Inline samples added after the source's (e.g. your own test sentences); "
                          "not filtered by where/select/limit."
    )

    @field_validator("select_file")
    @classmethod
    def _id_file_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        return require_file(info, value)

    @field_validator("package")
    @classmethod
    def _package_name(cls, value: str | None) -> str | None:
        if value is not None and not all(p.isidentifier() and not keyword.iskeyword(p) for p in value.split(".")):
            raise problem(f"{describe_value(value)} is not a Python package name (e.g. movie_reviews)")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                info = codecs.lookup(value)
            except LookupError:
                raise problem(f"unknown text encoding {describe_value(value)}") from None
            # rot13, base64, zlib, ...: codecs that `open()` refuses as text encodings.
            if not getattr(info, "_is_text_encoding", True):
                raise problem(f"{describe_value(value)} is not a text encoding (e.g. utf-8, cp1252, latin-1)")
        return value

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        given = {key: data.get(key) not in (None, []) for key in ("file", "directory", "items")}
        source = data.get("source")
        if source is None:
            if not any(given.values()):
                return [((), "give 'file', 'directory' or 'items' (inline texts)")]
            written = data.get("file")
            if not given["items"] and not given["directory"] and isinstance(written, str):
                if _source_from_extension(written) is None:
                    return [(("file",), f"cannot tell the format of '{written}' from its extension; set"
                                        " samples.source to csv, jsonl or txt")]
        source = _effective_source(source, given, data.get("file"))
        if source not in SAMPLE_SOURCES:
            return []  # a bad `source` value is reported by its own check
        found: list[Problem] = []
        if data.get("select") is not None and data.get("select_file") is not None:
            found.append((("select_file",), "give select or select_file, not both"))
        needs = SOURCE_NEEDS[source]
        if not given[needs]:
            at = ("source",) if data.get("source") is not None else ()
            found.append((at, f"'{source}' needs '{needs}'" if at else f"source '{source}' needs '{needs}'"))
        for other in ("file", "directory", "items"):
            if other != needs and given[other]:
                found.append(((other,), f"not used with source '{source}' (it reads '{needs}')"))
        if source == "inline" and data.get("package") is not None:
            found.append((("package",), "not used with inline items"))
        return found

    @property
    def written(self) -> str | None:
        """`file` or `directory`, whichever the source reads, as written in the spec; None for inline items."""
        if self.source == "inline":
            return None
        return self.directory if self.source == "directory" else self.file

    @model_validator(mode="after")
    def _fill_source_and_check_files(self, info: ValidationInfo) -> SamplesSpec:
        given = {key: getattr(self, key) not in (None, []) for key in ("file", "directory", "items")}
        source = _effective_source(self.source, given, self.file)
        if source is None:
            return self  # raw_problems says why
        self.source = source
        needs = SOURCE_NEEDS[source]
        base = (info.context or {}).get("base_dir")
        if base is None or source == "inline" or not given[needs]:
            return self
        from reportgen.errors import InputError

        try:
            location = locate_samples(self, Path(base))
        except InputError as error:
            raise problem(str(error), ("package",)) from None
        written = shown_path(getattr(self, needs))
        inside = f" in package '{self.package}'" if self.package else ""
        kind = "folder" if source == "directory" else "file"
        try:
            found = path_kind(location) if location is not None else None
        except OSError as error:
            raise problem(f"cannot look up '{written}'{inside} ({error.strerror or error})", (needs,)) from None
        if found is None:
            raise problem(f"no such {kind} '{written}'{inside}", (needs,))
        if (found == "folder") != (source == "directory"):
            actual = "folder" if found == "folder" else "file"
            raise problem(f"'{written}'{inside} is a {actual}; expected a {kind}", (needs,))
        return self


def _source_from_extension(file: str) -> str | None:
    return SOURCE_BY_EXTENSION.get(Path(file).suffix.lower())


def _effective_source(source: Any, given: dict[str, bool], file: Any) -> Any:
    """`samples.source` as written, else inferred: items -> inline, directory -> directory, file -> extension."""
    if source is not None:
        return source
    if given["items"]:
        return "inline"
    if given["directory"]:
        return "directory"
    return _source_from_extension(file) if isinstance(file, str) else None


def locate_samples(samples: SamplesSpec, base_dir: Path) -> Path | None:
    """The samples file or folder (inside `samples.package` when set); None for inline items."""
    written = samples.written
    if written is None:
        return None
    if samples.package:
        return package_folder(samples.package) / written
    return resolve_path(base_dir, written)


class ExplainSpec(Section):
    layers: LayerSelection = Field("auto", description="auto | all | best | list of layer names or indices.")
    targets: TargetSelection = Field("predicted", description="predicted | all | true | top-K | list of labels.")
    relu: BoolList = Field([True], description="A bool or a list of bools (one map per value).")
    counterfactual: BoolList = Field([False], description="A bool or a list of bools.")
    score: Literal[SCORE_KINDS] = "logit"
    normalize_gradients: StrictBool = False
    interpolation: InterpolationList = Field(["linear"], description="One kind or a list (scipy interp1d kinds).")
    scale: Literal[SCALE_KINDS] = "layer"
    aggregate: Literal["none", "word"] = "none"
    batch_size: Annotated[StrictInt, Field(ge=1)] = 64
    palette: Literal[PALETTES] = Field("safe", description="safe (blue/orange, colour-blind and print safe) | "
                                                           "red-green.")


class MetricsSpec(Section):
    enabled: StrictBool = True
    max_samples: Annotated[StrictInt, Field(ge=1)] = 40
    steps: Annotated[StrictInt, Field(ge=1)] = 10
    max_fraction: Fraction = Field(0.5, description="Largest fraction of tokens removed, in (0, 1].")
    random_seeds: Annotated[StrictInt, Field(ge=1)] = 3
    removal: Literal[REMOVALS] = "pad"
    sanity: StrictBool = True


class PdfSamplePick(Section):
    """`output.pdf.samples: {pick: stratified, count: 12}`: a rule and how many samples it picks."""

    pick: Literal[PDF_SAMPLE_RULES] = Field(description="errors-first | stratified (see output.pdf.samples)")
    count: Optional[Annotated[StrictInt, Field(ge=1)]] = Field(None, description="At most this many; default: all.")


PDF_SAMPLES_HELP = (
    "Which samples the PDF shows, in that order. errors-first (the default): wrong predictions first, then "
    "right ones, each part taken in turn from every true label (samples without a true label form their own "
    "group), ties in report order. stratified: every sample taken in turn from each true label. all: every "
    "sample in report order. A number N: N samples by the default rule, so a short PDF still shows the "
    "failures and every true label (N at least the number of labels); for the first N in report order, list "
    "their ids. A list of ids: exactly those, in that order. {pick: stratified, count: N}: N by a rule."
)


class PdfSpec(Section):
    enabled: StrictBool = True
    layers: PdfLayerSelection = "main"
    variants: Literal[PDF_CHOICES] = "main"
    samples: Annotated[
        Union[Literal[PDF_SAMPLE_WORDS], Annotated[StrictInt, Field(ge=1)], IdList, PdfSamplePick],
        Field(description=PDF_SAMPLES_HELP),
    ] = "errors-first"
    max_pages: Annotated[StrictInt, Field(ge=1)] = 80

    @field_validator("samples", mode="before")
    @classmethod
    def _sample_choice(cls, value: Any) -> Any:
        words = ", ".join(PDF_SAMPLE_WORDS)
        if isinstance(value, str):
            if value in PDF_SAMPLE_WORDS:
                return value
            raise problem(f"{describe_value(value)} is not one of {words}, a number or a list of ids"
                          f"{did_you_mean(value, PDF_SAMPLE_WORDS)}")
        if isinstance(value, list):
            return list_of(check_id, scalar_ok=False, duplicates="error", convert=as_id)(value)
        if is_int(value):
            if value < 1:
                raise problem(f"a number of samples must be at least 1, got {value}")
            return value
        if isinstance(value, dict):
            return _sample_pick(value)
        raise problem(f"expected {words}, a number of samples, a list of ids or {{pick: RULE, count: N}}, "
                      f"got {describe_value(value)}")


PAGE_WORDS = ("auto", *PDF_SAMPLE_WORDS)
PAGES_HELP = (
    "Which explained documents get a page of their own (every document is in the index table and the corpus "
    "statistics). auto (the default): the samples listed in samples.select/extra; without them, every document "
    "when there are at most 200, else 200 chosen errors-first. all; a number N (N by errors-first); "
    "errors-first or stratified (every document, in that rule's choice); {pick: RULE, count: N}; or a list of ids."
)


def _pages_choice(value: Any) -> Any:
    """`output.pages` takes what `output.pdf.samples` takes, and `auto`."""
    if value == "auto":
        return value
    if isinstance(value, str) and value not in PDF_SAMPLE_WORDS:
        words = ", ".join(PAGE_WORDS)
        raise problem(f"{describe_value(value)} is not one of {words}, a number or a list of ids"
                      f"{did_you_mean(value, PAGE_WORDS)}")
    return PdfSpec._sample_choice(value)


def _sample_pick(value: dict) -> PdfSamplePick:
    """`{pick, count}` checked here, so its errors read as one line each instead of one per union member."""
    unknown = sorted(str(k) for k in value if k not in ("pick", "count"))
    if unknown:
        raise problem(f"unknown key {unknown[0]!r}; {{pick: RULE, count: N}} takes pick and count")
    if "pick" not in value:
        raise problem(f"pick is missing: one of {', '.join(PDF_SAMPLE_RULES)}")
    pick, count = value["pick"], value.get("count")
    if not (isinstance(pick, str) and pick in PDF_SAMPLE_RULES):
        raise problem(f"{describe_value(pick)} is not one of {', '.join(PDF_SAMPLE_RULES)}"
                      f"{did_you_mean(pick, PDF_SAMPLE_RULES)}", ("pick",))
    if count is not None and not (is_int(count) and count >= 1):
        raise problem(f"expected a number of samples of at least 1, got {describe_value(count)}", ("count",))
    return PdfSamplePick(pick=pick, count=count)


with warnings.catch_warnings():
    # `json` is the spec's key; it shadows only BaseModel.json, a deprecated pydantic v1 method.
    warnings.filterwarnings("ignore", message='Field name "json"', category=UserWarning)

    class OutputSpec(Section):
        dir: Text = Field("report", description="Relative to the spec file; `reportgen build --out` overrides it.")
        html: StrictBool = True
        json: StrictBool = True
        pdf: Annotated[PdfSpec, BeforeValidator(_pdf, json_schema_input_type=Union[bool, PdfSpec])] = Field(
            default_factory=PdfSpec
        )
        pages: Annotated[
            Union[Literal[PAGE_WORDS], Annotated[StrictInt, Field(ge=1)], IdList, PdfSamplePick],
            BeforeValidator(_pages_choice), Field(description=PAGES_HELP),
        ] = "auto"


EXECUTION_BACKENDS = ("local", "ray")


def _cluster_address(value: Any) -> Any:
    """`auto` (a running cluster found the way `ray status` finds it) or HOST:PORT; null passes."""
    if value is None or value == "auto":
        return value
    if not isinstance(value, str):
        raise problem(f"expected null, auto or HOST:PORT (e.g. 10.0.0.5:6379), got {describe_value(value)}")
    host, sep, port = value.rpartition(":")
    if not sep or not host.strip("[]") or not (port.isdigit() and 0 < int(port) < 65536):
        raise problem(f"expected null, auto or HOST:PORT (e.g. 10.0.0.5:6379), got {describe_value(value)}")
    return value


class ExecutionSpec(Section):
    """Where vectorising and Grad-CAM run: in this process, or as Ray Data batches on an actor pool."""

    backend: Literal[EXECUTION_BACKENDS] = Field(
        "local", description="local (this process) | ray (Ray Data; needs pip install 'reportgen[ray]')."
    )
    address: Annotated[Optional[StrictStr], BeforeValidator(_cluster_address)] = Field(
        None, description="ray only. null: start a Ray instance on this machine with `workers` CPUs; auto: the "
                          "cluster this machine belongs to (ray start); HOST:PORT: that cluster's head (port 6379)."
    )
    workers: Annotated[StrictInt, Field(ge=1)] = Field(
        2, description="ray only: actors explaining batches, each loading the model once."
    )
    batch_size: Annotated[StrictInt, Field(ge=1)] = Field(256, description="ray only: documents per Ray batch.")


class BaselineSpec(Section):
    """One entry of `compare:`: a baseline model explained on the report's samples with its explain settings."""

    name: Text | None = Field(None, description="The baseline's name in the report; omitted: its file's stem.")
    path: Text = Field(description="Model file of the baseline, relative to the spec file.")
    labels: LabelNames | None = Field(None, description="Label names in the baseline's output order: the report "
                                                        "model's names, in any order.")
    labels_file: Text | None = Field(None, description="Labels file: one per line, or csv 'label,index'.")
    threshold: OpenUnit | None = Field(None, description="Decision threshold; omitted: model.threshold.")
    layers: LayerSelection = Field("auto", description="The baseline's layers to explain (auto | all | names).")
    input: InputSpec | None = Field(None, description="The baseline's own text pipeline when it reads the text "
                                                      "differently; omitted: the report's input section.")

    @field_validator("path", "labels_file")
    @classmethod
    def _files_exist(cls, value: str | None, info: ValidationInfo) -> str | None:
        return require_file(info, value)

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        return ModelSpec.raw_problems(data)

    def display_name(self) -> str:
        return self.name or Path(self.path).stem


def compare_problems(model: Any, compare: Any) -> list[Problem]:
    """Between `compare:` and `model:`: inline baseline labels must be the model's names (matched by name),
    and baselines need distinct names (their model key in explanations.json)."""
    if not isinstance(compare, list):
        return []
    found: list[Problem] = []
    ours = model.get("labels") if isinstance(model, dict) else None
    seen: dict[str, int] = {}
    for index, entry in enumerate(compare):
        if not isinstance(entry, dict):
            continue
        theirs = entry.get("labels")
        if isinstance(ours, list) and isinstance(theirs, list) and \
                sorted(map(str, theirs)) != sorted(map(str, ours)):
            found.append((("compare", index, "labels"),
                          f"the baseline's labels [{', '.join(map(str, theirs))}] are not the model's "
                          f"[{', '.join(map(str, ours))}]: labels are matched by name, in any order"))
        name = entry.get("name") or (Path(entry["path"]).stem if isinstance(entry.get("path"), str) else None)
        if isinstance(name, str):
            if name in seen:
                found.append((("compare", index, "name"), f"two baselines are named {name!r}; give each its own name"))
            seen[name] = index
    return found

"""The spec file format, version 1, as strict pydantic models.

A spec is validated in one pass so that every problem is reported at once. Values that may be written
in more than one shape are normalised here, so code reading a `Spec` sees one shape only:

- `explain.relu`, `explain.counterfactual`, `explain.interpolation`: always a non-empty list, duplicates
  dropped, order kept (`relu: false` -> `[False]`).
- `explain.layers`: "auto" | "all" | "best" or a list of layer names (str) and indices (int).
- `explain.targets`: "predicted" | "all" | "true" | "top-K" or a list of label names (str) / indices (int);
  `ExplainSpec.top_k` gives K.
- `samples.select`, inline item ids and labels: ids are strings (`select: [17]` -> `["17"]`); labels keep
  their type (str name or int index) and are always a list.
- `samples.where`: `{column: [accepted values as strings]}`.
- `samples.source`: filled in from the other keys when omitted (items -> inline, directory -> directory,
  the file's extension -> csv | jsonl | txt).
- `output.pdf`: always a `PdfSpec` (`pdf: false` -> `PdfSpec(enabled=False)`).
- `date`: a `datetime.date` or None.

Paths stay exactly as written (the report shows them); `Spec.paths` gives them resolved against the spec
file's folder. File existence is checked only when validation is given a `base_dir` context (as
`reportgen.spec.load.load_spec` does), so specs can also be built in code without touching the disk.
"""

from __future__ import annotations

import codecs
import datetime
import difflib
import keyword
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    ValidationError,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reportgen.spec.limits import MAX_INLINE_ITEMS, MAX_TEXT_LENGTH

SPEC_VERSION = 1
SUPPORTED_VERSIONS = (1,)
INTERPOLATION_KINDS = ("linear", "nearest", "zero", "slinear", "quadratic", "cubic", "previous", "next")
LAYER_KEYWORDS = ("auto", "all", "best")
TARGET_KEYWORDS = ("predicted", "all", "true")
SAMPLE_SOURCES = ("csv", "jsonl", "txt", "inline", "directory")
# Extensions from which `samples.source` is inferred when it is omitted.
SOURCE_BY_EXTENSION = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "txt"}

Problem = tuple[tuple[Union[str, int], ...], str]  # (key path below the section, message)
_TOP_K = re.compile(r"top-(-?\d+)")


# --- messages -------------------------------------------------------------------------------------

# Characters that would break a one-line message or act on the terminal (newlines, ESC, BEL, NUL, bidi
# overrides that reorder what follows): error messages show them escaped, as Python writes them.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def visible(text: str) -> str:
    """`text` with control and direction characters shown as escapes (`\\n`, `\\x1b`, `\\u202e`)."""
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def describe_value(value: Any) -> str:
    """A short YAML-flavoured rendering of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "'" + visible(shown).replace("'", "''") + "'"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: Any, options: Sequence[str]) -> str:
    """"; did you mean 'x'?" for the closest option, or "" when none is close."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == word.lower()]
    return f"; did you mean '{close[0]}'?" if close else ""


def problem(message: str, at: tuple[str | int, ...] = ()) -> PydanticCustomError:
    """A validation error with our own wording; `at` extends the key path (e.g. a list index)."""
    return PydanticCustomError("spec", "{message}", {"message": message, "at": at})


def problems(found: list[Problem]) -> PydanticCustomError:
    """Several errors raised from one validator; each `(at, message)` is reported on its own."""
    if len(found) == 1:
        return problem(found[0][1], found[0][0])
    summary = "; ".join(message for _, message in found)
    return PydanticCustomError("spec_problems", "{summary}", {"summary": summary, "problems": tuple(found)})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- reusable value checks (run before pydantic's own type check, so messages stay ours) --------------

def _list_of(
    check: Callable[[Any], str | None],
    *,
    scalar_ok: bool,
    duplicates: Literal["drop", "error"],
    convert: Callable[[Any], Any] = lambda v: v,
) -> Callable[[Any], Any]:
    """Build a before-validator for a list whose items pass `check` (which returns an error or None)."""

    def validate(value: Any) -> Any:
        if value is None:
            return value
        was_list = isinstance(value, list)
        if not was_list:
            if not scalar_ok or isinstance(value, dict):
                raise problem(f"expected a list, got {describe_value(value)}")
            value = [value]
        if not value:
            raise problem("must not be empty")
        found: list[Problem] = []
        result: list[Any] = []
        first_at: dict[Any, int] = {}
        for index, item in enumerate(value):
            at = (index,) if was_list else ()
            error = check(item)
            if error:
                found.append((at, error))
                continue
            item = convert(item)
            key = (type(item), item)
            if key in first_at:
                if duplicates == "error":
                    found.append((at, f"{describe_value(item)} is listed twice (first at [{first_at[key]}])"))
                continue
            first_at.setdefault(key, index)
            result.append(item)
        if found:
            raise problems(found)
        return result

    return validate


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {describe_value(value)}"


def _check_choice(options: Sequence[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in options:
            return None
        return f"{describe_value(value)} is not one of {', '.join(options)}{did_you_mean(value, options)}"

    return check


def _check_name_or_index(what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value:
            return None
        if _is_int(value):
            return None
        return f"expected a {what} name or index, got {describe_value(value)}"

    return check


def _check_id(value: Any) -> str | None:
    if (isinstance(value, str) and value) or _is_int(value):
        return None
    return f"expected a sample id (text or a whole number), got {describe_value(value)}"


def _check_label(value: Any) -> str | None:
    if (isinstance(value, str) and value) or (_is_int(value) and value >= 0):
        return None
    return f"expected a label name or index, got {describe_value(value)}"


def _check_where_value(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"expected text or a number to compare with, got {describe_value(value)}"
    return None


def _as_id(value: Any) -> Any:
    return str(value) if _is_int(value) else value


def _keyword_or_list(
    keywords: Sequence[str], item_check: Callable[[Any], str | None], what: str
) -> Callable[[Any], Any]:
    """Before-validator for "keyword or a list of names/indices" values (layers, pdf layers)."""
    as_list = _list_of(item_check, scalar_ok=False, duplicates="drop")

    def validate(value: Any) -> Any:
        if isinstance(value, str):
            if value in keywords:
                return value
            raise problem(
                f"{describe_value(value)} is not one of {', '.join(keywords)}, nor a list of {what}"
                f"{did_you_mean(value, keywords)}"
            )
        if isinstance(value, list):
            return as_list(value)
        raise problem(f"expected one of {', '.join(keywords)} or a list, got {describe_value(value)}")

    return validate


def _targets(value: Any) -> Any:
    if isinstance(value, str):
        if value in TARGET_KEYWORDS:
            return value
        match = _TOP_K.fullmatch(value)
        if match:
            k = int(match.group(1))
            if k < 1:
                raise problem(f"'{value}' asks for {k} targets; K in top-K must be at least 1")
            return f"top-{k}"
        options = (*TARGET_KEYWORDS, "top-K")
        raise problem(
            f"{describe_value(value)} is not one of predicted, all, true, top-K (e.g. top-2) or a list of"
            f" labels{did_you_mean(value, options)}"
        )
    if isinstance(value, list):
        return _list_of(_check_label, scalar_ok=False, duplicates="drop")(value)
    raise problem(f"expected predicted, all, true, top-K or a list of labels, got {describe_value(value)}")


def _date(value: Any) -> Any:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise problem(f"expected a date like 2026-01-01, got {describe_value(value)}")


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


def _nonblank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise problem("must not be empty")
    return value


def path_kind(path: Path) -> str | None:
    """"file", "folder", "other" (a device, a socket) or None when nothing is there; a path the system
    refuses to look up (too long, no permission to search a folder) raises `OSError` with its reason."""
    import stat

    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL character in the path
        return None
    return "folder" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else "other"


def shown_path(value: str) -> str:
    """A path as written, cut for messages when it is absurdly long."""
    return value if len(value) <= 120 else f"{value[:100]}...({len(value):,} characters)"


def _require_file(info: ValidationInfo, value: str | None) -> str | None:
    """Check that a file named in the spec exists, when validating against the spec file's folder."""
    base = (info.context or {}).get("base_dir")
    if value is None or base is None:
        return value
    try:
        kind = path_kind(resolve_path(Path(base), value))
    except OSError as error:
        raise problem(f"cannot look up '{shown_path(value)}' ({error.strerror or error})") from None
    if kind is None:
        raise problem(f"no such file '{shown_path(value)}'")
    if kind == "folder":
        raise problem(f"'{shown_path(value)}' is a folder; expected a file")
    return value


def resolve_path(base_dir: Path, value: str) -> Path:
    """`value` as written in the spec, resolved against the spec file's folder (absolute stays)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def package_folder(name: str) -> Path:
    """The folder of an installed package (dotted names allowed), found without importing it."""
    import importlib.util

    from reportgen.errors import InputError

    top, *rest = name.split(".")
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise InputError(f"package '{top}' is not installed (pip install it, or drop samples.package)")
    if not found.submodule_search_locations:
        raise InputError(f"'{top}' is a module, not a package with data files")
    folder = Path(next(iter(found.submodule_search_locations))).joinpath(*rest)
    if not folder.is_dir():
        raise InputError(f"package '{name}' is not installed (no folder '{'/'.join(rest)}' in '{top}')")
    return folder


def locate_samples(samples: SamplesSpec, base_dir: Path) -> Path | None:
    """The samples file or folder (inside `samples.package` when set); None for inline items."""
    written = samples.directory if samples.source == "directory" else samples.file
    if samples.source == "inline" or written is None:
        return None
    if samples.package:
        return package_folder(samples.package) / written
    return resolve_path(base_dir, written)


# --- types ----------------------------------------------------------------------------------------

Text = Annotated[StrictStr, BeforeValidator(_nonblank)]
BoolList = Annotated[
    list[StrictBool],
    BeforeValidator(
        _list_of(_check_bool, scalar_ok=True, duplicates="drop"), json_schema_input_type=Union[bool, list[bool]]
    ),
]
InterpolationKind = Literal["linear", "nearest", "zero", "slinear", "quadratic", "cubic", "previous", "next"]
InterpolationList = Annotated[
    list[InterpolationKind],
    BeforeValidator(
        _list_of(_check_choice(INTERPOLATION_KINDS), scalar_ok=True, duplicates="drop"),
        json_schema_input_type=Union[InterpolationKind, list[InterpolationKind]],
    ),
]
NameOrIndex = Union[StrictStr, StrictInt]  # an index may be negative: counted from the end
LayerSelection = Annotated[
    Union[Literal["auto", "all", "best"], list[NameOrIndex]],
    BeforeValidator(
        _keyword_or_list(LAYER_KEYWORDS, _check_name_or_index("layer"), "layer names (e.g. [conv1d])")
    ),
]
PdfLayerSelection = Annotated[
    Union[Literal["main", "all"], list[NameOrIndex]],
    BeforeValidator(_keyword_or_list(("main", "all"), _check_name_or_index("layer"), "layer names")),
]
TargetSelection = Annotated[
    Union[Annotated[StrictStr, Field(pattern=r"^(predicted|all|true|top-[1-9][0-9]*)$")], list[NameOrIndex]],
    BeforeValidator(_targets),
]
SampleId = Annotated[StrictStr, BeforeValidator(_as_id, json_schema_input_type=Union[str, int])]
IdList = Annotated[
    list[StrictStr],
    BeforeValidator(
        _list_of(_check_id, scalar_ok=False, duplicates="error", convert=_as_id),
        json_schema_input_type=list[Union[str, int]],
    ),
]
LabelList = Annotated[
    list[NameOrIndex],
    BeforeValidator(
        _list_of(_check_label, scalar_ok=True, duplicates="drop"),
        json_schema_input_type=Union[str, int, list[Union[str, int]]],
    ),
]
LabelNames = Annotated[
    list[StrictStr],
    BeforeValidator(
        _list_of(_check_label, scalar_ok=False, duplicates="error", convert=_as_id),
        json_schema_input_type=list[Union[str, int]],
    ),
]
WhereValues = Annotated[
    list[StrictStr],
    BeforeValidator(
        _list_of(_check_where_value, scalar_ok=True, duplicates="drop", convert=str),
        json_schema_input_type=Union[str, int, float, list[Union[str, int, float]]],
    ),
]


class _Section(BaseModel):
    """Strict base: unknown keys and silent type conversions are errors.

    Checks that relate several keys (`raw_problems`) read the raw mapping, so they are reported even when
    other keys of the same section fail their own checks: every problem comes out in one pass.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        """Problems between keys of this section, as `(key path within the section, message)`."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _with_cross_checks(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        found = cls.raw_problems(data) if isinstance(data, dict) else []
        try:
            section = handler(data)
        except ValidationError as error:
            if found:
                raise _merged(error, found, data) from None
            raise
        if found:
            raise problems(found)
        return section


def _merged(error: ValidationError, found: list[Problem], data: Any) -> ValidationError:
    """`error` plus our own problems, as one ValidationError (pydantic prefixes the outer key path)."""
    details: list[Any] = []
    for item in error.errors(include_url=False):
        kind: Any = item["type"]
        if kind == "spec":
            kind = PydanticCustomError("spec", "{message}", item["ctx"])
        elif kind == "spec_problems":
            kind = PydanticCustomError("spec_problems", "{summary}", item["ctx"])
        detail = {"type": kind, "loc": item["loc"], "input": item.get("input")}
        if "ctx" in item and isinstance(kind, str):
            detail["ctx"] = item["ctx"]
        details.append(detail)
    for at, message in found:
        details.append({"type": problem(message), "loc": at, "input": data})
    return ValidationError.from_exception_data(error.title, details)


class ModelSpec(_Section):
    path: Text = Field(description="Model file (.keras, Keras 3 .h5 or Keras 2 .h5), relative to the spec file.")
    labels: LabelNames | None = Field(None, description="Label names in output order.")
    labels_file: Text | None = Field(None, description="Labels file: one per line, or csv 'label,index'.")
    task: Literal["auto", "binary", "multiclass", "multilabel"] = "auto"
    threshold: float = Field(0.5, description="Decision threshold for binary/multilabel outputs, in (0, 1).")

    @field_validator("path")
    @classmethod
    def _model_exists(cls, value: str, info: ValidationInfo) -> str:
        return _require_file(info, value)

    @field_validator("labels_file")
    @classmethod
    def _labels_exist(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _require_file(info, value)

    @field_validator("threshold")
    @classmethod
    def _open_unit_interval(cls, value: float) -> float:
        if not 0 < value < 1:
            raise problem(f"must be between 0 and 1 (both excluded), got {value:g}")
        return value

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        if data.get("labels") is not None and data.get("labels_file") is not None:
            return [(("labels_file",), "give either 'labels' or 'labels_file', not both")]
        return []


class InputSpec(_Section):
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

    @field_validator("vocabulary")
    @classmethod
    def _vocabulary_exists(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _require_file(info, value)

    @field_validator("hook")
    @classmethod
    def _hook_form(cls, value: str | None) -> str | None:
        if value is None:
            return value
        module, sep, function = value.partition(":")
        if not sep or not all(part.isidentifier() for part in module.split(".")) or not function.isidentifier():
            raise problem(f"expected 'module:function' (e.g. myhooks:encode), got {describe_value(value)}")
        return value


class InlineItem(_Section):
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


class SamplesSpec(_Section):
    source: Literal["csv", "jsonl", "txt", "inline", "directory"] | None = Field(
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
    limit: Annotated[StrictInt, Field(ge=1)] | None = None
    extra: Annotated[list[InlineItemInput], Field(max_length=MAX_INLINE_ITEMS)] | None = Field(
        None, description="Inline samples added after the source's (e.g. your own test sentences); "
                          "not filtered by where/select/limit."
    )

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
        needs = _NEEDS[source]
        if not given[needs]:
            at = ("source",) if data.get("source") is not None else ()
            found.append((at, f"'{source}' needs '{needs}'" if at else f"source '{source}' needs '{needs}'"))
        for other in ("file", "directory", "items"):
            if other != needs and given[other]:
                found.append(((other,), f"not used with source '{source}' (it reads '{needs}')"))
        if source == "inline" and data.get("package") is not None:
            found.append((("package",), "not used with inline items"))
        return found

    @model_validator(mode="after")
    def _fill_source_and_check_files(self, info: ValidationInfo) -> SamplesSpec:
        given = {key: getattr(self, key) not in (None, []) for key in ("file", "directory", "items")}
        source = _effective_source(self.source, given, self.file)
        if source is None:
            return self  # raw_problems says why
        self.source = source
        needs = _NEEDS[source]
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


_NEEDS = {"csv": "file", "jsonl": "file", "txt": "file", "inline": "items", "directory": "directory"}


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


class ExplainSpec(_Section):
    layers: LayerSelection = Field("auto", description="auto | all | best | list of layer names or indices.")
    targets: TargetSelection = Field("predicted", description="predicted | all | true | top-K | list of labels.")
    relu: BoolList = Field([True], description="A bool or a list of bools (one map per value).")
    counterfactual: BoolList = Field([False], description="A bool or a list of bools.")
    score: Literal["logit", "probability"] = "logit"
    normalize_gradients: StrictBool = False
    interpolation: InterpolationList = Field(["linear"], description="One kind or a list (scipy interp1d kinds).")
    scale: Literal["document", "layer", "report"] = "layer"
    aggregate: Literal["none", "word"] = "none"
    batch_size: Annotated[StrictInt, Field(ge=1)] = 64

    @property
    def top_k(self) -> int | None:
        """K when `targets` is "top-K", else None."""
        if isinstance(self.targets, str) and self.targets.startswith("top-"):
            return int(self.targets[4:])
        return None


class MetricsSpec(_Section):
    enabled: StrictBool = True
    max_samples: Annotated[StrictInt, Field(ge=1)] = 40
    steps: Annotated[StrictInt, Field(ge=1)] = 10
    max_fraction: float = Field(0.5, description="Largest fraction of tokens removed, in (0, 1].")
    random_seeds: Annotated[StrictInt, Field(ge=1)] = 3
    removal: Literal["pad", "oov", "delete"] = "pad"
    sanity: StrictBool = True

    @field_validator("max_fraction")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise problem(f"must be more than 0 and at most 1, got {value:g}")
        return value


class PdfSpec(_Section):
    enabled: StrictBool = True
    layers: PdfLayerSelection = "main"
    variants: Literal["main", "all"] = "main"
    samples: Annotated[
        Union[Literal["all"], Annotated[StrictInt, Field(ge=1)], IdList],
        Field(description="all | the first N samples | a list of ids"),
    ] = "all"
    max_pages: Annotated[StrictInt, Field(ge=1)] = 80

    @field_validator("samples", mode="before")
    @classmethod
    def _sample_choice(cls, value: Any) -> Any:
        if value == "all":
            return value
        if isinstance(value, list):
            return _list_of(_check_id, scalar_ok=False, duplicates="error", convert=_as_id)(value)
        if _is_int(value):
            if value < 1:
                raise problem(f"the first N samples needs N of at least 1, got {value}")
            return value
        raise problem(f"expected all, a number of samples or a list of ids, got {describe_value(value)}")


with warnings.catch_warnings():
    # `json` is the spec's key; it shadows only BaseModel.json, a deprecated pydantic v1 method.
    warnings.filterwarnings("ignore", message='Field name "json"', category=UserWarning)

    class OutputSpec(_Section):
        dir: Text = Field("report", description="Relative to the spec file; `reportgen build --out` overrides it.")
        html: StrictBool = True
        json: StrictBool = True
        pdf: Annotated[PdfSpec, BeforeValidator(_pdf, json_schema_input_type=Union[bool, PdfSpec])] = Field(
            default_factory=PdfSpec
        )


@dataclass(frozen=True)
class SpecPaths:
    """The spec's paths resolved against its folder (for opening files; never for display)."""

    spec_file: Path | None
    base_dir: Path
    model: Path
    vocabulary: Path | None
    labels_file: Path | None
    samples: Path | None  # samples.file or samples.directory (inside samples.package when set); None: inline
    output_dir: Path


class Spec(_Section):
    """A validated spec. Attribute values are as written; `paths` gives them resolved."""

    version: int = Field(
        description=f"Spec format version; this reportgen reads {SPEC_VERSION}.",
        json_schema_extra={"enum": list(SUPPORTED_VERSIONS)},
    )
    title: Annotated[Text, Field(max_length=MAX_TEXT_LENGTH["title"])]
    description: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["description"])] | None = Field(
        None, description="Markdown, sanitised when rendered."
    )
    dataset: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["dataset"])] | None = None
    author: Annotated[StrictStr, Field(max_length=MAX_TEXT_LENGTH["author"])] | None = None
    date: Annotated[datetime.date | None, BeforeValidator(_date)] = Field(
        None, description="Omitted: SOURCE_DATE_EPOCH if set, else no date."
    )
    model: ModelSpec
    input: InputSpec = Field(default_factory=InputSpec)
    samples: SamplesSpec
    explain: ExplainSpec = Field(default_factory=ExplainSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)

    _spec_file: Path | None = PrivateAttr(None)
    _base_dir: Path | None = PrivateAttr(None)
    _located: Any = PrivateAttr(None)  # (loc, message) -> message with the key's YAML line; set by load

    @field_validator("version", mode="before")
    @classmethod
    def _supported_version(cls, value: Any) -> Any:
        if not _is_int(value) or value not in SUPPORTED_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
            raise problem(
                f"unsupported spec version {describe_value(value)}; this reportgen reads version {supported}"
            )
        return value

    @classmethod
    def raw_problems(cls, data: dict[str, Any]) -> list[Problem]:
        found: list[Problem] = []
        explain, metrics = data.get("explain"), data.get("metrics")
        if isinstance(explain, dict) and explain.get("layers") == "best" and isinstance(metrics, dict) \
                and metrics.get("enabled") is False:
            found.append((("explain", "layers"), "'best' needs the faithfulness metrics (metrics.enabled: true)"))
        return found + cls._ids_problems(data)

    @classmethod
    def _ids_problems(cls, data: dict[str, Any]) -> list[Problem]:
        section, samples = data.get("input"), data.get("samples")
        if not (isinstance(section, dict) and section.get("level") == "ids" and isinstance(samples, dict)):
            return []
        items = samples.get("items")
        if not isinstance(items, list):
            return []
        return [(("samples", "items", index), "input.level is 'ids' but this item has no 'ids'")
                for index, item in enumerate(items)
                if isinstance(item, str) or (isinstance(item, dict) and item.get("ids") is None)]

    def bind(self, spec_file: str | Path | None = None, base_dir: str | Path | None = None) -> Spec:
        """Remember where the spec came from so `paths` can resolve relative paths (load_spec does this)."""
        self._spec_file = Path(spec_file) if spec_file is not None else None
        if base_dir is None and spec_file is not None:
            base_dir = Path(spec_file).resolve().parent
        self._base_dir = Path(base_dir).resolve() if base_dir is not None else None
        return self

    @property
    def spec_file(self) -> Path | None:
        """The spec file as it was given to load_spec (None for a spec built in code)."""
        return self._spec_file

    @property
    def base_dir(self) -> Path:
        """The folder relative paths resolve against: the spec file's, else the working directory."""
        return self._base_dir if self._base_dir is not None else Path.cwd()

    def resolve(self, value: str) -> Path:
        """A path as written in the spec, resolved against `base_dir`."""
        return resolve_path(self.base_dir, value)

    @property
    def paths(self) -> SpecPaths:
        base = self.base_dir
        return SpecPaths(
            spec_file=self._spec_file,
            base_dir=base,
            model=self.resolve(self.model.path),
            vocabulary=self.resolve(self.input.vocabulary) if self.input.vocabulary else None,
            labels_file=self.resolve(self.model.labels_file) if self.model.labels_file else None,
            samples=locate_samples(self.samples, base),
            output_dir=self.resolve(self.output.dir),
        )

"""Reusable checks of the spec format: messages, value checks, path checks and the strict section base.

The section models (`sections.py`) and the top-level `Spec` (`schema.py`) are built from these; a check
written here is the one place its rule and its wording live. Every check raises `problem(...)` with our own
words, before pydantic's own type check where the value may come in more than one shape, so messages stay
ours. File existence is checked only when validation is given a `base_dir` context.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from reportgen.textsafe import terminal_safe

Problem = tuple[tuple[Union[str, int], ...], str]  # (key path below the section, message)


# --- messages -------------------------------------------------------------------------------------

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
        return "'" + terminal_safe(shown).replace("'", "''") + "'"
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


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- reusable value checks (run before pydantic's own type check, so messages stay ours) --------------

def fraction_problem(value: float) -> str | None:
    """The rule for a share of tokens (`metrics.max_fraction`, the metrics' bins): in (0, 1]."""
    return None if 0 < value <= 1 else f"must be more than 0 and at most 1, got {value:g}"


def open_unit_problem(value: float) -> str | None:
    """The rule for a probability threshold or a confidence level: strictly between 0 and 1."""
    return None if 0 < value < 1 else f"must be between 0 and 1 (both excluded), got {value:g}"


def rule(check: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    """An after-validator that raises what `check` finds wrong with a value (its message, or None)."""

    def validate(value: Any) -> Any:
        error = check(value)
        if error:
            raise problem(error)
        return value

    return validate


def list_of(
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


def check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {describe_value(value)}"


def check_choice(options: Sequence[str]) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in options:
            return None
        return f"{describe_value(value)} is not one of {', '.join(options)}{did_you_mean(value, options)}"

    return check


def check_name_or_index(what: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value:
            return None
        if is_int(value):
            return None
        return f"expected a {what} name or index, got {describe_value(value)}"

    return check


def check_id(value: Any) -> str | None:
    if (isinstance(value, str) and value) or is_int(value):
        return None
    return f"expected a sample id (text or a whole number), got {describe_value(value)}"


def check_label(value: Any) -> str | None:
    if (isinstance(value, str) and value) or (is_int(value) and value >= 0):
        return None
    return f"expected a label name or index, got {describe_value(value)}"


def check_where_value(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return f"expected text or a number to compare with, got {describe_value(value)}"
    return None


def as_id(value: Any) -> Any:
    return str(value) if is_int(value) else value


def keyword_or_list(
    keywords: Sequence[str], item_check: Callable[[Any], str | None], what: str
) -> Callable[[Any], Any]:
    """Before-validator for "keyword or a list of names/indices" values (layers, pdf layers)."""
    as_list = list_of(item_check, scalar_ok=False, duplicates="drop")

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


def nonblank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise problem("must not be empty")
    return value


# --- paths ----------------------------------------------------------------------------------------

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


def require_file(info: ValidationInfo, value: str | None) -> str | None:
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


# --- the strict section base ----------------------------------------------------------------------

class Section(BaseModel):
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


# --- types shared by the sections ------------------------------------------------------------------

Text = Annotated[StrictStr, BeforeValidator(nonblank)]
Fraction = Annotated[float, AfterValidator(rule(fraction_problem))]
OpenUnit = Annotated[float, AfterValidator(rule(open_unit_problem))]
BoolList = Annotated[
    list[StrictBool],
    BeforeValidator(
        list_of(check_bool, scalar_ok=True, duplicates="drop"), json_schema_input_type=Union[bool, list[bool]]
    ),
]
NameOrIndex = Union[StrictStr, StrictInt]  # an index may be negative: counted from the end
SampleId = Annotated[StrictStr, BeforeValidator(as_id, json_schema_input_type=Union[str, int])]
IdList = Annotated[
    list[StrictStr],
    BeforeValidator(
        list_of(check_id, scalar_ok=False, duplicates="error", convert=as_id),
        json_schema_input_type=list[Union[str, int]],
    ),
]
LabelList = Annotated[
    list[NameOrIndex],
    BeforeValidator(
        list_of(check_label, scalar_ok=True, duplicates="drop"),
        json_schema_input_type=Union[str, int, list[Union[str, int]]],
    ),
]
LabelNames = Annotated[
    list[StrictStr],
    BeforeValidator(
        list_of(check_label, scalar_ok=False, duplicates="error", convert=as_id),
        json_schema_input_type=list[Union[str, int]],
    ),
]

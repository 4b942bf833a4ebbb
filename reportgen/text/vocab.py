"""Vocabularies: token <-> id tables read from txt, json or csv files.

Formats (chosen by file extension, or `fmt`):
- txt: one token per line; id = 0-based line number + `index_offset`. Lines are taken exactly as written
  (leading/trailing spaces are part of the token) except that a trailing "\\r" is dropped, so Windows files
  read like Unix ones. A final newline ends the last line; it does not add an empty token. An empty line
  is the empty token "" (Keras 3 `get_vocabulary()` starts with it, as the padding token). Keras 2 style
  vocabularies usually reserve id 0 for padding: write `<PAD>` (or an empty line) first, or use
  `index_offset: 1` when the file lists real tokens only.
- json: an object `{token: id}`, or a list of tokens (ids by position + `index_offset`).
- csv: rows `token,id` read with the csv module (quoted fields, so a newline or comma token is fine);
  whitespace tokens are kept exactly (the seed's `word_index.csv` has a " " token and a tab token).
  The first row is a header, and skipped, when its id is not an integer or its token is empty: pandas
  writes a Series as a `,0` header row, which is how the tutorial's word_index.csv and labels_index.csv start.

Every token and every id must be unique; a problem raises `InputError` naming the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from reportgen.errors import InputError

FORMATS = ("txt", "json", "csv")
# Special tokens such as <PAD>, <OOV>, [UNK]: they say nothing about whether a vocabulary is of words or chars
MARKER = re.compile(r"<[^<>]+>|\[[^\[\]]+\]")
_EXTENSIONS = {".txt": "txt", ".vocab": "txt", ".json": "json", ".csv": "csv"}


@dataclass
class Vocabulary:
    """A one-to-one token <-> id table. `source` names where it came from, for error messages."""

    token_to_id: dict[str, int]
    source: str = "<vocabulary>"
    id_to_token: dict[int, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.token_to_id = dict(self.token_to_id)  # never change the caller's dict
        self.id_to_token = {}
        for token, token_id in list(self.token_to_id.items()):
            if not isinstance(token, str):
                raise InputError(f"{self.source}: token {token!r} is not a string")
            token_id = self.token_to_id[token] = _check_id(token_id, self.source, f"token {token!r}")
            if token_id in self.id_to_token:
                raise InputError(f"{self.source}: id {token_id} is given to both "
                                 f"{self.id_to_token[token_id]!r} and {token!r}; ids must be unique")
            self.id_to_token[token_id] = token

    @classmethod
    def from_tokens(cls, tokens: Iterable[str], index_offset: int = 0,
                    source: str = "<vocabulary>") -> "Vocabulary":
        """Ids by position (+ index_offset), as in a txt file or Keras 3 `get_vocabulary()`."""
        mapping: dict[str, int] = {}
        for position, token in enumerate(tokens):
            if token in mapping:
                raise InputError(f"{source}: token {token!r} appears twice (ids {mapping[token]} and "
                                 f"{position + index_offset}); tokens must be unique")
            mapping[token] = position + index_offset
        return cls(mapping, source)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, int], source: str = "<vocabulary>") -> "Vocabulary":
        return cls(dict(mapping), source)

    def __len__(self) -> int:
        return len(self.token_to_id)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def get(self, token: str, default: int | None = None) -> int | None:
        return self.token_to_id.get(token, default)

    def require(self, token: str, role: str) -> int:
        """The id of a token the pipeline cannot work without (start, OOV token)."""
        if token not in self.token_to_id:
            raise InputError(f"{self.source}: the {role} {token!r} is not in the vocabulary; "
                             f"add it or change the {role} setting")
        return self.token_to_id[token]

    def token_for(self, token_id: int) -> str | None:
        return self.id_to_token.get(int(token_id))

    @property
    def max_id(self) -> int:
        return max(self.id_to_token, default=-1)

    @property
    def level(self) -> str:
        """"char" when every ordinary token (not a marker such as <OOV>) is one character, else "word"."""
        ordinary = [t for t in self.token_to_id if t and not MARKER.fullmatch(t)]
        return "char" if ordinary and all(len(t) == 1 for t in ordinary) else "word"


def load_vocabulary(path: str | Path, index_offset: int = 0, fmt: str | None = None) -> Vocabulary:
    """Read a vocabulary file (see the module docstring for formats)."""
    path = Path(path)
    name = str(path)
    if fmt is None:
        fmt = _EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise InputError(f"{name}: cannot tell the vocabulary format from the extension "
                             f"{path.suffix!r}; use .txt, .json or .csv")
    if fmt not in FORMATS:
        raise InputError(f"{name}: unknown vocabulary format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read the vocabulary file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"{name}, line {line}: not UTF-8 text; save the vocabulary as UTF-8") from None
    if fmt == "txt":
        return _parse_txt(text, name, index_offset)
    if fmt == "json":
        return _parse_json(text, name, index_offset)
    return _parse_csv(text, name)


def _check_id(value: object, source: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy integers
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{source}: {where}: id {value!r} is not an integer")
    if value < 0:
        raise InputError(f"{source}: {where}: id {value} is negative")
    return value


def _parse_txt(text: str, name: str, index_offset: int) -> Vocabulary:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    tokens = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not tokens:
        raise InputError(f"{name}: the vocabulary file is empty")
    seen: dict[str, int] = {}
    for number, token in enumerate(tokens, start=1):
        if token in seen:
            raise InputError(f"{name}, line {number}: token {token!r} already on line {seen[token]}; "
                             f"tokens must be unique")
        seen[token] = number
    return Vocabulary.from_tokens(tokens, index_offset, name)


def _parse_json(text: str, name: str, index_offset: int) -> Vocabulary:
    def no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
        out: dict[str, object] = {}
        for key, value in pairs:
            if key in out:
                raise InputError(f"{name}: token {key!r} appears twice; tokens must be unique")
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}, line {exc.lineno}: invalid JSON ({exc.msg})") from None
    if isinstance(data, list):
        for position, token in enumerate(data):
            if not isinstance(token, str):
                raise InputError(f"{name}: item {position} is {token!r}, not a token string")
        if not data:
            raise InputError(f"{name}: the vocabulary list is empty")
        return Vocabulary.from_tokens(data, index_offset, name)
    if not isinstance(data, dict):
        raise InputError(f"{name}: expected a JSON object {{token: id}} or a list of tokens")
    if not data:
        raise InputError(f"{name}: the vocabulary object is empty")
    return Vocabulary.from_mapping(data, name)


def _parse_csv(text: str, name: str) -> Vocabulary:
    reader = csv.reader(io.StringIO(text, newline=""))
    mapping: dict[str, int] = {}
    token_line: dict[str, int] = {}
    id_line: dict[int, int] = {}
    first = True
    while True:
        line = reader.line_num + 1  # a quoted token may span lines: report where its row starts
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{name}, line {line}: unreadable CSV ({exc})") from None
        if not row:
            continue  # blank line
        if len(row) != 2:
            raise InputError(f"{name}, line {line}: expected 2 fields `token,id`, found {len(row)}")
        token, id_field = row
        is_header = first and (token == "" or not _is_int(id_field))
        first = False
        if is_header:
            continue
        if not _is_int(id_field):
            raise InputError(f"{name}, line {line}: id {id_field!r} is not an integer")
        token_id = int(id_field.strip())
        if token_id < 0:
            raise InputError(f"{name}, line {line}: id {token_id} is negative")
        if token in token_line:
            raise InputError(f"{name}, line {line}: token {token!r} already on line {token_line[token]}; "
                             f"tokens must be unique")
        if token_id in id_line:
            raise InputError(f"{name}, line {line}: id {token_id} already used on line {id_line[token_id]}; "
                             f"ids must be unique")
        mapping[token] = token_id
        token_line[token] = line
        id_line[token_id] = line
    if not mapping:
        raise InputError(f"{name}: the vocabulary file has no `token,id` rows")
    return Vocabulary(mapping, name)


def _is_int(field_text: str) -> bool:
    stripped = field_text.strip()
    if stripped.startswith(("+", "-")):
        stripped = stripped[1:]
    return stripped.isascii() and stripped.isdigit()

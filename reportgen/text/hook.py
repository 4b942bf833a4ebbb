"""A user function as the text pipeline: `"module:function"` or `"file.py:function"`.

The function takes the text and returns `(ids, tokens, offsets)`: one id (int >= 0), one token (str) and
one offset per token, where an offset is a `(start, end)` character span of the text with
0 <= start < end <= len(text), or None for a token that is not in the text (a start token). Everything it
returns is checked; each problem raises `InputError` naming the hook.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

from reportgen.errors import InputError
from reportgen.results import Token
from reportgen.text.base import Encoded, TextPipeline


def load_hook(reference: str, base_dir: str | Path | None = None) -> Callable[[str], Any]:
    """Import the function named by "module:function" (module importable, or searched in `base_dir`
    first) or "path/to/file.py:function" (relative to `base_dir`)."""
    module_name, sep, function_name = reference.rpartition(":")
    if not sep or not module_name or not function_name:
        raise InputError(f"hook {reference!r}: write it as 'module:function' or 'file.py:function'")
    try:
        if module_name.endswith(".py"):
            module = _module_from_file(Path(base_dir or ".") / module_name)
        else:
            module = _import_module(module_name, base_dir)
    except InputError:
        raise
    except Exception as exc:  # a user's module may fail in any way while importing
        raise InputError(f"hook {reference!r}: importing {module_name!r} failed "
                         f"({type(exc).__name__}: {exc})") from None
    function = getattr(module, function_name, None)
    if function is None:
        raise InputError(f"hook {reference!r}: {module_name!r} has no attribute {function_name!r}")
    if not callable(function):
        raise InputError(f"hook {reference!r}: {function_name!r} is not a function")
    return function


def _import_module(name: str, base_dir: str | Path | None):
    # Search the spec's folder first without leaving it on sys.path for everyone else.
    folder = str(Path(base_dir).resolve()) if base_dir is not None else None
    if folder is not None:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            where = f"in {folder} or " if folder else ""
            raise InputError(f"hook module {name!r} not found {where}on the Python path") from None
        raise  # the hook's module exists but one of its own imports is missing
    finally:
        if folder is not None:
            sys.path.remove(folder)


def _module_from_file(path: Path):
    if not path.is_file():
        raise InputError(f"hook file {str(path)!r} not found")
    spec = importlib.util.spec_from_file_location(f"reportgen_hook_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class HookPipeline(TextPipeline):
    """Runs a user function and validates its output against the text."""

    def __init__(self, hook: str | Callable[[str], Any], level: str = "word", pad_id: int = 0,
                 base_dir: str | Path | None = None):
        if isinstance(hook, str):
            self.name = hook
            self.function = load_hook(hook, base_dir)
        else:
            self.name = getattr(hook, "__qualname__", repr(hook))
            self.function = hook
        self.level = level
        self.pad_id = pad_id

    def encode(self, text: str) -> Encoded:
        try:
            result = self.function(text)
        except Exception as exc:  # report the user's error as theirs, in one line
            raise InputError(f"hook {self.name!r} failed on a text ({type(exc).__name__}: {exc})") from None
        ids, tokens, offsets = self._unpack(result)
        checked: list[Token] = []
        for position, (token_id, token, offset) in enumerate(zip(ids, tokens, offsets)):
            checked.append(Token(self._token(token, position), self._offset(offset, position, text),
                                 self._id(token_id, position)))
        return Encoded(text, [t.id for t in checked], checked)

    def _fail(self, message: str) -> InputError:
        return InputError(f"hook {self.name!r} {message}")

    def _unpack(self, result: Any) -> tuple[list, list, list]:
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise self._fail(f"returned {type(result).__name__}; it must return (ids, tokens, offsets)")
        parts = []
        for name, part in zip(("ids", "tokens", "offsets"), result):
            if hasattr(part, "tolist"):  # numpy arrays
                part = part.tolist()
            if isinstance(part, (str, bytes)) or not isinstance(part, (list, tuple)):
                raise self._fail(f"returned {name} as {type(part).__name__}; give a list")
            parts.append(list(part))
        ids, tokens, offsets = parts
        if not len(ids) == len(tokens) == len(offsets):
            raise self._fail(f"returned {len(ids)} ids, {len(tokens)} tokens and {len(offsets)} offsets; "
                             f"the three must have the same length")
        return ids, tokens, offsets

    def _id(self, value: Any, position: int) -> int:
        if hasattr(value, "item") and not isinstance(value, (str, bytes)):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(f"returned id {value!r} at position {position}; ids must be integers")
        if value < 0:
            raise self._fail(f"returned id {value} at position {position}; ids must be >= 0")
        return value

    def _token(self, value: Any, position: int) -> str:
        if not isinstance(value, str):
            raise self._fail(f"returned token {value!r} at position {position}; tokens must be strings")
        return value

    def _offset(self, value: Any, position: int, text: str) -> tuple[int, int] | None:
        if value is None:
            return None
        if hasattr(value, "tolist"):
            value = value.tolist()
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise self._fail(f"returned offset {value!r} at position {position}; give (start, end) or None")
        start, end = (v.item() if hasattr(v, "item") else v for v in value)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (start, end)):
            raise self._fail(f"returned offset {value!r} at position {position}; start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise self._fail(f"returned offset ({start}, {end}) at position {position}, outside the text "
                             f"of {len(text)} characters; need 0 <= start < end <= {len(text)} "
                             f"(None for a token not in the text)")
        return start, end

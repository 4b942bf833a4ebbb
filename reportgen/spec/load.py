"""Read a spec file: YAML with a line number for every key, validated, every problem reported at once.

Each problem reads `<key path>: <what is wrong> (<spec file> line <N>)`, e.g.
`samples.file: no such file 'revs.csv' (spec.yaml line 12)`; list items appear as `explain.layers[2]`.
The line is the line of the key (or list item) at fault; for a missing key, the line of its parent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reportgen.errors import ReportgenError, SpecError
from reportgen.spec.checks import describe_value, did_you_mean, path_kind, shown_path
from reportgen.spec.limits import MAX_ALIAS_VALUES, MAX_SPEC_BYTES, MAX_YAML_DEPTH
from reportgen.spec.schema import Spec
from reportgen.textsafe import terminal_safe

_YAML_STR = "tag:yaml.org,2002:str"
Loc = tuple[Any, ...]
Section = TypeVar("Section", bound=BaseModel)


def load_spec(path: str | os.PathLike[str], *, check_files: bool = True) -> Spec:
    """Load and validate a spec file. Raises SpecError listing every problem found."""
    try:
        return _load_spec(path, check_files)
    except SpecError as error:
        raise _visible_error(error) from None


def _visible_error(error: SpecError) -> SpecError:
    """The same problems with control characters escaped: each stays one line and inert on a terminal."""
    return SpecError([terminal_safe(message) for message in error.problems], error.path)


def _load_spec(path: str | os.PathLike[str], check_files: bool) -> Spec:
    name = os.fspath(path)
    file = Path(path)
    try:
        kind = path_kind(file)
    except OSError as error:
        raise SpecError([f"cannot look up the spec file '{shown_path(name)}' ({error.strerror or error})"],
                        name) from None
    if kind != "file":
        reason = (f"no such spec file '{shown_path(name)}'" if kind is None else
                  f"'{shown_path(name)}' is a folder, not a spec file" if kind == "folder" else
                  f"'{shown_path(name)}' is not a regular file")
        raise SpecError([reason], name)
    size = file.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise SpecError([_too_big(size, name)], name)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = file.read_bytes().count(b"\n", 0, error.start) + 1
        raise SpecError([f"the spec is not UTF-8 text ({error.reason}); save it as UTF-8 ({name} line {line})"],
                        name) from None
    except OSError as error:
        raise SpecError([f"cannot read the spec file '{name}' ({error.strerror or error})"], name) from None
    base_dir = file.resolve().parent
    return parse_spec(text, name=name, base_dir=base_dir if check_files else None).bind(file, base_dir)


def parse_spec(text: str, *, name: str = "<spec>", base_dir: str | os.PathLike[str] | None = None) -> Spec:
    """Validate spec text. With `base_dir`, relative paths are checked to exist under it."""
    try:
        return _parse_spec(text, name, base_dir)
    except SpecError as error:
        raise _visible_error(error) from None


def _parse_spec(text: str, name: str, base_dir: str | os.PathLike[str] | None) -> Spec:
    root, data = _read_yaml(text, name)
    found = _key_problems(root, name)
    context = {"base_dir": Path(base_dir)} if base_dir is not None else None
    try:
        spec = Spec.model_validate(data, context=context)
    except ValidationError as error:
        for item in error.errors():
            for loc, message in _explain_error(item):
                found.append(_place(root, loc, message, name))
    if found:
        found.sort(key=lambda p: (p[0], p[1]))
        raise SpecError(_unique(message for _, message in found), name)
    if base_dir is not None:
        spec.bind(None, base_dir)
    return spec.with_key_lines(KeyLines(root, os.path.basename(name)))


@dataclass(frozen=True)
class KeyLines:
    """The YAML tree a spec was read from: places a problem found after validation at its key's line."""

    root: Node
    name: str  # the spec file's name, as messages show it

    def place(self, key_path: str, message: str) -> str:
        """`explain.layers[2]: <message> (spec.yaml line 14)`."""
        loc = tuple(int(p) if p.isdigit() else p for p in key_path.replace("[", ".").replace("]", "").split("."))
        return _place(self.root, loc, message, self.name)[1]


def check_section(model: type[Section], values: Mapping[str, Any], key: str,
                  error: type[ReportgenError] = SpecError) -> Section:
    """One section given in code (an API call, the PDF renderer), checked by the spec's own model: the same
    rules and words as in a spec file, e.g. `metrics.steps: must be at least 1, got 0`; all problems at once."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as invalid:
        found = [f"{_key_path((key, *loc))}: {message}"
                 for item in invalid.errors() for loc, message in _explain_error(item, model)]
        messages = [terminal_safe(message) for message in _unique(found)]
        raise (error(messages) if issubclass(error, SpecError) else error("; ".join(messages))) from None


def _key_path(loc: Loc) -> str:
    steps = [s for s in loc if not (isinstance(s, str) and s.startswith("@"))]
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps).lstrip(".")


def spec_problem(spec: Spec, key_path: str, message: str) -> SpecError:
    """A problem found after validation (a layer the model lacks, a target that is no label), placed at
    its key's YAML line like every validation problem: `explain.layers: ... (spec.yaml line 14)`."""
    return SpecError(terminal_safe(spec.problem_at(key_path, message)))


def _read_yaml(text: str, name: str) -> tuple[Node, dict[str, Any]]:
    if not text.strip():
        raise SpecError(
            [f"the spec is empty; it needs at least version, title, model.path and samples ({name})"], name
        )
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError([_too_big(len(text.encode("utf-8", "surrogatepass")), name)], name)
    try:
        loader = _BoundedLoader(text)  # reads the whole text and refuses characters YAML does not allow
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise SpecError([f"YAML does not allow the character {chr(code)!r} (U+{code:04X});"
                         f" remove it or write it as an escape in a double-quoted string ({name} line {line})"],
                        name) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise SpecError([f"the spec has no content, only comments ({name})"], name)
        _check_expansion(root, loader.aliases, name)
        data = loader.construct_document(root)
    except _TooDeep as deep:
        line = deep.mark.line + 1
        raise SpecError([f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep; the spec format needs"
                         f" 6 at most ({name} line {line}, column {deep.mark.column + 1})"], name) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" ({name} line {mark.line + 1}, column {mark.column + 1})" if mark else f" ({name})"
        what = error.problem or error.context or "cannot be read"
        raise SpecError([f"YAML syntax error: {what}{where}"], name) from None
    except yaml.YAMLError as error:
        raise SpecError([f"YAML error: {error} ({name})"], name) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise SpecError(
            [f"the spec must be a mapping of keys (title:, model:, ...), got {describe_value(data)}"
             f" ({name} line {root.start_mark.line + 1})"],
            name,
        )
    return root, data


def _too_big(size: int, name: str) -> str:
    return (f"the spec is {size / 1048576:.1f} MiB; the limit is {MAX_SPEC_BYTES // 1048576} MiB: move inline"
            f" samples to a samples file (samples.file) and long text out of the spec ({name})")


class _TooDeep(Exception):
    def __init__(self, mark: Any):
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that remembers every alias and stops nesting before Python's recursion limit.

    PyYAML composes recursively, so a file of 2,000 `[` exhausts the stack; aliases share one node, so the
    tree's expanded size is only known once it is composed (see `_check_expansion`).
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases: list[tuple[Any, Node]] = []  # (mark of `*name`, the anchored node)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            node = super().compose_node(parent, index)
            self.aliases.append((mark, node))
            return node
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: Node, aliases: list[tuple[Any, Node]], name: str) -> None:
    """Refuse alias cycles, alias bombs and alias chains nested too deep, before anything walks the tree.

    Sizes are computed once per distinct node (iteratively: the expanded depth is not yet known to be
    small), so a billion-laughs file costs as much as its own text.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values once expanded, depth once expanded)
    open_nodes: set[int] = set()  # expanded but not finished: the current path from the root
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = [sizes[id(child)] for child in _children(node)]
            sizes[key] = (1 + sum(c[0] for c in children), 1 + max((c[1] for c in children), default=0))
            open_nodes.discard(key)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            line = next((m.line + 1 for m, target in aliases if target is node), node.start_mark.line + 1)
            raise SpecError([f"YAML alias on line {line} refers to a value that contains it (a loop); write the"
                             f" value out instead ({name} line {line})"], name)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    expanded, depth = sizes[id(root)]
    by_aliases = expanded - len(sizes)
    if by_aliases > MAX_ALIAS_VALUES:
        mark, target = max(aliases, key=lambda pair: sizes[id(pair[1])][0])
        line = mark.line + 1
        raise SpecError([f"YAML aliases expand to {by_aliases:,} values, more than the limit of"
                         f" {MAX_ALIAS_VALUES:,} (the alias on line {line} alone repeats"
                         f" {sizes[id(target)][0]:,}); write the values out or use fewer aliases"
                         f" ({name} line {line})"], name)
    if depth > MAX_YAML_DEPTH:
        mark = aliases[-1][0] if aliases else root.start_mark
        raise SpecError([f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep once its aliases are"
                         f" expanded ({name} line {mark.line + 1})"], name)


def _key_problems(node: Node, name: str, path: str = "") -> list[tuple[int, str]]:
    """Duplicate keys and keys YAML does not read as text (such as `yes:`), which pydantic cannot name."""
    found: list[tuple[int, str]] = []
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, ScalarNode) or (key.tag != _YAML_STR and key.value != "<<"):
                shown = key.value if isinstance(key, ScalarNode) else "a collection"
                found.append((line, f"{path or '(top level)'}: the key {shown!r} is not read as text by YAML;"
                                    f" quote it ({name} line {line})"))
                continue
            key_path = f"{path}.{key.value}" if path else key.value
            if key.value in seen:
                first = seen[key.value]
                found.append((line, f"{key_path}: duplicate key (first on line {first}) ({name} line {line})"))
            seen.setdefault(key.value, line)
            found.extend(_key_problems(value, name, key_path))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_key_problems(item, name, f"{path}[{index}]"))
    return found


# --- pydantic errors in our words -----------------------------------------------------------------

_KINDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "date_type": "a date like 2026-01-01",
    "none_required": "null",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "less_than": ("lt", "must be less than {}"),
}


def _explain_error(error: dict[str, Any], model: type[BaseModel] = Spec) -> list[tuple[Loc, str]]:
    """A pydantic error as (key path below `model`, message in our words)."""
    loc, kind, value, ctx = tuple(error["loc"]), error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "spec":
        return [(loc + tuple(ctx.get("at", ())), ctx["message"])]
    if kind == "spec_problems":
        return [(loc + tuple(at), message) for at, message in ctx["problems"]]
    if kind == "invalid_key":
        return []  # a key YAML did not read as text: _key_problems names it, with its spelling
    if kind == "missing":
        return [(loc, "required key is missing")]
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1], model)
        hint = did_you_mean(loc[-1], known) or (f"; known keys: {', '.join(known)}" if known else "")
        return [(loc, f"unknown key{hint}")]
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return [(loc, f"{describe_value(value)} is not one of {', '.join(options)}{did_you_mean(value, options)}")]
    if kind in _KINDS:
        return [(loc, f"expected {_KINDS[kind]}, got {describe_value(value)}")]
    if kind in _BOUNDS:
        bound, wording = _BOUNDS[kind]
        return [(loc, f"{wording.format(ctx.get(bound))}, got {describe_value(value)}")]
    if kind == "too_short":
        return [(loc, "must not be empty")]
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        return [(loc, f"too long: {len(value):,} characters, the limit is {ctx.get('max_length'):,};"
                      " shorten it (or link to a longer document)")]
    if kind == "too_long" and isinstance(value, list):
        return [(loc, f"too many items: {len(value):,}, the limit is {ctx.get('max_length'):,};"
                      " put the samples in a file (samples.file)")]
    return [(loc, str(error["msg"]))]


def _known_keys(loc: Loc, root: type[BaseModel]) -> list[str]:
    """The keys allowed in the mapping at `loc`, found by walking the annotations of `root`."""
    model: type[BaseModel] | None = root
    for step in loc:
        if isinstance(step, int) or (isinstance(step, str) and step.startswith("@")):
            continue
        field = model.model_fields.get(step) if model else None
        model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None


def _place(root: Node, loc: Loc, message: str, name: str) -> tuple[int, str]:
    """Attach the key path as far as the YAML has it and the line of the deepest key found."""
    parts: list[str | int] = []
    node: Node | None = root
    line = root.start_mark.line + 1
    steps = [s for s in loc if not (isinstance(s, str) and s.startswith("@"))]
    for position, step in enumerate(steps):
        if isinstance(node, MappingNode) and isinstance(step, str):
            match = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == step]
            if not match:  # a missing key: name it, point at its parent
                parts.extend(s for s in steps[position:] if isinstance(s, (str, int)))
                break
            key, node = match[-1]
            parts.append(step)
            line = key.start_mark.line + 1
        elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            parts.append(step)
            line = node.start_mark.line + 1
        else:
            break  # the YAML holds a single value where the model keeps a list: report the value
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
    return line, f"{path}: {message} ({name} line {line})" if path else f"{message} ({name} line {line})"


def _unique(messages: Any) -> list[str]:
    return list(dict.fromkeys(messages))

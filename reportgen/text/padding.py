"""Fitting ids to a model's fixed length, and undoing it on per-position weights.

`fit_length` pads and truncates exactly as Keras `pad_sequences(maxlen=length, padding, truncating, value)`
does for one sequence, and says what it did in an `InputInfo`. Padding is only ever removed at the end it
was added to: an id equal to the pad id inside the text is a real position of the document (the 2019
tutorial deleted every such token, wherever it was; reportgen does not).
"""

from __future__ import annotations

from typing import Sequence, TypeVar

from reportgen.results import InputInfo

SIDES = ("pre", "post")
T = TypeVar("T")


def _check_side(name: str, value: str) -> None:
    if value not in SIDES:
        raise ValueError(f"{name} must be 'pre' or 'post', not {value!r}")


def fit_length(ids: Sequence[int], length: int | None, padding: str = "post", truncating: str = "post",
               pad_id: int = 0) -> tuple[list[int], InputInfo, slice]:
    """Pad/truncate `ids` to `length` (None: leave as is).

    Returns the model's ids, what was done, and `kept`: the slice of `ids` that the model still sees.
    """
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    ids = [int(i) for i in ids]
    count = len(ids)
    notes: list[str] = []
    if count == 0:
        notes.append("the text gives no tokens; the model sees padding only")
    if length is None:
        return ids, InputInfo(length=count, notes=notes), slice(0, count)
    if length < 1:
        raise ValueError(f"length must be at least 1, not {length}")
    truncated = max(0, count - length)
    kept = slice(truncated, count) if truncating == "pre" else slice(0, count - truncated)
    body = ids[kept]
    padded = length - len(body)
    pad = [pad_id] * padded
    out = pad + body if padding == "pre" else body + pad
    if truncated:
        where = "first" if truncating == "pre" else "last"
        notes.append(f"the text has {count} tokens; the model takes {length}, so the {where} "
                     f"{truncated} were cut off and are not explained")
    info = InputInfo(length=length, padding_side=padding if padded else None, padded=padded,
                     truncated=truncated, truncating_side=truncating if truncated else None, notes=notes)
    return out, info, kept


def text_positions(info: InputInfo) -> slice:
    """The positions of the model input that hold the document's tokens: the one padding-trim rule (the
    engine trims maps and tokens with it; only the `info.padded` positions at the padded end are left out)."""
    if info.padding_side == "pre":
        return slice(info.padded, info.length)
    return slice(0, info.length - info.padded)


def trim_padding(weights: Sequence[T], info: InputInfo) -> Sequence[T]:
    """Per-position weights of the model input -> one weight per document token kept.

    Only the `info.padded` positions at the padded end go; a pad-valued id inside the text stays.
    """
    if len(weights) != info.length:
        raise ValueError(f"{len(weights)} weights for an input of length {info.length}")
    return weights[text_positions(info)]


def strip_end_padding(ids: Sequence[int], pad_id: int, padding: str = "post") -> tuple[list[int], int]:
    """Remove the run of `pad_id` at the padded end of already-padded ids; returns (ids, removed)."""
    _check_side("padding", padding)
    ids = [int(i) for i in ids]
    removed = 0
    if padding == "post":
        while removed < len(ids) and ids[len(ids) - 1 - removed] == pad_id:
            removed += 1
        return ids[:len(ids) - removed], removed
    while removed < len(ids) and ids[removed] == pad_id:
        removed += 1
    return ids[removed:], removed

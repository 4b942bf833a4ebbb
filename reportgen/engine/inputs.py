"""Turning what the user gave (texts, ragged id lists, a padded id array with tokens) into the exact
model inputs the engine explains, with the padding and truncation recorded.
"""

from __future__ import annotations

import numbers
from typing import Iterable, Mapping, Sequence

import numpy as np

from reportgen.engine.runner import DocumentInput
from reportgen.errors import InputError
from reportgen.models.adapter import ModelAdapter
from reportgen.results import InputInfo, Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.padding import fit_length, strip_end_padding, text_positions

PAD_TOKEN = "<PAD>"


def from_encoded(adapter: ModelAdapter, doc_id: str, encoded: Encoded, padding: str = "post",
                 truncating: str = "post", pad_id: int = 0, true_labels: list[int] | None = None) -> DocumentInput:
    """A vectorised document, padded/truncated to the model's fixed length when it has one."""
    ids, info, kept = fit_length(encoded.ids, adapter.input_length, padding, truncating, pad_id)
    tokens = list(encoded.tokens[kept])
    pad_tokens = [Token(PAD_TOKEN, None, pad_id)] * info.padded
    tokens = pad_tokens + tokens if info.padding_side == "pre" else tokens + pad_tokens
    info.notes = list(encoded.notes) + [n for n in info.notes if n not in encoded.notes]
    return DocumentInput(id=doc_id, text=encoded.text, tokens=tokens, ids=ids, input=info,
                         true_labels=true_labels)


def from_padded(doc_id: str, ids: Sequence[int], tokens: Sequence[str] | None, pad_value, padding: str,
                level: str | None = None, true_labels: list[int] | None = None,
                token_text=None) -> DocumentInput:
    """The one path for pre-vectorised input (the tutorial's mode): ids already padded as the model takes
    them, plus optional token strings; `token_text` (a pipeline's) names ids given without tokens.

    `pad_value` (an id, or a token string such as '<PAD>') marks padding, trimmed at the `padding` end only.
    """
    ids = [_as_int(i, doc_id) for i in ids]
    named_by_ids = tokens is None and token_text is None
    if tokens is None:
        name = _named_or_number(token_text)
        tokens = [name(i) if name else str(i) for i in ids]
    tokens = [str(t) for t in tokens]
    if len(tokens) != len(ids):
        raise InputError(f"sample {doc_id!r}: {len(ids)} ids but {len(tokens)} tokens")
    padded = 0
    if pad_value is not None:
        if isinstance(pad_value, str) and not pad_value.lstrip("-").isdigit():
            marks = [1 if t == pad_value else 0 for t in tokens]
        else:
            marks = [1 if i == int(pad_value) else 0 for i in ids]
        _, padded = strip_end_padding(marks, 1, padding)
        if padded == len(ids):
            raise InputError(f"sample {doc_id!r}: every position is padding ({pad_value!r})")
    else:
        marks = [1 if t == PAD_TOKEN else 0 for t in tokens]
    info = InputInfo(length=len(ids), padding_side=padding if padded else None, padded=padded)
    keep = text_positions(info)
    info.notes = _padding_left_in_text(marks[keep], padding, pad_value)
    if level is None:
        level = "word" if named_by_ids else guess_level(tokens[keep])
    joiner = "" if level == "char" else " "
    text_tokens: list[Token] = []
    pos = 0
    pieces = []
    for i, (tid, tok) in enumerate(zip(ids, tokens)):
        if keep.start <= i < keep.stop:
            if pieces and joiner:
                pos += len(joiner)
            text_tokens.append(Token(tok, (pos, pos + len(tok)), tid))
            pieces.append(tok)
            pos += len(tok)
        else:
            text_tokens.append(Token(tok, None, tid))
    return DocumentInput(id=doc_id, text=joiner.join(pieces), tokens=text_tokens, ids=ids, input=info,
                         true_labels=true_labels)


def _named_or_number(token_text):
    """`token_text` that shows an id outside the vocabulary as `<id>` instead of failing."""
    if token_text is None:
        return None

    def lookup(i):
        try:
            return token_text(i)
        except Exception:  # any pipeline's lookup: a name is only for display, the id is what the model reads
            return f"<{i}>"

    return lookup


def guess_level(tokens: Sequence[str]) -> str:
    """'char' only when the tokens are characters of running text (single characters, spaces among them).

    Single-character word tokens ("i", "a") are common, and gluing them ("i a" -> "ia") would misquote the
    text; a character-level document of one word without spaces is spaced out instead, which misquotes
    nothing. Pass a pipeline with a `level` to say which it is.
    """
    if tokens and all(len(t) <= 1 for t in tokens) and any(t.isspace() for t in tokens):
        return "char"
    return "word"


def _padding_left_in_text(body: list[int], padding: str, pad_value) -> list[str]:
    """A note for each run of padding left in the document (`body`: its pad marks once the declared end
    padding is trimmed): the model reads it, so it is shown and explained as text rather than trimmed at an
    end the caller did not declare."""
    shown = PAD_TOKEN if pad_value is None else pad_value
    notes = []
    for side, run in (("start", _run(body)), ("end", _run(body[::-1]))):
        if not run or run == len(body):
            continue
        fixes = []
        if pad_value is None:
            fixes.append(f"give pad_value {PAD_TOKEN!r}")
        if side != ("end" if padding == "post" else "start"):
            fixes.append(f"set padding to {'pre' if side == 'start' else 'post'!r}")
        notes.append(f"{run} padding positions ({shown!r}) at the {side} are shown as tokens and explained as part "
                     f"of the text (padding is {padding!r}); to set them aside, {' and '.join(fixes)}")
    return notes


def _run(marks: Sequence[int]) -> int:
    count = 0
    for m in marks:
        if not m:
            break
        count += 1
    return count


def _as_int(value, doc_id: str) -> int:
    try:
        if isinstance(value, (bool, str, bytes)) or int(value) != value:
            raise TypeError
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"sample {doc_id!r}: id {value!r} is not an integer") from None


def prepare(adapter: ModelAdapter, docs, tokens=None, pipeline: TextPipeline | None = None, pad_value=None,
            padding: str = "post", truncating: str = "post", ids_for=None) -> list[DocumentInput]:
    """Documents as an id array (with optional tokens), ragged id lists, or texts (with a pipeline)."""
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in ("pre", "post"):
            raise InputError(f"{name} {value!r}: expected 'pre' or 'post'")
    if isinstance(docs, str):
        docs = [docs]
    if isinstance(docs, np.ndarray):
        if docs.ndim != 2:
            raise InputError(f"docs: an id array must be 2-D (documents x positions), not {docs.ndim}-D")
        docs_list = docs.tolist()
        padded_input = True
    elif isinstance(docs, (bytes, Mapping)) or not isinstance(docs, Iterable):
        raise InputError(f"docs: expected a list of texts, a list of id lists or a 2-D id array, not "
                         f"{type(docs).__name__}")
    else:
        docs_list = list(docs)
        padded_input = False
    if not docs_list:
        raise InputError("docs: no documents to explain")
    texts = [isinstance(d, str) for d in docs_list]
    for i, d in enumerate(docs_list):
        if not texts[i] and (isinstance(d, (bytes, Mapping)) or not isinstance(d, Iterable)):
            raise InputError(f"docs[{i}]: expected a text or a list of ids, not {type(d).__name__}"
                             + (" (one document of ids is [ids])" if isinstance(d, numbers.Number) else ""))
    if any(texts) and not all(texts):
        raise InputError("docs: mixes texts and id lists; give one kind")
    if tokens is not None:
        if all(texts):
            raise InputError("tokens: given with texts, which the pipeline tokenises; give tokens only with ids")
        tokens = _token_rows(tokens, len(docs_list))
    pad_id = int(pad_value) if isinstance(pad_value, (int, np.integer)) else getattr(pipeline, "pad_id", 0)
    out: list[DocumentInput] = []
    if all(isinstance(d, str) for d in docs_list):
        pipeline = pipeline or default_pipeline(adapter)
        for i, text in enumerate(docs_list):
            out.append(from_encoded(adapter, str(i), pipeline.encode(text), padding, truncating, pipeline.pad_id))
        return out
    for i, row in enumerate(docs_list):
        row_tokens = None if tokens is None else tokens[i]
        if padded_input or row_tokens is not None or pad_value is not None:
            doc = from_padded(str(i), row, row_tokens, pad_value, padding, level=getattr(pipeline, "level", None),
                              token_text=getattr(pipeline, "token_text", None) if pipeline else None)
            out.append(refit_to_model(adapter, doc, padding, truncating, pad_id))
        else:
            ids = [_as_int(x, str(i)) for x in row]
            toks = [Token(pipeline.token_text(x) if pipeline else str(x), None, x) for x in ids]
            out.append(from_encoded(adapter, str(i), Encoded(text="", ids=ids, tokens=toks), padding, truncating,
                                    pad_id))
    return out


def _token_rows(tokens, n_docs: int) -> list[list[str]]:
    """One list of token strings per document, or a one-line error naming `tokens`."""
    if isinstance(tokens, np.ndarray) and tokens.ndim != 2 and not (tokens.ndim == 1 and tokens.dtype == object):
        raise InputError(f"tokens: expected one row of tokens per document (2-D), not a {tokens.ndim}-D array")
    if isinstance(tokens, (str, bytes, Mapping)) or not isinstance(tokens, Iterable):
        raise InputError(f"tokens: expected one list of token strings per document, not "
                         f"{'a string' if isinstance(tokens, str) else type(tokens).__name__}")
    rows = list(tokens)
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise InputError(f"tokens[{i}]: expected a list of token strings, not "
                             f"{'a string' if isinstance(row, str) else type(row).__name__}")
    if len(rows) != n_docs:
        raise InputError(f"tokens: {len(rows)} token rows for {n_docs} documents; give one row per document")
    return [[str(t) for t in (row.tolist() if isinstance(row, np.ndarray) else row)] for row in rows]


def refit_to_model(adapter, doc: DocumentInput, padding, truncating, pad_id) -> DocumentInput:
    """Pre-vectorised ids whose length is not the model's fixed length: drop their padding, fit again."""
    if adapter.input_length is None or len(doc.ids) == adapter.input_length:
        return doc
    keep = text_positions(doc.input)
    encoded = Encoded(text=doc.text, ids=doc.ids[keep], tokens=doc.tokens[keep], notes=list(doc.input.notes))
    return from_encoded(adapter, doc.id, encoded, padding, truncating, pad_id, doc.true_labels)


def default_pipeline(adapter: ModelAdapter) -> TextPipeline:
    if adapter.vectorizer is not None:
        from reportgen.text.vectorization import TextVectorizationPipeline

        return TextVectorizationPipeline(adapter.vectorizer)
    raise InputError("texts given but the model takes ids: pass pipeline= (a WordPipeline/CharPipeline with the "
                     "model's vocabulary) or the ids themselves")

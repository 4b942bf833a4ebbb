"""Turning what the user gave (texts, ragged id lists, a padded id array with tokens) into the exact
model inputs the engine explains, with the padding and truncation recorded.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from reportgen.engine.runner import DocumentInput
from reportgen.errors import InputError
from reportgen.models.adapter import ModelAdapter
from reportgen.results import InputInfo, Token
from reportgen.text.base import Encoded, TextPipeline
from reportgen.text.padding import fit_length, strip_end_padding

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
    """The tutorial's mode: ids already padded as the model takes them, plus optional token strings.

    `pad_value` (an id, or a token string such as '<PAD>') marks padding, trimmed at the `padding` end only.
    """
    ids = [int(i) for i in ids]
    if tokens is None:
        tokens = [token_text(i) if token_text else str(i) for i in ids]
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
    if level is None:
        body = tokens[padded:] if padding == "pre" else tokens[:len(tokens) - padded]
        level = "char" if all(len(t) <= 1 for t in body) else "word"
    joiner = "" if level == "char" else " "
    text_tokens: list[Token] = []
    pos = 0
    keep = range(padded, len(ids)) if padding == "pre" else range(0, len(ids) - padded)
    pieces = []
    for i, (tid, tok) in enumerate(zip(ids, tokens)):
        if i in keep:
            if pieces and joiner:
                pos += len(joiner)
            text_tokens.append(Token(tok, (pos, pos + len(tok)), tid))
            pieces.append(tok)
            pos += len(tok)
        else:
            text_tokens.append(Token(tok, None, tid))
    info = InputInfo(length=len(ids), padding_side=padding if padded else None, padded=padded)
    return DocumentInput(id=doc_id, text=joiner.join(pieces), tokens=text_tokens, ids=ids, input=info,
                         true_labels=true_labels)


def prepare(adapter: ModelAdapter, docs, tokens=None, pipeline: TextPipeline | None = None, pad_value=None,
            padding: str = "post", truncating: str = "post", ids_for=None) -> list[DocumentInput]:
    """Documents as an id array (with optional tokens), ragged id lists, or texts (with a pipeline)."""
    if isinstance(docs, str):
        docs = [docs]
    if isinstance(docs, np.ndarray):
        if docs.ndim != 2:
            raise InputError(f"docs: an id array must be 2-D (documents x positions), not {docs.ndim}-D")
        docs_list = docs.tolist()
        padded_input = True
    else:
        docs_list = list(docs)
        padded_input = False
    if not docs_list:
        raise InputError("docs: no documents to explain")
    pad_id = int(pad_value) if isinstance(pad_value, (int, np.integer)) else getattr(pipeline, "pad_id", 0)
    out: list[DocumentInput] = []
    if all(isinstance(d, str) for d in docs_list):
        pipeline = pipeline or default_pipeline(adapter)
        for i, text in enumerate(docs_list):
            out.append(from_encoded(adapter, str(i), pipeline.encode(text), padding, truncating, pipeline.pad_id))
        return out
    for i, row in enumerate(docs_list):
        row_tokens = None if tokens is None else list(np.asarray(tokens[i]).tolist())
        if padded_input or row_tokens is not None or pad_value is not None:
            doc = from_padded(str(i), row, row_tokens, pad_value, padding,
                              token_text=getattr(pipeline, "token_text", None) if pipeline else None)
            out.append(refit_to_model(adapter, doc, padding, truncating, pad_id))
        else:
            ids = [int(x) for x in row]
            toks = [Token(pipeline.token_text(x) if pipeline else str(x), None, x) for x in ids]
            out.append(from_encoded(adapter, str(i), Encoded(text="", ids=ids, tokens=toks), padding, truncating,
                                    pad_id))
    return out


def refit_to_model(adapter, doc: DocumentInput, padding, truncating, pad_id) -> DocumentInput:
    """Pre-vectorised ids whose length is not the model's fixed length: drop their padding, fit again."""
    if adapter.input_length is None or len(doc.ids) == adapter.input_length:
        return doc
    keep = slice(doc.input.padded, None) if doc.input.padding_side == "pre" else slice(0, len(doc.ids) - doc.input.padded)
    encoded = Encoded(text=doc.text, ids=doc.ids[keep], tokens=doc.tokens[keep])
    return from_encoded(adapter, doc.id, encoded, padding, truncating, pad_id, doc.true_labels)


def default_pipeline(adapter: ModelAdapter) -> TextPipeline:
    if adapter.vectorizer is not None:
        from reportgen.text.vectorization import TextVectorizationPipeline

        return TextVectorizationPipeline(adapter.vectorizer)
    raise InputError("texts given but the model takes ids: pass pipeline= (a WordPipeline/CharPipeline with the "
                     "model's vocabulary) or the ids themselves")

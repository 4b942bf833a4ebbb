"""Explained documents <-> Arrow rows: one row per document x layer x target (the schema is `SCHEMA`).

The document's own columns (text, tokens, offsets, prediction) repeat on each of its rows, so any row can be
read alone (a DuckDB or pandas query needs no join); Parquet's dictionary encoding and zstd keep the repeats
cheap on disk.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reportgen.engine.variants import heatmaps_of
from reportgen.results import DocumentExplanation, InputInfo, LayerMap, Prediction, ReportSettings, Token
from reportgen.results import DEFAULT_MODEL_KEY
from reportgen.text.padding import text_positions

NO_SPAN = -1
SCHEMA = pa.schema([
    ("doc_index", pa.int32()),  # position of the document in the corpus, 0-based
    ("doc_id", pa.string()),
    ("text", pa.string()),
    ("tokens", pa.list_(pa.string())),  # the document's tokens, padding trimmed
    ("token_ids", pa.list_(pa.int32())),
    ("starts", pa.list_(pa.int32())),  # character offsets into text; -1: the token is not in the text
    ("ends", pa.list_(pa.int32())),
    ("probabilities", pa.list_(pa.float64())),
    ("predicted", pa.list_(pa.int32())),
    ("threshold", pa.float64()),
    ("true_labels", pa.list_(pa.int32())),  # null: no ground truth
    ("input", pa.string()),  # InputInfo as JSON
    ("layer", pa.string()),
    ("target", pa.int32()),
    ("target_label", pa.string()),
    ("score", pa.float64()),
    ("grad_norm", pa.float64()),
    ("layer_map", pa.list_(pa.float32())),  # at layer resolution, before relu, counterfactual or resizing
    ("time_axis", pa.bool_()),
    ("notes", pa.list_(pa.string())),
    # whose map: the report's model (`results.model_key` of its name) or a baseline (its compare: name); a
    # baseline's doc_index is the document's position among the documents it explained
    ("model", pa.string()),
])


def table_of(explanations: Sequence[DocumentExplanation], first_index: int = 0,
             model: str = DEFAULT_MODEL_KEY) -> pa.Table:
    """Rows for `explanations` of the model keyed `model`, the first being document number `first_index`."""
    columns: dict[str, list] = {name: [] for name in SCHEMA.names}
    for offset, doc in enumerate(explanations):
        tokens = doc.tokens
        shared = {
            "doc_index": first_index + offset, "doc_id": doc.id, "text": doc.text,
            "tokens": [t.text for t in tokens],
            "token_ids": [t.id if t.id is not None else -1 for t in tokens],
            "starts": [t.span[0] if t.span is not None else NO_SPAN for t in tokens],
            "ends": [t.span[1] if t.span is not None else NO_SPAN for t in tokens],
            "probabilities": list(doc.prediction.probabilities), "predicted": list(doc.prediction.predicted),
            "threshold": doc.prediction.threshold, "true_labels": doc.true_labels,
            "input": json.dumps(asdict(doc.input), sort_keys=True), "model": model,
        }
        for layer_map in doc.layer_maps:
            for name, value in shared.items():
                columns[name].append(value)
            columns["layer"].append(layer_map.layer)
            columns["target"].append(layer_map.target)
            columns["target_label"].append(layer_map.target_label)
            columns["score"].append(layer_map.score)
            columns["grad_norm"].append(layer_map.grad_norm)
            columns["layer_map"].append(np.asarray(layer_map.values, dtype=np.float32))
            columns["time_axis"].append(layer_map.time_axis)
            columns["notes"].append(list(layer_map.notes))
    return pa.table(columns, schema=SCHEMA)


def layer_map_of(row: dict) -> LayerMap:
    return LayerMap(layer=row["layer"], target=row["target"], target_label=row["target_label"], score=row["score"],
                    grad_norm=row["grad_norm"], values=np.asarray(row["layer_map"], dtype=np.float32),
                    time_axis=row["time_axis"], notes=list(row["notes"]))


def input_of(row: dict) -> InputInfo:
    return InputInfo(**json.loads(row["input"]))


def documents_of(table: pa.Table, settings: ReportSettings, ids: Iterable[str] | None = None,
                 model: str | None = None) -> list[DocumentExplanation]:
    """The documents of `table` (those in `ids`, in that order; else all, in corpus order) with every heatmap
    the settings ask for, derived from the stored maps as the engine derived them; `model`: only that model's
    rows (None: every row, for a table of one model)."""
    if model is not None and "model" in table.column_names:
        table = table.filter(pc.equal(table["model"], model))
    by_doc = {rows[0]["doc_id"]: rows for rows in document_rows(table)}
    wanted = list(by_doc) if ids is None else [i for i in ids if i in by_doc]
    return [document_of(by_doc[doc_id], settings) for doc_id in wanted]


# A document's own columns, repeated on each of its rows (layers x targets)
DOCUMENT_COLUMNS = ("text", "tokens", "token_ids", "starts", "ends")


def document_rows(table: pa.Table) -> Iterator[list[dict]]:
    """Each document's rows as dicts, in corpus order (a document's maps in their stored order). Its own columns
    are turned into Python on its first row only and each map is a float32 array, never Python floats: a
    character-level chunk's rows as Python objects were over a gigabyte."""
    order = pc.sort_indices(table, sort_keys=[("doc_index", "ascending")]).to_numpy()  # stable: keeps map order
    small = table.drop_columns([*DOCUMENT_COLUMNS, "layer_map"]).take(order).to_pylist()
    maps = table.column("layer_map").take(order)
    start = 0
    while start < len(small):
        end = start + 1
        while end < len(small) and small[end]["doc_index"] == small[start]["doc_index"]:
            end += 1
        rows = small[start:end]
        first = int(order[start])
        rows[0].update({name: table.column(name)[first].as_py() for name in DOCUMENT_COLUMNS})
        for k, row in enumerate(rows):
            row["layer_map"] = maps[start + k].values.to_numpy(zero_copy_only=False)
        yield rows
        start = end


def document_of(rows: list[dict], settings: ReportSettings) -> DocumentExplanation:
    first = rows[0]
    info = input_of(first)
    keep = text_positions(info)
    tokens = [Token(text, (start, end) if start != NO_SPAN else None, token_id if token_id != -1 else None)
              for text, token_id, start, end in zip(first["tokens"], first["token_ids"], first["starts"],
                                                    first["ends"])]
    layer_maps = [layer_map_of(row) for row in rows]
    heatmaps = []
    for layer_map in layer_maps:
        heatmaps.extend(heatmaps_of(layer_map, info.length, keep, relu=settings.relu,
                                    counterfactual=settings.counterfactual, interpolation=settings.interpolation,
                                    normalize_gradients=settings.normalize_gradients, score_kind=settings.score))
    return DocumentExplanation(
        id=first["doc_id"], text=first["text"], tokens=tokens,
        prediction=Prediction(probabilities=list(first["probabilities"]), predicted=list(first["predicted"]),
                              threshold=first["threshold"]),
        heatmaps=heatmaps, input=info, true_labels=None if first["true_labels"] is None else list(first["true_labels"]),
        layer_maps=layer_maps)


def read_rows(path: str | Path, ids: Iterable[str] | None = None, model: str | None = None) -> pa.Table:
    """The rows of the Parquet file at `path` whose doc_id is in `ids` (every document when None) and, when the
    file has a model column, whose model is `model` (every model when None), reading one row group at a time:
    a few documents of a large corpus cost the memory of a chunk, not of the whole file."""
    parquet = pq.ParquetFile(path)
    by_model = model is not None and "model" in parquet.schema_arrow.names
    if ids is None and not by_model:
        return parquet.read()
    keys = (["doc_id"] if ids is not None else []) + (["model"] if by_model else [])
    wanted = None if ids is None else pa.array(sorted(set(ids)), type=pa.string())
    parts = []
    for group in range(parquet.num_row_groups):
        columns = parquet.read_row_group(group, columns=keys)
        mask = None
        if wanted is not None:
            mask = pa.compute.is_in(columns.column("doc_id"), value_set=wanted)
        if by_model:
            same = pa.compute.equal(columns.column("model"), pa.scalar(model, pa.string()))
            mask = same if mask is None else pa.compute.and_(mask, same)
        if pa.compute.any(mask).as_py():
            parts.append(parquet.read_row_group(group).filter(mask))
    return pa.concat_tables(parts) if parts else parquet.schema_arrow.empty_table()


class MapsWriter:
    """Streams tables into one Parquet file; each `write` is one row group (the build writes a chunk of
    documents at a time, so memory stays bounded whatever the corpus size)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._writer = pq.ParquetWriter(self.path, SCHEMA, compression="zstd", compression_level=9,
                                        use_dictionary=["doc_id", "text", "tokens", "layer", "target_label",
                                                        "input", "notes", "model"],
                                        write_statistics=["doc_index", "doc_id", "layer", "target", "model"])

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table.cast(SCHEMA))
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> "MapsWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

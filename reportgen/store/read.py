"""Reading a built report's results back: `read_results(DIR)` (records, every variant derived) and
`read_maps(DIR)` (the stored rows as an Arrow table: `.to_pandas()`, or query the Parquet file with DuckDB)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from reportgen.results import ReportResults


def _folder(directory: str | Path) -> Path:
    folder = Path(directory)
    return folder.parent if folder.is_file() else folder


def read_maps(directory: str | Path, columns: list[str] | None = None) -> pa.Table:
    """Every stored row (document x layer x target) of the report in `directory`, in corpus order."""
    folder = _folder(directory)
    record = json.loads((folder / "explanations.json").read_text(encoding="utf-8"))
    return pq.read_table(folder / record.get("maps_file", "results/maps.parquet"), columns=columns)


def read_results(directory: str | Path, ids: Iterable[str] | str | None = None) -> ReportResults:
    """The results of the report in `directory` (or of its explanations.json).

    `ids` None: the documents that have a page (as the report shows them); "all": every explained document;
    a list: those documents, in that order. Heatmaps are derived from the stored maps exactly as the build
    derived them.
    """
    from reportgen.store.table import documents_of

    folder = _folder(directory)
    results = ReportResults.from_dict(json.loads((folder / "explanations.json").read_text(encoding="utf-8")))
    summaries = {d.id: d for d in results.documents}
    wanted = list(summaries) if ids is None else None if ids == "all" else list(ids)
    filters = None if wanted is None else [("doc_id", "in", wanted)]
    table = pq.read_table(folder / results.maps_file, filters=filters)
    docs = documents_of(table, results.settings, wanted)
    for doc in docs:  # what explanations.json keeps of a document with a page (its metrics)
        if doc.id in summaries:
            kept = summaries[doc.id]
            doc.metrics, doc.input = kept.metrics, kept.input
    results.documents = docs
    return results

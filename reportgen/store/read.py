"""Reading a built report's results back: `read_results(DIR)` (records, every variant derived) and
`read_maps(DIR)` (the stored rows as an Arrow table: `.to_pandas()`, or query the Parquet file with DuckDB)."""

from __future__ import annotations

import json
from pathlib import Path
from dataclasses import replace
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from reportgen.results import DocumentExplanation, ReportResults, model_key


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
    derived them. A comparison's baselines get their documents back the same way, from their own rows.
    """
    folder = _folder(directory)
    results = ReportResults.from_dict(json.loads((folder / "explanations.json").read_text(encoding="utf-8")))
    path = folder / results.maps_file
    comparison = results.comparison
    results.documents = _documents(path, results.documents, results.settings, ids,
                                   None if comparison is None else comparison.candidate)
    for baseline in comparison.baselines if comparison is not None else []:
        baseline.documents = _documents(path, baseline.documents, replace(results.settings, layers=baseline.layers),
                                        None, baseline.name)
    return results


def _documents(path: Path, kept: list[DocumentExplanation], settings, ids, model: str | None
               ) -> list[DocumentExplanation]:
    """`ids` of `model`'s rows (None: every row) with what explanations.json keeps of them (`kept`)."""
    from reportgen.store.table import documents_of, read_rows

    summaries = {d.id: d for d in kept}
    wanted = list(summaries) if ids is None else None if ids == "all" else list(ids)
    docs = documents_of(read_rows(path, wanted, model), settings, wanted, model=model)
    for doc in docs:  # what explanations.json keeps of a document with a page (its metrics)
        if doc.id in summaries:
            summary = summaries[doc.id]
            doc.metrics, doc.input = summary.metrics, summary.input
    return docs


def results_tables(results: ReportResults) -> Iterator[pa.Table]:
    """The stored rows of results held in memory: its documents, then each baseline's, under their model keys."""
    from reportgen.store.table import table_of

    comparison = results.comparison
    yield table_of(results.documents, model=comparison.candidate if comparison is not None
                   else model_key(results.model.name))
    for baseline in comparison.baselines if comparison is not None else []:
        yield table_of(baseline.documents, model=baseline.name)

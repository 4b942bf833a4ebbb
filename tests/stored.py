"""Reading a built report's documents whole, for tests that check what a build explained.

Since explanations.json schema 5 a document's text, tokens and heatmaps live in results/maps.parquet; these
are read through the public reader, so every test that used the JSON's documents now also goes through it.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path


def stored_documents(out: Path) -> list[dict]:
    """Every explained document of the report in `out`, in corpus order, as plain dicts (heatmaps derived)."""
    from reportgen import read_results

    return [asdict(doc) for doc in read_results(out, ids="all").documents]

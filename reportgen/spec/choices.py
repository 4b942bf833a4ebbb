"""The fixed words a spec value may take, each listed once.

The spec validates these values and the packages to its right act on them (engine resizes with an
interpolation kind, samples reads a source); both import the list from here, so adding a kind is one edit
and the spec can never accept a word the code behind it does not know. Standard library only: importing it
costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

# scipy's interp1d kinds, in the order the docs and the JSON Schema list them.
INTERPOLATION_KINDS = ("linear", "nearest", "zero", "slinear", "quadratic", "cubic", "previous", "next")

LAYER_KEYWORDS = ("auto", "all", "best")
SCORE_KINDS = ("logit", "probability")  # explain.score: what Grad-CAM differentiates
SCALE_KINDS = ("document", "layer", "report")  # explain.scale: what one colour scale spans
PALETTES = ("safe", "red-green")  # explain.palette: level colours (report.colors holds the colours)
PDF_CHOICES = ("main", "all")  # output.pdf.layers and output.pdf.variants
# output.pdf.samples: rules that order every sample (report/sample_choice.py acts on them; a test keeps the
# two lists equal); with "all" (report order), the words the key takes besides a number and a list of ids.
PDF_SAMPLE_RULES = ("errors-first", "stratified")
PDF_SAMPLE_WORDS = ("all", *PDF_SAMPLE_RULES)
REMOVALS = ("pad", "oov", "delete")  # metrics.removal: what a removed token becomes

# Target requests besides a list of labels; "top-K" is matched by `parse_top_k`.
TARGET_KEYWORDS = ("predicted", "all", "true")
_TOP_K = re.compile(r"top-(-?\d+)")

SAMPLE_SOURCES = ("csv", "jsonl", "txt", "inline", "directory")
# The key each source reads its samples from.
SOURCE_NEEDS = {"csv": "file", "jsonl": "file", "txt": "file", "inline": "items", "directory": "directory"}
# Extensions from which `samples.source` is inferred when it is omitted.
SOURCE_BY_EXTENSION = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "txt"}


def parse_top_k(request: Any) -> int | None:
    """K of a "top-K" target request, None for anything else.

    Raises ValueError (with the words the spec shows) for a K below 1, so the spec and the API refuse
    `top-0` with one rule.
    """
    if not isinstance(request, str):
        return None
    match = _TOP_K.fullmatch(request)
    if match is None:
        return None
    k = int(match.group(1))
    if k < 1:
        raise ValueError(f"'{request}' asks for {k} targets; K in top-K must be at least 1")
    return k

"""Size limits on a spec file, in one place.

A spec is read by people and by `build`; without bounds, a hostile or mistaken file (a YAML alias bomb, a
50 MB description) hangs `validate` and `build` instead of failing. Each limit is far above what a real
report needs (the sample specs use under 1 % of each), so it only ever stops runaway input.
"""

from __future__ import annotations

# The spec file itself; inline samples belong in a samples file once a spec grows past this.
MAX_SPEC_BYTES = 4 * 1024 * 1024

# Values that aliases add to the YAML tree (`*name` repeats all of its anchor's values): a billion-laughs
# file is a few lines that expand to billions, and every check walks the expanded tree. Values written
# out are bounded by MAX_SPEC_BYTES instead; a hand-written spec's aliases add a few hundred.
MAX_ALIAS_VALUES = 100_000

# Nesting of mappings and lists; the spec format itself goes 4 levels deep. Deeper input would exhaust
# Python's recursion limit while it is read.
MAX_YAML_DEPTH = 50

# Characters in the free-text keys shown on every page or in the PDF's running header.
MAX_TEXT_LENGTH = {
    "title": 300,
    "description": 100_000,  # markdown for the front page: about 30 printed pages
    "dataset": 2_000,
    "author": 500,
}

# Inline samples (`samples.items` and `samples.extra` each); larger sets belong in a csv/jsonl/txt file.
MAX_INLINE_ITEMS = 10_000

"""`input.max_tokens`: a per-document length limit, applied right after vectorisation.

Explaining a recurrent model costs more than linear time in the document's length (TensorFlow's backward pass
through the recurrence: about 3x per doubling, measured on TF 2.21, see tests/text/test_long_text.py), so a very
long text can run for an hour. The limit cuts a document after its first `max_tokens` tokens: the model then
reads only that part, which changes its prediction, so the cut is stated in the document's notes (shown on
the sample page and kept in explanations.json). The text itself is cut after the last kept token, so every
page renders what the model read and nothing more.
"""

from __future__ import annotations

import dataclasses

from reportgen.text.base import Encoded


def limit_tokens(encoded: Encoded, max_tokens: int | None) -> Encoded:
    """`encoded` cut to its first `max_tokens` tokens (unchanged when it is not longer), with a note."""
    total = len(encoded.ids)
    if max_tokens is None or total <= max_tokens:
        return encoded
    tokens = encoded.tokens[:max_tokens]
    ends = [t.span[1] for t in tokens if t.span is not None]
    text = encoded.text
    where = ""
    if ends and encoded.text:
        end = max(ends)
        text = encoded.text[:end]
        where = f" (its first {end:,} of {len(encoded.text):,} characters)"
    note = (f"Cut by input.max_tokens: the text has {total:,} tokens; only the first {max_tokens:,}{where} "
            f"were given to the model and explained, so the prediction is the model's on that part; "
            f"the remaining {total - max_tokens:,} tokens were not read.")
    # replace(): any other field of Encoded (e.g. what pre-vectorised input records) is carried over as it is
    return dataclasses.replace(encoded, text=text, ids=encoded.ids[:max_tokens], tokens=tokens,
                               notes=[*encoded.notes, note])

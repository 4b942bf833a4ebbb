"""`reportgen explain MODEL TEXT`: explain one text in the terminal, and optionally as an HTML page.

This module turns the arguments into a model, a text pipeline and a request; what is printed comes from
`reportgen.render.terminal` (colours on a colour terminal or with `--color always`, `word[+0.124]`
otherwise), the `--html` page from `reportgen.render.html`. The written path is shown through
`reportgen.textsafe.terminal_safe`, like everything else printed that the user controls.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Sequence

from reportgen.errors import InputError, ReportgenError
from reportgen.render.terminal import document_max, explanation_lines, wants_color
from reportgen.textsafe import terminal_safe


def run(model: str, text: str, *, html: str | None = None, vocabulary: str | None = None, level: str | None = None,
        layers: Sequence[str] | None = None, targets: Sequence[str] | None = None, labels: list[str] | None = None,
        relu: bool = True, oov_token: str | None = None, start_token: str | None = None,
        color: str = "auto") -> int:
    from reportgen.api import explain, load_adapter

    adapter = load_adapter(model, labels)
    pipeline = _pipeline(adapter, model, vocabulary, level, oov_token, start_token)
    try:
        encoded = pipeline.encode(text)
    except ReportgenError as exc:
        raise InputError(f"TEXT: {exc}") from exc
    if not encoded.ids:
        raise InputError("TEXT gives no tokens (empty, or only words the vocabulary does not know; "
                         "--oov-token keeps unknown words)")
    doc = explain(adapter.model, [text], layers=_layer_request(layers), targets=_target_request(targets),
                  relu=relu, pipeline=pipeline, labels=adapter.labels, task=adapter.task,
                  threshold=adapter.threshold)[0]
    for line in explanation_lines(doc, adapter.labels, wants_color(color, sys.stdout)):
        print(line)
    if html is not None:
        from reportgen.output import write_text
        from reportgen.render.html import render_explanation_page

        page = render_explanation_page(doc, adapter.labels, document_max(doc),
                                       title=f"{Path(model).name}: explanation")
        try:
            write_text(html, page)
        except OSError as exc:
            raise ReportgenError(f"--html {html}: cannot write it ({exc.strerror or exc})") from None
        print(f"\nwrote {terminal_safe(html)}")
    return 0


# ----- inputs -------------------------------------------------------------------------------------

def _pipeline(adapter, model: str, vocabulary: str | None, level: str | None, oov_token: str | None,
              start_token: str | None):
    from reportgen.spec.schema import InputSpec
    from reportgen.text.factory import pipeline_from_spec

    if adapter.vectorizer is None and vocabulary is None:
        raise ReportgenError(f"{model}: the model takes token ids; give --vocabulary FILE (txt: one token per line, "
                             "json {token: id} or csv token,id) to turn the text into them")
    vocab_path = Path(vocabulary) if vocabulary is not None else None
    if vocab_path is not None and not vocab_path.is_file():
        raise ReportgenError(f"--vocabulary {vocabulary}: no such file")
    if level is None and vocab_path is not None:
        from reportgen.text.vocab import load_vocabulary

        level = load_vocabulary(vocab_path).level
    spec = InputSpec(level=level, oov_token=oov_token, start_token=start_token)
    return pipeline_from_spec(spec, vocab_path, adapter.vectorizer)


def _layer_request(layers: Sequence[str] | None):
    if not layers:
        return "auto"
    if list(layers) in (["auto"], ["all"]):
        return layers[0]
    return [int(ref) if re.fullmatch(r"-?\d+", ref) else ref for ref in layers]


def _target_request(targets: Sequence[str] | None):
    if not targets:
        return "predicted"
    if len(targets) == 1 and (targets[0] in ("predicted", "all") or re.fullmatch(r"top-\d+", targets[0])):
        return targets[0]
    return list(targets)

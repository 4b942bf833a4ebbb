"""`reportgen explain MODEL TEXT`: explain one text in the terminal, and optionally as an HTML page.

Prints the prediction, then each explained map as the text itself: on a colour terminal (or with
`--color always`) every token gets the report's background colour for its weight level (24-bit ANSI,
from `reportgen.report.colors`, so the terminal and the report agree); otherwise each token is followed by
its weight, e.g. `good[+0.124]`, which is plain text and deterministic. Character models show weights
summed per word in the plain form. A legend line closes each map.

Everything printed that the user or the model controls (the text, tokens, labels, layer names, notes, paths)
goes through `reportgen.textsafe.terminal_safe`: an escape sequence in TEXT is shown as `\x1b[2J`, never
sent to the terminal, with colours on or off. Only the colour codes made here are sent as they are.
"""

from __future__ import annotations

import os
import re
import sys
from html import escape
from pathlib import Path
from typing import Sequence

from reportgen.errors import InputError, ReportgenError
from reportgen.textsafe import report_markers, terminal_safe

RESET = "\x1b[0m"
TEXT_ON_TINT = "\x1b[38;2;0;0;0m"  # black text: the tints are light, whatever the terminal's theme


def run(model: str, text: str, *, html: str | None = None, vocabulary: str | None = None, level: str | None = None,
        layers: Sequence[str] | None = None, targets: Sequence[str] | None = None, labels: list[str] | None = None,
        relu: bool = True, oov_token: str | None = None, start_token: str | None = None,
        color: str = "auto") -> int:
    from reportgen.api import explain, load_adapter
    from reportgen.report.spans import is_char_level

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
    scale_max = _document_max(doc)
    use_color = wants_color(color, sys.stdout)
    print(prediction_line(doc, adapter.labels))
    for note in doc.input.notes:
        print(f"note: {terminal_safe(note)}")
    for heatmap in doc.heatmaps:
        print()
        print(map_heading(heatmap, doc))
        for note in heatmap.notes:
            print(f"note: {terminal_safe(note)}")
        print(colored_text(doc, heatmap, scale_max) if use_color else annotated_text(doc, heatmap))
        print(legend_line(heatmap, scale_max, use_color, per_word=not use_color and is_char_level(doc.tokens)))
    if html is not None:
        from reportgen.output import write_text

        page = html_page(doc, adapter.labels, scale_max, title=f"{Path(model).name}: explanation")
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


# ----- terminal output ----------------------------------------------------------------------------

def wants_color(choice: str, stream) -> bool:
    """`always`/`never` as asked; `auto`: a terminal, unless NO_COLOR is set (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def prediction_line(doc, labels: Sequence[str]) -> str:
    probs = doc.prediction.probabilities
    labels = [terminal_safe(label) for label in labels]
    predicted = ", ".join(f"{labels[k]} {probs[k]:.3f}" for k in doc.prediction.predicted) or "(none)"
    others = [f"{labels[k]} {p:.3f}" for k, p in enumerate(probs) if k not in doc.prediction.predicted]
    threshold = doc.prediction.threshold
    parts = [f"predicted: {predicted}"]
    if threshold is not None:
        parts.append(f"(threshold {threshold:g})")
    if others:
        parts.append(f"| others: {', '.join(others)}")
    return " ".join(parts)


def map_heading(heatmap, doc) -> str:
    variant = "relu" if heatmap.relu else "no relu"
    if heatmap.counterfactual:
        variant += ", counterfactual"
    return (f"target {terminal_safe(heatmap.target_label)} ({heatmap.score_kind} {heatmap.score:+.3f}), "
            f"layer {terminal_safe(heatmap.layer)}, "
            f"{variant}, {len(doc.tokens)} tokens:")


def short_weight(weight: float) -> str:
    return "0" if weight == 0 else f"{weight:+.3g}"


def _weights(doc, heatmap) -> list[float | None]:
    from reportgen.report.spans import align_weights

    return align_weights(doc.tokens, heatmap.weights, doc.input.truncating_side)


def annotated_text(doc, heatmap) -> str:
    """The text with each token's weight after it (`good[+0.124]`); character models: per word."""
    from reportgen.report.spans import aggregate_words, is_char_level

    tokens, weights = doc.tokens, _weights(doc, heatmap)
    if is_char_level(tokens):
        tokens, weights = aggregate_words(doc.text, tokens, weights)
    text = doc.text
    out: list[str] = []
    position = 0
    unplaced = []
    for token, weight in sorted(((t, w) for t, w in zip(tokens, weights) if t.span is not None),
                                key=lambda tw: tw[0].span):
        start, end = token.span
        if start < position:  # overlapping tokens (hooks): the weight follows the text already shown
            out.append(f"[{token.text} {short_weight(weight)}]" if weight is not None else "")
            continue
        out.append(text[position:start])
        out.append(text[start:end])
        if weight is not None:
            out.append(f"[{short_weight(weight)}]")
        position = end
    out.append(text[position:])
    for token, weight in zip(tokens, weights):
        if token.span is None and weight is not None:
            unplaced.append(f"[{token.text} {short_weight(weight)}]")
    shown = " ".join(unplaced + ["".join(out)]) if unplaced else "".join(out)
    return terminal_safe(shown, keep_lines=True)


def _background(level: int) -> str:
    from reportgen.report.colors import level_rgb

    r, g, b = level_rgb(level)
    return f"\x1b[48;2;{r};{g};{b}m{TEXT_ON_TINT}"


def colored_text(doc, heatmap, scale_max: float) -> str:
    """The text with the report's background colours; tokens not in the text first, as [chips]."""
    from reportgen.report.colors import Scale
    from reportgen.report.spans import highlight

    scale = Scale(scale_max, "document", "")
    hl = highlight(doc.text, doc.tokens, _weights(doc, heatmap), scale)
    out = []
    for chip in hl.chips:
        body = f"[{terminal_safe(chip.text)}]"
        out.append(f"{_background(chip.level)}{body}{RESET} " if chip.level else body + " ")
    for segment in hl.segments:
        text = terminal_safe(segment.text, keep_lines=True)
        out.append(f"{_background(segment.level)}{text}{RESET}" if segment.level else text)
    return "".join(out)


def legend_line(heatmap, scale_max: float, use_color: bool, per_word: bool = False) -> str:
    """What the colours or the [w] annotations mean, with the scale's numbers."""
    from reportgen.report.colors import LEVELS, format_number

    target = terminal_safe(heatmap.target_label)
    if scale_max <= 0:
        return f"legend: every weight is 0 (nothing in this text moves the {heatmap.score_kind} of {target})"
    step = scale_max / LEVELS
    if not use_color:
        what = "the sum of the word's character weights" if per_word else "the token's Grad-CAM weight"
        unit = "character " if per_word else ""
        return (f"legend: [w] = {what} for {target}; + for it, - against it; "
                f"max |{unit}weight| {format_number(scale_max)}")
    swatches = "".join(f"{_background(level)}  {RESET}" for level in range(-LEVELS, LEVELS + 1))
    return (f"legend: {format_number(-scale_max)} {swatches} {format_number(scale_max, signed=True)}  "
            f"(red against {target}, green for it; {LEVELS} levels of {format_number(step)}; "
            f"|weight| < {format_number(step / 2)} not highlighted)")


def _document_max(doc) -> float:
    """One scale for every map shown, so colours compare across targets and layers."""
    from reportgen.report.colors import max_abs

    return max((max_abs(h.weights) for h in doc.heatmaps), default=0.0)


# ----- the HTML page ------------------------------------------------------------------------------

def html_page(doc, labels: Sequence[str], scale_max: float, title: str) -> str:
    """A minimal self-contained page: the notebook fragment of every map, on one shared scale."""
    from reportgen.render.html import render_fragment

    fragments = "\n".join(render_fragment(doc, h, scale_max=scale_max or None, labels=list(labels))
                          for h in doc.heatmaps)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(report_markers(title))}</title>\n</head>\n<body>\n{fragments}\n</body>\n</html>\n")

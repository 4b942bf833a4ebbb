"""One explained text for the terminal (`reportgen explain`): the prediction, then each map as the text itself.

On a colour terminal every token gets the report's background colour for its weight level (24-bit ANSI, from
`reportgen.report.colors`, so the terminal and the report agree); otherwise each token is followed by its
weight, e.g. `good[+0.124]`, which is plain text and deterministic. Character models show weights summed per
word in the plain form. A legend line closes each map.

Everything shown that the user or the model controls (the text, tokens, labels, layer names, notes) goes
through `reportgen.textsafe.terminal_safe`: an escape sequence in the text is shown as `\\x1b[2J`, never sent to
the terminal, with colours on or off. Only the colour codes made here are sent as they are.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

from reportgen.report.colors import LEVELS, Scale, format_number, level_rgb, max_abs, palette
from reportgen.report.spans import aggregate_words, align_weights, highlight, is_char_level, splits_words
from reportgen.textsafe import terminal_safe

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap

RESET = "\x1b[0m"
TEXT_ON_TINT = "\x1b[38;2;0;0;0m"  # black text: the tints are light, whatever the terminal's theme


def wants_color(choice: str, stream) -> bool:
    """`always`/`never` as asked; `auto`: a terminal, unless NO_COLOR is set (no-color.org)."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def explanation_lines(doc: "DocumentExplanation", labels: Sequence[str], use_color: bool) -> list[str]:
    """The prediction, the input's notes, then each map: heading, its notes, the text, the legend."""
    scale_max = document_max(doc)
    lines = [prediction_line(doc, labels)]
    lines += [f"note: {terminal_safe(note)}" for note in doc.input.notes]
    pieces = (("character" if is_char_level(doc.tokens) else "subword") if splits_words(doc.text, doc.tokens)
              else None)  # what annotated_text sums per word
    for heatmap in doc.heatmaps:
        lines += ["", map_heading(heatmap, doc)]
        lines += [f"note: {terminal_safe(note)}" for note in heatmap.notes]
        lines.append(colored_text(doc, heatmap, scale_max) if use_color else annotated_text(doc, heatmap))
        lines.append(legend_line(heatmap, scale_max, use_color, per_word=None if use_color else pieces))
    return lines


def prediction_line(doc: "DocumentExplanation", labels: Sequence[str]) -> str:
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


def map_heading(heatmap: "Heatmap", doc: "DocumentExplanation") -> str:
    variant = "relu" if heatmap.relu else "no relu"
    if heatmap.counterfactual:
        variant += ", counterfactual"
    return (f"target {terminal_safe(heatmap.target_label)} ({heatmap.score_kind} {heatmap.score:+.3f}), "
            f"layer {terminal_safe(heatmap.layer)}, "
            f"{variant}, {len(doc.tokens)} tokens:")


def short_weight(weight: float) -> str:
    return "0" if weight == 0 else f"{weight:+.3g}"


def _weights(doc: "DocumentExplanation", heatmap: "Heatmap") -> list[float | None]:
    return align_weights(doc.tokens, heatmap.weights, doc.input.truncating_side)


def annotated_text(doc: "DocumentExplanation", heatmap: "Heatmap") -> str:
    """The text with each token's weight after it (`good[+0.124]`); character and subword models: per word."""
    tokens, weights = doc.tokens, _weights(doc, heatmap)
    if splits_words(doc.text, tokens):
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
    r, g, b = level_rgb(level)
    return f"\x1b[48;2;{r};{g};{b}m{TEXT_ON_TINT}"


def colored_text(doc: "DocumentExplanation", heatmap: "Heatmap", scale_max: float) -> str:
    """The text with the report's background colours; tokens not in the text first, as [chips]."""
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


def legend_line(heatmap: "Heatmap", scale_max: float, use_color: bool, per_word: str | None = None) -> str:
    """What the colours or the [w] annotations mean, with the scale's numbers; `per_word`: the pieces the
    annotations sum per word ("character", "subword"), None when they annotate tokens."""
    target = terminal_safe(heatmap.target_label)
    if scale_max <= 0:
        return f"legend: every weight is 0 (nothing in this text moves the {heatmap.score_kind} of {target})"
    step = scale_max / LEVELS
    if not use_color:
        what = f"the sum of the word's {per_word} weights" if per_word else "the token's Grad-CAM weight"
        unit = f"{per_word} " if per_word else ""
        return (f"legend: [w] = {what} for {target}; + for it, - against it; "
                f"max |{unit}weight| {format_number(scale_max)}")
    swatches = "".join(f"{_background(level)}  {RESET}" for level in range(-LEVELS, LEVELS + 1))
    hues = palette()  # the default palette, the one `_background` paints with
    return (f"legend: {format_number(-scale_max)} {swatches} {format_number(scale_max, signed=True)}  "
            f"({hues.negative_name} against {target}, {hues.positive_name} for it; {LEVELS} levels of {format_number(step)}; "
            f"|weight| < {format_number(step / 2)} not highlighted)")


def document_max(doc: "DocumentExplanation") -> float:
    """One scale for every map shown, so colours compare across targets and layers."""
    return max((max_abs(h.weights) for h in doc.heatmaps), default=0.0)

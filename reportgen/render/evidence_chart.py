"""The evidence chart as inline SVG: one horizontal bar per word, toward the label then away from it.

`evidence_svg(evidence)` takes a `report.evidence.Evidence` and returns SVG markup that scales with its box
(width 100 %, a viewBox, no height: phones shrink it), with a `<title>` and a `<desc>` listing every word and
its weight (`Evidence.desc`: the chart's text equivalent, its alt text in the PDF, which has no hidden table),
no JavaScript, every coordinate rounded to one decimal so the output depends only on the numbers. Colours are
the palette's strongest level of each sign, opaque attributes (WeasyPrint draws it too); bars away from the
label also carry the palette's non-colour cue, a dotted line under the bar, so the sign survives grayscale. The root has
`data-role="evidence"` and each word's row `data-w` (its summed weight). Templates call it as a global.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from reportgen.report import colors
from reportgen.report.evidence import Evidence, EvidenceWord
from reportgen.textsafe import report_markers

WIDTH = 360.0  # viewBox units: at a phone's ~370 px the 12-unit text stays ~12 px
ROW = 20.0
HEAD = 22.0
LABEL_W = 110.0  # right edge of the word labels
GAP = 6.0
VALUE_W = 56.0  # room for the printed weight after the longest bar
MAX_LABEL = 16  # characters of a word shown in its label (the row's title and the table have all of it)


def _n(value: float) -> str:
    """A coordinate rounded to one decimal, without a trailing '.0' (a chart has some 80 of them)."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _text(value: str) -> Markup:
    """User text (a word, a label, a layer name) for SVG: hidden characters (NUL, bidi overrides) as visible
    markers, as the site shows them elsewhere, then escaped."""
    return escape(report_markers(value))


def _label(word: str) -> str:
    word = report_markers(word)
    return word if len(word) <= MAX_LABEL else word[:MAX_LABEL - 1] + "\u2026"


def evidence_svg(ev: Evidence | None) -> Markup:
    if ev is None or not ev.words:
        return Markup("")
    p = colors.palette(ev.palette)
    fill = {1: p.positive[-1], -1: p.negative[-1]}
    bar_x = LABEL_W + GAP
    bar_w = WIDTH - bar_x - VALUE_W
    top = ev.max_abs or 1.0
    blocks = [(1, f"toward {ev.target_label}", ev.toward), (-1, f"away from {ev.target_label}", ev.away)]
    height = sum(HEAD + ROW * max(1, len(words)) for _, _, words in blocks) + 4.0
    title = _text(ev.title)
    # Text size and colour, and the cue's line style, are set once on the root and inherited (SVG presentation
    # attributes inherit; a stroke width and dash pattern draw nothing on an element without a stroke): a page
    # carries two charts of 16 rows, and each row repeating them cost a tenth of a character-level page.
    out = [f'<svg class="evidence-chart" data-role="evidence" xmlns="http://www.w3.org/2000/svg" width="100%" '
           f'viewBox="0 0 {_n(WIDTH)} {_n(height)}" preserveAspectRatio="xMinYMin meet" role="img" '
           f'aria-label="{title}" font-size="12" fill="{colors.INK}" stroke-width="1.5" stroke-dasharray="1.5 2">'
           f'<title>{title}</title><desc>{_text(ev.desc)}</desc>']
    y = 0.0
    for sign, heading, words in blocks:
        out.append(f'<text x="{_n(bar_x)}" y="{_n(y + 15)}" font-weight="bold">{_text(heading)}</text>')
        y += HEAD
        if not words:
            out.append(f'<text x="{_n(bar_x)}" y="{_n(y + 14)}" fill="#5b6571">no word</text>')
            y += ROW
            continue
        for w in words:
            out.append(_row(w, y, bar_x, bar_w, top, fill[sign], sign < 0))
            y += ROW
    out.append("</svg>")
    return Markup("".join(out))


def _row(w: EvidenceWord, y: float, bar_x: float, bar_w: float, top: float, fill: str, cue: bool) -> str:
    length = max(1.0, bar_w * abs(w.weight) / top)
    word = _text(w.word)
    times = f" ({w.count}\u00d7)" if w.count > 1 else ""
    parts = [f'<g class="evidence-word" data-w="{escape(w.exact)}">',
             f"<title>{word}: {escape(w.weight_text)}{times}</title>",
             f'<text x="{_n(LABEL_W)}" y="{_n(y + 14)}" text-anchor="end">{escape(_label(w.word))}</text>',
             f'<rect x="{_n(bar_x)}" y="{_n(y + 3)}" width="{_n(length)}" height="{_n(ROW - 6)}" fill="{fill}"/>']
    if cue:
        parts.append(f'<line x1="{_n(bar_x)}" y1="{_n(y + ROW - 1.5)}" x2="{_n(bar_x + length)}" '
                     f'y2="{_n(y + ROW - 1.5)}" stroke="{colors.INK}"/>')
    parts.append(f'<text x="{_n(bar_x + length + 4)}" y="{_n(y + 14)}">{escape(w.weight_text)}</text>')
    parts.append("</g>")
    return "".join(parts)


TEMPLATE_GLOBALS = {"evidence_svg": evidence_svg}

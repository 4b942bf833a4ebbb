"""The overview's charts as inline SVG: confusion matrix, probability histogram, per-layer AOPC gain.

Each function takes the format-neutral numbers of `reportgen.report.charts` and returns SVG markup with a
viewBox and width 100 % (the stylesheets cap its width, so it scales on phones and on paper), `role="img"`, a
`<title>` and a `<desc>` (the text equivalent; the pages keep the numbers in a table too), every coordinate
printed with one decimal so the output depends only on the numbers, and opaque colours in attributes so
WeasyPrint draws it as Chromium does. Nothing is told by colour alone: the confusion diagonal has a heavy
outline and bold numbers, wrong predictions are light and hatched beside dark correct ones, a layer that fails
the sanity check has an open marker, a dashed interval and the words "sanity failed".
Labels and layer names are user text: hidden characters become visible markers, then everything is escaped;
long ones are cut, with the whole name in the element's `<title>`.
Templates call the chart functions and the numbers' functions as globals (`TEMPLATE_GLOBALS`).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from reportgen.render.curves import coord as _n
from reportgen.report import charts as numbers
from reportgen.report.charts import AopcChart, ConfusionChart, Histogram, short_label
from reportgen.report.colors import INK, format_number
from reportgen.results import FLOAT_DIGITS
from reportgen.textsafe import report_markers

MUTED = "#5b6571"
RULE = "#d6dbe1"
GRID = "#eceff3"
# Shade steps 0..SHADE_STEPS of a confusion cell: white to dark slate, a hue no weight colour uses (those mean
# "toward/away from a label"); the numbers on steps 4 and 5 are white, where white has the better contrast.
SHADES = ("#ffffff", "#d3d8dd", "#a7b1bb", "#7c8999", "#506277", "#243b55")
LIGHT_TEXT_FROM = 4
CORRECT_FILL = "#3b4f66"  # dark and solid
WRONG_FILL = "#f4f6f8"  # light, hatched
HATCH = 5.0  # hatch line spacing
MAX_SCALE = 1.3  # CSS px per viewBox unit at most: 10-unit text stays at most 13 px
# Charts are 360 units wide where they can be: at a phone's ~360 px their 10-11-unit text stays 10-11 px.


def _text(value: str) -> Markup:
    return escape(report_markers(value))


def _exact(value: float) -> str:
    """A number as explanations.json keeps it, so a page rendered from the JSON has the same bytes."""
    return f"{value:.{FLOAT_DIGITS}g}"


def _short(value: str, limit: int) -> Markup:
    return escape(short_label(report_markers(value), limit))


def _open(css_class: str, width: float, height: float, title: str, desc: str, role: str) -> str:
    """The root: as wide as its box, at most MAX_SCALE times its viewBox (a two-label matrix stays small)."""
    return (f'<svg class="chart {css_class}" data-role="{role}" xmlns="http://www.w3.org/2000/svg" width="100%" '
            f'style="max-width:{width * MAX_SCALE:.0f}px" '
            f'viewBox="0 0 {_n(width)} {_n(height)}" preserveAspectRatio="xMinYMin meet" role="img" '
            f'aria-label="{_text(title)}"><title>{_text(title)}</title><desc>{_text(desc)}</desc>')


# ---- confusion matrix ---------------------------------------------------------------------------------

CELL = 52.0
ROW_LABEL_W = 112.0
MAX_LABEL = 16


def confusion_svg(chart: ConfusionChart | None) -> Markup:
    """Rows are true labels, columns predicted; each cell shaded by its share of the row."""
    if chart is None or not chart.labels:
        return Markup("")
    n = len(chart.labels)
    shown = [short_label(report_markers(label), MAX_LABEL) for label in chart.labels]
    rotate = any(len(label) > 8 for label in shown)
    longest = max(len(label) for label in shown)
    head = 22.0 + (longest * 4.2 + 8 if rotate else 16.0)
    right = max(10.0, longest * 4.9 - CELL / 2 + 6) if rotate else 10.0
    width = ROW_LABEL_W + n * CELL + right
    height = head + n * CELL + 6
    desc = "; ".join(f"true {label}: " + ", ".join(
        f"{cell.count} predicted {chart.labels[cell.predicted]}" for cell in row if cell.count)
        + (f" ({row[t].percent_text} right)" if row[t].share is not None else "")
        for t, (label, row) in enumerate(zip(chart.labels, chart.rows)))
    out = [_open("confusion-chart", width, height, "Confusion matrix: true label (rows) by predicted label "
                 "(columns), shaded by the share of the row", desc, "confusion-chart")]
    left = ROW_LABEL_W
    out.append(f'<text x="{_n(left + n * CELL / 2)}" y="12.0" text-anchor="middle" font-size="11" '
               f'font-weight="bold" fill="{INK}">predicted label</text>')
    out.append(f'<text x="{_n(left - 8)}" y="{_n(head - 6)}" text-anchor="end" font-size="11" '
               f'font-weight="bold" fill="{INK}">true label</text>')
    for p, label in enumerate(chart.labels):
        cx = left + p * CELL + CELL / 2
        if rotate:
            y = head - 6
            text = (f'<text x="{_n(cx)}" y="{_n(y)}" font-size="11" fill="{INK}" '
                    f'transform="rotate(-40 {_n(cx)} {_n(y)})">{_short(label, MAX_LABEL)}</text>')
        else:
            text = (f'<text x="{_n(cx)}" y="{_n(head - 6)}" text-anchor="middle" font-size="10" '
                    f'fill="{INK}">{_short(label, MAX_LABEL)}</text>')
        out.append(f'<g class="column-label"><title>{_text(label)}</title>{text}</g>')
    for t, (label, row) in enumerate(zip(chart.labels, chart.rows)):
        y = head + t * CELL
        out.append(f'<g class="row-label"><title>{_text(label)}</title><text x="{_n(left - 8)}" '
                   f'y="{_n(y + CELL / 2 + 4)}" text-anchor="end" font-size="11" fill="{INK}">'
                   f'{_short(label, MAX_LABEL)}</text></g>')
        for cell in row:
            out.append(_cell(chart, cell, left + cell.predicted * CELL, y))
    # the diagonal's outline over the grid, so no neighbour's border covers it
    for k in range(n):
        out.append(f'<rect class="diagonal" x="{_n(left + k * CELL + 1.5)}" y="{_n(head + k * CELL + 1.5)}" '
                   f'width="{_n(CELL - 3)}" height="{_n(CELL - 3)}" fill="none" stroke="{INK}" '
                   f'stroke-width="2.5"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _cell(chart: ConfusionChart, cell: numbers.ConfusionCell, x: float, y: float) -> str:
    fill = SHADES[cell.shade]
    ink = "#ffffff" if cell.shade >= LIGHT_TEXT_FROM else INK
    weight = ' font-weight="bold"' if cell.diagonal else ""
    total = chart.row_totals[cell.true]
    title = (f"true {chart.labels[cell.true]}, predicted {chart.labels[cell.predicted]}: {cell.count} of {total}"
             + (f" ({cell.percent_text})" if cell.share is not None else ""))
    share = "" if cell.share is None else f' data-share="{cell.share:.6g}"'
    parts = [f'<g class="cell{" diagonal" if cell.diagonal else ""}" data-true="{cell.true}" '
             f'data-predicted="{cell.predicted}" data-count="{cell.count}"{share} data-shade="{cell.shade}">',
             f"<title>{_text(title)}</title>",
             f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(CELL)}" height="{_n(CELL)}" fill="{fill}" '
             f'stroke="{RULE}"/>',
             f'<text x="{_n(x + CELL / 2)}" y="{_n(y + CELL / 2 + 1)}" text-anchor="middle" font-size="14"'
             f'{weight} fill="{ink}">{cell.count}</text>']
    if cell.count:  # an empty cell shows its 0 only, so the shares that matter stand out
        parts.append(f'<text x="{_n(x + CELL / 2)}" y="{_n(y + CELL / 2 + 15)}" text-anchor="middle" '
                     f'font-size="10"{weight} fill="{ink}">{cell.percent_text}</text>')
    parts.append("</g>")
    return "".join(parts)


# ---- probability histogram ----------------------------------------------------------------------------

H_WIDTH, H_HEIGHT = 360.0, 220.0
H_LEFT, H_RIGHT, H_TOP, H_BOTTOM = 36.0, 10.0, 42.0, 38.0
SERIES = (  # bottom to top of each stacked bar
    ("correct", "correct"),
    ("wrong", "wrong"),
    ("unlabelled", "no true label"),
)


def histogram_svg(hist: Histogram | None) -> Markup:
    """Stacked bars per probability bin (correct at the bottom), the decision threshold(s) as dashed lines."""
    if hist is None:
        return Markup("")
    plot_w = H_WIDTH - H_LEFT - H_RIGHT
    plot_h = H_HEIGHT - H_TOP - H_BOTTOM
    y_top = hist.count_ticks[-1] or 1.0
    bottom = H_TOP + plot_h

    def px(probability: float) -> float:
        return H_LEFT + plot_w * probability

    def py(count: float) -> float:
        return bottom - plot_h * count / y_top

    series = [s for s in SERIES if s[0] != "unlabelled" or hist.has_unlabelled]
    desc = (f"{hist.what}. " + "; ".join(
        f"{b.range_text}: " + ", ".join(f"{getattr(b, key)} {name}" for key, name in series)
        for b in hist.bins if b.total)
        + (". Threshold " + ", ".join(f"{t:g}" for t in hist.thresholds) if hist.thresholds else ""))
    out = [_open("histogram-chart", H_WIDTH, H_HEIGHT, f"Histogram of {hist.axis_label}, correct and wrong",
                 desc, "probability-histogram")]
    out.append(_histogram_legend(series))
    for value in hist.count_ticks:
        y = py(value)
        out.append(f'<line class="y-tick" data-value="{value:g}" x1="{_n(H_LEFT)}" y1="{_n(y)}" '
                   f'x2="{_n(H_LEFT + plot_w)}" y2="{_n(y)}" stroke="{GRID if value else MUTED}"/>')
        out.append(f'<text x="{_n(H_LEFT - 5)}" y="{_n(y + 3.5)}" text-anchor="end" font-size="10" '
                   f'fill="{MUTED}">{value:g}</text>')
    bins = len(hist.bins)
    for k in range(bins + 1):
        x = px(k / bins)
        out.append(f'<line class="x-tick" data-value="{k / bins:g}" x1="{_n(x)}" y1="{_n(bottom)}" x2="{_n(x)}" '
                   f'y2="{_n(bottom + 4)}" stroke="{MUTED}"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(bottom + 15)}" text-anchor="middle" font-size="10" '
                   f'fill="{MUTED}">{k / bins:g}</text>')
    out.append(f'<text x="{_n(H_LEFT + plot_w / 2)}" y="{_n(H_HEIGHT - 6)}" text-anchor="middle" font-size="11" '
               f'fill="{INK}">{_text(short_label(hist.axis_label, 60))}</text>')
    mid = H_TOP + plot_h / 2
    out.append(f'<text x="11" y="{_n(mid)}" text-anchor="middle" font-size="11" fill="{INK}" '
               f'transform="rotate(-90 11 {_n(mid)})">{hist.unit}</text>')
    gap = 1.5
    for b in hist.bins:
        x0, x1 = px(b.low) + gap, px(b.high) - gap
        base = 0
        for key, name in series:
            count = getattr(b, key)
            if count:
                out.append(_bar(key, f"{b.range_text}: {count} {name}", b.low, count, x0, x1,
                                py(base + count), py(base)))
            base += count
    for t in hist.thresholds:
        x = px(t)
        out.append(f'<line class="threshold" data-value="{t:g}" x1="{_n(x)}" y1="{_n(H_TOP - 4)}" x2="{_n(x)}" '
                   f'y2="{_n(bottom)}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(H_TOP - 7)}" text-anchor="middle" font-size="10" '
                   f'fill="{INK}">threshold {t:g}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _bar(key: str, title: str, low: float, count: int, x0: float, x1: float, y0: float, y1: float) -> str:
    """One segment of a stacked bar (y0 above y1)."""
    return (f'<g class="bar bar-{key}" data-series="{key}" data-low="{low:g}" data-count="{count}">'
            f"<title>{_text(title)}</title>{_swatch(key, x0, x1, y0, y1)}</g>")


def _swatch(key: str, x0: float, x1: float, y0: float, y1: float) -> str:
    rect = f'x="{_n(x0)}" y="{_n(y0)}" width="{_n(x1 - x0)}" height="{_n(y1 - y0)}"'
    if key == "correct":
        return f'<rect {rect} fill="{CORRECT_FILL}"/>'
    if key == "wrong":
        return (f'<rect {rect} fill="{WRONG_FILL}"/>' + "".join(_hatch(x0, x1, y0, y1))
                + f'<rect {rect} fill="none" stroke="{INK}" stroke-width="1"/>')
    return f'<rect {rect} fill="#ffffff" stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 2"/>'


def _hatch(x0: float, x1: float, y0: float, y1: float) -> list[str]:
    """Diagonal lines (x - y = c) inside the rectangle, drawn as segments: no clip path, no pattern."""
    lines = []
    c = x0 - y1 + HATCH
    while c < x1 - y0:
        start_x, end_x = max(x0, y0 + c), min(x1, y1 + c)
        if end_x > start_x:
            lines.append(f'<line x1="{_n(start_x)}" y1="{_n(start_x - c)}" x2="{_n(end_x)}" y2="{_n(end_x - c)}" '
                         f'stroke="{INK}" stroke-width="0.7"/>')
        c += HATCH
    return lines


def _histogram_legend(series: list[tuple[str, str]]) -> str:
    out, x = [], H_LEFT
    for key, name in series:
        out.append(_swatch(key, x, x + 14, 6.0, 18.0))
        out.append(f'<text x="{_n(x + 19)}" y="16.0" font-size="11" fill="{INK}">{name}</text>')
        x += 19 + 6.2 * len(name) + 12
    return "".join(out)


# ---- per-layer AOPC gain ------------------------------------------------------------------------------

A_WIDTH = 360.0
A_LABEL_W = 104.0  # right edge of the layer names and, under them, the words: recommended, sanity failed
A_PLOT_X = 114.0
A_RIGHT = 14.0
A_TOP, A_BOTTOM = 30.0, 40.0
A_NOTE_LINE = 11.0
MAX_LAYER = 16


def aopc_svg(chart: AopcChart | None) -> Markup:
    """Each layer's AOPC gain (dot) with its interval (whiskers), a zero line, the recommended layer in bold on
    a band, layers that fail the sanity check with an open dot, a dashed interval and the words."""
    if chart is None:
        return Markup("")
    plot_w = A_WIDTH - A_PLOT_X - A_RIGHT
    row_h = 24.0 + A_NOTE_LINE * max(len(_notes(row)) for row in chart.rows)  # room for the words per row
    height = A_TOP + row_h * len(chart.rows) + A_BOTTOM
    bottom = A_TOP + row_h * len(chart.rows)
    span = (chart.high - chart.low) or 1.0

    def px(value: float) -> float:
        return A_PLOT_X + plot_w * (value - chart.low) / span

    desc = "; ".join(_gain_text(row) for row in chart.rows)
    out = [_open("aopc-chart", A_WIDTH, height, f"AOPC gain over random order per layer, with "
                 f"{chart.confidence} intervals", desc, "faithfulness-chart")]
    out.append(_aopc_legend(chart))
    for k, row in enumerate(chart.rows):
        if row.best:
            y = A_TOP + k * row_h
            out.append(f'<rect class="band" x="1.0" y="{_n(y + 1)}" width="{_n(A_WIDTH - 2)}" '
                       f'height="{_n(row_h - 2)}" fill="#eef1f4" stroke="{INK}" stroke-width="1"/>')
    for value in chart.ticks:
        x = px(value)
        out.append(f'<line class="x-tick" data-value="{_exact(value)}" x1="{_n(x)}" y1="{_n(A_TOP)}" x2="{_n(x)}" '
                   f'y2="{_n(bottom + 4)}" stroke="{RULE}"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(bottom + 15)}" text-anchor="middle" font-size="10" '
                   f'fill="{MUTED}">{format_number(value, 3)}</text>')
    zero = px(0.0)
    out.append(f'<line class="zero" x1="{_n(zero)}" y1="{_n(A_TOP - 2)}" x2="{_n(zero)}" y2="{_n(bottom + 4)}" '
               f'stroke="{MUTED}" stroke-width="1.5"/>')
    out.append(f'<text x="{_n(A_PLOT_X + plot_w / 2)}" y="{_n(height - 5)}" text-anchor="middle" font-size="11" '
               f'fill="{INK}">AOPC gain over random order</text>')
    for k, row in enumerate(chart.rows):
        out.append(_gain_row(row, A_TOP + k * row_h, row_h, px))
    out.append("</svg>")
    return Markup("".join(out))


def _gain_text(row: numbers.LayerGain) -> str:
    text = f"{row.layer}: "
    if row.mean is None:
        text += "not scored"
    else:
        text += format_number(row.mean, 3)
        if row.ci_low is not None and row.ci_high is not None:
            text += f" ({format_number(row.ci_low, 3)} to {format_number(row.ci_high, 3)})"
    marks = (["recommended"] if row.best else []) + (["sanity check failed"] if row.failed_sanity else [])
    return text + (f", {', '.join(marks)}" if marks else "")


def _notes(row: numbers.LayerGain) -> list[str]:
    return (["recommended"] if row.best else []) + (["sanity failed"] if row.failed_sanity else [])


def _gain_row(row: numbers.LayerGain, y: float, row_h: float, px) -> str:
    mid = y + row_h / 2
    notes = _notes(row)
    name_y = mid + 4 - A_NOTE_LINE * len(notes) / 2
    weight = ' font-weight="bold"' if row.best else ""
    parts = [f'<g class="layer{" best" if row.best else ""}{" sanity-failed" if row.failed_sanity else ""}" '
             f'data-layer="{_text(row.layer)}">', f"<title>{_text(_gain_text(row))}</title>",
             f'<text x="{_n(A_LABEL_W)}" y="{_n(name_y)}" text-anchor="end" font-size="11"{weight} '
             f'fill="{INK}">{_short(row.layer, MAX_LAYER)}</text>']
    for j, note in enumerate(notes, start=1):
        parts.append(f'<text x="{_n(A_LABEL_W)}" y="{_n(name_y + A_NOTE_LINE * j)}" text-anchor="end" '
                     f'font-size="9.5" fill="{INK}">{note}</text>')
    if row.mean is None:
        parts.append(f'<text x="{_n(A_PLOT_X + 4)}" y="{_n(mid + 4)}" font-size="10" fill="{MUTED}">not scored'
                     f'</text>')
    else:
        if row.ci_low is not None and row.ci_high is not None:
            x0, x1 = px(row.ci_low), px(row.ci_high)
            dash = ' stroke-dasharray="3 2"' if row.failed_sanity else ""
            parts.append(f'<line class="ci" data-low="{_exact(row.ci_low)}" data-high="{_exact(row.ci_high)}" '
                         f'x1="{_n(x0)}" y1="{_n(mid)}" x2="{_n(x1)}" y2="{_n(mid)}" stroke="{INK}" '
                         f'stroke-width="1.5"{dash}/>')
            for x in (x0, x1):
                parts.append(f'<line x1="{_n(x)}" y1="{_n(mid - 6)}" x2="{_n(x)}" y2="{_n(mid + 6)}" '
                             f'stroke="{INK}" stroke-width="1.5"/>')
        fill = "#ffffff" if row.failed_sanity else INK
        parts.append(f'<circle class="mean" data-value="{_exact(row.mean)}" cx="{_n(px(row.mean))}" cy="{_n(mid)}" '
                     f'r="4.5" fill="{fill}" stroke="{INK}" stroke-width="1.5"/>')
    parts.append("</g>")
    return "".join(parts)


def _aopc_legend(chart: AopcChart) -> str:
    y = 12.0
    x = 8.0
    out = [f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 22)}" y2="{_n(y)}" stroke="{INK}" stroke-width="1.5"/>',
           f'<line x1="{_n(x)}" y1="{_n(y - 5)}" x2="{_n(x)}" y2="{_n(y + 5)}" stroke="{INK}" stroke-width="1.5"/>',
           f'<line x1="{_n(x + 22)}" y1="{_n(y - 5)}" x2="{_n(x + 22)}" y2="{_n(y + 5)}" stroke="{INK}" '
           f'stroke-width="1.5"/>',
           f'<circle cx="{_n(x + 11)}" cy="{_n(y)}" r="4.5" fill="{INK}"/>',
           f'<text x="{_n(x + 28)}" y="{_n(y + 4)}" font-size="10" fill="{INK}">mean, {chart.confidence} '
           f'interval</text>']
    if chart.checked:
        x += 150
        out.append(f'<circle cx="{_n(x + 5)}" cy="{_n(y)}" r="4.5" fill="#ffffff" stroke="{INK}" '
                   f'stroke-width="1.5"/>')
        out.append(f'<text x="{_n(x + 14)}" y="{_n(y + 4)}" font-size="10" fill="{INK}">fails the sanity check'
                   f'</text>')
    return "".join(out)


TEMPLATE_GLOBALS = {
    "confusion_svg": confusion_svg, "histogram_svg": histogram_svg, "aopc_svg": aopc_svg,
    "confusion_chart": numbers.confusion_chart, "probability_histogram": numbers.probability_histogram,
    "aopc_chart": numbers.aopc_chart, "curve_grid": numbers.curve_grid,
}

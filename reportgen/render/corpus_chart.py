"""The corpus evidence chart as inline SVG: per label and layer, the top words toward the label as bars to the
right of a zero line, the top words away from it as bars to the left, each with its bootstrap interval as
whiskers.

Built like the other charts (`render/charts.py`: width 100 %, a viewBox, `role="img"`, `<title>` and `<desc>`
with every number, one-decimal coordinates, opaque colours, user text made visible and escaped). The sign reads
without colour: the side of the zero line, the block's heading ("toward LABEL" / "away from LABEL"), and the
palette's non-colour cue under the bars away from the label (a dotted line, as on highlighted text). Words
flagged as possible shortcuts carry a `*` after their name. The root has `data-role="corpus-chart"`; each word's
group `data-total`, `data-low`, `data-high` (the numbers as explanations.json keeps them).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from reportgen.render.charts import MUTED, RULE, _exact, _open, _short, _text
from reportgen.render.curves import coord as _n
from reportgen.report import colors
from reportgen.report.corpus import LayerSection, WordRow

WIDTH = 360.0
ROW = 18.0
HEAD = 20.0
LABEL_W = 100.0  # right edge of the word labels
PLOT_X = 108.0
RIGHT = 10.0
AXIS = 22.0  # the tick labels under the plot
MAX_WORD = 14


def corpus_svg(section: LayerSection | None, palette_name: str | None = None) -> Markup:
    if section is None or not (section.toward or section.away):
        return Markup("")
    p = colors.palette(palette_name)
    plot_w = WIDTH - PLOT_X - RIGHT
    zero = PLOT_X + plot_w / 2
    values = [abs(v) for r in section.toward + section.away for v in (r.total, r.total_low, r.total_high)
              if v is not None]
    top = max(values) or 1.0

    def px(value: float) -> float:
        return zero + (plot_w / 2) * max(-1.0, min(1.0, value / top))

    blocks = [("toward", f"toward {section.label} \u2192", section.toward, p.positive[-1]),
              ("away", f"\u2190 away from {section.label}", section.away, p.negative[-1])]
    rows_h = sum(HEAD + ROW * max(1, len(rows)) for _, _, rows, _ in blocks)
    height = rows_h + AXIS + 4.0
    out = [_open("corpus-chart", WIDTH, height, section.chart_title, section.chart_desc, "corpus-chart")]
    y = 0.0
    for direction, heading, rows, fill in blocks:
        # from the left edge: a long label has the whole width, and the arrow still points to its side
        out.append(f'<text class="block-head" x="8.0" y="{_n(y + 14)}" font-size="11" font-weight="bold" '
                   f'fill="{colors.INK}">{_short(heading, 56)}</text>')
        y += HEAD
        # the zero line along the block's rows only, so that no heading is crossed out
        out.append(f'<line class="zero" x1="{_n(zero)}" y1="{_n(y)}" x2="{_n(zero)}" '
                   f'y2="{_n(y + ROW * max(1, len(rows)) + (4 if direction == "away" else 0))}" stroke="{MUTED}" '
                   f'stroke-width="1.2"/>')
        if not rows:
            x, anchor = (zero + 4, "start") if direction == "toward" else (zero - 4, "end")
            out.append(f'<text x="{_n(x)}" y="{_n(y + 13)}" text-anchor="{anchor}" font-size="10" '
                       f'fill="{MUTED}">no word</text>')
            y += ROW
            continue
        for row in rows:
            out.append(_row(row, y, zero, px, fill))
            y += ROW
    bottom = rows_h + 4
    for value in (-top, 0.0, top):
        x = px(value)
        out.append(f'<line class="x-tick" data-value="{_exact(value)}" x1="{_n(x)}" y1="{_n(bottom)}" '
                   f'x2="{_n(x)}" y2="{_n(bottom + 4)}" stroke="{MUTED}"/>')
        text = colors.format_number(value, 3, signed=True) if value else "0"
        anchor = "start" if value < 0 else "end" if value > 0 else "middle"
        out.append(f'<text x="{_n(x)}" y="{_n(bottom + 15)}" text-anchor="{anchor}" font-size="10" '
                   f'fill="{MUTED}">{escape(text)}</text>')
    out.append(f'<line x1="{_n(PLOT_X)}" y1="{_n(bottom)}" x2="{_n(WIDTH - RIGHT)}" y2="{_n(bottom)}" '
               f'stroke="{RULE}"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _row(row: WordRow, y: float, zero: float, px, fill: str) -> str:
    mid = y + ROW / 2
    end = px(row.total)
    x0, x1 = sorted((zero, end))
    if x1 - x0 < 1.0:  # a bar is always visible
        x0, x1 = (zero, zero + 1.0) if row.direction == "toward" else (zero - 1.0, zero)
    flag = f", possible shortcut ({row.flag_text})" if row.flags else ""
    documents = f"{row.documents} document" + ("s" if row.documents != 1 else "")
    title = f"{row.word}: {row.total_text} ({row.total_ci_text}), {documents}{flag}"
    attrs = f'data-total="{_exact(row.total)}"'
    if row.total_low is not None and row.total_high is not None:
        attrs += f' data-low="{_exact(row.total_low)}" data-high="{_exact(row.total_high)}"'
    label = _short(row.word, MAX_WORD) + (Markup("*") if row.flags else "")
    bold = ' font-weight="bold"' if row.flags else ""
    parts = [f'<g class="corpus-word {row.direction}{" flagged" if row.flags else ""}" '
             f'data-direction="{row.direction}" {attrs}>', f"<title>{_text(title)}</title>",
             f'<text x="{_n(LABEL_W)}" y="{_n(mid + 3.5)}" text-anchor="end" font-size="10.5"'
             f'{bold} fill="{colors.INK}">{label}</text>',
             f'<rect x="{_n(x0)}" y="{_n(y + 3)}" width="{_n(x1 - x0)}" height="{_n(ROW - 7)}" fill="{fill}"/>']
    if row.direction == "away":
        parts.append(f'<line class="cue" x1="{_n(x0)}" y1="{_n(y + ROW - 2.5)}" x2="{_n(x1)}" '
                     f'y2="{_n(y + ROW - 2.5)}" stroke="{colors.INK}" stroke-width="1.3" '
                     f'stroke-dasharray="1.5 2"/>')
    if row.total_low is not None and row.total_high is not None:
        lo, hi = px(row.total_low), px(row.total_high)
        parts.append(f'<line class="ci" x1="{_n(lo)}" y1="{_n(mid)}" x2="{_n(hi)}" y2="{_n(mid)}" '
                     f'stroke="{colors.INK}" stroke-width="1.2"/>')
        for x in (lo, hi):
            parts.append(f'<line x1="{_n(x)}" y1="{_n(mid - 4)}" x2="{_n(x)}" y2="{_n(mid + 4)}" '
                         f'stroke="{colors.INK}" stroke-width="1.2"/>')
    parts.append("</g>")
    return "".join(parts)


TEMPLATE_GLOBALS = {"corpus_svg": corpus_svg}

"""Deletion curves as inline SVG: axes with numbers, a legend, no JavaScript, byte-identical between builds.

`deletion_curve_svg(curves)` takes the `curves` dict of a metrics table row or sample entry
({"fractions": [...], "morf": [...], "random": [...], "lerf": [...]}) and returns SVG markup; the metrics
page draws one per layer as small multiples on shared axes, with one `deletion_legend_svg()` above them.
Templates call both as globals (`TEMPLATE_GLOBALS`). Every coordinate is printed with one decimal, so the output depends
only on the numbers. Styling is in attributes (opaque colours, no opacity), so WeasyPrint draws it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str
    dash: str  # stroke-dasharray, "" for solid
    width: float


SERIES = (
    Series("morf", "most relevant first", "#b2182b", "", 2.0),
    Series("random", "random", "#6b7480", "5 3", 1.5),
    Series("lerf", "least relevant first", "#2166ac", "2 3", 2.0),
)
Y_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
X_INTERVALS = 5


def coord(value: float) -> str:
    """A coordinate: one decimal, no negative zero (render/charts.py prints its coordinates the same way)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _percent(fraction: float) -> str:
    value = round(fraction * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def _tick(value: float) -> str:
    return f"{value:g}"


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive known points (a missing value breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys):
        if y is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x, y))
    return [r for r in runs if r]


def deletion_curve_svg(curves: Mapping[str, Sequence[float | None]] | None, *, title: str = "",
                       width: int = 420, height: int = 240, x_max: float | None = None,
                       legend: bool = True) -> Markup:
    """Target probability against the share of removed tokens, one line per removal order.

    Small multiples pass the `x_max` every chart of the grid shares (the y axis is always 0..1) and
    `legend=False`, drawing the legend once with `deletion_legend_svg`. The root has a viewBox and
    width 100 %, so it scales with its box (the stylesheets cap it at its natural width).
    """
    if not curves or not curves.get("fractions"):
        return Markup("")
    fractions = [float(f) for f in curves["fractions"]]
    x_max = x_max or max(fractions) or 1.0
    left, right, top, bottom = 46.0, 12.0, 30.0 if legend else 12.0, 42.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(fraction: float) -> float:
        return left + plot_w * fraction / x_max

    def py(probability: float) -> float:
        return top + plot_h * (1.0 - min(1.0, max(0.0, probability)))

    label = title or "deletion curves"
    out = [f'<svg class="deletion-curve" xmlns="http://www.w3.org/2000/svg" width="100%" '
           f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" role="img" '
           f'aria-label="{escape(label)}">',
           f"<title>{escape(label)}</title>",
           f"<desc>{escape(_desc(curves, fractions))}</desc>",
           f'<rect x="{coord(left)}" y="{coord(top)}" width="{coord(plot_w)}" height="{coord(plot_h)}" fill="#ffffff" '
           f'stroke="#d6dbe1"/>']
    # grid and y axis
    for value in Y_TICKS:
        y = py(value)
        out.append(f'<line x1="{coord(left)}" y1="{coord(y)}" x2="{coord(left + plot_w)}" y2="{coord(y)}" stroke="#eceff3"/>')
        out.append(f'<text x="{coord(left - 5)}" y="{coord(y + 3.5)}" text-anchor="end" font-size="10" '
                   f'fill="#5b6571">{_tick(value)}</text>')
    for i in range(X_INTERVALS + 1):
        fraction = x_max * i / X_INTERVALS
        x = px(fraction)
        out.append(f'<line x1="{coord(x)}" y1="{coord(top + plot_h)}" x2="{coord(x)}" y2="{coord(top + plot_h + 4)}" '
                   f'stroke="#5b6571"/>')
        out.append(f'<text x="{coord(x)}" y="{coord(top + plot_h + 15)}" text-anchor="middle" font-size="10" '
                   f'fill="#5b6571">{_percent(fraction)}</text>')
    out.append(f'<text x="{coord(left + plot_w / 2)}" y="{coord(height - 6)}" text-anchor="middle" font-size="10" '
               f'fill="#1b1f24">tokens removed (share of removable tokens)</text>')
    out.append(f'<text x="12" y="{coord(top + plot_h / 2)}" text-anchor="middle" font-size="10" fill="#1b1f24" '
               f'transform="rotate(-90 12 {coord(top + plot_h / 2)})">p(target)</text>')
    if legend:  # one row above the plot
        out.extend(_legend_items([s for s in SERIES if curves.get(s.key)], left))
    # the curves, drawn random first so the map's own curves stay on top
    for s in sorted(SERIES, key=lambda s: s.key != "random"):
        values = curves.get(s.key)
        if not values:
            continue
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        for run in _segments(fractions, [None if v is None else float(v) for v in values]):
            points = " ".join(f"{coord(px(fx))},{coord(py(fy))}" for fx, fy in run)
            out.append(f'<polyline class="curve curve-{s.key}" points="{points}" fill="none" stroke="{s.color}" '
                       f'stroke-width="{s.width:g}"{dash} stroke-linejoin="round"/>')
    out.append("</svg>")
    return Markup("".join(out))


def _legend_items(series: Sequence[Series], x: float) -> list[str]:
    out = []
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<line x1="{coord(x)}" y1="12.0" x2="{coord(x + 18)}" y2="12.0" stroke="{s.color}" '
                   f'stroke-width="{s.width:g}"{dash}/>')
        out.append(f'<text x="{coord(x + 22)}" y="15.5" font-size="10" fill="#1b1f24">{s.label}</text>')
        x += 22 + 5.0 * len(s.label) + 14
    return out


def deletion_legend_svg() -> Markup:
    """The legend of a grid of deletion curves drawn without their own (every removal order)."""
    width = 6.0 + sum(22 + 5.0 * len(s.label) + 14 for s in SERIES)
    return Markup(f'<svg class="deletion-legend" xmlns="http://www.w3.org/2000/svg" width="100%" '
                  f'viewBox="0 0 {coord(width)} 22" preserveAspectRatio="xMinYMin meet" role="img" '
                  f'aria-label="legend"><title>Legend of the deletion curves</title>'
                  + "".join(_legend_items(SERIES, 6.0)) + "</svg>")


def _desc(curves: Mapping[str, Sequence[float | None]], fractions: Sequence[float]) -> str:
    """The chart's text equivalent (the PDF has no hidden table): each line's first and last value."""
    parts = []
    for s in SERIES:
        values = [(f, v) for f, v in zip(fractions, curves.get(s.key) or []) if v is not None]
        if values:
            (f0, v0), (f1, v1) = values[0], values[-1]
            parts.append(f"{s.label}: p {float(v0):.3f} at {_percent(f0)} removed, {float(v1):.3f} at "
                         f"{_percent(f1)}")
    return "; ".join(parts)


TEMPLATE_GLOBALS = {"deletion_curve_svg": deletion_curve_svg, "deletion_legend_svg": deletion_legend_svg}

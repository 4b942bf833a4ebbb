"""The colour scale: weight → level → colour, the CSS classes, the legend, and which heatmaps share a scale.

Green is evidence for the target, red against it. A scale has a maximum |weight| `m`; a weight `w` gets the
level `k = round(|w| / m * LEVELS)` (halves round up, clipped to LEVELS) with the sign of `w`, so level `k`
covers |w| in [(k - 0.5) m / LEVELS, (k + 0.5) m / LEVELS). Level 0 — |w| below half a step — is not
highlighted at all. Level k's tint rises evenly from MIN_TINT (k = 1) to MAX_TINT (k = LEVELS). Colours are
opaque: the tint is blended with white here, because WeasyPrint makes every span with `opacity` its own PDF
object (files ten times larger, measured; pypdf could not open 300-page ones).

Which heatmaps share one maximum is the report's `scale` setting: `document` (all maps of one document),
`layer` (all maps of one layer, across documents — the default: samples compare fairly at a layer) or
`report` (every map).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

LEVELS = 8
POSITIVE_RGB = (26, 152, 80)  # evidence for the target
NEGATIVE_RGB = (215, 48, 39)  # evidence against it
MIN_TINT = 0.15  # the faintest level must still be visible on white
MAX_TINT = 0.9  # the strongest level keeps a little white so black text stays readable (contrast > 4.5)
SCALE_KINDS = ("document", "layer", "report")
MINUS = "\u2212"


def weight_level(weight: float | None, scale_max: float) -> int:
    """The signed level (-LEVELS..LEVELS) of a weight on a scale whose maximum |weight| is `scale_max`."""
    if weight is None or not math.isfinite(weight) or not scale_max > 0:
        return 0
    k = min(LEVELS, math.floor(abs(weight) / scale_max * LEVELS + 0.5))
    return k if weight > 0 else -k


def level_class(level: int) -> str | None:
    """CSS class of a level: `wp3` (positive 3), `wn5` (negative 5); None for level 0 (no span)."""
    if level == 0:
        return None
    return f"wp{level}" if level > 0 else f"wn{-level}"


def level_rgb(level: int) -> tuple[int, int, int]:
    """The opaque colour of a level: its tint blended with white."""
    if level == 0:
        return (255, 255, 255)
    base = POSITIVE_RGB if level > 0 else NEGATIVE_RGB
    k = min(abs(level), LEVELS)
    tint = MIN_TINT + (MAX_TINT - MIN_TINT) * (k - 1) / (LEVELS - 1)
    return tuple(round(255 + (c - 255) * tint) for c in base)  # type: ignore[return-value]


def level_color(level: int) -> str:
    return "#{:02x}{:02x}{:02x}".format(*level_rgb(level))


def level_css(scope: str = "") -> str:
    """CSS rules for every level class, optionally scoped under a selector (for notebook fragments)."""
    prefix = f"{scope} " if scope else ""
    rules = []
    for level in list(range(-LEVELS, 0)) + list(range(1, LEVELS + 1)):
        rules.append(f"{prefix}.{level_class(level)}{{background-color:{level_color(level)}}}")
    return "\n".join(rules) + "\n"


def format_number(value: float, digits: int = 3, signed: bool = False) -> str:
    """A short human number with a true minus sign, for legends and tables."""
    if value == 0:
        return "0"
    text = f"{abs(value):.{digits}g}"
    if value < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def format_weight(value: float | None) -> str:
    """An exact weight for hover titles (ASCII, copyable; the data keeps 7 significant digits)."""
    if value is None:
        return "n/a"
    return f"{value:+.7g}"


@dataclass(frozen=True)
class Scale:
    """One colour scale: its maximum |weight|, a sentence saying which heatmaps it spans, and how many levels
    per sign it is read with.

    Fewer `levels` than LEVELS (paper) must divide LEVELS: read level q is the site's level q·stride, so a
    weight at the centre of a read level gets exactly the colour the site gives it, with the site's classes.
    """

    max: float
    kind: str  # "document" / "layer" / "report" / "heatmap" (a notebook fragment)
    label: str
    levels: int = LEVELS

    def __post_init__(self) -> None:
        if self.levels < 1 or LEVELS % self.levels:
            raise ValueError(f"levels must divide {LEVELS}, got {self.levels}")

    @property
    def stride(self) -> int:
        return LEVELS // self.levels

    def level(self, weight: float | None) -> int:
        """The site level (-LEVELS..LEVELS, a multiple of `stride`) of a weight."""
        q = weight_level(weight, self.max * self.stride)  # |w| / max · levels, rounded half up
        return max(-self.levels, min(self.levels, q)) * self.stride

    @property
    def step(self) -> float:
        return self.max / self.levels

    def bounds(self, level: int) -> tuple[float, float]:
        """The |weight| interval of a site level, signed like the level (for level 0: the dead zone)."""
        q = abs(level) // self.stride
        if level < 0:
            q = -q
        k = abs(q)
        low = max(0.0, (k - 0.5) * self.step)
        high = min(self.max, (k + 0.5) * self.step)
        if q < 0:
            return (-high, -low)
        if q == 0:
            return (-high, high)
        return (low, high)


@dataclass(frozen=True)
class LegendStep:
    level: int
    css_class: str | None
    color: str
    low: float
    high: float
    center: float

    @property
    def title(self) -> str:
        if self.level == 0:
            return f"not highlighted: |weight| < {format_number(self.high)}"
        return f"{format_number(self.low, signed=True)} to {format_number(self.high, signed=True)}"

    @property
    def text(self) -> str:
        return format_number(self.center, digits=2, signed=True)


@dataclass(frozen=True)
class Legend:
    scale: Scale
    steps: tuple[LegendStep, ...]

    @property
    def levels(self) -> int:
        return self.scale.levels

    @property
    def label(self) -> str:
        return self.scale.label[:1].upper() + self.scale.label[1:]

    @property
    def dead_zone(self) -> str:
        return format_number(self.scale.step / 2)

    @property
    def step_text(self) -> str:
        return format_number(self.scale.step)

    @property
    def max_text(self) -> str:
        return format_number(self.scale.max)


def legend(scale: Scale) -> Legend:
    """Every level the scale is read with, from -levels to +levels, with its colour and weight interval."""
    steps = []
    for q in range(-scale.levels, scale.levels + 1):
        level = q * scale.stride
        low, high = scale.bounds(level)
        steps.append(LegendStep(level, level_class(level), level_color(level), low, high, q * scale.step))
    return Legend(scale, tuple(steps))


def max_abs(weights: Iterable[float | None]) -> float:
    best = 0.0
    for w in weights:
        if w is not None and math.isfinite(w):
            best = max(best, abs(w))
    return best


WeightsOf = Callable[["DocumentExplanation", "Heatmap"], "list[float | None]"]


class ScaleBook:
    """The scale of every (document, layer), computed once over the right set of heatmaps.

    `weights_of(doc, heatmap)` lets a derived view (the word-level sums of a character model) get scales
    of its own, computed over its own numbers with the same grouping; `levels` is how many levels per sign its
    scales are read with (fewer on paper).
    """

    def __init__(self, results: "ReportResults", kind: str | None = None, weights_of: WeightsOf | None = None,
                 view: str = "", levels: int = LEVELS):
        kind = kind or results.settings.scale
        if kind not in SCALE_KINDS:
            raise ValueError(f"scale {kind!r}: expected one of {', '.join(SCALE_KINDS)}")
        self.kind = kind
        self.view = view
        self.levels = levels
        maxima: dict[object, float] = {}
        counts: dict[object, set[int]] = {}
        for index, doc in enumerate(results.documents):
            for heatmap in doc.heatmaps:
                weights = weights_of(doc, heatmap) if weights_of else heatmap.weights
                key = self._key(index, heatmap.layer)
                maxima[key] = max(maxima.get(key, 0.0), max_abs(weights))
                counts.setdefault(key, set()).add(index)
        self._maxima = maxima
        self._counts = {key: len(docs) for key, docs in counts.items()}

    def _key(self, doc_index: int, layer: str) -> object:
        if self.kind == "document":
            return ("document", doc_index)
        if self.kind == "layer":
            return ("layer", layer)
        return ("report",)

    def scale(self, doc_index: int, layer: str) -> Scale:
        key = self._key(doc_index, layer)
        value = self._maxima.get(key, 0.0)
        view = f"{self.view} " if self.view else ""
        if self.kind == "document":
            label = f"{view}scale per document: max |weight| over all maps of this sample"
        elif self.kind == "layer":
            n = self._counts.get(key, 0)
            label = f"{view}scale per layer: max |weight| over all maps of layer {layer} ({n} samples)"
        else:
            label = f"{view}scale per report: max |weight| over every map of every sample and layer"
        return Scale(value, self.kind, label, self.levels)


def heatmap_scale(heatmap: "Heatmap") -> Scale:
    """A scale spanning one heatmap alone (notebook fragments)."""
    return Scale(max_abs(heatmap.weights), "heatmap", "scale: max |weight| of this map")

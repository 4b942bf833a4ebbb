"""The colour scale: weight → level → colour, the CSS classes, the legend, and which heatmaps share a scale.

Hue carries the sign, lightness the magnitude. A palette (`PALETTES`; the spec's `explain.palette`) gives each
sign LEVELS opaque colours on one CIELCh(ab) ramp: L* falls evenly from 93 (level 1) to 58 (level LEVELS),
chroma grows from 10 to 60 (clipped to 97 % of what sRGB holds at that L* and hue), the same L* for both
signs. L* 58 is the darkest a level may be: every level keeps ≥ 4.5:1 contrast (WCAG AA) with INK, which
every highlighted token is drawn in. The default `safe` palette is blue (toward the label) / orange (away from
it), two hues that stay apart under deuteranopia and protanopia; `red-green` keeps the classic hues for teams
that want them (they merge for a red-green colour-blind reader). Where hue is lost (grayscale print, a
monochrome screen, a colour-blind reader of `red-green`) the sign is still drawn: negative levels carry a
dotted underline. Colours are opaque, because WeasyPrint makes every span with `opacity` its own PDF object
(files ten times larger, measured; pypdf could not open 300-page ones).

A scale has a maximum |weight| `m`; a weight `w` gets the level `k = round(|w| / m * LEVELS)` (halves round
up, clipped to LEVELS) with the sign of `w`, so level `k` covers |w| in [(k - 0.5) m / LEVELS,
(k + 0.5) m / LEVELS). Level 0 — |w| below half a step, or up to a scale's floor (the lead map's is the
document's median |w|) — is not highlighted at all.

Which heatmaps share one maximum is the report's `scale` setting: `document` (all maps of one document),
`layer` (all maps of one layer, across documents — the default: samples compare fairly at a layer) or
`report` (every map). A shared maximum is robust, like the lead map's: the 95th percentile of |weight| over
every token of every map it spans (`robust_max`), so one outlying token or sample cannot flatten the others;
stronger weights clip to the top level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    from reportgen.results import DocumentExplanation, Heatmap, ReportResults

LEVELS = 8
INK = "#1b1f24"  # the text colour (CSS `--ink`) every level's contrast is measured against
SCALE_KINDS = ("document", "layer", "report")
MINUS = "\u2212"


@dataclass(frozen=True)
class Palette:
    """Level colours per sign (index k - 1 for level k) and the words a legend uses for them."""

    name: str
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    positive_name: str
    negative_name: str


# Generated once from the ramp the module docstring describes (hues: blue 265°, orange 60°, green 145°,
# red 32°) and written out, so a colour never depends on floating point at build time.
PALETTES = {
    "safe": Palette(
        "safe",
        ("#dfecfe", "#c8dffd", "#afd2fc", "#94c5fa", "#76b8f9", "#50acf8", "#1da0f1", "#1992dd"),
        ("#fce7db", "#f8d6c1", "#f3c6a8", "#eeb58f", "#e7a577", "#e0955f", "#d78447", "#ce752e"),
        "blue", "orange"),
    "red-green": Palette(
        "red-green",
        ("#dfefe0", "#c8e4ca", "#b1d9b4", "#9acd9f", "#83c28a", "#6bb675", "#50ab60", "#309f4c"),
        ("#fee6e2", "#fed3cd", "#fdc0b8", "#faaea3", "#f69b90", "#f2887c", "#ec7569", "#e66157"),
        "green", "red"),
}
DEFAULT_PALETTE = "safe"
# The sign's non-colour cue. A border, not text-decoration: it shows on the legend's empty swatch cells too,
# and WeasyPrint and Chromium draw it alike.
NEGATIVE_CUE = "border-bottom:0.14em dotted var(--ink)"
# The same cue on paper: WeasyPrint draws a one-side dotted border as one clipped path per dot (a 23-page
# character-level PDF was 11 MB, and drawing it was a quarter of a word page's time); a dotted underline is one
# dashed line per run.
PRINT_NEGATIVE_CUE = "text-decoration:underline dotted var(--ink)"
NEGATIVE_CUE_WORDS = "dotted underline"


def palette(name: str | None = None) -> Palette:
    try:
        return PALETTES[name or DEFAULT_PALETTE]
    except KeyError:
        raise ValueError(f"palette {name!r}: expected one of {', '.join(PALETTES)}") from None


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


def level_property(level: int) -> str:
    """The CSS custom property holding a level's colour: `--level-p3`, `--level-n5`."""
    return f"--level-{'p' if level > 0 else 'n'}{abs(level)}"


def level_color(level: int, palette_name: str | None = None) -> str:
    """The opaque colour of a level as #rrggbb (white for level 0)."""
    if level == 0:
        return "#ffffff"
    p = palette(palette_name)
    return (p.positive if level > 0 else p.negative)[min(abs(level), LEVELS) - 1]


def level_rgb(level: int, palette_name: str | None = None) -> tuple[int, int, int]:
    colour = level_color(level, palette_name)
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def level_css(scope: str = "", palette_name: str | None = None, negative_cue: str = NEGATIVE_CUE) -> str:
    """The level colours as custom properties, the level classes that use them, and the negative cue.

    `scope` (a selector, for notebook fragments) takes the place of `:root` and prefixes every class.
    Highlighted tokens are drawn in `--ink` whatever the page's text colour, so the contrast holds.
    """
    prefix = f"{scope} " if scope else ""
    levels = list(range(1, LEVELS + 1)) + list(range(-1, -LEVELS - 1, -1))
    props = [f"--ink:{INK}"] + [f"{level_property(k)}:{level_color(k, palette_name)}" for k in levels]
    rules = [f"{scope or ':root'}{{{';'.join(props)}}}"]
    for k in levels:
        rules.append(f"{level_selector(k, prefix)}{{background-color:var({level_property(k)})}}")
    rules.append(",".join(level_selector(k, prefix) for k in levels) + "{color:var(--ink)}")
    rules.append(",".join(level_selector(k, prefix) for k in levels if k < 0) + f"{{{negative_cue}}}")
    return "\n".join(rules) + "\n"


def level_selector(level: int, prefix: str = "") -> str:
    """What a level's colour applies to: its class (legends, chips, paper's runs) and, on the site, a
    highlighted run, which carries only its `data-level` (`render.html.segments_html`)."""
    return f'{prefix}.{level_class(level)},{prefix}mark[data-level="{level}"]'



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
    palette: str = DEFAULT_PALETTE  # which colours the legend names (the stylesheet draws the same)
    # |weight| below this stays plain even past half a level: the lead map's floor is the document's median
    # |weight|, so at most half a text is tinted and what stands out is what the map ranks high
    floor: float = 0.0

    def __post_init__(self) -> None:
        if self.levels < 1 or LEVELS % self.levels:
            raise ValueError(f"levels must divide {LEVELS}, got {self.levels}")

    @property
    def stride(self) -> int:
        return LEVELS // self.levels

    def level(self, weight: float | None) -> int:
        """The site level (-LEVELS..LEVELS, a multiple of `stride`) of a weight."""
        if weight is not None and self.floor and abs(weight) <= self.floor:
            return 0  # the median itself stays plain too: then fewer than half the tokens are tinted
        q = weight_level(weight, self.max * self.stride)  # |w| / max · levels, rounded half up
        return max(-self.levels, min(self.levels, q)) * self.stride

    def levels_of(self, weights: Sequence[float | None]) -> list[int]:
        """`level` of every weight at once: a character map has tens of thousands, and one Python call each was
        the largest cost of a character-level site. The same float operations in the same order as
        `weight_level`, so every level is the one `level` gives."""
        values = np.array(weights, dtype=float)  # None -> nan, which gets level 0 like None
        if not values.size:
            return []
        magnitude = np.abs(values)
        scale_max = self.max * self.stride
        levels = np.zeros(values.shape, dtype=np.int64)
        if scale_max > 0:
            finite = np.isfinite(values)
            steps = np.floor(magnitude[finite] / scale_max * LEVELS + 0.5)
            q = np.minimum(np.minimum(LEVELS, steps), self.levels).astype(np.int64)
            levels[finite] = np.where(values[finite] > 0, q, -q)
        if self.floor:
            levels[magnitude <= self.floor] = 0
        return (levels * self.stride).tolist()

    @property
    def step(self) -> float:
        return self.max / self.levels

    @property
    def dead_zone(self) -> float:
        """|weight| below this is not highlighted: half a level, or the floor when that is higher."""
        return max(self.step / 2, self.floor)

    def bounds(self, level: int) -> tuple[float, float]:
        """The |weight| interval of a site level, signed like the level (for level 0: the dead zone)."""
        q = abs(level) // self.stride
        if level < 0:
            q = -q
        k = abs(q)
        low = max(0.0, (k - 0.5) * self.step, self.floor if k else 0.0)
        high = min(self.max, max((k + 0.5) * self.step, low)) if k else min(self.max, self.dead_zone)
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
class LegendSide:
    """One sign as a legend names it: a sample of its colour (and cue), and which way its words push."""

    level: int
    colour: str  # the hue's name: "blue"
    cue: str  # the non-colour cue's name, "" for none
    direction: str  # "toward", "away from", or both when counterfactual and plain maps share the legend

    @property
    def css_class(self) -> str | None:
        return level_class(self.level)


@dataclass(frozen=True)
class Legend:
    """A scale as a legend shows it: only the half its maps can use (`signed` False: relu maps, which
    cannot be negative), naming the label the maps explain (`target`; None when the maps explain several)."""

    scale: Scale
    steps: tuple[LegendStep, ...]
    target: str | None = None
    signed: bool = True
    counterfactual: bool | None = False  # None: some maps are counterfactual, some not
    targets: tuple[str, ...] = ()  # the label of each map the legend covers, in page order

    @property
    def levels(self) -> int:
        return self.scale.levels

    @property
    def label(self) -> str:
        return self.scale.label[:1].upper() + self.scale.label[1:]

    @property
    def dead_zone(self) -> str:
        return format_number(self.scale.dead_zone)

    @property
    def step_text(self) -> str:
        return format_number(self.scale.step)

    @property
    def max_text(self) -> str:
        return format_number(self.scale.max)

    @property
    def range_text(self) -> str:
        """The weights the legend spans, low to high: "−0.8 … 0 … +0.8", or "0 … +0.8" for one half."""
        top = format_number(self.scale.max, signed=True) if self.scale.max else "0"
        if not self.signed:
            return f"0 \u2026 {top}"
        return f"{format_number(-self.scale.max)} \u2026 0 \u2026 {top}"

    @property
    def target_text(self) -> str:
        return self.target if self.target is not None else "the map's label"

    @property
    def target_parts(self) -> tuple[tuple[str, str], ...]:
        """The label(s) a legend's words push toward, as (label, plain words after it) for the template to set
        the labels in bold. One label: itself. Maps of several labels, one map each (the lead on a wrong
        prediction): which map explains which ("positive" " in the first map, " "negative" " in the second").
        More maps than labels (a layer's grid): the labels, and that each map's caption names its own."""
        if self.target is not None or not self.targets:
            return ((self.target_text, ""),)
        labels = tuple(dict.fromkeys(self.targets))
        if len(labels) == 1:
            return ((labels[0], ""),)
        if len(labels) == len(self.targets) <= len(_ORDINALS):
            wheres = [f" in the {_ORDINALS[0]} map"] + [f" in the {o}" for o in _ORDINALS[1:len(labels)]]
            return tuple((label, where + (", " if i < len(labels) - 1 else ""))
                         for i, (label, where) in enumerate(zip(labels, wheres)))
        joins = [", "] * (len(labels) - 2) + [" or "]
        return tuple(zip(labels, joins + [" (each map's caption names its label)"]))

    @property
    def sides(self) -> tuple[LegendSide, ...]:
        """Positive first, then (signed maps only) negative. A counterfactual map negates the gradient, so
        its positive weights push the score down: away from the label."""
        p = palette(self.scale.palette)
        middle = max(1, self.levels // 2) * self.scale.stride  # a mid-strength sample: the hue is clear
        if self.counterfactual is None:
            toward, away = "toward (on counterfactual maps: away from)", "away from (on counterfactual maps: toward)"
        elif self.counterfactual:
            toward, away = "away from", "toward"
        else:
            toward, away = "toward", "away from"
        sides = [LegendSide(middle, p.positive_name, "", toward)]
        if self.signed:
            sides.append(LegendSide(-middle, p.negative_name, NEGATIVE_CUE_WORDS, away))
        return tuple(sides)


_ORDINALS = ("first", "second", "third", "fourth")


def legend(scale: Scale, target: str | None = None, signed: bool = True,
           counterfactual: bool | None = False, targets: Iterable[str] = ()) -> Legend:
    """The levels the scale is read with (-levels..+levels; 0..+levels when `signed` is False, as on relu
    maps), each with its colour and weight interval. `target` names the one label all maps explain; for maps of
    several labels, `targets` gives each map's label in page order, and the legend names them all."""
    steps = []
    for q in range(-scale.levels if signed else 0, scale.levels + 1):
        level = q * scale.stride
        low, high = scale.bounds(level)
        steps.append(LegendStep(level, level_class(level), level_color(level, scale.palette), low, high,
                                q * scale.step))
    return Legend(scale, tuple(steps), target, signed, counterfactual, tuple(targets))


def max_abs(weights: Iterable[float | None]) -> float:
    best = 0.0
    for w in weights:
        if w is not None and math.isfinite(w):
            best = max(best, abs(w))
    return best


ROBUST_PERCENTILE = 95  # the lead map's scale: this percentile of |weight|, so one token cannot flatten the rest


def robust_max(weights: Iterable[float | None], percentile: float = ROBUST_PERCENTILE) -> float:
    """The `percentile`-th percentile of |weight| over the finite weights (numpy's linear interpolation); the
    plain maximum when that percentile is 0 (a map that is zero almost everywhere still shows its few
    tokens), 0 for no weights. Weights above it get the top level."""
    return _robust_max(_sorted_magnitudes(weights), percentile)


def _robust_max(values: np.ndarray, percentile: float) -> float:
    if not values.size:
        return 0.0
    value = _percentile(values, percentile)
    return value if value > 0 else float(values[-1])


def _sorted_magnitudes(weights: Iterable[float | None]) -> np.ndarray:
    """|weight| of the finite weights, ascending (numpy: a scale pools millions of character weights)."""
    values = np.array(weights if isinstance(weights, (list, tuple)) else list(weights), dtype=float)
    values = np.abs(values[np.isfinite(values)])  # None became nan and leaves with the non-finite weights
    values.sort()
    return values


def _percentile(values: Sequence[float], percentile: float) -> float:
    """numpy's default (linear) percentile of sorted, non-empty `values`, in this formula's own float order (not
    np.percentile's, which rounds some interpolations differently in the last bit)."""
    position = percentile / 100 * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    low_value, high_value = float(values[low]), float(values[high])
    return low_value + (high_value - low_value) * (position - low)


def lead_scale(weights: Iterable[float | None], palette_name: str | None = None,
               percentile: float = ROBUST_PERCENTILE) -> Scale:
    """A per-document scale for the lead map: its maximum is the `percentile`-th percentile of |weight| over
    the document's tokens (`robust_max`), read with the site's LEVELS on screen and on paper alike."""
    magnitudes = _sorted_magnitudes(weights)
    value = _robust_max(magnitudes, percentile)
    floor = min(_percentile(magnitudes, 50.0), value) if magnitudes.size else 0.0
    label = (f"scale: {percentile:g}th percentile of |weight| in this document = {format_number(value)}; "
             "stronger weights get the top level; weights up to the document's median |weight| "
             f"({format_number(floor)}) stay plain")
    return Scale(value, "document", label, LEVELS, palette(palette_name).name, floor)


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
        self.palette = palette(results.settings.palette).name
        self.view = view
        self.levels = levels
        pooled: dict[object, list[float | None]] = {}
        counts: dict[object, set[int]] = {}
        for index, doc in enumerate(results.documents):
            for heatmap in doc.heatmaps:
                weights = weights_of(doc, heatmap) if weights_of else heatmap.weights
                key = self._key(index, heatmap.layer)
                pooled.setdefault(key, []).extend(weights)  # None and non-finite weights leave in robust_max
                counts.setdefault(key, set()).add(index)
        # one robust maximum per group: the ROBUST_PERCENTILE-th percentile of |weight| over every token of
        # every map the group spans, so one outlying token (or one loud sample) cannot flatten the rest
        self._maxima = {key: robust_max(weights) for key, weights in pooled.items()}
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
        robust = f"{ROBUST_PERCENTILE}th percentile of |weight|"
        if self.kind == "document":
            spans = "over all maps of this sample"
        elif self.kind == "layer":
            spans = f"over all maps of layer {layer} ({self._counts.get(key, 0)} samples)"
        else:
            spans = "over every map of every sample and layer"
        label = (f"{view}scale per {self.kind}: {robust} {spans} = {format_number(value)}; "
                 "stronger weights get the top level")
        return Scale(value, self.kind, label, self.levels, self.palette)


def heatmap_scale(heatmap: "Heatmap") -> Scale:
    """A scale spanning one heatmap alone (notebook fragments)."""
    return Scale(max_abs(heatmap.weights), "heatmap", "scale: max |weight| of this map")

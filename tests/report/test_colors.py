"""The colour scale against hand computations: levels, colours, CSS classes, legend, scale groups."""

from __future__ import annotations

import math
import re

import pytest

from reportgen.report import colors
from reportgen.report.colors import Scale, ScaleBook, level_class, level_color, weight_level
from reportgen.results import (DocumentExplanation, Heatmap, InputInfo, LayerInfo, ModelInfo, Prediction,
                               ReportResults, ReportSettings, Token)


@pytest.mark.parametrize("weight, expected", [
    (0.0, 0), (0.06, 0),          # 0.06 * 8 = 0.48: below half a step, not highlighted
    (0.0625, 1),                  # exactly half a step rounds up
    (0.1875, 2),                  # 1.5 steps rounds up to 2
    (0.3, 2), (-0.3, -2),         # 2.4 steps
    (0.99, 8), (1.0, 8),
    (1.5, 8), (-5.0, -8),         # beyond the scale: clipped
    (None, 0), (float("nan"), 0), (float("inf"), 0),
])
def test_levels_on_a_unit_scale(weight, expected):
    assert weight_level(weight, 1.0) == expected


def test_levels_scale_with_the_maximum():
    # on a scale of 0.04, one step is 0.005: 0.0123 is 2.46 steps
    assert weight_level(0.0123, 0.04) == 2
    assert weight_level(-0.0399, 0.04) == -8
    assert weight_level(0.0024, 0.04) == 0


def test_an_empty_scale_highlights_nothing():
    assert weight_level(0.3, 0.0) == 0
    assert weight_level(-0.3, -1.0) == 0


def test_class_names_are_valid_css_identifiers():
    assert level_class(3) == "wp3"
    assert level_class(-5) == "wn5"
    assert level_class(0) is None
    ident = re.compile(r"^-?[_a-zA-Z][_a-zA-Z0-9-]*$")
    for level in range(-colors.LEVELS, colors.LEVELS + 1):
        if level:
            assert ident.match(level_class(level))


def test_colours_are_the_palette_tables_by_level():
    # the safe palette's ends, as written in the issue-15 design: blue for, orange against, L* 93 → 58
    assert level_color(1) == "#dfecfe" and level_color(8) == "#1992dd"
    assert level_color(-1) == "#fce7db" and level_color(-8) == "#ce752e"
    assert level_color(0) == "#ffffff"
    assert level_color(-8, "red-green") == "#e66157" and level_color(8, "red-green") == "#309f4c"
    assert colors.level_rgb(-8) == (0xce, 0x75, 0x2e)
    css = colors.level_css()
    assert "opacity" not in css and "rgba" not in css and "hsla" not in css
    rules = re.findall(r"\.(w[pn]\d)\{background-color:var\((--level-[pn]\d)\)\}", css)
    assert len(rules) == 2 * colors.LEVELS
    assert all(cls[1:] == prop[-2:] for cls, prop in rules)  # wp3 paints --level-p3
    props = dict(re.findall(r"(--level-[pn]\d):(#[0-9a-f]{6})", css))
    assert props["--level-p1"] == "#dfecfe" and props["--level-n8"] == "#ce752e" and len(props) == 16
    with pytest.raises(ValueError, match="palette 'rainbow'"):
        level_color(1, "rainbow")


def test_stronger_levels_are_darker_and_ink_stays_readable():
    def luminance(hex_colour):
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    ink = luminance(colors.INK)
    for name in colors.PALETTES:
        for sign in (1, -1):
            lums = [luminance(level_color(sign * k, name)) for k in range(0, colors.LEVELS + 1)]
            assert lums == sorted(lums, reverse=True) and len(set(lums)) == len(lums)
            assert (lums[-1] + 0.05) / (ink + 0.05) >= 4.5  # WCAG AA contrast of the ink on the darkest level


def test_scoped_css_for_fragments():
    css = colors.level_css(scope=".reportgen-fragment")
    assert len(re.findall(r"\.reportgen-fragment \.w[pn]\d\{background-color:", css)) == 2 * colors.LEVELS
    # the custom properties live on the fragment, not on the notebook's :root
    assert css.startswith(".reportgen-fragment{--ink:") and ":root" not in css


def test_level_bounds_by_hand():
    scale = Scale(0.8, "layer", "")  # step 0.1
    assert scale.bounds(3) == pytest.approx((0.25, 0.35))
    assert scale.bounds(-8) == pytest.approx((-0.8, -0.75))
    assert scale.bounds(0) == pytest.approx((-0.05, 0.05))
    # every weight inside a level's bounds gets that level
    for level in range(-8, 9):
        low, high = scale.bounds(level)
        for f in (0.01, 0.5, 0.99):
            assert scale.level(low + (high - low) * f) == level


def test_legend_lists_every_level_with_numbers():
    legend = colors.legend(Scale(0.8, "layer", "x"))
    assert [s.level for s in legend.steps] == list(range(-8, 9))
    assert legend.range_text == "\u22120.8 \u2026 0 \u2026 +0.8"
    assert legend.steps[0].css_class == "wn8" and legend.steps[8].css_class is None
    assert [s.center for s in legend.steps][-1] == pytest.approx(0.8)
    assert legend.steps[-1].text == "+0.8" and legend.steps[0].text == "\u22120.8"
    assert legend.step_text == "0.1" and legend.dead_zone == "0.05"
    assert legend.steps[11].title == "+0.25 to +0.35"


def test_number_formats():
    assert colors.format_number(-0.5) == "\u22120.5"
    assert colors.format_number(0.000123456) == "0.000123"
    assert colors.format_weight(-0.5) == "-0.5"
    assert colors.format_weight(0.123456789) == "+0.1234568"


def _heatmap(layer, weights):
    return Heatmap(layer, 1, "pos", "logit", 1.0, False, False, False, "linear", "linear", weights)


def _results(scale):
    tokens = [Token("a", (0, 1)), Token("b", (2, 3))]
    docs = [
        DocumentExplanation("d0", "a b", tokens, Prediction([0.2, 0.8], [1]),
                            [_heatmap("A", [0.5, -0.1]), _heatmap("B", [-4.0, 1.0])], InputInfo(2)),
        DocumentExplanation("d1", "a b", tokens, Prediction([0.2, 0.8], [1]),
                            [_heatmap("A", [-2.0, None]), _heatmap("B", [1.0, float("nan")])], InputInfo(2)),
    ]
    layers = [LayerInfo("A", 0, "Conv1D", [None, None, 4], True), LayerInfo("B", 1, "LSTM", [None, None, 4], True)]
    model = ModelInfo("m", "m.keras", "binary", ["neg", "pos"], "ids", None, layers, "sigmoid")
    return ReportResults("t", model, docs, ReportSettings(scale=scale))


def test_scale_groups_take_the_max_over_the_right_heatmaps():
    doc_book = ScaleBook(_results("document"))
    assert doc_book.scale(0, "A").max == 4.0 and doc_book.scale(0, "B").max == 4.0
    assert doc_book.scale(1, "A").max == 2.0
    layer_book = ScaleBook(_results("layer"))
    assert layer_book.scale(0, "A").max == 2.0 and layer_book.scale(1, "A").max == 2.0
    assert layer_book.scale(1, "B").max == 4.0
    assert "layer A (2 samples)" in layer_book.scale(0, "A").label
    report_book = ScaleBook(_results("report"))
    assert {report_book.scale(d, layer).max for d in (0, 1) for layer in "AB"} == {4.0}


def test_scale_defaults_to_layer_and_rejects_unknown_kinds():
    results = _results("layer")
    results.settings = ReportSettings()  # the default scale
    assert ScaleBook(results).kind == "layer"
    with pytest.raises(ValueError, match="scale 'sample'"):
        ScaleBook(results, kind="sample")


def test_derived_views_get_their_own_scale():
    book = ScaleBook(_results("layer"), weights_of=lambda doc, h: [2 * (w or 0) for w in h.weights
                                                                     if w is None or math.isfinite(w)])
    assert book.scale(0, "A").max == 4.0

"""The colour scale against hand computations: levels, colours, CSS classes, legend, scale groups."""

from __future__ import annotations

import math
import re

import numpy as np
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
    rules = re.findall(r'\.(w[pn]\d),mark\[data-level="(-?\d)"\]\{background-color:var\((--level-[pn]\d)\)\}', css)
    assert len(rules) == 2 * colors.LEVELS
    assert all(cls[1:] == prop[-2:] for cls, _, prop in rules)  # wp3 paints --level-p3
    # a site run, which has no class, gets its level's colour through its data-level: -3 paints --level-n3
    assert all(prop[-2:] == ("p" if int(level) > 0 else "n") + level.lstrip("-") for _, level, prop in rules)
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
    painted = r'\.reportgen-fragment \.w[pn]\d,\.reportgen-fragment mark\[data-level="-?\d"\]\{background-color:'
    assert len(re.findall(painted, css)) == 2 * colors.LEVELS
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


def _p95(*maps):
    """numpy's 95th percentile of |w| pooled over the finite weights of `maps` (the independent expectation)."""
    pooled = [abs(w) for weights in maps for w in weights if w is not None and math.isfinite(w)]
    return float(np.percentile(pooled, 95))


def test_scale_groups_take_the_robust_max_over_the_right_heatmaps():
    # the maps of _results: d0 A [0.5, -0.1], B [-4.0, 1.0]; d1 A [-2.0, None], B [1.0, nan]
    d0a, d0b, d1a, d1b = [0.5, -0.1], [-4.0, 1.0], [-2.0, None], [1.0, float("nan")]
    doc_book = ScaleBook(_results("document"))
    assert doc_book.scale(0, "A").max == pytest.approx(_p95(d0a, d0b), rel=1e-12)
    assert doc_book.scale(0, "B") == doc_book.scale(0, "A")  # one scale per document, whatever the layer
    assert doc_book.scale(1, "A").max == pytest.approx(_p95(d1a, d1b), rel=1e-12)
    layer_book = ScaleBook(_results("layer"))
    assert layer_book.scale(0, "A").max == pytest.approx(_p95(d0a, d1a), rel=1e-12)
    assert layer_book.scale(1, "A") == layer_book.scale(0, "A")
    assert layer_book.scale(1, "B").max == pytest.approx(_p95(d0b, d1b), rel=1e-12)
    report_book = ScaleBook(_results("report"))
    assert len({report_book.scale(d, layer) for d in (0, 1) for layer in "AB"}) == 1
    assert report_book.scale(1, "B").max == pytest.approx(_p95(d0a, d0b, d1a, d1b), rel=1e-12)
    # each maximum sits below the plain one: the percentile, not the largest |w|, sets the top level
    assert layer_book.scale(0, "A").max < 2.0 and report_book.scale(0, "A").max < 4.0


def test_scale_labels_say_the_percentile_and_its_value():
    top = ScaleBook(_results("layer")).scale(0, "A")
    assert top.label == (f"scale per layer: 95th percentile of |weight| over all maps of layer A (2 samples) = "
                         f"{colors.format_number(top.max)}; stronger weights get the top level")
    doc = ScaleBook(_results("document")).scale(1, "B")
    assert doc.label.startswith("scale per document: 95th percentile of |weight| over all maps of this sample = "
                                f"{colors.format_number(doc.max)};")
    report = ScaleBook(_results("report")).scale(0, "A")
    assert "scale per report: 95th percentile of |weight| over every map of every sample and layer = " \
        f"{colors.format_number(report.max)}; stronger weights get the top level" == report.label


def test_a_shared_scale_pools_every_token_of_every_map_of_the_layer():
    rng = np.random.default_rng(7)
    results = _results("layer")
    maps = [rng.normal(0, 0.3, 2).tolist() for _ in range(40)]
    tokens = results.documents[0].tokens
    results.documents = [DocumentExplanation(f"d{i}", "a b", tokens, Prediction([0.2, 0.8], [1]),
                                             [_heatmap("A", w)], InputInfo(2)) for i, w in enumerate(maps)]
    scale = ScaleBook(results).scale(5, "A")
    assert scale.max == pytest.approx(float(np.percentile(np.abs(maps), 95)), rel=1e-12)
    assert "(40 samples)" in scale.label


def test_one_outlier_no_longer_flattens_the_other_maps_of_a_layer():
    # 20 samples whose |w| spread evenly up to 1, and one map with a single token 50x stronger than the rest
    tokens = [Token(c, (2 * i, 2 * i + 1)) for i, c in enumerate("abcde")]
    text = "a b c d e"
    docs = []
    for i in range(20):
        weights = [(-1) ** k * (0.2 + 0.8 * ((i * 5 + k) % 17) / 16) for k in range(5)]
        docs.append(DocumentExplanation(f"d{i}", text, tokens, Prediction([0.2, 0.8], [1]),
                                        [_heatmap("A", weights)], InputInfo(5)))
    docs.append(DocumentExplanation("loud", text, tokens, Prediction([0.2, 0.8], [1]),
                                    [_heatmap("A", [50.0, 0.1, -0.1, 0.2, 0.0])], InputInfo(5)))
    results = _results("layer")
    results.documents = docs
    scale = ScaleBook(results).scale(0, "A")
    pooled = np.abs([w for d in docs for w in d.heatmaps[0].weights])
    assert scale.max == pytest.approx(float(np.percentile(pooled, 95)), rel=1e-12)
    assert scale.max < 2.0  # the outlier (50) does not set the scale
    assert scale.level(50.0) == colors.LEVELS  # it clips to the top level
    for doc in docs[:-1]:  # every other map still reaches level 2 or more
        assert max(abs(scale.level(w)) for w in doc.heatmaps[0].weights) >= 2, doc.id
    # under the plain maximum the same maps would have stayed at level 0 (the flattening this fixes)
    assert all(colors.weight_level(w, 50.0) == 0 for d in docs[:-1] for w in d.heatmaps[0].weights)


def test_scale_defaults_to_layer_and_rejects_unknown_kinds():
    results = _results("layer")
    results.settings = ReportSettings()  # the default scale
    assert ScaleBook(results).kind == "layer"
    with pytest.raises(ValueError, match="scale 'sample'"):
        ScaleBook(results, kind="sample")


def test_derived_views_get_their_own_scale():
    book = ScaleBook(_results("layer"), weights_of=lambda doc, h: [2 * (w or 0) for w in h.weights
                                                                     if w is None or math.isfinite(w)])
    # layer A doubled, None as 0: |w| pooled = 1.0, 0.2, 4.0, 0.0
    assert book.scale(0, "A").max == pytest.approx(float(np.percentile([1.0, 0.2, 4.0, 0.0], 95)), rel=1e-12)


def test_a_legend_names_the_label_of_every_map_it_covers():
    scale = Scale(1.0, "document", "x")
    assert colors.legend(scale, target="pos").target_parts == (("pos", ""),)
    assert colors.legend(scale, targets=["pos", "pos"]).target_parts == (("pos", ""),)
    # the lead on a wrong prediction: the predicted label's map, then the true label's, one scale
    assert colors.legend(scale, targets=["positive", "negative"]).target_parts == \
        (("positive", " in the first map, "), ("negative", " in the second"))
    # a grid with more maps than labels: every label, and where to read which map explains which
    assert colors.legend(scale, targets=["a", "b", "a", "c", "b"]).target_parts == \
        (("a", ", "), ("b", " or "), ("c", " (each map's caption names its label)"))
    assert colors.legend(scale).target_parts == (("the map's label", ""),)  # the method page's example


def test_the_legend_sentence_sets_each_label_in_bold():
    from reportgen.render import html as site

    env = site.make_environment()
    key = env.from_string('{% import "macros.html" as m %}{{ m.legend_key(lg) }}')
    two = key.render(lg=colors.legend(Scale(1.0, "document", "x"), targets=["positive", "<neg>"]))
    assert ("words push toward <strong>positive</strong> in the first map, <strong>&lt;neg&gt;</strong> in the "
            "second;") in two
    assert ("words push away from <strong>positive</strong> in the first map, <strong>&lt;neg&gt;</strong> in "
            "the second.") in two
    one = key.render(lg=colors.legend(Scale(1.0, "document", "x"), target="pos", signed=False))
    assert "words push toward <strong>pos</strong>." in one and "away" not in one

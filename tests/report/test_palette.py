"""The palette as a reader meets it, checked from the emitted CSS and HTML with formulas written here:

- every level colour has ≥ 4.5:1 contrast (WCAG 2 relative luminance) with `--ink`;
- the two signs stay apart at every level for a deuteranope and a protanope (Machado, Oliveira & Fernandes
  2009, severity 1.0, applied in linear RGB; distance ΔE*ab 1976 in CIELAB, D65);
- lightness carries the magnitude (darker with |level|, the same for both signs), and where hue is lost
  (grayscale) the negative levels still carry their cue;
- legends name the label and show only the half a map can use;
- highlighted tokens carry `data-level` and `data-w`, checked against levels computed here by hand.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pytest

from reportgen.render import html as site
from reportgen.report import colors
from reportgen.report.spans import align_weights
from reportgen.report.structure import Orders, plan_site
from reportgen.report.views import Views, make_panel
from reportgen.spec import choices
from tests.fakes import make_results

MIN_CONTRAST = 4.5
MIN_CVD_DELTA_E = 10.0  # ΔE*ab between the signs at one level, after simulation

# Machado et al. 2009, Table 1, severity 1.0 (linear RGB → simulated linear RGB).
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968),
                (0.280085, 0.672501, 0.047413),
                (-0.011820, 0.042940, 0.968881))
PROTANOPIA = ((0.152286, 1.052583, -0.204868),
              (0.114503, 0.786281, 0.099216),
              (-0.003882, -0.048116, 1.051998))


# ---- colour science, written out -------------------------------------------------------------------

def srgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    r, g, b = (linear(c) for c in srgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(rgb_linear: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb_linear
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def simulate(hex_colour: str, matrix) -> tuple[float, float, float]:
    rgb = [linear(c) for c in srgb(hex_colour)]
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in matrix)  # type: ignore


def delta_e(a: str, b: str, matrix=None) -> float:
    if matrix is None:
        return math.dist(lab(tuple(linear(c) for c in srgb(a))), lab(tuple(linear(c) for c in srgb(b))))
    return math.dist(lab(simulate(a, matrix)), lab(simulate(b, matrix)))


def lightness(hex_colour: str) -> float:
    return lab(tuple(linear(c) for c in srgb(hex_colour)))[0]  # type: ignore[arg-type]


# ---- what the stylesheets say ----------------------------------------------------------------------

def custom_properties(css: str) -> dict[str, str]:
    return dict(re.findall(r"(--[a-z0-9-]+)\s*:\s*(#[0-9a-f]{6})", css))


def level_colours(css: str) -> tuple[str, dict[int, str]]:
    """`--ink` and every level's colour, as the stylesheet defines them."""
    props = custom_properties(css)
    levels = {}
    for name, value in props.items():
        m = re.fullmatch(r"--level-([pn])(\d+)", name)
        if m:
            levels[int(m.group(2)) * (1 if m.group(1) == "p" else -1)] = value
    return props["--ink"], levels


def declarations(css: str, selector: str) -> str:
    """Every declaration of the rules whose selector list names `selector`, joined."""
    out = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if selector in [s.strip() for s in selectors.split(",")]:
            out.append(body)
    return ";".join(out)


@pytest.fixture(scope="module", params=sorted(choices.PALETTES))
def palette_css(request):
    return request.param, site.site_css(request.param)


def test_the_spec_offers_exactly_the_palettes_the_colours_module_draws():
    assert set(choices.PALETTES) == set(colors.PALETTES)
    assert colors.DEFAULT_PALETTE == "safe"


def test_every_level_has_aa_contrast_with_the_ink(palette_css):
    name, css = palette_css
    ink, levels = level_colours(css)
    assert sorted(levels) == [k for k in range(-colors.LEVELS, colors.LEVELS + 1) if k]
    worst = min(contrast(ink, colour) for colour in levels.values())
    assert worst >= MIN_CONTRAST, (name, worst)
    # and the highlighted text is drawn in that ink, whatever the page's text colour
    for k in levels:
        assert re.search(r"color\s*:\s*var\(--ink\)", declarations(css, f".{colors.level_class(k)}"))


def test_print_stylesheet_has_the_same_colours_and_ink():
    from reportgen.render.pdf import print_css

    for name in choices.PALETTES:
        assert level_colours(print_css(name)) == level_colours(site.site_css(name))
    assert "color: var(--ink)" in print_css()


def test_lightness_carries_the_magnitude(palette_css):
    _, css = palette_css
    _, levels = level_colours(css)
    for sign in (1, -1):
        ls = [lightness(levels[sign * k]) for k in range(1, colors.LEVELS + 1)]
        steps = [a - b for a, b in zip(ls, ls[1:])]
        assert min(steps) >= 3, steps  # each level visibly darker than the one below
        assert ls[0] <= 95  # level 1 still shows on white
    for k in range(1, colors.LEVELS + 1):
        # one magnitude, one grey: in grayscale a level reads the same whatever its sign (the cue tells it)
        assert abs(lightness(levels[k]) - lightness(levels[-k])) <= 1


@pytest.mark.parametrize("matrix", [DEUTERANOPIA, PROTANOPIA], ids=["deuteranopia", "protanopia"])
def test_signs_stay_apart_under_colour_vision_deficiency(matrix):
    _, levels = level_colours(site.site_css("safe"))
    distances = [delta_e(levels[k], levels[-k], matrix) for k in range(1, colors.LEVELS + 1)]
    assert min(distances) >= MIN_CVD_DELTA_E, [round(d, 1) for d in distances]
    # the simulation does tell colours apart that merge for these readers: the red-green palette's pairs do
    _, classic = level_colours(site.site_css("red-green"))
    merged = [delta_e(classic[k], classic[-k], matrix) for k in range(1, 4)]
    assert min(merged) < MIN_CVD_DELTA_E
    # unsimulated, both palettes keep their signs apart
    assert min(delta_e(classic[k], classic[-k]) for k in range(1, colors.LEVELS + 1)) >= MIN_CVD_DELTA_E


def test_negative_levels_carry_a_cue_that_survives_grayscale(palette_css):
    _, css = palette_css
    for k in range(1, colors.LEVELS + 1):
        negative = declarations(css, f".wn{k}")
        positive = declarations(css, f".wp{k}")
        assert re.search(r"border-bottom\s*:[^;]*\bdotted\b[^;]*var\(--ink\)", negative), k
        assert "border" not in positive and "text-decoration" not in positive
    # the legend draws the cue on its negative swatches too
    assert re.search(r'\.legend-swatches td\[class\^="wn"\]\s*\{[^}]*dotted', css)


def test_the_pdf_draws_the_cue_on_its_legend():
    from reportgen.render.pdf import print_css

    assert re.search(r'\.legend tr\.swatches td\[class\^="wn"\]\s*\{[^}]*dotted', print_css())


def test_the_pdf_draws_the_negative_cue_as_a_dotted_underline():
    # on paper the cue is a dotted underline, not a dotted border (WeasyPrint draws that dot by dot)
    from reportgen.render.pdf import print_css

    css = print_css()
    for k in range(1, colors.LEVELS + 1):
        negative, positive = declarations(css, f".wn{k}"), declarations(css, f".wp{k}")
        assert re.search(r"text-decoration\s*:[^;]*\bunderline\b[^;]*\bdotted\b[^;]*var\(--ink\)", negative), k
        assert "border" not in negative and "border" not in positive and "text-decoration" not in positive


# ---- legends ---------------------------------------------------------------------------------------

def _legends(page: str) -> list[str]:
    return re.findall(r'<figure class="legend">.*?</figure>|<p class="legend-compact">.*?</p>', page, re.S)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    results = make_results(n_docs=3, seed=5, relu=(True,), nasty=False, targets="predicted")
    out = tmp_path_factory.mktemp("relu-site")
    site.render_site(results, out)
    return results, out


def test_a_relu_maps_legend_has_no_negative_half(built):
    results, out = built
    pages = [p for p in plan_site(results).sample_paths]
    for path in pages:
        page = (out / path).read_text(encoding="utf-8")
        legends = _legends(page)
        assert legends
        for legend in legends:
            assert not re.search(r'class="wn\d', legend), legend
            assert "\u2212" not in legend  # no negative numbers
            assert "orange" not in legend and "dotted underline" not in legend
            assert "blue</span> words push toward <strong>" in legend


def test_a_signed_legend_names_the_label_and_both_hues():
    results = make_results(n_docs=2, seed=3, relu=(False,), nasty=False)
    views = Views(results, Orders.of(results))
    panel = views.sample(0)["main"]
    legend = panel.legend
    assert legend.target == panel.heatmap.target_label and legend.signed
    assert [s.level for s in legend.steps] == list(range(-colors.LEVELS, colors.LEVELS + 1))
    [toward, away] = legend.sides
    assert (toward.colour, toward.direction, toward.level > 0) == ("blue", "toward", True)
    assert (away.colour, away.cue, away.direction, away.level < 0) == ("orange", "dotted underline", "away from",
                                                                      True)
    html = site.make_environment().from_string('{% import "macros.html" as m %}{{ m.legend(lg) }}').render(
        lg=legend)
    label = panel.heatmap.target_label
    assert f"words push toward <strong>{label}</strong>" in html
    assert f"words push away from <strong>{label}</strong>" in html
    assert 'class="wn4 legend-key">orange, dotted underline</span>' in html


def test_the_red_green_palette_is_named_in_its_legends():
    results = make_results(n_docs=2, seed=3, relu=(False,), nasty=False)
    results.settings.palette = "red-green"
    legend = Views(results, Orders.of(results)).sample(0)["main"].legend
    assert [s.colour for s in legend.sides] == ["green", "red"]
    assert legend.steps[0].color == "#e66157"


# ---- data hooks ------------------------------------------------------------------------------------

class _Hooks(HTMLParser):
    """Character ranges of the text, with the level and weights of the highlighted span covering them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.spans: list[tuple[int, int, int, list[float], int, str]] = []  # start, end, level, w, tokens, class
        self.chips: list[tuple[str, int, float]] = []
        self._open: list[tuple[int, dict] | None] = []
        self._chip: dict | None = None
        self._in_text = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div":
            self._in_text = a.get("class") == "text"
        if tag not in ("span", "mark"):  # the site's runs are marks, paper's and chips are spans
            return
        if "chip" in (a.get("class") or "").split():
            self._chip = a
            self._open.append(None)
            return
        self._open.append((len(self.text), a))

    def handle_endtag(self, tag):
        if tag not in ("span", "mark"):
            return
        top = self._open.pop()
        if top is None:
            self._chip = None
            return
        start, a = top
        if "data-level" in a:
            self.spans.append((start, len(self.text), int(a["data-level"]), [float(x) for x in a["data-w"].split()],
                               int(a.get("data-tokens", "1")), a.get("class")))

    def handle_data(self, data):
        if self._chip is not None:
            a = self._chip
            if "data-level" in a:
                self.chips.append((data, int(a["data-level"]), float(a["data-w"])))
            return
        if self._in_text:
            self.text += data


def hand_level(w, m):
    if w is None or not math.isfinite(w) or m <= 0:
        return 0
    k = min(colors.LEVELS, math.floor(abs(w) / m * colors.LEVELS + 0.5))
    return k if w > 0 else -k


def test_highlighted_tokens_carry_their_level_and_weight():
    results = make_results(n_docs=4, seed=21, relu=(False,), nasty=False, layers=("conv1d",))
    env = site.make_environment()
    macro = env.from_string('{% import "macros.html" as m %}{{ m.highlighted(hl) }}')
    # scale "layer": the maximum |weight| over every document's map of the layer, computed here
    top = max(abs(w) for d in results.documents for h in d.heatmaps for w in h.weights if w is not None)
    checked = 0
    for doc in results.documents:
        h = doc.heatmaps[0]
        scale = colors.Scale(top, "layer", "")
        parsed = _Hooks()
        parsed.feed(str(macro.render(hl=make_panel(doc, h, scale, "").highlight)))
        assert parsed.text == doc.text
        weights = align_weights(doc.tokens, h.weights, doc.input.truncating_side)
        for token, w in zip(doc.tokens, weights):
            level = hand_level(w, top)
            if token.span is None:
                if level:
                    assert (token.text, level, pytest.approx(w, rel=1e-6)) in parsed.chips
                continue
            start, end = token.span
            covering = [s for s in parsed.spans if s[0] <= start and end <= s[1]]
            if level == 0:
                assert not covering, (token, w)
                continue
            [(_, _, shown, ws, tokens, css_class)] = covering
            assert shown == level and css_class is None  # a site run is coloured through its data-level alone
            if tokens == 1:
                assert ws == [pytest.approx(w, rel=1e-6)]
            else:  # a run of several tokens: their smallest and largest weight, one number when equal
                assert min(ws) - 1e-9 <= w <= max(ws) + 1e-9 and len(ws) in (1, 2)
            checked += 1
    assert checked > 20


def test_every_highlight_on_the_built_site_carries_the_hooks(built):
    results, out = built
    for path in plan_site(results).sample_paths:
        page = (out / path).read_text(encoding="utf-8")
        spans = re.findall(r'<span class="(?:chip )?(w[pn]\d)"([^>]*)>', page)
        for css_class, attrs in spans:  # chips: their class and their hooks name one level
            level = int(re.search(r'data-level="(-?\d+)"', attrs).group(1))
            assert colors.level_class(level) == css_class
            assert re.search(r'data-w="[+-]\d', attrs)
        runs = re.findall(r'<mark ([^>]*)>', page)
        assert runs
        css = (out / "assets" / "site.css").read_text(encoding="utf-8")
        for attrs in runs:  # runs: no class, their colour comes from their data-level
            assert "class=" not in attrs
            level = int(re.search(r'data-level="(-?\d+)"', attrs).group(1))
            assert level and re.search(r'data-w="[+-]\d', attrs)
            assert f'mark[data-level="{level}"]{{background-color:var(--level-{"p" if level > 0 else "n"}{abs(level)})}}' in css

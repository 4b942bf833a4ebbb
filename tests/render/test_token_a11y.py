"""Highlighted words on the site are reachable without a mouse and say what they mean (issue 11, item 5).

Every highlighted run (an element with a non-zero `data-level`: one token, or neighbouring tokens of one level)
is focusable and carries an accessible description: its weight or weight range, which way it pushes the label
its map explains, and its token count ("+0.32 toward positive", "+0.12 to +0.3 toward positive, 4 tokens").
The expectations come from the results themselves: each highlighted block's map is found among the document's
heatmaps by the weights the page shows, and the direction follows from the weight's sign and whether that map
is counterfactual. Paper gets none of it.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from reportgen.render.html import render_site, segments_html
from reportgen.report.colors import Scale, format_weight
from reportgen.report.spans import highlight
from reportgen.report.structure import plan_site
from reportgen.results import Token
from tests.fakes import make_results

DESCRIPTION = re.compile(r"^(\S+)(?: to (\S+))? (toward|away from) (.+?)(?:, (\d+) tokens)?$")


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def test_description_by_hand():
    text = 'superb & dull <film>, fine and good'
    tokens = [Token("superb", (0, 6)), Token("dull", (9, 13)), Token("<film>", (14, 20)),
              Token("fine", (22, 26)), Token("and", (27, 30)), Token("good", (31, 35))]
    # on a 0.32 scale with 8 levels a level is 0.04 wide: 0.32 → 8, -0.1 → -3 (rounded), 0.1 and 0.11 → 3
    hl = highlight(text, tokens, [0.32, -0.1, 0.0, 0.1, 0.11, 0.1], Scale(0.32, "document", ""))
    label = 'pos "x" <b>'
    plain = str(segments_html(hl, SimpleNamespace(target_label=label, counterfactual=False)))
    # a run is a <mark> (its role is the element's own), one stop for Tab, coloured by its data-level
    assert ('<mark data-level="8" data-w="+0.32" tabindex="0" aria-description="+0.32 toward pos &#34;x&#34; '
            '&lt;b&gt;">superb</mark>') in plain
    assert 'aria-description="\u22120.1 away from pos &#34;x&#34; &lt;b&gt;"' in plain  # a true minus, as charts
    # three neighbouring words of one level are one run, one stop for Tab, described by their range
    assert ('<mark data-level="3" data-w="+0.1 +0.11" data-tokens="3" '
            'tabindex="0" aria-description="+0.1 to +0.11 toward pos &#34;x&#34; &lt;b&gt;, 3 tokens">'
            'fine and good</mark>') in plain
    assert plain.count('tabindex="0"') == 3  # the unweighted "<film>" is plain text, not a stop for Tab
    assert "title=" not in plain  # hover shows the description (site.css), which says what a title did
    # a counterfactual map's positive weights push the label's score down: the sides swap
    flipped = str(segments_html(hl, SimpleNamespace(target_label="pos", counterfactual=True)))
    assert 'aria-description="+0.32 away from pos"' in flipped
    assert 'aria-description="\u22120.1 toward pos"' in flipped
    assert 'aria-description="+0.1 to +0.11 away from pos, 3 tokens"' in flipped
    # what a sighted reader sees and copies is the text as written
    assert re.sub(r"<[^>]+>", "", plain).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") == text
    # paper: no focus stops, no ARIA
    paper = str(segments_html(hl, SimpleNamespace(target_label="pos", counterfactual=False), titles=False))
    assert "tabindex" not in paper and "aria-" not in paper and "role=" not in paper and "<mark" not in paper


class Blocks(HTMLParser):
    """The highlighted elements of each `.text` block (and of each chips row) of a page, in order."""

    def __init__(self, source: str):
        super().__init__()
        self.blocks: list[list[dict]] = []
        self.depth = 0  # open elements inside the current block
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if self.depth:
            self.depth += 1
            if attrs.get("data-level") not in (None, "0"):
                self.blocks[-1].append({**attrs, "element": tag})
        elif tag == "div" and ("text" in classes or "chips" in classes):
            self.blocks.append([])
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = make_results(n_docs=3, task="multiclass", seed=7, counterfactual=(False, True))
    out = tmp_path_factory.mktemp("a11y") / "report"
    render_site(results, out)
    return results, out


def test_every_highlighted_token_is_focusable_and_described_by_its_map(site):
    results, out = site
    plan = plan_site(results)
    checked = {False: 0, True: 0}
    runs = 0
    pages = [(doc, path) for paths in (plan.sample_paths, plan.maps_paths) for doc, path in zip(results.documents, paths)
             if path is not None]
    for doc, path in pages:
        page = (out / path).read_text(encoding="utf-8")
        for block in Blocks(page).blocks:
            for attrs in block:
                # a run is a <mark>; a chip a span with the mark role
                assert attrs.get("tabindex") == "0" and "mark" in (attrs["element"], attrs.get("role")), attrs
                match = DESCRIPTION.match(attrs.get("aria-description", ""))
                assert match, attrs
                low, high, _, _, count = match.groups()
                # the description names the run's weights (to 3 significant digits; one number where both
                # round alike) and its token count, as its data- hooks do
                told = list(dict.fromkeys(float(f"{float(x):.3g}") for x in attrs["data-w"].split()))
                assert told == [number(low)] + ([number(high)] if high else []), attrs
                assert int(count or 1) == int(attrs.get("data-tokens", "1"))
                assert (number(low) > 0) == (int(attrs["data-level"]) > 0)
                runs += bool(high or count)
            if not block:
                continue
            # the maps whose weights hold every weight the block shows; their label and variant must agree
            shown = {w for a in block for w in a["data-w"].split()}
            maps = {(h.target_label, bool(h.counterfactual)) for h in doc.heatmaps
                    if shown <= {format_weight(w) for w in h.weights if w is not None}}
            if len(maps) != 1:
                continue
            (label, counterfactual), = maps
            for attrs in block:
                weight_text, _, side, named, _ = DESCRIPTION.match(attrs["aria-description"]).groups()
                toward = (number(weight_text) > 0) != counterfactual
                assert (side, named) == ("toward" if toward else "away from", label), (attrs, counterfactual)
            checked[counterfactual] += 1
    assert checked[False] and checked[True], checked  # both kinds of map were checked, not skipped
    assert runs  # merged runs (a range or a count) were among them


def test_paper_carries_no_focus_stops(tmp_path):
    pytest.importorskip("weasyprint")
    from reportgen.render import pdf as pdf_module

    results = make_results(n_docs=2, seed=3, counterfactual=(False, True))
    renderer = pdf_module._Renderer(results, pdf_module.PdfOptions.from_mapping({}), None, None,
                                    pdf_module.PRINT_LEVELS)
    plan = renderer.plan()
    html = renderer.html("single", plan, renderer.sample_views(plan))
    assert 'data-level="' in html  # the hooks are there ...
    assert "tabindex" not in html and "aria-description" not in html and 'role="mark"' not in html  # ... not these


# ---- in Chromium --------------------------------------------------------------------------------------------

FOCUS_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="{src}" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {{
  const d = document.getElementById("f").contentDocument, w = d.defaultView;
  const marks = [...d.querySelectorAll(".text [data-level]")].filter(e => e.dataset.level !== "0");
  const first = marks[0];
  first.focus();
  const after = w.getComputedStyle(first, "::after");
  document.body.setAttribute("data-probe", JSON.stringify({{
    count: marks.length, tabIndexes: [...new Set(marks.map(e => e.tabIndex))],
    focused: d.activeElement === first, description: first.getAttribute("aria-description"),
    bubble: after.content, bubbleShown: after.display !== "none" && after.position === "absolute",
    ring: w.getComputedStyle(first).outlineStyle, text: first.textContent }}));
}});
</script></body></html>"""


@pytest.mark.slow
def test_a_highlighted_word_takes_focus_and_shows_its_description(site, tmp_path, monkeypatch):
    from tests.render import test_browser

    if test_browser.CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    results, out = site
    monkeypatch.setattr(test_browser, "PROBE", FOCUS_PROBE)
    probe, _ = test_browser.look_at(out / plan_site(results).sample_paths[0], 390, tmp_path, height=900)
    assert probe["count"] > 0
    assert probe["tabIndexes"] == [0]  # every highlighted word is in the Tab order
    assert probe["focused"], "focus() did not land on the highlighted word"
    assert DESCRIPTION.match(probe["description"])
    # the bubble (a touch screen's hover) reads the description; "/ ''" keeps it from screen readers
    assert probe["bubble"] == json.dumps(probe["description"], ensure_ascii=False) + ' / ""' and probe["bubbleShown"], probe
    assert probe["ring"] not in ("none", ""), probe
    assert probe["description"] not in probe["text"]  # the word itself is unchanged


def test_hover_shows_the_description_that_replaced_the_title():
    """Runs carry no title (it said what aria-description says): the stylesheet's bubble must show the
    description on hover as on focus, so mouse users keep the weight."""
    from reportgen.render.html import site_css

    css = re.sub(r"/\*.*?\*/", "", site_css(), flags=re.S)
    bubbles = [selectors for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
               if re.search(r"content:\s*attr\(aria-description\)", body)]
    selectors = {s.strip() for group in bubbles for s in group.split(",")}
    assert ('[aria-description][tabindex]:hover::after' in selectors
            and '[aria-description][tabindex]:focus::after' in selectors)

"""Every page of the site on a phone (390 px) and in print, laid out by headless Chromium (issue 11, item 4).

The measurements are the layout's own numbers (scrollWidth, the boxes of the legend's cells) and, for print,
the PDF Chromium prints read back with pypdf; nothing is compared with values the renderer computed.
"""

from __future__ import annotations


import pytest

from reportgen.render.html import render_site
from reportgen.report.structure import plan_site
from tests.render import test_browser
from tests.render.test_browser import CHROMIUM, chromium, look_at
from tests.render.test_metrics_render import results  # noqa: F401  (fake results with metrics and a sanity check)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]

# test_browser's probe, plus the boxes of every legend's swatch cells (by the sign of their level class)
LEGEND_PROBE = test_browser.PROBE.replace(
    "evidence: d.querySelectorAll",
    """legends: [...d.querySelectorAll(".legend-bar")].map(bar => [...bar.querySelectorAll(".legend-swatches td")]
      .map(td => [td.className, ...box(td)])),
    evidence: d.querySelectorAll""")
assert LEGEND_PROBE != test_browser.PROBE, "test_browser's probe changed: update LEGEND_PROBE"


@pytest.fixture(scope="module")
def site(results, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("layout") / "report"
    render_site(results, out)
    return results, out


def phone_pages(results, out):
    plan = plan_site(results, with_metrics=True)
    layer = next(p for p in plan.pages if p.kind == "layer")
    return {"index": out / "index.html", "sample": out / plan.sample_paths[0], "layer": out / layer.path,
            "metrics": out / "metrics.html", "method": out / "method.html", "model": out / "model.html"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["index", "sample", "layer", "metrics", "method", "model"])
def test_no_page_scrolls_sideways_on_a_phone(site, tmp_path, monkeypatch, name):
    """At 390 px the document is no wider than its viewport: wide tables scroll in their own box, charts
    shrink. A legend on the page shows all its swatches, negative and positive halves, inside the viewport
    (before, only the negative half fitted and the rest scrolled inside the legend)."""
    results, out = site
    page = phone_pages(results, out)[name]
    assert results.metrics is not None and "deletion-curve" in (out / "metrics.html").read_text()
    monkeypatch.setattr(test_browser, "PROBE", LEGEND_PROBE)
    probe, _ = look_at(page, 390, tmp_path, height=1600)
    assert probe["clientWidth"] == 390, probe
    assert probe["scrollWidth"] <= probe["clientWidth"], (name, probe["scrollWidth"], probe["wide"])
    for cells in probe["legends"]:
        classes = [c for c, *_ in cells]
        for css_class, left, top, right, bottom in cells:
            assert 0 <= left < right <= probe["clientWidth"] and bottom > top, (css_class, left, right)
        # both halves present and on screen (a relu legend has none of the negative half)
        assert any(c.startswith("wp") for c in classes)
        assert len({(left, top) for _, left, top, *_ in cells}) == len(cells)  # no two swatches on one spot
    if name in ("sample", "layer", "method"):
        assert probe["legends"], f"no legend on the {name} page"
        if name != "layer":  # a layer page may show a relu layer, whose legend has no negative half
            assert any(any(c.startswith("wn") for c, *_ in cells) for cells in probe["legends"])


# ---- print ------------------------------------------------------------------------------------------------

def print_pdf(page, folder):
    pdf = folder / f"{page.stem}.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file() and pdf.stat().st_size > 0
    return pdf


# The page in an iframe with its `@media print` rules switched on for the screen too (CSSOM: each print rule's
# media list gains "screen"), so a script can read the computed styles a printout would get. Headless Chromium's
# --print-to-pdf always prints backgrounds, so the printed PDF cannot show print-color-adjust at work.
PRINT_PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="{src}" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {{
  const d = document.getElementById("f").contentDocument, w = d.defaultView;
  let switched = 0;
  for (const sheet of d.styleSheets) for (const rule of sheet.cssRules)
    if (rule.media && rule.media.mediaText.includes("print")) {{ rule.media.appendMedium("screen"); switched++; }}
  const shown = sel => [...d.querySelectorAll(sel)].map(e => w.getComputedStyle(e).display);
  const spans = [...d.querySelectorAll("[data-level]")].filter(e => e.dataset.level !== "0");
  document.body.setAttribute("data-probe", JSON.stringify({{
    switched, header: shown(".site-header"), footer: shown(".site-footer"), pager: shown(".pager"),
    spans: spans.map(e => [+e.dataset.level, w.getComputedStyle(e).getPropertyValue("print-color-adjust"),
                           w.getComputedStyle(e).backgroundColor]) }}));
}});
</script></body></html>"""


@pytest.mark.slow
def test_print_rules_hide_navigation_and_keep_highlight_colours(site, tmp_path, monkeypatch):
    """Under the print rules the site header, footer and both pagers are not displayed, and every highlighted
    token keeps its level's background (the stylesheet's --level-* colour) with print-color-adjust: exact, so
    it prints without the browser's "background graphics" option."""
    results, out = site
    page = phone_pages(results, out)["sample"]
    monkeypatch.setattr(test_browser, "PROBE", PRINT_PROBE)
    probe, _ = look_at(page, 800, tmp_path, height=1200)
    assert probe["switched"] >= 1, "the stylesheet has no @media print rules"
    assert probe["header"] == ["none"] and probe["footer"] == ["none"] and probe["pager"] == ["none", "none"]
    levels = test_browser.css_levels(out)
    assert probe["spans"] and {level > 0 for level, *_ in probe["spans"]} == {True, False}
    for level, adjust, background in probe["spans"]:
        assert adjust == "exact", (level, adjust)
        assert background == "rgb({}, {}, {})".format(*levels[level]), (level, background)


def print_pdf(page, folder):
    pdf = folder / f"{page.stem}.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.is_file() and pdf.stat().st_size > 0
    return pdf


@pytest.mark.slow
def test_printed_sample_page_has_no_navigation(site, tmp_path):
    """Chromium's own print of the page: the content is there, the site header, pager and footer are not."""
    pypdf = pytest.importorskip("pypdf")
    results, out = site
    page = phone_pages(results, out)["sample"]
    reader = pypdf.PdfReader(str(print_pdf(page, tmp_path)))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Sample" in text and "True label" in text  # the page's content is printed
    for absent in ("previous sample", "next sample", "Made with reportgen", results.title):
        assert absent not in text, absent  # pager, footer, site header (the report title)

"""Open the site in headless Chromium from file:// and check what a reader gets."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reportgen.render.html import render_site
from reportgen.report.colors import level_rgb
from reportgen.report.structure import plan_site
from tests.fakes import make_results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
         "--no-first-run", "--disable-extensions"]


def chromium(*args: str) -> str:
    done = subprocess.run([CHROMIUM, *FLAGS, *args], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Links(HTMLParser):
    def __init__(self, source):
        super().__init__()
        self.links, self.classes = [], []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[k] for k in ("href", "src") if attrs.get(k)]
        self.classes += (attrs.get("class") or "").split()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    results = make_results(n_docs=4, task="multiclass", seed=21)
    out = tmp_path_factory.mktemp("browser") / "report"
    render_site(results, out)
    return results, out


class Scripts(HTMLParser):
    """Every `<script>` element of a page: its attributes and its text."""

    def __init__(self, source):
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._open = False
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append((dict(attrs), ""))
            self._open = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = False

    def handle_data(self, data):
        if self._open:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


SCRIPT_MAY_NOT = ("fetch", "xmlhttprequest", "import(", "eval", "innerhtml", "outerhtml", "document.write")


def check_scripts(html: str, is_index: bool) -> None:
    """The site's one script is the index's sample table (partials/sample_table.js): inline, loading nothing and
    writing no markup; every other page has none, and user text (ids, texts containing `<script>`) stays text."""
    scripts = Scripts(html).scripts
    assert len(scripts) == (1 if is_index else 0), [attrs for attrs, _ in scripts]
    assert html.lower().count("<script") == len(scripts)  # no other tag, even one the parser would not count
    for attrs, text in scripts:
        assert "src" not in attrs and text.strip(), attrs
        assert not [word for word in SCRIPT_MAY_NOT if word in text.lower()]


def check_dom(dom: str, page: Path, root: Path) -> Links:
    check_scripts(dom, page.resolve() == (root / "index.html").resolve())
    parsed = Links(dom)
    for link in parsed.links:
        if link.startswith("https://"):
            continue
        target = (page.parent / link.split("#")[0]).resolve()
        assert target.is_file() and root.resolve() in target.parents, link
    return parsed


def test_index_in_chromium(site):
    results, out = site
    dom = chromium("--dump-dom", (out / "index.html").as_uri())
    parsed = check_dom(dom, out / "index.html", out)
    assert "Confusion matrix" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # the nasty id is text in the DOM, not a script
    assert len([link for link in parsed.links if link.startswith("samples/")]) == 2 * len(results.documents)


def test_sample_page_in_chromium(site, tmp_path):
    results, out = site
    page = out / plan_site(results).sample_paths[1]
    dom = chromium("--dump-dom", page.as_uri())
    parsed = check_dom(dom, page, out)
    assert "legend" in parsed.classes and "legend-bar" in parsed.classes
    doc = results.documents[1]
    k = doc.prediction.predicted[0]
    label = results.model.labels[k].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert f"{label} ({doc.prediction.probabilities[k]:.3f})" in dom
    assert any(re.fullmatch(r"w[pn][1-8]", c) for c in parsed.classes)

    # The stylesheet loads over file:// through its relative link: the strongest level's colour is painted.
    PIL = pytest.importorskip("PIL.Image")
    shot = tmp_path / "sample.png"
    chromium("--window-size=1200,1400", f"--screenshot={shot}", page.as_uri())
    image = PIL.open(shot).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    assert level_rgb(8) in colours or level_rgb(-8) in colours


# ---- a sample page at desktop and phone width (issue 15) -----------------------------------------------------

PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="f" src="{src}" style="border:0;display:block;width:{width}px;height:{height}px"></iframe>
<script>
document.getElementById("f").addEventListener("load", () => {{
  const d = document.getElementById("f").contentDocument, root = d.documentElement;
  const box = e => e ? [e.getBoundingClientRect().left, e.getBoundingClientRect().top,
                        e.getBoundingClientRect().right, e.getBoundingClientRect().bottom].map(Math.round) : null;
  const lead = d.querySelector('[data-role="lead-map"]');
  const wide = [...d.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
    .slice(0, 5).map(e => e.tagName + "." + (e.getAttribute("class") || ""));
  document.body.setAttribute("data-probe", JSON.stringify({{
    clientWidth: root.clientWidth, scrollWidth: root.scrollWidth, lead: box(lead),
    leadLevels: lead ? [...lead.querySelectorAll("[data-level]")].map(e => +e.dataset.level) : [],
    evidence: d.querySelectorAll('[data-role="evidence"] [data-w]').length, wide }}));
}});
</script></body></html>"""


def css_levels(site_root: Path) -> dict[int, tuple[int, int, int]]:
    """Signed level -> RGB, read from the `--level-pK` / `--level-nK` custom properties of the built stylesheet."""
    css = "\n".join(p.read_text() for p in site_root.rglob("*.css"))
    found = {(1 if sign == "p" else -1) * int(k): tuple(int(hexa[i:i + 2], 16) for i in (0, 2, 4))
             for sign, k, hexa in re.findall(r"--level-([pn])(\d+)\s*:\s*#([0-9a-fA-F]{6})\b", css)}
    assert found, "the stylesheet defines no --level-* colours"
    return found


def look_at(page: Path, width: int, folder: Path, height: int = 4000) -> tuple[dict, "object"]:
    """Lay the page out in an iframe exactly `width` CSS px wide (headless Chromium will not make its window
    narrower than 500 px, but an iframe's viewport, media queries included, is what we give it) and return what
    a script in the wrapper measured in the page, plus a screenshot of that viewport as a Pillow image."""
    import json

    PIL = pytest.importorskip("PIL.Image")
    wrapper = folder / f"probe-{width}.html"
    wrapper.write_text(PROBE.format(src=page.as_uri(), width=width, height=height))
    dom = chromium("--allow-file-access-from-files", f"--window-size={max(width, 500)},{height}", "--dump-dom",
                   wrapper.as_uri())
    probe = json.loads(re.search(r'data-probe="([^"]*)"', dom).group(1).replace("&quot;", '"').replace("&amp;", "&"))
    shot = folder / f"shot-{width}.png"
    chromium("--allow-file-access-from-files", f"--window-size={width},{height}", f"--screenshot={shot}",
             wrapper.as_uri())
    assert shot.is_file() and shot.stat().st_size > 0
    image = PIL.open(shot).convert("RGB")
    assert image.size[0] == width
    return probe, image


@pytest.mark.slow
@pytest.mark.parametrize("width", [1366, 390], ids=["desktop", "phone"])
def test_sample_page_renders_its_lead_map_and_evidence(site, tmp_path, width):
    """The sample page, laid out at `width` px: the lead map (`data-role="lead-map"`) and the evidence chart
    (`data-role="evidence"`, one `data-w` element per word) are in the page, and the lead map's pixels carry
    both hues of the palette: for each sign, the colour (read from the stylesheet's custom properties) of at
    least one level the lead map's tokens use is painted inside the lead map's box in the screenshot, so the
    page is neither blank nor unstyled."""
    results, out = site
    page = out / plan_site(results).sample_paths[1]
    probe, image = look_at(page, width, tmp_path)
    assert probe["lead"] is not None, "no data-role=lead-map in the page"
    assert probe["evidence"] > 0, "no evidence chart with data-w words in the page"
    levels = set(probe["leadLevels"])
    assert any(k > 0 for k in levels) and any(k < 0 for k in levels), levels  # a signed map: both signs used

    left, top, right, bottom = probe["lead"]
    assert right > left and bottom > top and bottom <= image.size[1], probe["lead"]
    crop = image.crop((max(left, 0), max(top, 0), min(right, image.size[0]), bottom))
    painted = {c for _, c in crop.getcolors(maxcolors=1 << 22)}
    colours = css_levels(out)
    for sign in (1, -1):
        used = {colours[k] for k in levels if k * sign > 0}
        assert used & painted, f"no {'positive' if sign > 0 else 'negative'} level colour painted in the lead map"
    assert len(painted) > 2  # not one flat fill


@pytest.mark.slow
def test_sample_page_has_no_horizontal_overflow_on_a_phone(site, tmp_path):
    """At 390 px the page must not scroll sideways. A screenshot cannot show this (Chromium clips it to the
    viewport, so the rightmost columns look fine whatever lies beyond), so the check is the layout's own
    number: in a 390 px viewport the document's scrollWidth equals its clientWidth. Boxes that scroll inside
    themselves (`overflow-x: auto`, like the legend) are allowed, since they do not widen the page."""
    results, out = site
    for path in plan_site(results).sample_paths:
        probe, _ = look_at(out / path, 390, tmp_path, height=1200)
        assert probe["clientWidth"] == 390, probe
        assert probe["scrollWidth"] <= probe["clientWidth"], (path, probe["scrollWidth"], probe["wide"])

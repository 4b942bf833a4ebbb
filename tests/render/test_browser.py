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


def check_dom(dom: str, page: Path, root: Path) -> Links:
    assert "<script" not in dom.lower().replace("&lt;script", "")
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

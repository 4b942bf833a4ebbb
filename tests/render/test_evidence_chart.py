"""The evidence chart (render/evidence_chart.py) and where the site and the print HTML show it."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from reportgen.render import html as site
from reportgen.render.evidence_chart import evidence_svg
from reportgen.render.pdf import PRINT_LEVELS, _Renderer
from reportgen.render.pdf_plan import PdfOptions
from reportgen.report import colors
from reportgen.report.evidence import Evidence, EvidenceWord, HOW
from tests.fakes import make_results

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", "a&b\"c'd", "\u202egnp.exe", "nul\x00byte", "x" * 60]


def hostile_evidence() -> Evidence:
    toward = tuple(EvidenceWord(w, 1.0 / (k + 1), 1, k) for k, w in enumerate(HOSTILE))
    away = (EvidenceWord("</svg><b>", -0.25, 2, 9),)
    return Evidence("enc<oder>/lstm", "pos & \"neg\"", "signed", toward, away)


def chart_rows(svg: str) -> list[tuple[str, str, str]]:
    """(data-w, the word's title, the printed number) of each row, read back as XML."""
    root = ET.fromstring(svg)
    assert root.get("data-role") == "evidence"
    rows = []
    for g in root.iter(f"{SVG}g"):
        if g.get("data-w") is not None:
            texts = [t.text for t in g.iter(f"{SVG}text")]
            rows.append((g.get("data-w"), g.find(f"{SVG}title").text, texts[-1]))
    return rows


def test_hostile_words_are_escaped_and_the_svg_is_well_formed():
    ev = hostile_evidence()
    svg = str(evidence_svg(ev))
    assert "<script>" not in svg and "<b>" not in svg and "\u202e" not in svg and "\x00" not in svg
    rows = chart_rows(svg)  # parses: every word, label and layer name escaped
    assert [r[0] for r in rows] == [w.exact for w in ev.words]
    assert rows[0][1].startswith("<script>alert(1)</script>: +1")
    assert rows[1][1].startswith("a&b\"c'd")
    root = ET.fromstring(svg)
    assert root.get("width") == "100%" and root.get("viewBox").startswith("0 0 360 ")
    assert root.find(f"{SVG}title").text == ev.title
    assert "x" * 60 not in "".join(t.text or "" for t in root.iter(f"{SVG}text"))  # long labels are cut


def test_colours_are_the_palettes_strongest_and_away_bars_carry_the_dotted_cue():
    for name in colors.PALETTES:
        ev = Evidence("l", "t", "signed", (EvidenceWord("up", 0.5, 1, 0),), (EvidenceWord("down", -0.4, 1, 1),), name)
        root = ET.fromstring(str(evidence_svg(ev)))
        fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
        assert fills == [colors.palette(name).positive[-1], colors.palette(name).negative[-1]]
        groups = [g for g in root.iter(f"{SVG}g")]
        assert [len(list(g.iter(f"{SVG}line"))) for g in groups] == [0, 1]
        # the cue is a dotted line in the ink: its stroke is its own, its dash pattern the root's (inherited)
        [line] = root.iter(f"{SVG}line")
        assert line.get("stroke") == colors.INK and root.get("stroke-dasharray") and root.get("stroke-width")
        assert all(r.get("stroke") is None for r in root.iter(f"{SVG}rect"))  # bars and words have no outline
        assert all(t.get("stroke") is None for t in root.iter(f"{SVG}text"))


def test_bars_are_to_scale_and_output_is_deterministic():
    ev = Evidence("l", "t", "signed", (EvidenceWord("a", 2.0, 1, 0), EvidenceWord("b", 1.0, 1, 1)),
                  (EvidenceWord("c", -0.5, 1, 2),))
    svg = str(evidence_svg(ev))
    assert svg == str(evidence_svg(ev))
    widths = [float(r.get("width")) for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.1) == pytest.approx(4 * widths[2], abs=0.2)
    assert str(evidence_svg(None)) == "" == str(evidence_svg(Evidence("l", "t", "signed", (), ())))


class EvidenceTable(HTMLParser):
    """The rows of each table.evidence-table: tables[k] = [[cell texts], …], header row included."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._in = self._row = False
        self.feed(source)

    @property
    def rows(self) -> list[list[str]]:
        return self.tables[-1] if self.tables else []

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "evidence-table" in (dict(attrs).get("class") or ""):
            self._in = True
            self.tables.append([])
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self.rows[-1].append("")
            self._row = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        if tag in ("td", "th"):
            self._row = False

    def handle_data(self, data):
        if self._in and self._row:
            self.rows[-1][-1] += data


@pytest.fixture(scope="module")
def results():
    return make_results(n_docs=4, relu=(True, False), nasty=True)


def test_sample_page_has_the_chart_under_the_verdict_and_a_table_with_the_same_numbers(results, tmp_path):
    site.render_site(results, tmp_path)
    pages = sorted((tmp_path / "samples").glob("*.html"))
    assert len(pages) == len(results.documents)
    for page in pages:
        source = page.read_text("utf-8")
        start = source.index('<svg class="evidence-chart"')
        assert source.index('class="labels"') < start < source.index('class="main-map"')
        tables = EvidenceTable(source).tables
        assert len(tables) == source.count('data-role="evidence"') >= 1  # one table per chart
        for table in tables:
            start = source.index('<svg class="evidence-chart"', start)
            svg = source[start:source.index("</svg>", start) + 6]
            rows = chart_rows(svg)
            assert len(rows) == source.count("data-w=", start, start + len(svg)) > 0
            assert [(cells[0], cells[2]) for cells in table[1:]] == [(title.split(": ")[0], number)
                                                                     for _, title, number in rows]
            start += len(svg)
        assert HOW in html.unescape(source)


def test_print_html_shows_the_chart_in_each_sample(results):
    renderer = _Renderer(results, PdfOptions(), None, None, PRINT_LEVELS)
    plan = renderer.plan()
    samples = renderer.sample_views(plan)
    source = html.unescape(renderer.html("single", plan, samples))
    assert source.count('data-role="evidence"') == len(plan.samples) > 0
    for s in samples:
        assert s.evidence is not None and s.evidence.words
    assert source.count(HOW) >= len(plan.samples)


def desc_of(svg: str) -> str:
    return ET.fromstring(svg).find(f"{SVG}desc").text


@pytest.mark.parametrize("ev", [
    hostile_evidence(),
    Evidence("l", "positive", "signed", (EvidenceWord("sissy", 0.9614, 1, 0), EvidenceWord("thumbs", 0.5208, 2, 3)),
             (EvidenceWord("falls", -0.33551, 1, 1),)),
    Evidence("l", "positive", "relu", (EvidenceWord("good", 1.0, 1, 0),), ()),
], ids=["hostile", "plain", "one-sided"])
def test_the_desc_lists_exactly_the_charts_words_and_weights(ev):
    """The chart's text equivalent (issue 15, item 3: the PDF has no hidden table): `<desc>` names each side
    and lists every row of the chart, word and printed weight, in the chart's order, and nothing else."""
    svg = str(evidence_svg(ev))
    rows = chart_rows(svg)
    listed = [(title.split(": ")[0], number) for _, title, number in rows]  # the row's full word, printed weight
    toward, away = listed[:len(ev.toward)], listed[len(ev.toward):]
    side = lambda words: ", ".join(f"{word} {number}" for word, number in words) or "no word"  # noqa: E731
    assert desc_of(svg) == f"toward {ev.target_label}: {side(toward)}; away from {ev.target_label}: {side(away)}"
    assert [n for _, n in listed] == [w.weight_text for w in ev.words]


def test_the_desc_reads_like_the_issues_example():
    ev = Evidence("l", "positive", "signed", (EvidenceWord("sissy", 0.9614, 1, 0), EvidenceWord("thumbs", 0.5208, 2, 3)),
                  (EvidenceWord("falls", -0.33551, 1, 1),))
    assert desc_of(str(evidence_svg(ev))) == ("toward positive: sissy +0.961, thumbs +0.521; "
                                              "away from positive: falls \u22120.336")


def _wrong_and_right():
    from tests.report.test_evidence import hand_results
    return hand_results(true_label=0), hand_results(true_label=1)


def test_a_wrong_predictions_page_and_pdf_sample_show_both_charts_predicted_first(tmp_path):
    wrong, right = _wrong_and_right()
    for results, expected in ((wrong, ["predicted label, positive", "true label, negative"]),
                              (right, ["predicted label, positive"])):
        out = tmp_path / str(len(expected))
        site.render_site(results, out)
        (page,) = sorted((out / "samples").glob("*.html"))
        source = html.unescape(page.read_text("utf-8"))
        renderer = _Renderer(results, PdfOptions(), None, None, PRINT_LEVELS)
        plan = renderer.plan()
        paper = html.unescape(renderer.html("single", plan, renderer.sample_views(plan)))
        for text in (source, paper):
            assert text.count('data-role="evidence"') == len(expected)
            headings = [f"Evidence for the {e}" for e in expected]
            positions = [text.index(h) for h in headings]
            charts = [m.start() for m in re.finditer('data-role="evidence"', text)]
            assert positions == sorted(positions)  # predicted first
            for k, pos in enumerate(positions):  # each heading right before its chart
                assert pos < charts[k] and (k + 1 == len(charts) or charts[k] < positions[k + 1])
                assert f"toward {expected[k].split(', ')[1]}:" in text[charts[k]:]

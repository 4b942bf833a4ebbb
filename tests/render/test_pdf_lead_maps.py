"""No blank map page in report.pdf (issue 15): every sample page that shows a lead map either highlights some
of its tokens or says in words that no weight reaches the first level.

The fake results carry the maps that used to come out blank: one document whose weights are all tiny (1e-9
of the others), one where a single token is an outlier a million times the rest, and one whose map is zero
everywhere (nothing can be highlighted: it must carry the note). The print HTML is the one the renderer hands
to WeasyPrint (captured on its way in); pages come from the PDF read back with pypdf.
"""

from __future__ import annotations

import dataclasses
import io
import re
from html.parser import HTMLParser

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

from reportgen.render import pdf as pdf_module  # noqa: E402
from reportgen.render.pdf import render_pdf  # noqa: E402
from tests.fakes import make_results  # noqa: E402

BLANK_WORDS = "no weight reaches the first level"


def with_weights(doc, change):
    return dataclasses.replace(doc, heatmaps=[dataclasses.replace(h, weights=change(list(h.weights)))
                                              for h in doc.heatmaps])


def outlier(weights):
    weights = [w * 1e-3 for w in weights]
    weights[len(weights) // 2] = 1e3
    return weights


def awkward_results():
    results = make_results(n_docs=5, words=(20, 40), seed=5, max_length=None, nasty=False)
    docs = list(results.documents)
    docs[1] = with_weights(docs[1], lambda ws: [w * 1e-9 for w in ws])
    docs[2] = with_weights(docs[2], outlier)
    docs[3] = with_weights(docs[3], lambda ws: [0.0 for _ in ws])
    return dataclasses.replace(results, documents=docs)


class LeadMaps(HTMLParser):
    """Per sample section (by id): for each `data-role="lead-map…"` element, the data-level values inside it;
    and whether the section has a `data-role="blank-note"` saying no weight reaches the first level."""

    def __init__(self, html: str):
        super().__init__()
        self.samples: dict[str, dict] = {}
        self.section = None
        self.stack: list[str | None] = []  # the data-role of each open element
        self.note_depth = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        role = attrs.get("data-role")
        if tag == "section" and "sample" in (attrs.get("class") or "").split():
            self.section = self.samples.setdefault(attrs["id"], {"maps": [], "notes": []})
        if self.section is not None:
            if role and role.startswith("lead-map"):
                self.section["maps"].append([])
            if role == "blank-note":
                self.section["notes"].append("")
                self.note_depth = len(self.stack)
            if "data-level" in attrs and any(r and r.startswith("lead-map") for r in self.stack):
                self.section["maps"][-1].append(int(attrs["data-level"]))
        if tag not in ("br", "img", "meta", "link", "input", "hr", "wbr"):
            self.stack.append(role)

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None
        if self.stack:
            self.stack.pop()
        if self.note_depth is not None and len(self.stack) <= self.note_depth:
            self.note_depth = None

    def handle_data(self, data):
        if self.note_depth is not None and self.section is not None:
            self.section["notes"][-1] += data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, request):
    results = awkward_results()
    seen: list[str] = []
    real = pdf_module._document

    def capture(html, *args, **kwargs):
        seen.append(html)
        return real(html, *args, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(pdf_module, "_document", capture)
    request.addfinalizer(patch.undo)
    path = tmp_path_factory.mktemp("pdf-lead") / "report.pdf"
    summary = render_pdf(results, path, {"samples": "all"}, None, None, workers=1)
    patch.undo()
    return results, summary, seen[-1], pypdf.PdfReader(io.BytesIO(path.read_bytes()))


def test_every_lead_map_in_the_print_html_is_highlighted_or_says_why_not(rendered):
    results, summary, html, _ = rendered
    sections = LeadMaps(html).samples
    assert len(summary.samples) == len(results.documents)
    with_maps = {sid: s for sid, s in sections.items() if s["maps"]}
    assert len(with_maps) == len(results.documents), sorted(sections)
    blank = 0
    for sid, s in with_maps.items():
        for levels in s["maps"]:  # plain tokens may carry no span at all: an empty list is a blank map too
            if not any(levels):
                blank += 1
        notes = [n for n in s["notes"] if BLANK_WORDS in n.lower()]
        blank_maps = sum(1 for levels in s["maps"] if not any(levels))
        # a note for each map with no highlighted token, and none on a map that shows some
        assert len(notes) == blank_maps, (sid, [sorted(set(x)) for x in s["maps"]], s["notes"])
        for note in notes:
            assert re.search(r"\|w\| < \d", note), note  # it says where the first level starts
    assert blank >= 1  # the all-zero map cannot be highlighted: this test does see the note case
    # tiny and outlying weights are read on the document's own robust scale: still highlighted
    ids = dict(zip(summary.samples, with_maps))  # sections come in the PDF's sample order
    for doc in results.documents[1:3]:
        sid = ids[doc.id]
        assert all(sum(1 for x in levels if abs(x) >= 2) >= 3 for levels in with_maps[sid]["maps"]), doc.id


def test_no_pdf_sample_page_shows_a_blank_map_without_the_note(rendered):
    results, _, html, reader = rendered
    marks = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif item.title.startswith("Sample "):
                marks.append((reader.get_destination_page_number(item), item.title.removeprefix("Sample ")))

    walk(reader.outline)
    marks.sort()
    assert [i for _, i in marks] == [doc.id for doc in results.documents] or \
        sorted(i for _, i in marks) == sorted(doc.id for doc in results.documents)
    texts = [page.extract_text() for page in reader.pages]
    bounds = [p for p, _ in marks] + [len(texts)]
    by_id = {doc.id: doc for doc in results.documents}
    for (start, sid), end in zip(marks, bounds[1:]):
        pages = " ".join(texts[start:end])
        text = " ".join(pages.split()).lower()
        assert "what the model looked at" in text, sid  # the page shows a lead map
        zero = all(w == 0 for h in by_id[sid].heatmaps for w in h.weights)
        # the all-zero document's page says why its map is plain; the others' maps are not blank
        assert (BLANK_WORDS in text) == zero, (sid, text[:300])

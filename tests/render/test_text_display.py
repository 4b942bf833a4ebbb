"""Text that misleads: control and invisible formatting characters in a sample are shown, not obeyed.

A NUL written raw into HTML is a parse error, and a right-to-left override (U+202E) makes the browser show
the following words reversed, in an order the model did not read. The report shows each such character as a
visible `⟨U+202E⟩` badge where it stands, says so in a note on the sample's page (and in the PDF, which uses
the same notes and the same highlighted-text code), and keeps the exact text in explanations.json.
"""

from __future__ import annotations

import json
import os
import re
import textwrap

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from reportgen.report.colors import Scale  # noqa: E402
from reportgen.report.spans import highlight  # noqa: E402
from reportgen.results import Token  # noqa: E402
from reportgen.textsafe import describe_hidden, report_markers  # noqa: E402
from tests.stored import stored_documents

HIDDEN = ("\x00", "\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\ufeff", "\x1b", "\x07")
VOCAB = ["<PAD>", "<START>", "<OOV>", "good", "great", "bad", "awful", "movie", "the", "a", "was"]
RLO_TEXT = "the movie was \u202egood bad\u202c a\x00 great"


def test_segments_show_hidden_characters_as_escaped_badges():
    from reportgen.render.html import segments_html

    tokens = [Token("the", (0, 3)), Token("good", (15, 19))]
    assert RLO_TEXT[15:19] == "good"
    hl = highlight(RLO_TEXT, tokens, [0.9, 0.9], Scale(1.0, "doc", ""))
    html = str(segments_html(hl))
    assert "\u202e" not in html and "\x00" not in html and "\u202c" not in html
    assert '<code class="hidden-char" title="RIGHT-TO-LEFT OVERRIDE">\u27e8U+202E\u27e9</code>' in html
    assert '<code class="hidden-char" title="NULL">\u27e8U+0000\u27e9</code>' in html
    # the words stay in reading order, around the markers
    plain = html.replace('<code class="hidden-char" title="RIGHT-TO-LEFT OVERRIDE">', "").replace("</code>", "")
    assert "was \u27e8U+202E\u27e9good</mark> bad" in plain


def test_every_hidden_kind_gets_a_marker_and_ordinary_text_is_untouched():
    for char in HIDDEN:
        shown = report_markers(f"a{char}b")
        assert char not in shown and shown == f"a\u27e8U+{ord(char):04X}\u27e9b"
    ordinary = "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 line\r\nnext\ttab \U0001f468\u200d\U0001f469"
    assert report_markers(ordinary) == ordinary  # scripts, CRLF, tabs and emoji ZWJ sequences are text
    assert describe_hidden(ordinary) is None
    note = describe_hidden(RLO_TEXT)
    assert "RIGHT-TO-LEFT OVERRIDE" in note and "NULL" in note and "order the model did not read" in note


@pytest.fixture(scope="module")
def built(tmp_path_factory, word_model):
    from reportgen.build import build

    root = tmp_path_factory.mktemp("display")
    word_model(root, VOCAB, name="display", body="pool")
    samples = [{"id": "rlo", "text": RLO_TEXT, "label": "pos"},
               {"id": "plain", "text": "a good movie", "label": "pos"},
               {"id": "id\u202ewith\x00", "text": "bad movie", "label": "neg"}]
    (root / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    (root / "spec.yaml").write_text(textwrap.dedent("""\
        version: 1
        title: "Hidden characters"
        date: 2026-01-02
        model: {path: model.keras, labels: [neg, pos]}
        input: {level: word, vocabulary: vocab.txt, start_token: "<START>", oov_token: "<OOV>"}
        samples: {file: samples.jsonl}
        explain: {layers: [embedding], targets: predicted}
        metrics: {enabled: false}
        output: {dir: out, pdf: false}
        """), encoding="utf-8")
    summary = build(root / "spec.yaml")
    return summary.out_dir


def test_report_shows_markers_and_a_note_and_keeps_the_exact_text_in_json(built):
    pages = {p: p.read_text(encoding="utf-8") for p in sorted(built.rglob("*.html"))}
    for path, html in pages.items():
        for char in ("\x00", "\u202e", "\u202c"):
            assert char not in html, (path, char)
    sample = pages[built / "samples" / "rlo.html"]
    # the marker stands where the character stands, and the words keep the order the model read them in
    assert '<code class="hidden-char" title="RIGHT-TO-LEFT OVERRIDE">\u27e8U+202E\u27e9</code>' in sample
    assert "\u27e8U+202E\u27e9good bad\u27e8U+202C\u27e9" in re.sub(r"<[^>]+>", "", sample)
    assert '<code class="hidden-char" title="NULL">\u27e8U+0000\u27e9</code>' in sample
    assert "order the model did not read" in sample and "explanations.json keeps the exact text" in sample
    # the sample id is user text too: shown with markers wherever it appears
    assert any("id\u27e8U+202E\u27e9with\u27e8U+0000\u27e9" in html for html in pages.values())
    plain = pages[built / "samples" / "plain.html"]
    assert "hidden-char" not in plain and "order the model did not read" not in plain
    docs = {d["id"]: d for d in stored_documents(built)}
    assert docs["rlo"]["text"] == RLO_TEXT and "id\u202ewith\x00" in docs
    # the model read the override as part of the word (an unknown word): spans keep pointing at it
    spans = [RLO_TEXT[a:b] for a, b in (t["span"] for t in docs["rlo"]["tokens"][1:])]
    assert spans == ["the", "movie", "was", "\u202egood", "bad\u202c", "a\x00", "great"]


def test_pdf_shows_markers_not_the_characters(tmp_path):
    pytest.importorskip("weasyprint")
    import shutil
    import subprocess

    from fakes import make_results

    from reportgen.render.pdf import render_pdf
    from reportgen.spec.schema import PdfSpec

    results = make_results(n_docs=1, words=(8, 8), layers=("conv1d",), relu=(True,), nasty=False)
    doc = results.documents[0]
    cut = doc.tokens[-1].span[1]
    doc.text = doc.text[:cut] + " \u202eevil\x00"  # after the last token: shown as plain text, still marked
    render_pdf(results, tmp_path / "r.pdf", PdfSpec().model_dump())
    assert (tmp_path / "r.pdf").stat().st_size > 0
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF rendered, its text not checked")
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "U+202E" in text and "U+0000" in text and "\u202e" not in text

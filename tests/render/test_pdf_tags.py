"""report.pdf is a tagged PDF (issue 11, item 5): poppler says so, the catalogue names the language, and the
structure tree reaches every page's content, also when the samples were rendered in chunks and stamped onto a
frame (pdf_assemble grafts the chunks' trees).

The expectations are independent of the graft: poppler's own reading of the file (`pdfinfo`, `pdfinfo
-struct-text`), the sample ids of the results, and WeasyPrint's own tree of the same report rendered as one
document.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pypdf = pytest.importorskip("pypdf")
pytest.importorskip("weasyprint")

from reportgen.render.pdf import render_pdf  # noqa: E402
from tests.fakes import make_results  # noqa: E402

PDFINFO = shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(PDFINFO is None, reason="poppler-utils is not installed (pdfinfo)")


def pdfinfo(path, *flags) -> str:
    done = subprocess.run([PDFINFO, *flags, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """One small report as one document and as chunks of one sample each (in process), and one chunked
    render over a page budget, so some chunk pages are left out of the file."""
    folder = tmp_path_factory.mktemp("tags")
    results = make_results(n_docs=4, words=(25, 70), seed=5, max_length=None)
    paths = {"single": folder / "single.pdf", "chunked": folder / "chunked.pdf", "budget": folder / "budget.pdf"}
    render_pdf(results, paths["single"], {"samples": "all"}, None, None)
    render_pdf(results, paths["chunked"], {"samples": "all"}, None, None, workers=1, chunk_pages=1)
    render_pdf(results, paths["budget"], {"samples": "all", "max_pages": 7}, None, None, workers=1, chunk_pages=1)
    return results, paths


def tree(path) -> tuple[list[tuple], set[int], "pypdf.PdfReader"]:
    """The structure tree in reading order as (depth, type[, page of a content reference]) rows, the pages
    any content reference points at, and the reader."""
    reader = pypdf.PdfReader(str(path))
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    rows: list[tuple] = []

    def walk(element, depth, page):
        element = element.get_object()
        page = element.get("/Pg", page)
        rows.append((depth, str(element["/S"])))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else ([] if kids is None else [kids]):
            item = kid.get_object()
            if isinstance(item, int):
                rows.append((depth + 1, "content", pages[page.idnum]))
            elif item.get("/Type") == "/MCR":
                rows.append((depth + 1, "content", pages[item.get("/Pg", page).idnum]))
                if "/Stm" in item:  # content in a form XObject: the form must point back through the parent tree
                    assert "/StructParents" in item["/Stm"].get_object()
            elif "/S" in item:
                walk(kid, depth + 1, page)

    root = reader.trailer["/Root"]["/StructTreeRoot"]
    for top in root["/K"] if isinstance(root["/K"], list) else [root["/K"]]:
        walk(top, 0, None)
    return rows, {row[2] for row in rows if row[1] == "content"}, reader


@needs_poppler
@pytest.mark.parametrize("kind", ["single", "chunked", "budget"])
def test_poppler_reads_a_tagged_pdf_in_english(renders, kind):
    _, paths = renders
    info = pdfinfo(paths[kind])
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    reader = pypdf.PdfReader(str(paths[kind]))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])


@pytest.mark.parametrize("kind", ["single", "chunked", "budget"])
def test_every_page_has_tagged_content(renders, kind):
    _, paths = renders
    _, referenced, reader = tree(paths[kind])
    assert referenced == set(range(len(reader.pages)))


def test_chunked_tree_is_the_single_documents_tree(renders):
    """WeasyPrint's tree of the one-document render is the reference: same elements, same nesting, same order,
    content on the same pages. (Both renders lay the pages out alike: test_pdf checks the page texts.)"""
    _, paths = renders
    single, _, _ = tree(paths["single"])
    chunked, _, _ = tree(paths["chunked"])
    assert len(chunked) == len(single)
    assert chunked == single


@needs_poppler
@pytest.mark.parametrize("kind", ["chunked", "budget"])
def test_sample_ids_are_read_from_the_tree_in_report_order(renders, kind):
    """poppler follows the grafted references into the stamped pages: each sample's id, as text of the structure
    tree, in the order the PDF shows the samples (its bookmarks)."""
    results, paths = renders
    reader = pypdf.PdfReader(str(paths[kind]))
    shown = [item.title.removeprefix("Sample ") for item in _flat(reader.outline) if item.title.startswith("Sample ")]
    assert shown and set(shown) <= {doc.id for doc in results.documents}
    if kind == "budget":
        assert len(shown) < len(results.documents)  # the budget really left samples (and chunk pages) out
    text = pdfinfo(paths[kind], "-struct-text")
    ids = [m.group(1) for m in re.finditer(r'^\s*"Sample "\n(?:.*\n){0,3}?\s*"([^"\n]*)"', text, re.M)]
    assert ids == shown


def test_charts_carry_alt_text(renders):
    _, paths = renders
    reader = pypdf.PdfReader(str(paths["chunked"]))
    figures = []

    def walk(element):
        element = element.get_object()
        if element.get("/S") == "/Figure":
            figures.append(str(element.get("/Alt", "")))
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else ([] if kids is None else [kids]):
            if isinstance(kid.get_object(), dict) and "/S" in kid.get_object():
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"][0])
    assert figures and all(alt.strip() for alt in figures), figures
    assert any(alt.startswith("Top words toward") for alt in figures)


def _flat(items):
    for item in items:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item

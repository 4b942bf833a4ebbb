"""When report.pdf is one in-process document rather than chunks: up to SINGLE_RENDER_PAGES estimated sample
pages, when the available memory holds SINGLE_PAGE_MEMORY a page."""

from __future__ import annotations

import pytest

pytest.importorskip("weasyprint")

from reportgen.render import pdf  # noqa: E402

MB = 2**20


@pytest.mark.parametrize(("pages", "available", "single"), [
    (33, 64_000 * MB, True),  # the IMDB demo: one document
    (40, 64_000 * MB, True),  # at the bound
    (41, 64_000 * MB, False),  # over it: chunks, whatever the memory
    (33, 33 * 16 * MB, True),  # just holds 33 pages at 16 MB each
    (33, 33 * 16 * MB - 1, False),  # a byte short: chunks
    (33, None, True),  # memory unknown: by pages alone
])
def test_one_document_up_to_the_page_bound_and_the_memory_it_needs(monkeypatch, pages, available, single):
    assert (pdf.SINGLE_RENDER_PAGES, pdf.SINGLE_PAGE_MEMORY) == (40, 16 * MB)  # the cases above use these
    monkeypatch.setattr(pdf, "available_memory", lambda: available)
    assert pdf.single_fits(pages) is single

"""Put a chunked report.pdf together: sample bodies rendered in separate documents, stamped onto the frame.

The frame is one WeasyPrint document holding the front matter and, for each sample, as many empty pages as
its body took: page numbers, "page X of Y", the running header, the contents' page numbers, bookmarks,
metadata and attachments all come from the frame, laid out by CSS as in a single render. Each body page
becomes a form XObject drawn under the frame page's own content. Nothing is re-encoded: the bodies'
compressed content streams are copied as they are, so assembling costs milliseconds per page.
"""

from __future__ import annotations

import io
from typing import Sequence

from pypdf import PdfReader, PdfWriter
from pypdf import PageObject
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

BODY_NAME = "/ReportgenBody"


def _body_form(writer: PdfWriter, page: PageObject):
    """The page's content as a form XObject inside `writer` (resources cloned once per source file)."""
    contents = page["/Contents"].get_object()
    if isinstance(contents, ArrayObject):  # WeasyPrint writes one stream per page; join if not
        data = b"\n".join(part.get_object().get_data() for part in contents)
        form = DecodedStreamObject()
        form.set_data(data)
    else:
        form = contents.clone(writer, force_duplicate=True)
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = page.mediabox
    form[NameObject("/Resources")] = page["/Resources"].clone(writer)
    return writer._add_object(form)


def stamp_bodies(frame_pdf: bytes, bodies: Sequence[bytes], placements: Sequence[tuple[int, int, int]]) -> bytes:
    """Draw body pages under frame pages: `placements` holds (frame page, body index, body page), 0-based."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(frame_pdf)))
    readers = [PdfReader(io.BytesIO(body)) for body in bodies]
    for frame_index, body_index, body_page in placements:
        page = writer.pages[frame_index]
        form = _body_form(writer, readers[body_index].pages[body_page])
        # Per-page resources: the frame's pages share one dictionary, each body page is its own.
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()))
        xobjects[NameObject(BODY_NAME)] = form
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = writer._add_object(resources)
        draw = DecodedStreamObject()
        draw.set_data(f"q {BODY_NAME} Do Q\n".encode("ascii"))
        contents = ArrayObject([writer._add_object(draw)])
        own = page["/Contents"]
        if isinstance(own.get_object(), ArrayObject):
            contents.extend(own.get_object())
        else:
            contents.append(own)
        page[NameObject("/Contents")] = contents
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

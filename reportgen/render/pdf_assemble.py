"""Put a chunked report.pdf together: sample bodies rendered in separate documents, stamped onto the frame.

The frame is one WeasyPrint document holding the front matter and, for each sample, as many empty pages as
its body took: page numbers, "page X of Y", the running header, the contents' page numbers, bookmarks,
metadata and attachments all come from the frame, laid out by CSS as in a single render. Each body page
becomes a form XObject drawn under the frame page's own content. Nothing is re-encoded: the bodies'
compressed content streams are copied as they are, so assembling costs milliseconds per page.

Tagged PDF: the frame and the bodies are each tagged by WeasyPrint. A body's structure elements are copied
into the frame's structure tree (`_StructureGraft`): the marked content they point at now lives in a form
XObject, so each integer MCID becomes a marked-content reference naming that form (`/Stm`), the form gets its
own `/StructParents` entry in the frame's parent tree, and each sample's section takes the place of the empty
section the frame laid out on the same page, so reading order stays the document's order.
"""

from __future__ import annotations

import io
from typing import Sequence

from pypdf import PdfReader, PdfWriter
from pypdf import PageObject
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject,
                           NullObject, NumberObject, PdfObject, TextStringObject)

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
    forms: dict[tuple[int, int], tuple[IndirectObject, IndirectObject]] = {}
    for frame_index, body_index, body_page in placements:
        page = writer.pages[frame_index]
        form = _body_form(writer, readers[body_index].pages[body_page])
        forms[(body_index, body_page)] = (page.indirect_reference, form)
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
    graft = _StructureGraft.of(writer)
    if graft is not None:
        for body_index, reader in enumerate(readers):
            graft.add(reader, {body_page: placed for (b, body_page), placed in forms.items() if b == body_index})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _StructureGraft:
    """Copies the structure trees of body documents into the frame's (see the module's docstring)."""

    def __init__(self, writer: PdfWriter, tree: DictionaryObject, document: DictionaryObject):
        self.writer = writer
        self.tree = tree
        self.document = document  # the frame's top element, whose children are the sections
        self.nums = tree["/ParentTree"].get_object()["/Nums"]
        self.next_key = 1 + max((int(k) for k in self.nums[::2]), default=-1)
        self.bodies = 0

    def _own_id(self, value: PdfObject) -> TextStringObject:
        return TextStringObject(f"reportgen-body{self.bodies}-{value}")

    @classmethod
    def of(cls, writer: PdfWriter) -> "_StructureGraft | None":
        """None when the frame is untagged (a caller that did not ask for tags)."""
        tree = writer.root_object.get("/StructTreeRoot")
        if tree is None:
            return None
        tree = tree.get_object()
        tops = _kids(tree)
        parent_tree = tree.get("/ParentTree")
        if len(tops) != 1 or parent_tree is None or "/Nums" not in parent_tree.get_object():
            # WeasyPrint writes one top element and a flat number tree; anything else is not ours to edit.
            raise ValueError("report.pdf: the frame's structure tree has an unexpected shape")
        return cls(writer, tree, tops[0].get_object())

    def add(self, reader: PdfReader, placed: dict[int, tuple[IndirectObject, IndirectObject]]) -> None:
        """Graft one body's elements; `placed` maps a body page index to (frame page, form) for pages drawn."""
        tree = reader.trailer["/Root"].get("/StructTreeRoot")
        if tree is None:
            return
        tree = tree.get_object()
        pages = {reader.pages[i].indirect_reference.idnum: where for i, where in placed.items()}
        self.copies: dict[int, IndirectObject] = {}
        self.bodies += 1
        tops = _kids(tree)
        if len(tops) == 1 and tops[0].get_object().get("/S") == self.document.get("/S"):
            tops = _kids(tops[0].get_object())  # the body's own Document element: graft its children
        for top in tops:
            copied = self._copy(top, self.document.indirect_reference, None, pages)
            if copied is not None:
                self._place(copied)
        for i, (page_ref, form) in placed.items():
            key = reader.pages[i].get("/StructParents")
            entry = _number_tree_get(tree["/ParentTree"].get_object(), key) if key is not None else None
            if entry is None:
                continue
            elements = ArrayObject(self.copies.get(e.idnum, NullObject()) if isinstance(e, IndirectObject)
                                   else NullObject() for e in entry.get_object())
            form.get_object()[NameObject("/StructParents")] = NumberObject(self.next_key)
            self.nums.extend([NumberObject(self.next_key), self.writer._add_object(elements)])
            self.next_key += 1
        if "/ParentTreeNextKey" in self.tree:
            self.tree[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)

    def _copy(self, ref: PdfObject, parent: IndirectObject, page: IndirectObject | None,
              pages: dict[int, tuple[IndirectObject, IndirectObject]]) -> IndirectObject | None:
        """A copy of the element at `ref` (None if nothing of it was drawn); content references are remapped."""
        source = ref.get_object()
        page = source.get("/Pg", page)
        element = DictionaryObject()
        target = self.writer._add_object(element)
        for key, value in source.items():
            if key not in ("/K", "/P", "/Pg", "/NS"):
                element[NameObject(key)] = value.clone(self.writer)
        # Element ids (table headers) are unique within one WeasyPrint document, not across the chunks.
        if "/ID" in element:
            element[NameObject("/ID")] = self._own_id(element["/ID"])
        for attributes in _attribute_dicts(element):
            if "/Headers" in attributes:
                attributes[NameObject("/Headers")] = ArrayObject(self._own_id(h) for h in attributes["/Headers"])
        element[NameObject("/P")] = parent
        if "/NS" in self.document:
            element[NameObject("/NS")] = self.document.get("/NS")
        where = pages.get(page.idnum) if isinstance(page, IndirectObject) else None
        if where is not None:
            element[NameObject("/Pg")] = where[0]
        kids = source.get("/K")
        kids = list(kids) if isinstance(kids, list) else ([] if kids is None else [kids])
        copied = ArrayObject()
        for kid in kids:
            item = kid.get_object()
            if isinstance(item, int):
                if where is not None:
                    copied.append(_content_reference(item, where))
            elif isinstance(item, DictionaryObject) and item.get("/Type") == "/MCR":
                at = pages.get(item.get("/Pg").idnum) if "/Pg" in item else where
                if at is not None:
                    copied.append(_content_reference(int(item["/MCID"]), at))
            elif isinstance(item, DictionaryObject) and "/S" in item:
                child = self._copy(kid, target, page, pages)
                if child is not None:
                    copied.append(child)
            # an /OBJR names a body annotation, which is not copied: nothing to point at
        if kids and not copied:  # all of it lies on pages the frame left out (over the page budget)
            return None
        if copied:
            element[NameObject("/K")] = copied
        if isinstance(ref, IndirectObject):
            self.copies[ref.idnum] = target
        return target

    def _place(self, copied: IndirectObject) -> None:
        """Where the frame has an empty element of the same type on the same page, the copy replaces it."""
        kids = self.document.get("/K")
        if not isinstance(kids, ArrayObject):
            kids = ArrayObject([] if kids is None else [kids])
            self.document[NameObject("/K")] = kids
        element = copied.get_object()
        for n, kid in enumerate(kids):
            old = kid.get_object()
            if (isinstance(old, DictionaryObject) and old.get("/S") == element.get("/S")
                    and old.get("/Pg") == element.get("/Pg") and not _has_content(old)):
                kids[n] = copied
                return
        kids.append(copied)


def _attribute_dicts(element: DictionaryObject) -> list[DictionaryObject]:
    found = element.get("/A")
    found = found.get_object() if found is not None else None
    items = found if isinstance(found, list) else [found]
    return [item.get_object() for item in items
            if item is not None and isinstance(item.get_object(), DictionaryObject)]


def _kids(element: DictionaryObject) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    return list(kids) if isinstance(kids, list) else [kids]


def _has_content(element: DictionaryObject) -> bool:
    for kid in _kids(element):
        item = kid.get_object()
        if not isinstance(item, DictionaryObject) or "/S" not in item or _has_content(item):
            return True
    return False


def _content_reference(mcid: int, where: tuple[IndirectObject, IndirectObject]) -> DictionaryObject:
    page, form = where
    return DictionaryObject({NameObject("/Type"): NameObject("/MCR"), NameObject("/Pg"): page,
                             NameObject("/Stm"): form, NameObject("/MCID"): NumberObject(mcid)})


def _number_tree_get(tree: DictionaryObject, key: int) -> PdfObject | None:
    nums = tree.get("/Nums")
    if nums is not None:
        for k, value in zip(nums[::2], nums[1::2]):
            if int(k) == int(key):
                return value
    for kid in tree.get("/Kids", ()):
        found = _number_tree_get(kid.get_object(), key)
        if found is not None:
            return found
    return None

"""Turn WeasyPrint's structure tree into one PDF/UA-1 and WCAG validators accept.

WeasyPrint tags the document, but leaves link annotations under Span and NonStruct elements,
nests a Link in a Link for a link's pseudo-element, wraps every line of text in a Span without
meaning, puts the paragraphs of a list item (a footnote, an item of a loose list) straight under
its LI, and describes links by their target ("annex-4"). This step moves each link annotation
into its Link element, lets meaningless Spans dissolve into their parent, gathers a list item's
content into its LBody, describes internal links in words, and rebuilds the ParentTree from the
result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pikepdf
from pikepdf import Array, Dictionary, Name

_LINK, _SPAN = Name("/Link"), Name("/Span")
_LIST_ITEM, _LIST_BODY = Name("/LI"), Name("/LBody")
# What PDF/UA allows under a list item; anything else belongs in its LBody.
_LIST_ITEM_PARTS = (Name("/Lbl"), _LIST_BODY)
_MARKED = re.compile(rb"/[^\s/<>\[\]()]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")
_ARTIFACT = b"/Artifact <</Type /Pagination>> BDC"
# Attributes that give a Span meaning of its own; WeasyPrint sets none, but keep any that appear.
_MEANINGFUL = ("/A", "/C", "/Lang", "/Alt", "/ActualText", "/E", "/ID", "/T")


def make_accessible(document: pikepdf.Pdf, describe: Mapping[str, str]) -> None:
    """Tag document's links and spans as validators expect.

    `describe` maps a link target (`#slug` or a URL) to the words an assistive technology reads
    for it, e.g. "Bijlage 4: Werkgroep GDPR, pagina B4-1".
    """
    tree = document.Root.get("/StructTreeRoot")
    if tree is not None:
        # Children first, so a parent lifts children that are already tidy.
        for element in reversed(_elements(tree)):
            _tidy(element, document)
        rebuild_parent_tree(document)
    _describe_links(document, describe)


def kids(element: Dictionary) -> list:
    """Return an element's /K as a list (it may be absent, one object, or an array)."""
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def is_element(kid) -> bool:
    return isinstance(kid, Dictionary) and kid.get("/Type", Name("/StructElem")) == Name("/StructElem") \
        and "/S" in kid


def _elements(tree: Dictionary) -> list[Dictionary]:
    """Return every structure element, children after their parent."""
    found, stack = [], [kid for kid in kids(tree) if is_element(kid)]
    while stack:
        element = stack.pop()
        found.append(element)
        stack.extend(kid for kid in kids(element) if is_element(kid))
    return found


def _tidy(element: Dictionary, document: pikepdf.Pdf) -> None:
    """Rewrite element's children: links into Link elements, meaningless Spans dissolved."""
    changed, result = False, []
    for kid in kids(element):
        if isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR and not _is_objr(kid):
            changed = True
        elif is_element(kid) and _dissolves(kid, element):
            result.extend(_lifted(kid, element))
            changed = True
        else:
            result.append(kid)
    if element.get("/S") != _LINK and any(_is_link_objr(kid) for kid in result):
        if element.get("/S") in (_SPAN, Name("/NonStruct")):
            element.S = _LINK
        else:
            result = _wrap_link_annotations(element, result)
        changed = True
    if element.get("/S") == _LIST_ITEM and not all(is_element(kid) and kid.get("/S") in _LIST_ITEM_PARTS
                                                   for kid in result):
        result = _list_item_parts(element, result, document)
        changed = True
    if changed:
        element.K = Array(result)


def _dissolves(kid: Dictionary, parent: Dictionary) -> bool:
    """Return whether kid adds no meaning: a plain Span, or a Link inside a Link."""
    if any(key in kid for key in _MEANINGFUL):
        return False
    if kid.get("/S") == _LINK:
        return parent.get("/S") == _LINK
    return kid.get("/S") == _SPAN


def _lifted(kid: Dictionary, parent: Dictionary) -> list:
    """Return kid's children for its parent; a marked-content id keeps the page it is on."""
    lifted = []
    for grandkid in kids(kid):
        if isinstance(grandkid, int) and kid.get("/Pg") is not None and \
                kid.get("/Pg") != parent.get("/Pg"):
            grandkid = Dictionary(Type=Name.MCR, Pg=kid.Pg, MCID=grandkid)
        if is_element(grandkid):
            grandkid.P = parent
        lifted.append(grandkid)
    return lifted


def _is_link_objr(kid) -> bool:
    return _is_objr(kid) and kid.Obj.get("/Subtype") == _LINK


def _is_objr(kid) -> bool:
    """Tell whether kid refers to an annotation; one whose annotation is gone (a link WeasyPrint
    placed far off the page) refers to nothing and is dropped."""
    return isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR and isinstance(kid.get("/Obj"), Dictionary)


def _wrap_link_annotations(element: Dictionary, children: list) -> list:
    """Give each link annotation directly under a non-link element a Link element of its own."""
    wrapped = []
    for kid in children:
        if _is_link_objr(kid):
            kid = Dictionary(Type=Name.StructElem, S=_LINK, P=element, K=Array([kid]))
        wrapped.append(kid)
    return wrapped


def _list_item_parts(item: Dictionary, children: list, document: pikepdf.Pdf) -> list:
    """Return a list item's children with each run of content that is not a Lbl or LBody in an
    LBody of its own."""
    parts: list = []
    body = None
    for kid in children:
        if is_element(kid) and kid.get("/S") in _LIST_ITEM_PARTS:
            parts.append(kid)
            body = None
            continue
        if body is None:
            body = document.make_indirect(Dictionary(Type=Name.StructElem, S=_LIST_BODY, P=item, K=Array([])))
            if "/Pg" in item:
                body.Pg = item.Pg
            parts.append(body)
        if is_element(kid):
            kid.P = body
        body.K.append(kid)
    return parts


def rebuild_parent_tree(document: pikepdf.Pdf) -> None:
    """Write the ParentTree anew from the structure tree: each MCID and annotation to its element.

    Marked content that no element of the tree claims (WeasyPrint's running heads and folios,
    whose elements it keeps out of the tree) becomes a pagination artifact.
    """
    tree = document.Root.StructTreeRoot
    by_page: dict[tuple, dict[int, Dictionary]] = {}
    annotations: list[tuple[Dictionary, Dictionary]] = []
    for element in _elements(tree):
        for kid in kids(element):
            if isinstance(kid, int) and element.get("/Pg") is not None:
                by_page.setdefault(element.Pg.objgen, {})[kid] = element
            elif isinstance(kid, Dictionary) and kid.get("/Type") == Name.MCR and "/Pg" in kid:
                by_page.setdefault(kid.Pg.objgen, {})[int(kid.MCID)] = element
            elif _is_objr(kid):
                annotations.append((kid.Obj, element))
    # One Array at the end: extending a pikepdf Array in a loop grows quadratically.
    numbers: list = []
    key = 0
    for page in document.pages:
        marked = by_page.get(page.obj.objgen, {})
        _mark_unclaimed_as_artifacts(page, set(marked))
        if not marked:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
            continue
        page.obj.StructParents = key
        numbers.extend([key, Array([marked.get(mcid) for mcid in range(max(marked) + 1)])])
        key += 1
    for annotation, element in annotations:
        annotation.StructParent = key
        numbers.extend([key, element])
        key += 1
    tree.ParentTree = document.make_indirect(Dictionary(Nums=Array(numbers)))
    tree.ParentTreeNextKey = key


def _mark_unclaimed_as_artifacts(page: pikepdf.Page, claimed: set[int]) -> None:
    """Turn marked content whose MCID no structure element claims into pagination artifacts.

    Works on the content's bytes: parsing every page into Python objects cost more than all the
    rest of the tagging, and the marks WeasyPrint writes are plain `/Tag <</MCID n>> BDC`.
    """
    contents = page.obj.get("/Contents")
    for stream in contents if isinstance(contents, Array) else [contents]:
        data = stream.read_bytes()
        marked = _MARKED.sub(lambda mark: mark.group(0) if int(mark.group(1)) in claimed else _ARTIFACT, data)
        if marked != data:
            stream.write(marked)


def _describe_links(document: pikepdf.Pdf, describe: Mapping[str, str]) -> None:
    """Replace a link's target in /Contents by words, where the report knows them."""
    for page in document.pages:
        for annotation in page.obj.get("/Annots", ()):
            if annotation.get("/Subtype") != _LINK:
                continue
            target = _target(annotation)
            if target in describe:
                annotation.Contents = pikepdf.String(describe[target])


def _target(annotation: Dictionary) -> str:
    action = annotation.get("/A")
    if action is not None and action.get("/S") == Name.URI:
        return str(action.URI)
    destination = annotation.get("/Dest")
    return f"#{destination}" if isinstance(destination, (pikepdf.String, Name)) else ""

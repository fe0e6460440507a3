"""Turn an annex's pages into tagged content of the bundle: its structure grafted when tagged, artifacts when not.

The report's structure tree (WeasyPrint's) stays as it is. A tagged annex's tree hangs under a
new Sect after the annex's divider, its numbers (page /StructParents, annotation /StructParent,
parent tree keys) moved past the report's, its role and class names and IDs renamed where they
clash. The pages of an untagged annex become one artifact each, so assistive technology skips
what it could not read anyway, and a Sect with alternate text says the annex is there.
"""

from __future__ import annotations

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, Page, Stream, String

_STANDARD_TYPES = frozenset(f"/{name}" for name in (
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 "
    "H5 H6 L LI Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code "
    "Link Annot Ruby RB RT RP Warichu WT WP Figure Formula Form DocumentFragment Aside Title FENote "
    "Sub Em Strong Artifact").split())


def is_tagged(pdf: pikepdf.Pdf) -> bool:
    """Tell whether pdf has a structure tree to graft: marked, with elements and a parent tree."""
    tree, marks = pdf.Root.get("/StructTreeRoot"), pdf.Root.get("/MarkInfo")
    return (isinstance(tree, Dictionary) and "/K" in tree and isinstance(tree.get("/ParentTree"), Dictionary)
            and isinstance(marks, Dictionary) and marks.get("/Marked") is True)


def append_annex(pdf: pikepdf.Pdf, source: pikepdf.Pdf, divider: Page, title: str, untagged_note: str) -> bool:
    """Append source's pages to pdf, their tags placed after divider's; return whether they are tagged.

    An untagged annex is one element titled `title`, whose alternate text adds `untagged_note`
    (e.g. "niet toegankelijk gemaakt"), over pages that are artifacts.
    """
    tree = pdf.Root.get("/StructTreeRoot")
    tagged = is_tagged(source)
    first = len(pdf.pages)
    if not isinstance(tree, Dictionary):
        pdf.add_pages_from(source, outlines="ignore")
        return tagged
    offset = _next_key(tree)
    # Numbers are moved in the source, before its pages are copied, so the copies carry them.
    end = _renumber(source, offset if tagged else None)
    pdf.add_pages_from(source, outlines="ignore")
    if tagged:
        section = _graft(pdf, tree, source, offset, title)
        tree.ParentTreeNextKey = max(end, _next_key(tree))
        _relink_annotations(tree, pdf.pages[first:])
    else:
        section = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Sect, T=String(title),
                                               Alt=String(f"{title} ({untagged_note})")))
        _mark_artifacts(pdf, pdf.pages[first:])
    _place_after(tree, section, divider)
    return tagged


def _next_key(tree: Dictionary) -> int:
    keys = list(NumberTree(tree.ParentTree)) if "/ParentTree" in tree else []
    return max([key + 1 for key in keys] + [int(tree.get("/ParentTreeNextKey", 0))])


def _renumber(source: pikepdf.Pdf, offset: int | None) -> int:
    """Move every /StructParents and /StructParent by offset (drop them when None); return the next free key."""
    end = offset or 0
    loose = [annotation for page in source.pages for annotation in page.obj.get("/Annots", ())
             if isinstance(annotation, Dictionary) and not annotation.is_indirect]
    for holder in [*source.objects, *loose]:
        if not isinstance(holder, (Dictionary, Stream)):
            continue
        for key in ("/StructParents", "/StructParent"):
            if key not in holder:
                continue
            if offset is None or not isinstance(holder[key], int):
                del holder[key]
            else:
                holder[key] = holder[key] + offset
                end = max(end, holder[key] + 1)
    if offset is not None:
        keys = list(NumberTree(source.Root.StructTreeRoot.ParentTree))
        end = max([end] + [key + offset + 1 for key in keys])
    return end


def _graft(pdf: pikepdf.Pdf, tree: Dictionary, source: pikepdf.Pdf, offset: int, title: str) -> Dictionary:
    """Copy source's structure tree into pdf under a new Sect; return the Sect, not yet placed."""
    theirs = source.Root.StructTreeRoot
    kids, lang, replaced = _top_elements(source, theirs)
    section = source.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Sect, T=String(title),
                                              K=Array(kids)))
    if lang is not None:
        section.Lang = lang
    roles = _merge_roles(tree, theirs)
    classes = _renamed_keys(tree.get("/ClassMap"), theirs.get("/ClassMap"))
    numbers = NumberTree(theirs.ParentTree)
    ids = _ids(tree, theirs)
    _rewrite_elements(replaced, section, [*kids, *numbers.values(), *(e for _, e in ids)], roles, classes)
    # One copy of everything, so each object the tree shares is copied once and the
    # references to the annex's pages and annotations land on the copies already made.
    carrier = source.make_indirect(Dictionary(
        Section=section, Nums=Array([item for key, value in numbers.items() for item in (key + offset, value)]),
        IDs=Array([item for pair in ids for item in pair]),
        ClassMap=Dictionary({classes.get(key, key): value
                             for key, value in theirs.get("/ClassMap", Dictionary()).items()}),
        Namespaces=theirs.get("/Namespaces", Array())))
    copied = pdf.copy_foreign(carrier)
    parents = NumberTree(tree.ParentTree)
    for index in range(0, len(copied.Nums), 2):
        parents[int(copied.Nums[index])] = copied.Nums[index + 1]
    _merge_ids(pdf, tree, copied.IDs)
    if copied.ClassMap.keys():
        tree.ClassMap = Dictionary({**tree.get("/ClassMap", Dictionary()), **copied.ClassMap})
    if len(copied.Namespaces):
        tree.Namespaces = Array([*tree.get("/Namespaces", Array()), *copied.Namespaces])
    return copied.Section


def _top_elements(source: pikepdf.Pdf, theirs: Dictionary) -> tuple[list, object, set]:
    """Return the elements to hang under the annex's Sect, the language to give it, and the parents it replaces.

    A single Document element is unwrapped (a document inside a section says nothing more), unless
    it holds content itself rather than elements only.
    """
    kids = list(theirs.K) if isinstance(theirs.K, Array) else [theirs.K]
    lang = source.Root.get("/Lang")
    if len(kids) == 1 and isinstance(kids[0], Dictionary) and \
            _standard_type(theirs, kids[0].get("/S")) == "/Document":
        inner = kids[0].get("/K")
        inner = list(inner) if isinstance(inner, Array) else [inner]
        if inner and all(isinstance(kid, Dictionary) and "/S" in kid for kid in inner):
            return inner, kids[0].get("/Lang", lang), {theirs.objgen, kids[0].objgen}
    return kids, lang, {theirs.objgen}


def _standard_type(theirs: Dictionary, kind: object) -> object:
    roles = theirs.get("/RoleMap", Dictionary())
    seen = set()
    while isinstance(kind, Name) and str(kind) in roles and str(kind) not in seen:
        seen.add(str(kind))
        kind = roles[str(kind)]
    return str(kind)


def _merge_roles(tree: Dictionary, theirs: Dictionary) -> dict[str, str]:
    """Add the annex's role map to the report's; return the annex's names renamed to avoid a clash."""
    ours, mapped = tree.get("/RoleMap"), theirs.get("/RoleMap")
    if not isinstance(mapped, Dictionary) or not mapped.keys():
        return {}
    renames = _renamed_keys(ours, mapped)
    if not isinstance(ours, Dictionary):
        tree.RoleMap = ours = Dictionary()
    for key, value in mapped.items():
        ours[renames.get(key, key)] = Name(renames.get(str(value), str(value)))
    return renames


def _renamed_keys(ours: object, theirs: object) -> dict[str, str]:
    """Return new names for keys of theirs that ours defines differently, or that name standard types.

    A standard type is never remapped in the report's role map: that would change what the
    report's own elements mean.
    """
    ours = ours if isinstance(ours, Dictionary) else Dictionary()
    renames = {}
    for key in theirs.keys() if isinstance(theirs, Dictionary) else ():
        if (key in ours and ours[key] != theirs[key]) or key in _STANDARD_TYPES:
            number = 1
            while f"{key}.{number}" in ours or f"{key}.{number}" in theirs:
                number += 1
            renames[key] = f"{key}.{number}"
    return renames


def _ids(tree: Dictionary, theirs: Dictionary) -> list[tuple[String, Dictionary]]:
    """Return the annex's element IDs, each renamed in its element when the report uses it."""
    if not isinstance(theirs.get("/IDTree"), Dictionary):
        return []
    ours = NameTree(tree.IDTree) if isinstance(tree.get("/IDTree"), Dictionary) else {}
    pairs = []
    for name, element in NameTree(theirs.IDTree).items():
        if not isinstance(element, Dictionary):
            continue
        unique, number = name, 1
        while unique in ours:
            unique, number = f"{name}.{number}", number + 1
        element.ID = String(unique)
        pairs.append((String(unique), element))
    return pairs


def _merge_ids(pdf: pikepdf.Pdf, tree: Dictionary, ids: Array) -> None:
    if not len(ids):
        return
    if not isinstance(tree.get("/IDTree"), Dictionary):
        tree.IDTree = NameTree.new(pdf).obj
    ours = NameTree(tree.IDTree)
    for index in range(0, len(ids), 2):
        ours[str(ids[index])] = ids[index + 1]


def _rewrite_elements(replaced: set, section: Dictionary, starts: list, roles: dict[str, str],
                      classes: dict[str, str]) -> None:
    """Give every annex element its renamed type and classes, and the Sect as parent instead of `replaced`."""
    stack, visited = list(starts), set()
    while stack:
        element = stack.pop()
        if isinstance(element, Array):
            stack.extend(element)
            continue
        # Marked-content and object references have no /S: they are leaves, not elements.
        if not isinstance(element, Dictionary) or "/S" not in element:
            continue
        if element.is_indirect:
            if element.objgen in visited:
                continue
            visited.add(element.objgen)
        parent = element.get("/P")
        if isinstance(parent, Dictionary) and parent.objgen in replaced:
            element.P = section
        if str(element.S) in roles:
            element.S = Name(roles[str(element.S)])
        if "/C" in element and classes:
            element.C = _renamed_classes(element.C, classes)
        stack.append(element.get("/K"))


def _renamed_classes(value: object, classes: dict[str, str]) -> object:
    if isinstance(value, Name):
        return Name(classes.get(str(value), str(value)))
    if isinstance(value, Array):
        return Array([_renamed_classes(item, classes) for item in value])
    return value


def _relink_annotations(tree: Dictionary, pages: list[Page]) -> None:
    """Point each object reference (OBJR) at the annotation the page shows.

    Copying a form's pages copies its annotations a second time (pikepdf fixes up the fields
    on fresh copies), so a reference may still lead to the first copy, which no page shows.
    Both copies carry the same /StructParent, which tells them apart from any other.
    """
    parents = NumberTree(tree.ParentTree)
    for page in pages:
        for annotation in page.obj.get("/Annots", ()):
            key = annotation.get("/StructParent") if isinstance(annotation, Dictionary) else None
            element = parents.get(key) if isinstance(key, int) else None
            if not isinstance(element, Dictionary):
                continue
            kids = element.get("/K")
            for kid in kids if isinstance(kids, Array) else [kids]:
                if isinstance(kid, Dictionary) and kid.get("/Type") == Name.OBJR and \
                        isinstance(kid.get("/Obj"), Dictionary) and kid.Obj.get("/StructParent") == key:
                    kid.Obj = annotation


def _mark_artifacts(pdf: pikepdf.Pdf, pages: list[Page]) -> None:
    """Wrap each page's content in one artifact, leaving the content streams themselves alone.

    Marked content the annex opens and never closes (a scanner's raster strips, each opened
    with BDC) is closed first: otherwise the artifact's EMC closes the last of them, the
    artifact stays open, and validators read everything after it as untagged content.
    """
    opening = pdf.make_stream(b"/Artifact BMC\n")
    closings: dict[int, Stream] = {}
    for page in pages:
        unclosed = _unclosed_marks(page)
        if unclosed not in closings:
            closings[unclosed] = pdf.make_stream(b"\n" + b"EMC\n" * (unclosed + 1))
        page.contents_add(opening, prepend=True)
        page.contents_add(closings[unclosed])


def _unclosed_marks(page: Page) -> int:
    """Return how many marked-content sequences page's content leaves open at its end."""
    depth = 0
    try:
        # Most untagged pages mark nothing: the bytes tell that without parsing every operator.
        if not any(b"BDC" in data or b"BMC" in data for data in _content_bytes(page)):
            return 0
        operators = pikepdf.parse_content_stream(page, "BDC BMC EMC")
    except pikepdf.PdfError:
        return 0  # content qpdf cannot parse: nothing to count, the artifact closes as before
    for _, operator in operators:
        depth = max(depth + (-1 if str(operator) == "EMC" else 1), 0)
    return depth


def _content_bytes(page: Page) -> list[bytes]:
    contents = page.obj.get("/Contents")
    streams = contents if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    return [stream.read_bytes() for stream in streams if isinstance(stream, Stream)]


def _place_after(tree: Dictionary, section: Dictionary, divider: Page) -> None:
    """Hang section under the report's document element, right after the divider's elements."""
    top = tree.K
    parent = top if isinstance(top, Dictionary) else top[0] if isinstance(top, Array) and len(top) == 1 \
        and isinstance(top[0], Dictionary) else tree
    kids = parent.get("/K")
    kids = kids if isinstance(kids, Array) else Array([kids] if kids is not None else [])
    on_divider = [index for index, kid in enumerate(kids) if isinstance(kid, Dictionary)
                  and isinstance(kid.get("/Pg"), Dictionary) and kid.Pg.objgen == divider.obj.objgen]
    kids.insert(on_divider[-1] + 1 if on_divider else len(kids), section)
    parent.K = kids
    section.P = parent

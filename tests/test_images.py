"""Images: measured where pages draw them, downsampled to 300 dpi at that size, still drawn the same."""

from __future__ import annotations

import io
import math
from contextlib import closing
from pathlib import Path

import pikepdf
import pypdfium2
import weasyprint
from pikepdf import Name
from PIL import Image, ImageChops, ImageStat
from samples import photo, transparent_graphic

from kcvs_pdf.pdf.images import PRINT_DPI, downsample_images
from kcvs_pdf.pdf.placement import find_placements

ALT = "Foto van de jaarvergadering"


def pdf_drawing(picture: Path, width_mm: float, background: str = "#ffffff") -> bytes:
    """Return a tagged PDF that draws picture width_mm wide on a coloured block, as the report does."""
    html = (f'<html lang="nl"><style>@page {{ size: A4; margin: 0 }}</style><body style="margin:10mm">'
            f'<div style="background:{background}">'
            f'<img src="{picture.name}" alt="{ALT}" style="width:{width_mm}mm;display:block"></div></body></html>')
    return weasyprint.HTML(string=html, base_url=picture.parent.as_uri() + "/").write_pdf(pdf_tags=True)


def only_image(data: bytes) -> dict:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        (placement,) = find_placements(pdf)
        image = pdf.get_object(placement.image)
        alpha = image.get(Name.SMask)
        return {"pixels": (int(image.Width), int(image.Height)), "filter": image.Filter, "dpi": placement.dpi,
                "alt": placement.alt, "alpha": (int(alpha.Width), int(alpha.Height)) if alpha is not None else None}


def rendered(data: bytes) -> Image.Image:
    """Return page 1 drawn at 50 dpi by pdfium, which the comments reader already uses."""
    with closing(pypdfium2.PdfDocument(data)) as document:
        return document[0].render(scale=50 / 72).to_pil().convert("RGB")


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


def test_a_photo_is_downsampled_to_300_dpi_at_the_size_it_prints(tmp_path):
    original = pdf_drawing(photo(tmp_path / "foto.jpg"), 100)
    assert only_image(original)["pixels"] == (3000, 2000)

    smaller, changed = downsample_images(original, tmp_path / "cache")

    scale = 100 / 25.4 * PRINT_DPI / 3000
    image = only_image(smaller)
    assert image["pixels"] == (math.ceil(3000 * scale), math.ceil(2000 * scale)) == (1182, 788)
    assert image["filter"] == Name.DCTDecode
    assert PRINT_DPI <= image["dpi"] < PRINT_DPI + 1
    assert len(smaller) < len(original) / 4
    (resampled,) = changed
    assert resampled.placement.pixels == (3000, 2000) and resampled.pixels == image["pixels"]
    assert resampled.bytes_after < resampled.bytes_before / 4


def test_a_downsampled_photo_still_renders_the_same(tmp_path):
    original = pdf_drawing(photo(tmp_path / "foto.jpg"), 100)
    smaller, _ = downsample_images(original, tmp_path / "cache")
    before, after = rendered(original), rendered(smaller)
    assert after.size == before.size
    assert ImageStat.Stat(after).stddev[0] > 10, "the photo is drawn, not a blank page"
    assert mean_difference(before, after) < 2


def test_a_transparent_graphic_keeps_its_alpha(tmp_path):
    original = pdf_drawing(transparent_graphic(tmp_path / "verloop.png"), 120, background="#0b5563")
    smaller, changed = downsample_images(original, tmp_path / "cache")

    image = only_image(smaller)
    assert len(changed) == 1
    assert image["filter"] == Name.FlateDecode, "transparency is kept lossless"
    assert image["pixels"][0] == math.ceil(120 / 25.4 * PRINT_DPI)
    assert image["alpha"] == image["pixels"], "the soft mask has the image's new size"
    before, after = rendered(original), rendered(smaller)
    assert mean_difference(before, after) < 2
    # The hole (centred 28% across, 45% down the picture) is fully transparent: the block's
    # petrol shows through it, as before.
    hole = (round((10 + 120 * 0.28125) / 25.4 * 50), round((10 + 75 * 0.45) / 25.4 * 50))
    assert after.getpixel(hole) == before.getpixel(hole) == (11, 85, 99)


def test_images_printed_at_300_dpi_or_less_are_left_alone(tmp_path):
    original = pdf_drawing(photo(tmp_path / "foto.jpg", size=(1100, 700)), 100)  # 279 dpi
    assert downsample_images(original, tmp_path / "cache") == (original, ())
    assert not (tmp_path / "cache").exists()


def test_the_alternate_text_stays_with_the_downsampled_image(tmp_path):
    original = pdf_drawing(photo(tmp_path / "foto.jpg"), 100)
    smaller, _ = downsample_images(original, tmp_path / "cache")
    assert only_image(original)["alt"] == only_image(smaller)["alt"] == ALT
    with pikepdf.open(io.BytesIO(smaller)) as pdf:
        figures = [element for element in _elements(pdf.Root.StructTreeRoot) if element.get(Name.S) == Name.Figure]
        assert [str(figure.Alt) for figure in figures] == [ALT]


def test_resampled_images_are_cached_by_content_and_size(tmp_path):
    original = pdf_drawing(photo(tmp_path / "foto.jpg"), 100)
    cache = tmp_path / "cache"
    first, _ = downsample_images(original, cache)
    cached = sorted(path.name for path in cache.iterdir())
    assert len(cached) == 1 and cached[0].endswith("-1182x788.jpg")
    second, _ = downsample_images(original, cache)
    assert second == first
    assert sorted(path.name for path in cache.iterdir()) == cached
    # A different size is a different entry.
    downsample_images(pdf_drawing(tmp_path / "foto.jpg", 50), cache)
    assert len(list(cache.iterdir())) == 2


def test_an_image_drawn_in_a_form_is_measured_with_the_forms_matrix(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    image = pdf.make_stream(bytes(1200 * 600 * 3), Type=Name.XObject, Subtype=Name.Image, Width=1200, Height=600,
                            ColorSpace=Name.DeviceRGB, BitsPerComponent=8)
    form = pdf.make_stream(b"q 144 0 0 72 0 0 cm /Im1 Do Q", Type=Name.XObject, Subtype=Name.Form,
                           BBox=[0, 0, 144, 72], Matrix=[1, 0, 0, 1, 0, 0],
                           Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image)))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form))
    page.Contents = pdf.make_stream(b"q 2 0 0 2 50 50 cm /Fm1 Do Q")
    (placement,) = find_placements(pdf)
    assert placement.drawn == (288, 144) and placement.dpi == 300 and placement.page == 0


def test_an_image_also_used_in_a_pattern_is_left_alone(tmp_path):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    image = pdf.make_stream(bytes(1200 * 600 * 3), Type=Name.XObject, Subtype=Name.Image, Width=1200, Height=600,
                            ColorSpace=Name.DeviceRGB, BitsPerComponent=8)
    pattern = pdf.make_stream(b"q 10 0 0 5 0 0 cm /Im1 Do Q", Type=Name.Pattern, PatternType=1, PaintType=1,
                              TilingType=1, BBox=[0, 0, 10, 5], XStep=10, YStep=5,
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image)))
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image),
                                        Pattern=pikepdf.Dictionary(P1=pattern))
    page.Contents = pdf.make_stream(b"q 72 0 0 36 0 0 cm /Im1 Do Q /Pattern cs /P1 scn 0 0 100 100 re f")
    output = io.BytesIO()
    pdf.save(output)
    assert find_placements(pdf) == ()
    assert downsample_images(output.getvalue(), tmp_path / "cache") == (output.getvalue(), ())


def _elements(node):
    kids = node.get(Name.K)
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
        if isinstance(kid, pikepdf.Dictionary) and kid.get(Name.Type, Name.StructElem) == Name.StructElem \
                and Name.S in kid:
            yield kid
            yield from _elements(kid)

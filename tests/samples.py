"""Make test pictures and PDFs in code, and serve a folder on 127.0.0.1 as a website would."""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw


def photo(path: Path, size: tuple[int, int] = (3000, 2000), quality: int = 92) -> Path:
    """Write a JPEG that compresses like a photograph: smooth areas under fine grain."""
    width, height = size
    smooth = Image.merge("RGB", (Image.linear_gradient("L").resize(size),
                                 Image.linear_gradient("L").rotate(90).resize(size),
                                 Image.effect_noise((width // 4, height // 4), 60).resize(
                                     size, Image.Resampling.BICUBIC)))
    grain = Image.effect_noise(size, 40)
    Image.blend(smooth, Image.merge("RGB", (grain, grain, grain)), 0.25).save(path, "JPEG", quality=quality)
    return path


def transparent_graphic(path: Path, size: tuple[int, int] = (4000, 2500)) -> Path:
    """Write an RGBA PNG: colour gradients, alpha rising left to right, a fully transparent hole."""
    width, height = size
    picture = Image.merge("RGBA", (Image.linear_gradient("L").resize(size),
                                   Image.linear_gradient("L").rotate(90).resize(size),
                                   Image.new("L", size, 90),
                                   Image.linear_gradient("L").rotate(90).resize(size)))
    ImageDraw.Draw(picture).ellipse((width // 8, height // 5, width // 8 + height // 2, height // 5 + height // 2),
                                    fill=(255, 0, 0, 0))
    picture.save(path)
    return path


def pdfua_pdf(path: Path, pages: int = 2) -> Path:
    """Write a small PDF whose XMP metadata claims PDF/UA-1."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as metadata:
        metadata["pdfuaid:part"] = "1"
        metadata["dc:title"] = "Toegankelijke bijlage"
    pdf.save(path)
    return path


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, requests: list[str], **kwargs) -> None:
        self.requests = requests
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:
        self.requests.append(self.path)


@contextmanager
def served(folder: Path):
    """Serve folder at http://127.0.0.1:<port>/; yield the base URL and the paths requested."""
    requests: list[str] = []
    handler = functools.partial(_RecordingHandler, directory=str(folder), requests=requests)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

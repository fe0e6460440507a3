"""Decoded sizes: each filter counted as qpdf decodes it, bombs stopped at the limit without inflating them."""

from __future__ import annotations

import base64
import zlib

import pikepdf
import pytest
from hostile import deflated_zeros
from hypothesis import given, settings
from hypothesis import strategies as st
from pikepdf import Array, Name

from kcvs_pdf.annexes.inflate import CHUNK, decoded_size, find_bomb
from kcvs_pdf.model import InflateLimits


def lzw(data: bytes) -> bytes:
    """Encode data as PDF's LZWDecode reads it (9 to 12 bit codes, early change)."""
    table = {bytes([code]): code for code in range(256)}
    bits, count, width, out = 0, 0, 9, bytearray()

    def emit(code: int) -> None:
        nonlocal bits, count
        bits, count = (bits << width) | code, count + width
        while count >= 8:
            count -= 8
            out.append((bits >> count) & 0xFF)

    emit(256)
    word = b""
    for byte in data:
        longer = word + bytes([byte])
        if longer in table:
            word = longer
            continue
        emit(table[word])
        table[longer] = len(table) + 2
        if len(table) + 2 >= 4094:
            emit(256)
            table, width = {bytes([code]): code for code in range(256)}, 9
        elif len(table) + 3 > 1 << width:
            width += 1
        word = bytes([byte])
    if word:
        emit(table[word])
    emit(257)
    return bytes(out) + (bytes([(bits << (8 - count)) & 0xFF]) if count else b"")


def run_length(data: bytes) -> bytes:
    out, at = bytearray(), 0
    while at < len(data):
        run = 1
        while at + run < len(data) and run < 128 and data[at + run] == data[at]:
            run += 1
        if run > 1:
            out += bytes([257 - run, data[at]])
        else:
            end = at + 1
            while end < len(data) and end - at < 128 and (end + 1 >= len(data) or data[end + 1] != data[end]):
                end += 1
            out += bytes([end - at - 1]) + data[at:end]
            run = end - at
        at += run
    return bytes(out + b"\x80")


ENCODERS = {
    "/FlateDecode": zlib.compress,
    "/ASCIIHexDecode": lambda data: data.hex().encode() + b">",
    "/ASCII85Decode": lambda data: base64.a85encode(data, wrapcol=64) + b"~>",
    "/RunLengthDecode": run_length,
    "/LZWDecode": lzw,
}


def stream(pdf: pikepdf.Pdf, filters: list[str], data: bytes) -> pikepdf.Stream:
    """Return a stream of pdf holding data encoded with filters (decoded first to last)."""
    for name in reversed(filters):
        data = ENCODERS[name](data)
    encoded = pdf.make_indirect(pikepdf.Stream(pdf, data))
    encoded.Filter = Array([Name(name) for name in filters])
    return encoded


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=3000) | st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=4),
                                                   st.integers(1, 3000)),
       filters=st.lists(st.sampled_from(sorted(ENCODERS)), min_size=1, max_size=2))
def test_every_filter_decodes_to_the_size_qpdf_decodes_it_to(data, filters):
    pdf = pikepdf.new()
    encoded = stream(pdf, filters, data)
    assert len(encoded.read_bytes(pikepdf.StreamDecodeLevel.specialized)) == len(data)
    assert decoded_size(encoded, 10**9) == len(data)


def test_lzw_with_a_full_table_and_clear_codes():
    data = bytes(range(256)) * 60 + bytes(20000)
    pdf = pikepdf.new()
    encoded = stream(pdf, ["/LZWDecode"], data)
    assert encoded.read_bytes() == data
    assert decoded_size(encoded, 10**9) == len(data)


def test_images_count_as_stored():
    pdf = pikepdf.new()
    encoded = stream(pdf, ["/FlateDecode"], b"\xff\xd8 not decoded")
    encoded.Filter = Array([Name.FlateDecode, Name.DCTDecode])
    assert decoded_size(encoded, 10**9) == len(b"\xff\xd8 not decoded")


def test_a_bomb_is_counted_only_up_to_the_stop():
    pdf = pikepdf.new()
    bomb = pikepdf.Stream(pdf, deflated_zeros(2 * 1024**3))
    bomb.Filter = Array([Name.FlateDecode, Name.FlateDecode])
    assert 64 * 1024**2 <= decoded_size(bomb, 64 * 1024**2) < 64 * 1024**2 + CHUNK


def pdf_with(*sizes: int) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    for size in sizes:
        stream(pdf, ["/FlateDecode"], bytes(size))
    return pdf


@pytest.mark.parametrize(("limits", "problem"), [
    (InflateLimits(per_stream=4096, total=10**6), "is refused: a compressed stream in it would expand to "
     "more than 4 KiB (a 'decompression bomb'); ask for a copy saved without it, e.g. printed to PDF, "
     "or, if you trust the file, raise annex_limits: stream in report.yaml"),
    (InflateLimits(per_stream=5000, total=8192), "is refused: its compressed streams would expand to more "
     "than 8 KiB in all (a 'decompression bomb'); ask for a copy saved without them, e.g. printed to PDF, "
     "or, if you trust the file, raise annex_limits: total in report.yaml"),
    (InflateLimits(per_stream=5000, total=10**6), ""),
])
def test_limits_per_stream_and_in_all(limits, problem):
    assert find_bomb(pdf_with(4500, 4500), limits) == problem


def test_default_limits_are_256_mib_per_stream_and_1_gib_in_all():
    assert InflateLimits() == InflateLimits(per_stream=256 * 1024**2, total=1024**3)

"""Decoded sizes: each filter counted as qpdf decodes it, bombs stopped at the limit without inflating them."""

from __future__ import annotations

import base64
import itertools
import zlib

import pikepdf
import pytest
from hostile import deflated_zeros
from hypothesis import given, settings
from hypothesis import strategies as st
from pikepdf import Array, Name

from kcvs_pdf.annexes import inflate
from kcvs_pdf.annexes.inflate import CHUNK, bitmap_size, decoded_size, find_bomb, inflates_whole, stream_bomb
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


def densest_flate(matches: int) -> bytes:
    """Return zlib data at deflate's highest ratio: a zero byte, then `matches` copies of the 258 bytes
    before, each written in two bits (a one-bit length code and a one-bit distance code)."""
    bits: list[int] = []

    def field(value: int, count: int) -> None:
        bits.extend((value >> shift) & 1 for shift in range(count))

    def code(value: int, count: int) -> None:  # Huffman codes are packed most significant bit first
        bits.extend((value >> shift) & 1 for shift in reversed(range(count)))

    field(1, 1), field(2, 2)  # the last block, with codes of its own
    field(286 - 257, 5), field(1 - 1, 5), field(18 - 4, 4)  # literal/length, distance, code length codes
    code_lengths = {18: 1, 1: 2, 2: 2}  # 18 repeats 0 (11 to 138 times), 1 and 2 are lengths
    for symbol in (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1):
        field(code_lengths.get(symbol, 0), 3)
    codes = {18: (0b0, 1), 1: (0b10, 2), 2: (0b11, 2)}
    # Literal 0 takes 2 bits, 1 to 255 none, the end 2, lengths 257 to 284 none, 258 (285) 1; distance 1 1.
    for symbol, repeat in ((2, 0), (18, 138), (18, 117), (2, 0), (18, 28), (1, 0), (1, 0)):
        code(*codes[symbol])
        if repeat:
            field(repeat - 11, 7)
    code(0b10, 2)  # the literal zero
    bits.extend([0, 0] * matches)  # length 258 (code 0), distance 1 (code 0)
    code(0b11, 2)  # end of block
    bits.extend([0] * (-len(bits) % 8))
    deflated = bytes(sum(bit << shift for shift, bit in enumerate(bits[at:at + 8]))
                     for at in range(0, len(bits), 8))
    size = 1 + 258 * matches
    return b"\x78\x9c" + deflated + (((size % 65521) << 16) | 1).to_bytes(4, "big")


def test_flate_data_decodes_to_at_most_1032_times_its_size_and_the_densest_comes_close():
    for matches in (1, 100, 100_000):
        pdf = pikepdf.new()
        dense = pdf.make_indirect(pikepdf.Stream(pdf, densest_flate(matches)))
        dense.Filter = Name.FlateDecode
        size = decoded_size(dense, 10**9)
        assert len(dense.read_bytes()) == size == 1 + 258 * matches
        assert size <= 1032 * len(densest_flate(matches))
        assert find_bomb(pdf, InflateLimits(per_stream=size - 1, total=10**12)) == stream_bomb(
            InflateLimits(per_stream=size - 1))
    assert size > 1031 * len(densest_flate(100_000))


def measured_verdict(pdf: pikepdf.Pdf, limits: InflateLimits) -> str:
    """Return find_bomb's verdict as measuring every stream gives it ('in all' for the limit in all)."""
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        size = decoded_size(obj, min(limits.per_stream, limits.total - total) + 1)
        if size > limits.per_stream:
            return stream_bomb(limits)
        if bitmap_size(obj) > limits.per_stream:
            return stream_bomb(limits, "an image in it would take")
        total += size
        if total > limits.total:
            return "in all"
    return ""


SPELLINGS = {"flate": Name.FlateDecode, "lone flate": Array([Name.Fl]),
             "flate, then JPEG": Array([Name.FlateDecode, Name.DCTDecode]),
             "twice flate": Array([Name.FlateDecode, Name.FlateDecode]), "plain": None}
ENCODED = {"flate": zlib.compress, "lone flate": zlib.compress, "flate, then JPEG": zlib.compress,
           "twice flate": lambda data: zlib.compress(zlib.compress(data)), "plain": lambda data: data}


@st.composite
def streams(draw) -> tuple[str, bytes, int]:
    """Return a filter spelling, raw data, and the pixels of the image it is (0 for none)."""
    # Half of them at deflate's highest ratio, where a bound too low would show first.
    if draw(st.booleans()):
        spelling, raw = "flate", densest_flate(draw(st.sampled_from([1, 1000, 8000])))
    else:
        spelling = draw(st.sampled_from(sorted(SPELLINGS)))
        raw = ENCODED[spelling](draw(st.binary(max_size=2000) | st.integers(0, 400_000).map(bytes)))
    return spelling, raw, draw(st.sampled_from([0, 0, 0, 5000, 500_000]))


@settings(max_examples=300, deadline=None)
@given(contents=st.lists(streams(), min_size=1, max_size=8), choice=st.data())
def test_streams_counted_at_their_bound_give_the_verdict_measuring_every_stream_gives(contents, choice):
    pdf = pikepdf.new()
    for spelling, raw, pixels in contents:
        encoded = pdf.make_indirect(pikepdf.Stream(pdf, raw))
        if SPELLINGS[spelling] is not None:
            encoded.Filter = SPELLINGS[spelling]
        if pixels:
            encoded.Subtype, encoded.Width, encoded.Height = Name.Image, 1000, pixels // 1000
    # Limits at or just under a stream's size, or the streams' size so far, are where a bound that is
    # too low, or a total that is not exact, would let a bomb through or refuse what is none.
    sizes = [decoded_size(obj, 10**9) for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]
    near = [*sizes, *itertools.accumulate(sizes)]
    limit = st.integers(1, 12_000_000) | st.sampled_from(near).flatmap(
        lambda size: st.integers(size * 29 // 30, size + 1))
    limits = InflateLimits(per_stream=choice.draw(limit), total=choice.draw(limit))
    verdict = find_bomb(pdf, limits)
    assert ("in all" if "in all" in verdict else verdict) == measured_verdict(pdf, limits)


def test_flate_streams_well_within_the_limits_are_never_inflated(monkeypatch):
    pdf = pdf_with(*[30_000] * 50)
    monkeypatch.setitem(inflate._DECODERS, "/FlateDecode", lambda pieces: pytest.fail("inflated"))
    assert find_bomb(pdf, InflateLimits()) == ""


def test_bounds_are_replaced_by_measured_sizes_when_the_total_comes_close():
    pdf = pdf_with(*[100_000] * 5)
    sizes = [(len(obj.read_raw_bytes()), decoded_size(obj, 10**9)) for obj in pdf.objects
             if isinstance(obj, pikepdf.Stream)]
    exact = sum(size for _, size in sizes)
    assert sum(1032 * raw for raw, _ in sizes) > exact  # the bounds alone would pass the limit in all
    assert find_bomb(pdf, InflateLimits(per_stream=10**6, total=exact)) == ""
    assert "in all" in find_bomb(pdf, InflateLimits(per_stream=10**6, total=exact - 1))


def test_only_whole_undamaged_zlib_data_inflates_whole():
    data = zlib.compress(bytes(range(256)) * 5000)
    assert inflates_whole(data) and inflates_whole(densest_flate(20_000))
    damaged = data[:40] + bytes(20) + data[60:]
    checksum = data[:-1] + bytes([data[-1] ^ 1])
    assert not any(inflates_whole(wrong) for wrong in (data[:-5], damaged, checksum, data + b"\n", b"", b"x"))

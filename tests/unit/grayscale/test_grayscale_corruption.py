"""Corrupt input: each corruption class raises InvalidImage with its own code, and random damage
never raises anything but InvalidImage."""

import contextlib
import io
import struct
import zlib

import pytest
from grayscale_png_builders import (
    SIGNATURE,
    assemble,
    chunk,
    ihdr,
    image_data,
    parse_chunks,
    replace_image_data,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from grayscale import InvalidImage, convert, convert_stream

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pillow_png(mode: str = "RGB", size: tuple[int, int] = (13, 7), seed: int = 1) -> bytes:
    bands = len(mode)
    raw = bytes(((i * 37 + seed * 11) ^ (i >> 3)) & 0xFF for i in range(size[0] * size[1] * bands))
    out = io.BytesIO()
    Image.frombytes(mode, size, raw).save(out, "PNG")
    return out.getvalue()


BASES = [
    pillow_png("RGB"),
    pillow_png("RGBA", (5, 9)),
    pillow_png("L", (1, 1)),
    pillow_png("LA", (17, 3)),
]


def code_of(data: bytes, **limits) -> str:
    """The InvalidImage code from convert(); also checks convert_stream agrees (fed in 5-byte pieces)."""
    with pytest.raises(InvalidImage) as whole:
        convert(data, **limits)
    with pytest.raises(InvalidImage) as streamed:
        b"".join(convert_stream((data[i : i + 5] for i in range(0, len(data), 5)), **limits))
    assert streamed.value.code == whole.value.code
    return whole.value.code


def chunk_spans(png: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start of payload, end of CRC) for each chunk."""
    spans, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        spans.append((png[pos + 4 : pos + 8], pos + 8, pos + 12 + length))
        pos += 12 + length
    return spans


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_truncation_anywhere_is_truncated(base, data):
    cut = data.draw(st.integers(1, len(base) - 1))
    assert code_of(base[:cut]) == "truncated"


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_flipped_payload_or_crc_byte_is_crc_mismatch(base, data):
    _, start, end = data.draw(st.sampled_from(chunk_spans(base)))
    position = data.draw(st.integers(start, end - 1))  # payload or CRC bytes
    damaged = bytearray(base)
    damaged[position] ^= data.draw(st.integers(1, 255))
    assert code_of(bytes(damaged)) == "crc_mismatch"


@SETTINGS
@given(st.sampled_from(BASES), st.integers(0, 7), st.data())
def test_damaged_signature_is_not_png(base, position, data):
    damaged = bytearray(base)
    damaged[position] ^= data.draw(st.integers(1, 255))
    assert code_of(bytes(damaged)) == "not_png"


@SETTINGS
@given(st.sampled_from(BASES), st.integers(5, 255), st.data())
def test_bad_filter_byte_is_bad_filter(base, filter_type, data):
    raw, (width, _, _, color_type, _) = image_data(base)
    line = 1 + width * {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    row = data.draw(st.integers(0, len(raw) // line - 1))
    damaged = bytearray(raw)
    damaged[row * line] = filter_type
    assert code_of(replace_image_data(base, bytes(damaged))) == "bad_filter"


@SETTINGS
@given(st.sampled_from(BASES), st.integers(1, 5000), st.integers(1, 3))
def test_extra_image_data_is_image_data_long(base, extra, pieces):
    raw, _ = image_data(base)
    assert code_of(replace_image_data(base, raw + bytes(extra), pieces)) == "image_data_long"


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_missing_image_data_is_image_data_short(base, data):
    raw, _ = image_data(base)
    keep = data.draw(st.integers(0, len(raw) - 1))
    assert code_of(replace_image_data(base, raw[:keep])) == "image_data_short"


def test_garbage_after_zlib_stream_is_image_data_long():
    base = BASES[0]
    raw, _ = image_data(base)
    assert code_of(replace_image_data(base, raw, compressed=zlib.compress(raw) + b"\x00\x01")) == "image_data_long"


def test_corrupt_zlib_stream_is_bad_image_data():
    base = BASES[0]
    raw, _ = image_data(base)
    assert (
        code_of(replace_image_data(base, raw, compressed=b"\x78\x9c\xff\xff\xff" + zlib.compress(raw)[5:]))
        == "bad_image_data"
    )
    assert code_of(replace_image_data(base, raw, compressed=zlib.compress(raw)[:-4])) == "bad_image_data"


@SETTINGS
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1))
def test_huge_dimensions_are_too_large_before_any_inflation(width, height):
    if width * height <= 40_000_000:
        width = 2**31 - 1
    data = SIGNATURE + chunk(b"IHDR", ihdr(width, height, 8, 6)) + chunk(b"IDAT", b"not even zlib")
    assert code_of(data) == "too_large"


def test_decompression_limit_is_too_large():
    base = BASES[0]
    assert code_of(base, max_decompressed_bytes=100) == "too_large"
    assert code_of(base, max_pixels=13 * 7 - 1) == "too_large"
    assert convert(base, max_pixels=13 * 7, max_decompressed_bytes=7 * (1 + 13 * 3))


def test_bomb_is_refused_without_inflating_it():
    """A 1x1 image whose IDAT inflates to 1 GB: refused after at most one inflate piece."""
    import tracemalloc

    compressor = zlib.compressobj(9)
    bomb = compressor.compress(bytes(1 << 30)) + compressor.flush()
    data = SIGNATURE + chunk(b"IHDR", ihdr(1, 1, 8, 0)) + chunk(b"IDAT", bomb) + chunk(b"IEND", b"")
    tracemalloc.start()
    try:
        assert code_of(data) == "image_data_long"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(data) + (2 << 20)


@SETTINGS
@given(
    st.sampled_from(BASES),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4),
    st.booleans(),
)
def test_random_damage_only_ever_raises_invalid_image(base, flips, fix_crcs):
    damaged = bytearray(base)
    for position, xor in flips:
        damaged[position % len(damaged)] ^= xor
    if fix_crcs and damaged[:8] == SIGNATURE:
        with contextlib.suppress(AssertionError, struct.error):
            damaged = bytearray(assemble(parse_chunks(bytes(damaged))))
    with contextlib.suppress(InvalidImage):
        convert(bytes(damaged))


# --- the chunk rules of spec 5.6, 11.2 and 11.3, one case each ---

RGB = parse_chunks(pillow_png("RGB"))  # IHDR, IDAT..., IEND
IHDR_CHUNK, IDATS, IEND_CHUNK = RGB[0], [c for c in RGB if c[0] == b"IDAT"], RGB[-1]


def palette_chunks() -> list[tuple[bytes, bytes]]:
    image = Image.frombytes("P", (4, 4), bytes(range(16)))
    image.putpalette(bytes(range(48)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return parse_chunks(out.getvalue())


def gray_chunks() -> list[tuple[bytes, bytes]]:
    return parse_chunks(pillow_png("L", (4, 4)))


CHUNK_RULES = {
    "ihdr_not_first": ([(b"gAMA", b"\x00\x00\xb1\x8f"), IHDR_CHUNK, *IDATS, IEND_CHUNK], "chunk_order"),
    "ihdr_missing": ([*IDATS, IEND_CHUNK], "chunk_order"),
    "ihdr_twice": ([IHDR_CHUNK, IHDR_CHUNK, *IDATS, IEND_CHUNK], "chunk_order"),
    "ihdr_short": ([(b"IHDR", IHDR_CHUNK[1][:12]), *IDATS, IEND_CHUNK], "bad_header"),
    "zero_width": ([(b"IHDR", ihdr(0, 7, 8, 2)), *IDATS, IEND_CHUNK], "bad_header"),
    "bad_depth_for_rgb": ([(b"IHDR", ihdr(13, 7, 4, 2)), *IDATS, IEND_CHUNK], "bad_header"),
    "palette_16_bit": ([(b"IHDR", ihdr(13, 7, 16, 3)), *IDATS, IEND_CHUNK], "bad_header"),
    "interlace_2": ([(b"IHDR", ihdr(13, 7, 8, 2, interlace=2)), *IDATS, IEND_CHUNK], "bad_header"),
    "compression_1": ([(b"IHDR", ihdr(13, 7, 8, 2, compression=1)), *IDATS, IEND_CHUNK], "bad_header"),
    "filter_method_1": ([(b"IHDR", ihdr(13, 7, 8, 2, filter_method=1)), *IDATS, IEND_CHUNK], "bad_header"),
    "no_idat": ([IHDR_CHUNK, IEND_CHUNK], "missing_image_data"),
    "no_iend": ([IHDR_CHUNK, *IDATS], "truncated"),
    "split_idats": (
        [IHDR_CHUNK, (b"IDAT", IDATS[0][1][:10]), (b"tEXt", b"a\x00b"), (b"IDAT", IDATS[0][1][10:]), IEND_CHUNK],
        "chunk_order",
    ),
    "unknown_critical": ([IHDR_CHUNK, (b"CrIt", b"x"), *IDATS, IEND_CHUNK], "unknown_critical_chunk"),
    "unknown_critical_after_idat": ([IHDR_CHUNK, *IDATS, (b"CrIt", b"x"), IEND_CHUNK], "unknown_critical_chunk"),
    "plte_in_gray": ([gray_chunks()[0], (b"PLTE", bytes(6)), *gray_chunks()[1:]], "bad_palette"),
    "plte_bad_length": ([palette_chunks()[0], (b"PLTE", bytes(7)), *palette_chunks()[2:]], "bad_palette"),
    "plte_missing": ([palette_chunks()[0], *palette_chunks()[2:]], "missing_palette"),
    "plte_after_idat": (
        [palette_chunks()[0], *palette_chunks()[2:-1], palette_chunks()[1], palette_chunks()[-1]],
        "missing_palette",
    ),
    "plte_twice": ([palette_chunks()[0], palette_chunks()[1], *palette_chunks()[1:]], "chunk_order"),
    "plte_too_many_for_depth": (
        [(b"IHDR", ihdr(4, 4, 2, 3)), (b"PLTE", bytes(15)), *palette_chunks()[2:]],
        "bad_palette",
    ),
    "trns_in_rgba": ([parse_chunks(BASES[1])[0], (b"tRNS", bytes(6)), *parse_chunks(BASES[1])[1:]], "bad_transparency"),
    "trns_wrong_length": ([IHDR_CHUNK, (b"tRNS", bytes(2)), *IDATS, IEND_CHUNK], "bad_transparency"),
    "trns_after_idat": ([IHDR_CHUNK, *IDATS, (b"tRNS", bytes(6)), IEND_CHUNK], "chunk_order"),
    "iend_not_empty": ([IHDR_CHUNK, *IDATS, (b"IEND", b"x")], "bad_chunk"),
}


@pytest.mark.parametrize("case", sorted(CHUNK_RULES))
def test_chunk_rules(case):
    chunks, code = CHUNK_RULES[case]
    assert code_of(assemble(chunks)) == code


def test_chunk_length_over_2_31_is_bad_chunk():
    data = SIGNATURE + chunk(b"IHDR", IHDR_CHUNK[1]) + struct.pack(">I", 2**31) + b"tEXt" + bytes(20)
    assert code_of(data) == "bad_chunk"


def test_chunk_type_not_letters_is_bad_chunk():
    data = SIGNATURE + chunk(b"IHDR", IHDR_CHUNK[1]) + chunk(b"te1t", b"") + b"".join(chunk(*c) for c in IDATS)
    assert code_of(data) == "bad_chunk"


def test_empty_input_is_not_png():
    assert code_of(b"") == "not_png"
    assert code_of(SIGNATURE[:5]) == "truncated"


def test_ancillary_chunks_anywhere_are_skipped():
    ancillary = [(b"tEXt", b"k\x00v"), (b"zzZz", bytes(100))]
    plain = convert(assemble(RGB))
    assert convert(assemble([IHDR_CHUNK, *ancillary, *IDATS, *ancillary, IEND_CHUNK])) == plain


def test_trailing_bytes_after_iend_are_ignored():
    assert convert(assemble(RGB) + b"junk") == convert(assemble(RGB))

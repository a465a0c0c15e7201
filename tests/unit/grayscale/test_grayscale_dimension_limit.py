"""Images with a side over max_dimension (libpng's default 1,000,000) are refused from IHDR,
before any buffer is sized from the claimed width: found by fuzzing, where a 65-byte file
claiming 40,000,000 x 1 pixels made the decoder allocate ~90 MB."""

import struct
import tracemalloc
import zlib

import pytest

import grayscale


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _claiming(width: int, height: int, color_type: int = 2, bit_depth: int = 8, interlace: int = 1) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 16)) + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(40_000_000, 1), (1, 16_000_000), (1_000_001, 2)])
@pytest.mark.parametrize("path", ["convert", "convert_stream"])
def test_a_side_over_the_limit_is_too_large_without_allocating_for_it(width, height, path):
    data = _claiming(width, height, bit_depth=16)
    tracemalloc.start()
    try:
        with pytest.raises(grayscale.InvalidImage) as caught:
            if path == "convert":
                grayscale.convert(data)
            else:
                b"".join(grayscale.convert_stream([data]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.code == "too_large"
    assert peak < 4 * 2**20


def test_the_limit_is_a_keyword_and_a_side_at_it_passes_the_check():
    data = _claiming(1_000_000, 1, color_type=0, interlace=0)
    with pytest.raises(grayscale.InvalidImage) as caught:
        grayscale.convert(data)
    assert caught.value.code != "too_large"  # it gets to the (short) image data
    with pytest.raises(grayscale.InvalidImage) as caught:
        grayscale.convert(data, max_dimension=999_999)
    assert caught.value.code == "too_large"


def test_a_tiny_interlaced_file_claiming_a_large_image_takes_no_canvas_memory():
    data = _claiming(6324, 6324, color_type=4, bit_depth=16, interlace=1)  # 40 MP of gray+alpha
    tracemalloc.start()
    try:
        with pytest.raises(grayscale.InvalidImage) as caught:
            grayscale.convert(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.code == "image_data_short"
    assert peak < 4 * 2**20  # the 80 MB canvas is only taken once rows arrive


def test_no_row_sized_memory_is_kept_after_a_conversion():
    """Found by fuzzing: per-width cached masks stayed alive after convert() returned, ~61 MB
    per distinct 4M-pixel width; a long-lived Worker isolate would accumulate them."""
    import gc
    import io

    from PIL import Image

    images = []
    for width in (300_001, 300_002, 300_003):
        out = io.BytesIO()
        Image.new("RGB", (width, 2), (10, 200, 30)).save(out, format="PNG")
        images.append(out.getvalue())
    grayscale.convert(images[0])  # warm up anything created once per process
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for data in images:
            grayscale.convert(data)
            b"".join(grayscale.convert_stream([data]))
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 512 * 1024

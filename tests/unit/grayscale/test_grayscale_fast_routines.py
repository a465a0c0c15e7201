"""Each fast (SWAR / C-slice) routine against its plain twin in grayscale_reference, on edge and random rows."""

import random

import grayscale_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unfilter_driver import unfilter_all

from grayscale import filters
from grayscale.deinterlace import Adam7Canvas
from grayscale.filters import ScanlineUnfilter
from grayscale.luma import Luma
from grayscale.samples import _alpha_where_key, _unpack, _unpack_tables
from grayscale.swar import ByteLanes
from grayscale.wavefront import (
    unfilter_average_span,
    unfilter_paeth_span,
    unfilter_window_bytes,
    unfilter_window_paeth,
)
from grayscale.writer import StripFilters

EDGE_BYTES = [0, 1, 0x7F, 0x80, 0x81, 0xFE, 0xFF]
LENGTHS = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 257]


def rows_for(length: int, rng: random.Random) -> list[bytes]:
    """Edge rows (constant edge values, alternating extremes) and random rows of one length."""
    rows = [bytes([v]) * length for v in EDGE_BYTES]
    rows.append(bytes((0xFF if i % 2 else 0) for i in range(length)))
    rows += [bytes(rng.choice(EDGE_BYTES) for _ in range(length)) for _ in range(3)]
    rows += [rng.randbytes(length) for _ in range(4)]
    return rows


def as_int(row: bytes) -> int:
    return int.from_bytes(row, "little")


@pytest.mark.parametrize("length", LENGTHS)
def test_lane_arithmetic_matches_bytewise(length):
    rng = random.Random(length)
    rows = rows_for(length, rng)
    lanes = ByteLanes(length)
    for a in rows:
        for b in rows[::3]:
            assert lanes.add(as_int(a), as_int(b)).to_bytes(length, "little") == ref.add_bytes(a, b)
            assert lanes.sub(as_int(a), as_int(b)).to_bytes(length, "little") == ref.sub_bytes(a, b)
            assert lanes.avg(as_int(a), as_int(b)).to_bytes(length, "little") == ref.avg_bytes(a, b)
        for stride in (1, 3, 4):
            expected = ref.unfilter_row(1, a, bytes(length), stride)
            assert lanes.prefix_sum(as_int(a), stride).to_bytes(length, "little") == expected


# A row is a whole number of pixels whenever bpp > 1 (bpp = 1 also covers packed low bit depths).
ROW_SHAPES = [(length, bpp) for length in LENGTHS for bpp in (1, 2, 3, 4, 6, 8) if length % bpp == 0]


@pytest.mark.parametrize("length,bpp", ROW_SHAPES)
def test_unfilter_each_type_matches_reference(length, bpp):
    rng = random.Random(length * 10 + bpp)
    rows = rows_for(length, rng)
    for filter_type in range(5):
        prev = bytes(length)
        expected = []
        for raw in rows:
            row = ref.unfilter_row(filter_type, raw, prev, bpp)
            expected.append(row)
            prev = row
        got = unfilter_all(ScanlineUnfilter(length, bpp), [filter_type] * len(rows), rows)
        assert got == expected, f"filter type {filter_type}"


@pytest.mark.parametrize("length,bpp", [(1, 1), (7, 1), (300, 3), (1000, 4), (999, 3), (240, 8)])
@pytest.mark.parametrize("piece_budget", [0.001, 3.0, 1000.0])
def test_long_rows_decoded_in_pieces_match_reference(monkeypatch, length, bpp, piece_budget):
    """long_row_pieces: every filter type, pieces from one byte-pixel to the whole row; Paeth under an
    all-zero row (decoded as Sub) and under random rows."""
    monkeypatch.setattr(filters, "PIECE_BUDGET_US", piece_budget)
    rng = random.Random(length * bpp)
    for types in ([4, 4, 3, 1, 2, 0], [3, 3, 4, 1, 1, 2], [rng.randrange(5) for _ in range(8)]):
        raws = [rng.choice(rows_for(length, rng)) for _ in types]
        unfilter = ScanlineUnfilter(length, bpp)
        got = [b"".join(unfilter.long_row_pieces(t, raw)) for t, raw in zip(types, raws, strict=True)]
        assert got == ref.unfilter_rows(types, raws, bytes(length), bpp)


@pytest.mark.parametrize("length", [3, 6, 12, 48, 3000])
def test_unfilter_mixed_types_matches_reference(length):
    """Long mixed sequences: exercises windows, the sweep-or-row decision and trailing fast rows."""
    rng = random.Random(length)
    for bpp in (1, 3):
        for weights in ([0, 1, 2, 3, 4, 3, 3, 4, 4], [2, 2, 2, 2, 1, 1, 4], [3] * 5 + [2]):
            types = [rng.choice(weights) for _ in range(60 if length < 1000 else 12)]
            raws = [rng.randbytes(length) for _ in types]
            got = unfilter_all(ScanlineUnfilter(length, bpp), types, raws)
            assert got == ref.unfilter_rows(types, raws, bytes(length), bpp)


WINDOW_SHAPES = [(1, 1, 1), (2, 6, 3), (5, 4, 4), (17, 30, 3), (40, 16, 8), (3, 200, 2), (60, 9, 1)]
WINDOW_TYPE_MIXES = {
    "average": [3],
    "paeth": [4],
    "no_paeth": [0, 1, 2, 3, 3],
    "all": [0, 1, 2, 3, 4, 4],
}


@pytest.mark.parametrize("mix", sorted(WINDOW_TYPE_MIXES))
@pytest.mark.parametrize("rows,length,bpp", WINDOW_SHAPES)
def test_wavefront_windows_match_reference(mix, rows, length, bpp):
    rng = random.Random(rows * length + bpp)
    for prev in (bytes(length), rng.randbytes(length), b"\xff" * length):
        raws = rows_for(length, rng)[:rows] if rows <= 8 else [rng.randbytes(length) for _ in range(rows)]
        types = [rng.choice(WINDOW_TYPE_MIXES[mix]) for _ in raws]
        expected = ref.unfilter_rows(types, raws, prev, bpp)
        if 4 not in types:  # the byte-lane sweep handles every type but Paeth
            assert unfilter_window_bytes(types, raws, prev, bpp) == expected
        assert unfilter_window_paeth(types, raws, prev, bpp) == expected


@pytest.mark.parametrize("chunk_bytes", [1, 40, 333, 1 << 20])
@pytest.mark.parametrize("mix", sorted(WINDOW_TYPE_MIXES))
def test_sweeps_with_up_deltas_in_chunks_match_reference(monkeypatch, chunk_bytes, mix):
    """Paeth windows whose rows have Up rows folded into their up neighbour (up deltas), laid out a few
    steps at a time: the same rows as decoding every row, Up rows included, with the reference."""
    from grayscale import wavefront

    monkeypatch.setattr(wavefront, "CHUNK_BYTES", chunk_bytes)
    rng = random.Random(chunk_bytes * 31 + len(mix))
    for rows, length, bpp in WINDOW_SHAPES:
        prev = rng.randbytes(length)
        types, raws, deltas, all_types, all_raws = [], [], [], [], []
        for _ in range(rows):
            ups = [rng.choice([bytes(length), rng.randbytes(length)]) for _ in range(rng.choice([0, 0, 1, 3]))]
            delta = bytes(length)
            for up in ups:
                delta = ref.add_bytes(delta, up)
            filter_type = rng.choice(WINDOW_TYPE_MIXES[mix])
            if filter_type == 2:
                filter_type = 3  # an Up row would be folded, never a lane
            raw = rng.randbytes(length)
            types.append(filter_type)
            raws.append(raw)
            deltas.append(delta if any(delta) else None)
            all_types += [2] * len(ups) + [filter_type]
            all_raws += [*ups, raw]
        decoded_all = ref.unfilter_rows(all_types, all_raws, prev, bpp)
        expected = [decoded_all[i] for i in lane_positions(all_types)]
        assert unfilter_window_paeth(types, raws, prev, bpp, deltas) == expected


def lane_positions(all_types):
    return [i for i, t in enumerate(all_types) if t != 2]


@pytest.mark.parametrize("length,bpp", ROW_SHAPES)
def test_byte_by_byte_rows_match_reference(length, bpp):
    """Whole rows, and rows decoded span by span at every split (a long row is decoded in pieces)."""
    rng = random.Random(length + bpp)
    for prev in rows_for(length, rng)[::2]:
        for raw in rows_for(length, rng)[1::2]:
            for filter_type, span in ((3, unfilter_average_span), (4, unfilter_paeth_span)):
                expected = ref.unfilter_row(filter_type, raw, prev, bpp)
                assert span_decoded(span, raw, prev, bpp, [length]) == expected
                split = rng.randrange(length + 1)
                assert span_decoded(span, raw, prev, bpp, [split, length]) == expected


def span_decoded(span, raw, prev, bpp, ends):
    row = bytearray(raw)
    start = 0
    for end in ends:
        span(row, prev, bpp, start, end)
        start = end
    return bytes(row)


def test_paeth_exhaustive_neighbourhoods():
    """Every (left, up, upper-left) combination of a value grid, ties included: pixel 2k+1 of the
    row has left a = decoded[2k], up b = prev[2k+1], upper-left c = prev[2k]."""
    values = [0, 1, 2, 63, 127, 128, 129, 200, 254, 255]
    combos = [(a, b, c) for a in values for b in values for c in values]
    prev = bytes(v for _, b, c in combos for v in (c, b))
    decoded = bytes(v for k, (a, _, _) in enumerate(combos) for v in (a, (k * 7) & 0xFF))
    raw = ref.filter_row(4, decoded, prev, 1)
    assert ref.unfilter_row(4, raw, prev, 1) == decoded
    assert unfilter_window_paeth([4], [raw], prev, 1) == [decoded]
    assert span_decoded(unfilter_paeth_span, raw, prev, 1, [len(raw)]) == decoded


@pytest.mark.parametrize("pixel_bytes,green_at,blue_at", [(3, 1, 2), (4, 1, 2), (6, 2, 4), (8, 2, 4)])
@pytest.mark.parametrize("pixels", [1, 2, 3, 7, 64, 257])
def test_luma_matches_reference(pixel_bytes, green_at, blue_at, pixels):
    rng = random.Random(pixels * pixel_bytes)
    for data in rows_for(pixels * pixel_bytes, rng):
        red, green, blue = data[0::pixel_bytes], data[green_at::pixel_bytes], data[blue_at::pixel_bytes]
        assert Luma(pixel_bytes, green_at, blue_at)(data) == ref.luma(red, green, blue)


def test_one_luma_serves_strips_of_any_length():
    """Its lane constants are built for the longest strip so far and cut down for shorter ones (the last
    strip of an image, strips whose repeated rows were left out)."""
    rng = random.Random(7)
    convert = Luma(3)
    for pixels in (64, 64, 5, 300, 64, 1):
        data = rng.randbytes(3 * pixels)
        assert convert(data) == ref.luma(data[0::3], data[1::3], data[2::3])


def test_luma_exhaustive_extremes():
    for g in (0, 1, 127, 128, 254, 255):
        for b in (0, 1, 77, 128, 255):
            data = b"".join(bytes((r, g, b, 0xFF)) for r in range(256))
            assert Luma(4)(data) == ref.luma(bytes(range(256)), bytes([g]) * 256, bytes([b]) * 256)


@pytest.mark.parametrize("sample_bytes", [1, 2, 3, 6])
def test_alpha_where_key_matches_reference(sample_bytes):
    rng = random.Random(sample_bytes)
    key = rng.randbytes(sample_bytes)
    pixels = [key, rng.randbytes(sample_bytes)] + [
        bytes(k ^ (1 << rng.randrange(8)) if i == j else k for j, k in enumerate(key)) for i in range(sample_bytes)
    ]
    for _ in range(20):
        samples = b"".join(rng.choice(pixels) for _ in range(rng.randrange(1, 50)))
        assert _alpha_where_key(samples, sample_bytes, key) == ref.alpha_where_key(samples, sample_bytes, key)


@pytest.mark.parametrize("bit_depth", [1, 2, 4])
def test_unpack_matches_reference(bit_depth):
    rng = random.Random(bit_depth)
    table = _unpack_tables(bit_depth, lambda v: v)
    for width in (1, 2, 3, 7, 8, 9, 33):
        row_bytes = (width * bit_depth + 7) // 8
        rows = [rng.randbytes(row_bytes) for _ in range(3)]
        expected = b"".join(bytes(ref.unpack_samples(row, bit_depth, width)) for row in rows)
        assert _unpack(rows, width, table) == expected


@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("line_pixels,rows", [(1, 1), (1, 5), (2, 3), (17, 4), (64, 2)])
def test_output_strip_filters_match_reference(filter_type, channels, line_pixels, rows):
    rng = random.Random(line_pixels * rows)
    line = line_pixels * channels
    for above in (bytes(line), rng.randbytes(line), b"\xff" * line):
        pixels = rng.randbytes(line * rows)
        expected, prev = [], above
        for i in range(0, len(pixels), line):
            row = pixels[i : i + line]
            expected.append(bytes([filter_type]) + ref.filter_row(filter_type, row, prev, channels))
            prev = row
        assert StripFilters(line, channels).by_type[filter_type](pixels, above) == b"".join(expected)


@pytest.mark.parametrize("width,height", [(1, 1), (2, 2), (3, 5), (8, 8), (9, 9), (13, 7), (1, 17), (33, 2)])
@pytest.mark.parametrize("channels", [1, 2])
def test_adam7_canvas_matches_reference(width, height, channels):
    expected = bytearray(width * height * channels)
    canvas = Adam7Canvas(width, height, channels)
    passes = ref.adam7_positions(width, height)
    for (x0, y0, dx, dy), positions in zip(ref.ADAM7, passes, strict=True):
        if not positions:
            continue
        pixels = bytearray()
        for x, y in positions:
            value = bytes(((x * 7 + y * 13 + c * 101) & 0xFF) for c in range(channels))
            expected[(y * width + x) * channels : (y * width + x + 1) * channels] = value
            pixels += value
        canvas.place_rows(bytes(pixels), x0, dx, y0, dy)
    assert canvas.pixels == expected


@pytest.mark.parametrize("decision", ["always_sweep", "never_sweep", "sparse_paeth_rows", "measured"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_unfilter_decision_paths_match_reference(decision, data):
    """Random filter-type sequences through ScanlineUnfilter, with the sweep-or-rows cost decision
    forced each way (and Paeth rows decoded on their own by sparse.py or the byte loop), against the
    reference."""
    bpp = data.draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    width = data.draw(st.integers(1, 70))
    length = width * bpp
    count = data.draw(st.integers(1, 40))
    types = data.draw(st.lists(st.integers(0, 4), min_size=count, max_size=count))
    raws = [data.draw(st.binary(min_size=length, max_size=length)) for _ in types]
    costs = {
        "always_sweep": dict.fromkeys(range(5), 1e9),
        "never_sweep": dict.fromkeys(range(5), 0.0),
        "sparse_paeth_rows": {**dict.fromkeys(range(5), 0.0), 4: 1e9},
        "measured": filters.ROW_BYTE_COST,
    }
    sparse_cost = {"always_sweep": 1e18, "never_sweep": 1e18, "sparse_paeth_rows": 0.0}.get(decision)
    saved = filters.ROW_BYTE_COST, filters.sparse_paeth_cost
    filters.ROW_BYTE_COST = costs[decision]
    if sparse_cost is not None:
        filters.sparse_paeth_cost = lambda raw: sparse_cost
    try:
        got = unfilter_all(ScanlineUnfilter(length, bpp), types, raws)
    finally:
        filters.ROW_BYTE_COST, filters.sparse_paeth_cost = saved
    assert got == ref.unfilter_rows(types, raws, bytes(length), bpp)


def test_paeth_predictor_lanes_all_16_million_neighbourhoods():
    """Every (a, b, c) in 0..255^3 at once, one 16-bit lane each, against the spec's predictor."""
    from grayscale.swar import paeth_lane_constants, paeth_predictor_lanes

    count = 256**3  # lane i = a*65536 + b*256 + c
    planes = []
    for repeat_each, tile in ((65536, 1), (256, 256), (1, 65536)):
        spread = bytearray(2 * count)
        spread[0::2] = b"".join(bytes([v]) * repeat_each for v in range(256)) * tile
        planes.append(int.from_bytes(spread, "little"))
    a, b, c = planes
    ones, low8, bias256, bias512 = paeth_lane_constants(count)
    predicted = (paeth_predictor_lanes(a, b, c, ones, low8, bias256, bias512) & low8).to_bytes(2 * count, "little")[
        0::2
    ]
    table = bytes(ref.paeth_predictor(av, bv, cv) for av in range(256) for bv in range(256) for cv in range(256))
    assert predicted == table


@pytest.mark.parametrize("row_bytes,bpp", [(1, 1), (2, 1), (3, 3), (6, 3), (8, 4), (16, 8), (12, 2)])
def test_narrow_rows_match_reference(row_bytes, bpp):
    """narrow.unfilter_narrow_rows on bands of every filter type in random order, edge and random rows."""
    from grayscale.narrow import unfilter_narrow_rows

    rng = random.Random(row_bytes * 7 + bpp)
    for prev in (bytes(row_bytes), rng.randbytes(row_bytes), b"\xff" * row_bytes):
        types = [rng.randrange(5) for _ in range(40)] + list(range(5))
        raws = [rng.choice(rows_for(row_bytes, rng)) for _ in types]
        band = b"".join(bytes([t]) + raw for t, raw in zip(types, raws, strict=True))
        expected = b"".join(ref.unfilter_rows(types, raws, prev, bpp))
        assert unfilter_narrow_rows(band, len(types), row_bytes, bpp, prev) == expected


@pytest.mark.parametrize("filter_type", [3, 4])
@pytest.mark.parametrize("segment_pixels,chunk_bytes", [(1, 1), (2, 7), (5, 1 << 20), (64, 1 << 20)])
def test_segmented_long_rows_match_reference(monkeypatch, filter_type, segment_pixels, chunk_bytes):
    """segments.decode_long_row: rows cut into many speculative segments (down to one pixel each) and
    laid out a few steps at a time give the reference's row, whatever the content: random rows, flat
    rows (where Paeth keeps a wrong guess longest) and edge values."""
    from grayscale import segments
    from grayscale.wavefront import run_to_end

    monkeypatch.setattr(segments, "MIN_SEGMENT_PIXELS", segment_pixels)
    monkeypatch.setattr(segments, "CHUNK_BYTES", chunk_bytes)
    rng = random.Random(filter_type * 100 + segment_pixels)
    for bpp in (1, 3, 4):
        for pixels in (1, 2, 9, 200, 1000):
            length = pixels * bpp
            flat = bytes([rng.randrange(256)]) * length
            for raw, prev in (
                (rng.randbytes(length), rng.randbytes(length)),
                (bytes(length), flat),
                (flat, rng.randbytes(length)),
                (rng.choice(rows_for(length, rng)), rng.choice(rows_for(length, rng))),
            ):
                got = run_to_end(segments.decode_long_row(filter_type, raw, prev, bpp, 1.0, 1e9))
                assert got == ref.unfilter_row(filter_type, raw, prev, bpp)

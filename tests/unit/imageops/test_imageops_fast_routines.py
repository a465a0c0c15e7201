"""Every fast routine of src/imageops against its plain twin in imageops_reference, on edge cases and
random data (hypothesis where the input space is wide)."""

import random

import imageops_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grayscale import PngInfo
from imageops.alpha import SplitPremultiplier, unpremultiply
from imageops.box import RunSums, clip8_lanes, column_sums, relane
from imageops.geometry import reduce_multiplier
from imageops.histogram import byte_histogram
from imageops.lanes import LaneGather, lane_width_for, widen, window_sums
from imageops.pixels import PixelExpander, alpha_where_key, unpack, unpack_table

WIDTHS = (2, 4, 8)


@given(st.binary(max_size=300), st.sampled_from(WIDTHS))
def test_widen_and_gather_match_reference(samples, width):
    value = widen(samples, width)
    lanes = ref.lanes_of(value, len(samples), width)
    assert lanes == list(samples)
    assert value >> (8 * width * len(samples)) == 0
    rng = random.Random(len(samples))
    positions = [rng.randrange(len(samples) + 1) for _ in range(rng.randrange(1, 20))] if samples else [0]
    out_width = rng.choice(WIDTHS)
    gathered = LaneGather(positions, len(samples), width, out_width)(value)
    padded = [*lanes, 0]  # position len(samples) is the spare zero lane
    assert ref.lanes_of(gathered, len(positions), out_width) == [padded[p] for p in positions]


@given(
    st.lists(st.integers(0, 255), max_size=200),
    st.integers(1, 40),
    st.integers(1, 5),
)
def test_window_sums_match_reference(samples, length, stride):
    width = lane_width_for(255 * length)
    value = widen(bytes(samples), width)
    result = window_sums(value, length, 8 * width * stride)
    assert ref.lanes_of(result, len(samples), width) == ref.window_sums(samples, length, stride)
    assert result >> (8 * width * len(samples)) == 0  # nothing spills past the last lane


@settings(max_examples=60)
@given(st.data())
def test_run_sums_match_reference(data):
    unit = data.draw(st.integers(1, 4))
    pixels = data.draw(st.integers(1, 30))
    rows = data.draw(st.integers(1, 4))
    # Runs in order, possibly empty, possibly overlapping by one pixel or leaving one out (resize ties).
    runs = []
    start = 0
    while start < pixels:
        length = data.draw(st.integers(0, pixels - start))
        runs.append((start, length))
        start += max(1, length) + data.draw(st.integers(-1, 1)) if length else 1
        start = max(start, runs[-1][0] + 1)
    samples = data.draw(st.lists(st.integers(0, 255), min_size=rows * pixels * unit, max_size=rows * pixels * unit))
    width = lane_width_for(255 * pixels)
    out_width = data.draw(st.sampled_from((4, 8)))
    result = RunSums(rows, pixels * unit, unit, tuple(runs), width, out_width)(widen(bytes(samples), width))
    matrix = [samples[r * pixels * unit : (r + 1) * pixels * unit] for r in range(rows)]
    expected = ref.run_sums(matrix, unit, runs)
    assert ref.lanes_of(result, len(expected), out_width) == expected


@settings(max_examples=60)
@given(st.data())
def test_column_sums_match_reference(data):
    rows = data.draw(st.integers(1, 12))
    lanes = data.draw(st.integers(1, 6))
    segments = []
    first = 0
    while first < rows:
        length = data.draw(st.integers(1, rows - first))
        segments.append((first, length))
        first += length
    samples = data.draw(st.lists(st.integers(0, 255), min_size=rows * lanes, max_size=rows * lanes))
    width = lane_width_for(255 * rows)
    result = column_sums(widen(bytes(samples), width), rows, 8 * width * lanes, segments)
    got = ref.lanes_of(result, rows * lanes, width)
    starts = dict(segments)
    for r in range(rows):
        for k in range(lanes):
            expected = sum(samples[(r + i) * lanes + k] for i in range(starts[r])) if r in starts else 0
            assert got[r * lanes + k] == expected


def test_premultiply_matches_reference_on_every_pair():
    """Exhaustive over every (colour, alpha) pair, for gray+alpha and RGBA: the two planes interleaved
    back are the reference's premultiplied pixels."""
    pairs = bytes(v for c in range(256) for a in range(256) for v in (c, a))
    rgba = bytes(v for c in range(256) for a in range(256) for v in (c, 255 - c, c ^ 0x55, a))
    for pixels, channels in ((pairs, 2), (rgba, 4)):
        count = len(pixels) // channels
        even, odd = SplitPremultiplier(channels)(pixels, count)
        samples = bytearray(len(pixels))
        samples[0::2] = bytes(ref.lanes_of(even, len(pixels) // 2, 2))
        samples[1::2] = bytes(ref.lanes_of(odd, len(pixels) // 2, 2))
        assert bytes(samples) == ref.premultiply(pixels, channels)
        assert even >> (8 * len(pixels)) == 0 and odd >> (8 * len(pixels)) == 0


@given(st.binary(max_size=400), st.sampled_from((2, 4)))
def test_unpremultiply_matches_reference(data, channels):
    pixels = data[: len(data) // channels * channels]
    assert unpremultiply(pixels, channels) == ref.unpremultiply(pixels, channels)


@pytest.mark.parametrize("bit_depth", [1, 2, 4])
def test_unpack_matches_reference(bit_depth):
    rng = random.Random(bit_depth)
    table = unpack_table(bit_depth, lambda v: v)
    for width in (1, 2, 3, 7, 8, 9, 31, 64):
        rows = [rng.randbytes((width * bit_depth + 7) // 8) for _ in range(3)]
        assert list(unpack(rows, width, table)) == [
            v for row in rows for v in ref.unpack_samples(row, bit_depth, width)
        ]


@pytest.mark.parametrize("sample_bytes", [1, 2, 3, 6])
def test_alpha_where_key_matches_reference(sample_bytes):
    rng = random.Random(sample_bytes)
    key = rng.randbytes(sample_bytes)
    for count in (0, 1, 5, 300):
        pixels = [key if rng.random() < 0.3 else rng.randbytes(sample_bytes) for _ in range(count)]
        # Near misses: one byte of the key changed.
        pixels += [key[:k] + bytes([key[k] ^ 1]) + key[k + 1 :] for k in range(sample_bytes)]
        samples = b"".join(pixels)
        assert alpha_where_key(samples, sample_bytes, key) == ref.alpha_where_key(samples, sample_bytes, key)


@given(st.binary(max_size=3000))
def test_byte_histogram_matches_reference(data):
    assert byte_histogram(data) == ref.byte_histogram(data)


def test_byte_histogram_on_skewed_and_full_data():
    for data in (bytes(5000), b"\xff" * 77, bytes(range(256)) * 9, bytes([7, 200]) * 1000):
        assert byte_histogram(data) == ref.byte_histogram(data)


@given(st.lists(st.integers(0, 65535), max_size=50), st.sampled_from(WIDTHS), st.sampled_from(WIDTHS))
def test_relane_matches_reference(values, width, new_width):
    value = sum(v << (8 * width * i) for i, v in enumerate(values))
    out = relane(value, len(values), width, new_width)
    assert ref.lanes_of(int.from_bytes(out, "little"), len(values), new_width) == values


def test_reduce_multiplier_matches_its_definition():
    for area in [*range(1, 5000), 65536, 99991, 155648, 1 << 20, 3 * (1 << 20) + 7]:
        assert reduce_multiplier(area) == ref.reduce_multiplier(area), area


@pytest.mark.parametrize("color_type,bit_depth", [(0, 1), (0, 2), (0, 4), (0, 8), (3, 1), (3, 2), (3, 4), (3, 8)])
def test_expander_matches_per_sample_decoding(color_type, bit_depth):
    """Low-depth gray scales by bit replication; palette indices map to RGB(A), indices past the palette
    to opaque black; a gray key becomes alpha 0."""
    rng = random.Random(bit_depth)
    width = 13
    info = PngInfo(width, 2, bit_depth, color_type, 0)
    rows = [rng.randbytes(info.row_bytes(width)) for _ in range(2)]
    samples = [v for row in rows for v in ref.unpack_samples(row, bit_depth, width)]
    if color_type == 0:
        key = samples[3]
        expander = PixelExpander(info, None, key.to_bytes(2, "big"))
        scale = 255 // ((1 << bit_depth) - 1)
        expected = [x for v in samples for x in (v * scale, 0 if v == key else 255)]
    else:
        entries = max(1, (1 << bit_depth) - 1)
        palette = rng.randbytes(3 * entries)
        alphas = rng.randbytes(max(1, entries - 1))
        expander = PixelExpander(info, palette, alphas)
        expected = []
        for v in samples:
            rgb = list(palette[3 * v : 3 * v + 3]) if v < entries else [0, 0, 0]
            expected += [*rgb, alphas[v] if v < len(alphas) else 255]
    assert list(expander.expand(rows, width)) == expected


@given(st.lists(st.integers(0, 2**32 - 1), max_size=60))
def test_clip8_lanes_matches_reference(values):
    """Any lane below 2^32 (a run's sum times its weight, plus 2^21), including those over 255."""
    values = [*values, 256 << 22, (256 << 22) + 12345, 255 << 22, (258 << 22) + 1, 2**32 - 1, 0]
    ones = sum(1 << (32 * i) for i in range(len(values)))
    packed = sum(v << (32 * i) for i, v in enumerate(values))
    assert ref.lanes_of(clip8_lanes(packed, ones), len(values), 4) == [ref.clip8(v) for v in values]

"""sparse.decode_sparse_paeth against grayscale_reference.unfilter_row(4, ...): rows of flat content
with a few residuals (the copy-up and repeat-left runs it skips), random rows (its overrun path), and
the bounds it keeps: the cost it yields per tick, and giving up on rows it misjudged."""

import random

import grayscale_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unfilter_driver import unfilter_all

from grayscale import filters, sparse
from grayscale.filters import ScanlineUnfilter
from grayscale.sparse import decode_sparse_paeth, sparse_paeth_cost


def run(raw: bytes, prev: bytes, bpp: int, tick_us: float) -> tuple[bytes, bool, list[float]]:
    """decode_sparse_paeth to its end: (row, as estimated, the costs it yielded)."""
    decoder = decode_sparse_paeth(raw, prev, bpp, tick_us, sparse_paeth_cost(raw))
    costs = []
    while True:
        try:
            costs.append(next(decoder))
        except StopIteration as done:
            row, within_estimate = done.value
            return bytes(row), within_estimate, costs


def count_calls(monkeypatch, name: str) -> list[tuple]:
    """Replace generator function filters.<name> by one that records each call's arguments."""
    calls: list[tuple] = []
    real = getattr(filters, name)

    def counting(*args):
        calls.append(args)
        return (yield from real(*args))

    monkeypatch.setattr(filters, name, counting)
    return calls


@st.composite
def flat_rows(draw: st.DrawFn) -> tuple[int, bytes, bytes]:
    """(bpp, row above, filtered Paeth row) of chart-like content: runs of a few colours in both
    rows (edges in different places), made into residuals by the reference filter, plus some
    residuals changed at random (the rows then disagree with any smooth picture)."""
    bpp = draw(st.sampled_from([1, 2, 3, 4, 6, 8]))
    pixels = draw(st.integers(1, 120))
    colours = [bytes(draw(st.lists(st.sampled_from([0, 1, 127, 128, 254, 255]), min_size=bpp, max_size=bpp)))]
    colours += [draw(st.binary(min_size=bpp, max_size=bpp)) for _ in range(2)]

    def picture() -> bytes:
        row = b""
        while len(row) < pixels * bpp:
            row += draw(st.sampled_from(colours)) * draw(st.integers(1, 40))
        return row[: pixels * bpp]

    above, current = picture(), picture()
    raw = bytearray(ref.filter_row(4, current, above, bpp))
    for _ in range(draw(st.integers(0, 3))):
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bpp, above, bytes(raw)


@pytest.mark.parametrize("window", [1, 7, sparse.CHANGES_WINDOW])
@settings(max_examples=300, deadline=None)
@given(case=flat_rows(), tick_us=st.sampled_from([0.001, 5.0, 1000.0]))
def test_sparse_paeth_rows_match_reference(window, case, tick_us):
    """Also with tiny windows for finding changes in the row above (a long row has many)."""
    bpp, above, raw = case
    saved, sparse.CHANGES_WINDOW = sparse.CHANGES_WINDOW, window
    try:
        row, _, _ = run(raw, above, bpp, tick_us)
    finally:
        sparse.CHANGES_WINDOW = saved
    assert row == ref.unfilter_row(4, raw, above, bpp)


@pytest.mark.parametrize("bpp", [1, 2, 3, 4, 6, 8])
def test_random_rows_match_reference_and_overrun(bpp):
    """Random residuals: nothing for the runs to skip, so the estimate is exceeded; the row is still exact."""
    rng = random.Random(bpp)
    for length in (bpp, 5 * bpp, 64 * bpp, 1000 * bpp):
        above, raw = rng.randbytes(length), rng.randbytes(length)
        row, _, _ = run(raw, above, bpp, 3.0)
        assert row == ref.unfilter_row(4, raw, above, bpp)


def adversarial_row(bpp: int, pixels: int) -> tuple[bytes, bytes]:
    """A row of zero residuals where neither shortcut applies anywhere: the row above alternates between
    10 and 11 (it changes at every pixel), the first pixel is far from it (210), and with b - c = 1 the
    predictor keeps picking the pixel to the left, so the row never meets the row above."""
    above = bytes(10 + p % 2 for p in range(pixels) for _ in range(bpp))
    raw = bytes([200] * bpp) + bytes((pixels - 1) * bpp)
    return above, raw


@pytest.mark.parametrize("bpp", [1, 3, 4])
def test_misjudged_row_gives_up_and_stays_bounded(bpp):
    above, raw = adversarial_row(bpp, 4000)
    assert sparse_paeth_cost(raw) < 0.4 * len(raw)  # it looks cheap
    row, within_estimate, costs = run(raw, above, bpp, 1000.0)
    assert row == ref.unfilter_row(4, raw, above, bpp)
    assert not within_estimate
    # No unit of work is charged above a tick plus one piece of the byte loop.
    assert max(costs) <= 1000.0 + sparse.BYTE_LOOP_US * (1000.0 / sparse.BYTE_LOOP_US + bpp) + sparse.RUN_US
    # What it charged covers what it did: at least the byte loop over the part it gave up on.
    assert sum(costs) >= sparse.OVERRUN_FACTOR * sparse_paeth_cost(raw)


def test_scanline_unfilter_stops_choosing_sparse_after_a_misjudged_row(monkeypatch):
    """After one row cost more than estimated, later Paeth rows of the sub-image are swept."""
    bpp, pixels = 3, 4000
    above, raw = adversarial_row(bpp, pixels)
    calls = count_calls(monkeypatch, "decode_sparse_paeth")
    types = [0, 4, 4, 4]
    raws = [above, raw, raw, raw]
    got = unfilter_all(ScanlineUnfilter(len(raw), bpp), types, raws)
    assert got == ref.unfilter_rows(types, raws, bytes(len(raw)), bpp)
    assert len(calls) == 1


@pytest.mark.parametrize("bpp", [3, 6, 8])
def test_zero_run_that_starts_inside_the_first_pixel(bpp):
    """A residual in the first pixel, then zeros: the rest of that pixel repeats the row above (its left
    and upper-left are 0), whatever the row above does (here: zero in the first pixel, then changing)."""
    above = bytes(bpp) + bytes(range(1, 1 + 4 * bpp))
    raw = b"\x00\x36" + bytes(5 * bpp - 2)
    for tick_us in (0.001, 1000.0):
        row, _, _ = run(raw, above, bpp, tick_us)
        assert row == ref.unfilter_row(4, raw, above, bpp)


def test_long_rows_take_the_runs_when_they_are_mostly_zero_and_the_segments_otherwise(monkeypatch):
    """Rows too long for a window (over filters.LONG_ROW_BYTES): a flat Paeth row below a different
    flat row (where the segments' guesses all fail) goes to sparse.py, a noisy one to the segments;
    both exact."""
    bpp, pixels = 3, filters.LONG_ROW_BYTES // 3 + 1000
    segment_rows = count_calls(monkeypatch, "decode_long_row")
    rng = random.Random(5)
    first = bytes([10, 20, 30]) * pixels
    flat = bytes([10, 20, 31]) * pixels
    noisy = rng.randbytes(bpp * pixels)
    rows = [first, flat, noisy]
    types = [0, 4, 4]
    raws, prev = [], bytes(len(first))
    for filter_type, row in zip(types, rows, strict=True):
        raws.append(ref.filter_row(filter_type, row, prev, bpp))
        prev = row
    unfilter = ScanlineUnfilter(len(first), bpp)
    got = [b"".join(unfilter.long_row_pieces(t, raw)) for t, raw in zip(types, raws, strict=True)]
    assert got == rows
    assert len(segment_rows) == 1  # the noisy row only


@pytest.mark.parametrize("gap", [1, 3, 7])
def test_rows_without_long_zero_runs_are_estimated_as_the_byte_loop(gap):
    """Residuals every few bytes, no run long enough to skip: everything goes through the byte loop,
    and the estimate says so (an estimate by residual bytes alone let such rows cost 10x their
    estimate without tripping the guard)."""
    bpp = 3
    raw = (bytes(gap) + b"\x01") * (60_000 // (gap + 1))
    above = random.Random(gap).randbytes(len(raw))
    row, within_estimate, costs = run(raw, above, bpp, 1000.0)
    assert row == ref.unfilter_row(4, raw, above, bpp)
    assert within_estimate
    assert sum(costs) <= sparse_paeth_cost(raw) + sparse.BYTE_LOOP_US * bpp
    assert sparse_paeth_cost(raw) >= filters.ROW_BYTE_COST[4] * len(raw)  # never chosen over the byte loop


def test_no_unit_of_work_covers_more_than_a_window_in_a_long_flat_row():
    """A flat row of megabytes (copy-up all along, then repeat-left under a flat row above): the
    copies and searches go a window at a time, each charged, so no yield is far apart."""
    bpp, pixels = 4, 600_000
    above = bytes([9, 8, 7, 6]) * pixels
    for raw in (bytes(bpp * pixels), b"\x05" + bytes(bpp * pixels - 1)):
        row, within_estimate, costs = run(raw, above, bpp, 1000.0)
        assert row == ref.unfilter_row(4, raw, above, bpp)
        assert within_estimate
        assert sum(costs) >= sparse.PASS_US_PER_BYTE * len(raw)  # what it did is charged
        assert max(costs) <= 1000.0 + sparse.RUN_US + sparse.PASS_US_PER_BYTE * sparse.CHANGES_WINDOW


def test_after_a_misjudged_row_the_rest_of_the_window_is_swept(monkeypatch):
    """The rows planned for sparse.py after a row that overran are planned again and swept (not left
    to the byte loop), and every row is exact."""
    bpp, pixels = 3, 2000
    above, bad = adversarial_row(bpp, pixels)
    flat = b"\x01" + bytes(bpp * pixels - 1)  # one residual, then zeros: planned for sparse.py
    calls = count_calls(monkeypatch, "sweep_window_paeth")
    types = [0, 4] + [4, 1] * 30
    raws = [above, bad] + [flat, b"\x02" * (bpp * pixels)] * 30
    got = unfilter_all(ScanlineUnfilter(len(above), bpp), types, raws)
    assert got == ref.unfilter_rows(types, raws, bytes(len(above)), bpp)
    sweeps = [len(args[0]) for args in calls]  # rows per sweep
    assert sweeps and sum(sweeps) >= 55  # the 60 rows after the bad one, swept in one or more windows

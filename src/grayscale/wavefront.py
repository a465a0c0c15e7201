"""Decoding windows of consecutive scanlines that contain Average/Paeth rows (spec 9.3, 9.4): as an
anti-diagonal wavefront with rows as lanes, or byte by byte for isolated rows. Sweeps are generators
that pause after about `tick_us` of work, yielding its estimated cost, so a caller can bound the work
between its own yields.
Imports only .filter_types and .swar."""

# Why a wavefront: Average and Paeth need each byte's left neighbour, so no whole-row operation
# decodes a row. But pixel p of row r depends only on (r, p-1), (r-1, p) and (r-1, p-1), so all
# pixels with p + r = t can be decoded together at step t from steps t-1 and t-2. The window's
# rows become lanes of one Python int and a sweep of (width + rows - 1) steps decodes them all;
# rows of any filter type may share a window, each lane picking its own predictor through masks.

from collections.abc import Generator

from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP
from .swar import ByteLanes

# Laying a window out (and reading it back) costs about this per byte of the skewed buffer.
SKEW_US_PER_BYTE = 0.002


def _skew(
    raws: list[bytes], bpp: int, lane_bytes: int, tick_us: float
) -> Generator[float, None, tuple[bytearray, int, int]]:
    """Lay a window out so that step t's lanes are contiguous: byte c of pixel p of row r goes to
    lane r*bpp + c of vector p + r (lanes `lane_bytes` wide, sample in the low byte, rest zero).
    Yields the estimated cost of every ~tick_us of rows laid out; returns (buffer, vector size in
    bytes, number of steps)."""
    rows = len(raws)
    pixels = len(raws[0]) // bpp
    vector = rows * bpp * lane_bytes
    steps = pixels + rows - 1
    skewed = bytearray(steps * vector)
    span = (pixels - 1) * vector + 1
    row_us = SKEW_US_PER_BYTE * steps * vector / rows
    rows_per_tick = max(1, int(tick_us / row_us))
    for r, raw in enumerate(raws):
        for c in range(bpp):
            start = r * vector + (r * bpp + c) * lane_bytes
            skewed[start : start + span : vector] = raw[c::bpp]
        if r % rows_per_tick == rows_per_tick - 1:
            yield rows_per_tick * row_us
    return skewed, vector, steps


def _unskew(
    skewed: bytearray, rows: int, row_bytes: int, bpp: int, lane_bytes: int, tick_us: float
) -> Generator[float, None, list[bytes]]:
    """The inverse of _skew for rows 1..rows-1 (row 0, the row above the window, is not needed)."""
    pixels = row_bytes // bpp
    vector = rows * bpp * lane_bytes
    span = (pixels - 1) * vector + 1
    row_us = SKEW_US_PER_BYTE * len(skewed) / rows
    rows_per_tick = max(1, int(tick_us / row_us))
    result = []
    for r in range(1, rows):
        row = bytearray(row_bytes)
        for c in range(bpp):
            start = r * vector + (r * bpp + c) * lane_bytes
            row[c::bpp] = skewed[start : start + span : vector]
        result.append(bytes(row))
        if r % rows_per_tick == 0:
            yield rows_per_tick * row_us
    return result


def _lane_masks_by_filter(filter_types: list[int], bpp: int, lane_mask: bytes) -> dict[int, int]:
    """For each filter type, an int with `lane_mask` in the lanes of rows using it, zero elsewhere."""
    blank = bytes(len(lane_mask))
    return {
        kind: int.from_bytes(b"".join((lane_mask if t == kind else blank) * bpp for t in filter_types), "little")
        for kind in range(5)
    }


def sweep_window_bytes(
    filter_types: list[int], raws: list[bytes], prev: bytes, bpp: int, step_us: float, tick_us: float
) -> Generator[float, None, list[bytes]]:
    """Wavefront for a window without Paeth rows (None/Sub/Up/Average), one byte per lane.
    Lanes: byte r*bpp + c of vector t = channel c of pixel t-r of row r, where row 0 is `prev` (the
    row above the window, decoded with predictor 0 so it passes through unchanged). left a = the
    same lane at step t-1; up b = the lane bpp lower at step t-1 (vector shifted up one row).
    Lanes for p < 0 stay zero (zero input, zero neighbours): the spec's 'left of the first pixel
    is 0'. Lanes for p >= width compute garbage nothing valid reads. Carries stay in lanes:
    floor((a+b)/2) is a&b + ((a^b)>>1 & 0x7f..), and the final add is ByteLanes.add inlined.
    Reference twin: grayscale_reference.unfilter_row, row after row (test_wavefront_windows_match_reference).
    Justified by benchmark row libpng-rgb-avg-2048 (a byte loop costs ~0.2 us/byte, this ~0.03)."""
    row_bytes = len(raws[0])
    types = [FILTER_NONE, *filter_types]
    skewed, vector, steps = yield from _skew([prev, *raws], bpp, 1, tick_us)
    steps_per_tick = max(1, int(tick_us / step_us))
    lanes = ByteLanes(vector)  # a window's vector is at most WINDOW_LANES bytes: cheap to build per window
    low7, high1 = lanes.low7, lanes.high1
    masks = _lane_masks_by_filter(types, bpp, b"\xff")
    sub_mask, up_mask, average_mask = masks[FILTER_SUB], masks[FILTER_UP], masks[FILTER_AVERAGE]
    only_average = all(t == FILTER_AVERAGE for t in filter_types)
    shift = 8 * bpp
    view = memoryview(skewed)
    from_bytes = int.from_bytes
    left = 0
    start = 0
    for first in range(0, steps, steps_per_tick):
        for _ in range(min(steps_per_tick, steps - first)):
            up = left << shift
            predictor = (left & up) + (((left ^ up) >> 1) & low7)
            if only_average:
                predictor &= average_mask
            else:
                predictor = (predictor & average_mask) | (left & sub_mask) | (up & up_mask)
            raw = from_bytes(view[start : start + vector], "little")
            left = ((raw & low7) + (predictor & low7)) ^ ((raw ^ predictor) & high1)
            view[start : start + vector] = left.to_bytes(vector, "little")
            start += vector
        yield steps_per_tick * step_us
    view.release()
    return (yield from _unskew(skewed, len(types), row_bytes, bpp, 1, tick_us))


def paeth_lane_constants(lanes: int) -> tuple[int, int, int, int]:
    """(ONES, LOW8, BIAS256, BIAS512): 1, 0xff, 256 and 512 in each of `lanes` 16-bit lanes."""
    ones = int.from_bytes(b"\x01\x00" * lanes, "little")
    return ones, ones * 0xFF, ones << 8, ones << 9


def paeth_predictor_lanes(a: int, b: int, c: int, ones: int, low8: int, bias256: int, bias512: int) -> int:
    """PaethPredictor(a=left, b=up, c=upper-left) of spec 9.4 in every 16-bit lane (values 0..255 in
    the low byte; the result may carry garbage above the last lane, callers mask it off).
    With A = a - c and B = b - c: pa = |B|, pb = |A|, pc = |A + B|. If A and B have the same sign,
    pc >= pa, pb, so the answer is a when |B| <= |A| else b; with opposite signs pc = ||A| - |B||,
    so it is a when 2|B| <= |A|, b when 2|A| <= |B|, else c (a zero A or B gives the same answer
    under either rule). Lanes never borrow: A and B are kept biased by 256 (so in 1..511), |.|
    comes from the bias bit, and each comparison x <= y is bit 9 of y + 512 - x (never negative).
    Reference twin: grayscale_reference.paeth_predictor, checked on all 2^24 neighbourhoods
    (test_paeth_predictor_lanes_all_16_million_neighbourhoods)."""
    xa = a + bias256 - c
    negative_a = ((xa >> 8) & ones) ^ ones
    abs_a = ((xa ^ ((negative_a << 8) - negative_a)) & low8) + negative_a
    xb = b + bias256 - c
    negative_b = ((xb >> 8) & ones) ^ ones
    abs_b = ((xb ^ ((negative_b << 8) - negative_b)) & low8) + negative_b
    same_sign = (ones ^ negative_a ^ negative_b) << 9
    pick_a = ((abs_a + bias512 - abs_b) & (same_sign | (abs_a + bias512 - abs_b - abs_b))) >> 9 & ones
    pick_b = ((same_sign | (abs_b + bias512 - abs_a - abs_a)) >> 9) & ones & ~pick_a
    mask_a = (pick_a << 8) - pick_a  # 0xff where picked: (flag << 8) - flag never borrows
    mask_b = (pick_b << 8) - pick_b
    return c ^ ((a ^ c) & mask_a) ^ ((b ^ c) & mask_b)


def sweep_window_paeth(
    filter_types: list[int], raws: list[bytes], prev: bytes, bpp: int, step_us: float, tick_us: float
) -> Generator[float, None, list[bytes]]:
    """Wavefront for a window with Paeth rows (any other types may be mixed in), 16 bits per lane,
    the sample in the low byte; row 0 is `prev`, passed through with predictor 0. left a = step
    t-1; up b = step t-1 shifted up one row; upper-left c = step t-2 shifted up one row, which is
    simply b of step t-1. Other rows' lanes take their own predictor through masks. Bits above the
    last lane may hold garbage: nothing moves them down into a lane (right shifts are by at most 9
    and followed by masks) and the final & LOW8 drops them.
    Reference twin: grayscale_reference.unfilter_row, row after row (test_wavefront_windows_match_reference).
    Justified by benchmark row libpng-rgb-paeth-2048 (a byte loop costs ~0.4 us/byte, this ~0.05)."""
    row_bytes = len(raws[0])
    types = [FILTER_NONE, *filter_types]
    skewed, vector, steps = yield from _skew([prev, *raws], bpp, 2, tick_us)
    steps_per_tick = max(1, int(tick_us / step_us))
    ones, low8, bias256, bias512 = paeth_lane_constants(vector // 2)
    masks = _lane_masks_by_filter(types, bpp, b"\xff\x00")
    paeth_mask, sub_mask, up_mask = masks[FILTER_PAETH], masks[FILTER_SUB], masks[FILTER_UP]
    average_mask = masks[FILTER_AVERAGE]
    shift = 16 * bpp
    view = memoryview(skewed)
    from_bytes = int.from_bytes
    a = c = 0
    start = 0
    for first in range(0, steps, steps_per_tick):
        for _ in range(min(steps_per_tick, steps - first)):
            b = a << shift
            predictor = paeth_predictor_lanes(a, b, c, ones, low8, bias256, bias512) & paeth_mask
            if sub_mask:
                predictor |= a & sub_mask
            if up_mask:
                predictor |= b & up_mask
            if average_mask:
                predictor |= ((a + b) >> 1) & average_mask
            raw = from_bytes(view[start : start + vector], "little")
            c = b
            a = (raw + predictor) & low8
            view[start : start + vector] = a.to_bytes(vector, "little")
            start += vector
        yield steps_per_tick * step_us
    view.release()
    return (yield from _unskew(skewed, len(types), row_bytes, bpp, 2, tick_us))


def unfilter_average_span(row: bytearray, prev: bytes | bytearray, bpp: int, start: int, end: int) -> None:
    """Decode bytes start..end-1 of an Average row in place (spec 9.3), byte by byte; `row` holds the
    filtered bytes there and the decoded bytes before `start`. Cheaper than a sweep for an isolated
    row, and a long row is decoded a span at a time.
    Reference twin: grayscale_reference.unfilter_row(3, ...) (test_byte_by_byte_rows_match_reference).
    Justified by the isolated Average rows of benchmark row libpng-rgb-2048 (adaptive filters)."""
    for i in range(start, min(bpp, end)):  # no left neighbour
        row[i] = (row[i] + (prev[i] >> 1)) & 0xFF
    for i in range(max(start, bpp), end):
        row[i] = (row[i] + ((row[i - bpp] + prev[i]) >> 1)) & 0xFF


def unfilter_paeth_span(row: bytearray, prev: bytes | bytearray, bpp: int, start: int, end: int) -> None:
    """Decode bytes start..end-1 of a Paeth row in place (spec 9.4), byte by byte, as
    unfilter_average_span does for Average.
    Reference twin: grayscale_reference.unfilter_row(4, ...) (test_byte_by_byte_rows_match_reference).
    Justified by the isolated Paeth rows of benchmark row libpng-rgb-2048 (adaptive filters)."""
    for i in range(start, min(bpp, end)):  # left and upper-left are 0, so the predictor is always `up`
        row[i] = (row[i] + prev[i]) & 0xFF
    for i in range(max(start, bpp), end):
        a = row[i - bpp]
        b = prev[i]
        c = prev[i - bpp]
        pa = b - c  # = p - a
        pb = a - c  # = p - b
        pc = pa + pb  # = p - c
        if pa < 0:
            pa = -pa
        if pb < 0:
            pb = -pb
        if pc < 0:
            pc = -pc
        if pa <= pb and pa <= pc:
            row[i] = (row[i] + a) & 0xFF
        elif pb <= pc:
            row[i] = (row[i] + b) & 0xFF
        else:
            row[i] = (row[i] + c) & 0xFF


def run_to_end(sweep: Generator[float, None, list[bytes]]) -> list[bytes]:
    """Drive a sweep generator to its end and return its rows."""
    while True:
        try:
            next(sweep)
        except StopIteration as done:
            rows: list[bytes] = done.value
            return rows


def unfilter_window_bytes(filter_types: list[int], raws: list[bytes], prev: bytes, bpp: int) -> list[bytes]:
    """sweep_window_bytes run to its end."""
    return run_to_end(sweep_window_bytes(filter_types, raws, prev, bpp, 1.0, 1e12))


def unfilter_window_paeth(filter_types: list[int], raws: list[bytes], prev: bytes, bpp: int) -> list[bytes]:
    """sweep_window_paeth run to its end."""
    return run_to_end(sweep_window_paeth(filter_types, raws, prev, bpp, 1.0, 1e12))

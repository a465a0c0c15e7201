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

from collections.abc import Generator, Iterator

from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP
from .swar import ByteLanes, paeth_lane_constants, paeth_predictor_lanes

# Laying a window out (and reading it back) costs about this per byte of laid-out steps.
SKEW_US_PER_BYTE = 0.002
# Windows are laid out about this many bytes of steps at a time (half as many when up deltas need a
# second layout): memory stays bounded, and a window of rows up to ~1300 pixels wide is laid out in
# one chunk, as the per-slice cost of the layout ((rows x bpp) slices per chunk) is ~5% of a sweep.
CHUNK_BYTES = 1 << 21


class _Layout:
    """The skewed layout of a window of `rows` rows (row 0 is the row above the window) in which step
    t's lanes are contiguous: byte c of pixel p of row r goes to lane r*bpp + c of vector p + r
    (lanes `lane_bytes` wide, the sample in the low byte, the rest zero). Built and read back a chunk
    of steps at a time."""

    def __init__(self, rows: int, row_bytes: int, bpp: int, lane_bytes: int) -> None:
        self.rows = rows
        self.bpp = bpp
        self.lane_bytes = lane_bytes
        self.pixels = row_bytes // bpp
        self.vector = rows * bpp * lane_bytes
        self.steps = self.pixels + rows - 1

    def _spans(self, t0: int, t1: int) -> Iterator[tuple[int, int, int, int]]:
        """For each row r with pixels in steps t0..t1-1: (r, first pixel, end pixel, offset in chunk)."""
        for r in range(self.rows):
            first, end = max(0, t0 - r), min(self.pixels, t1 - r)
            if first < end:
                yield r, first, end, (first + r - t0) * self.vector + r * self.bpp * self.lane_bytes

    def skew(self, rows: list[bytes], t0: int, t1: int, tick_us: float) -> Generator[float, None, bytearray]:
        """Steps t0..t1-1 of the layout of `rows`; yields the estimated cost of every ~tick_us of work."""
        chunk = bytearray((t1 - t0) * self.vector)
        bpp, lane_bytes, vector, pixels = self.bpp, self.lane_bytes, self.vector, self.pixels
        row_us = SKEW_US_PER_BYTE * len(chunk) / self.rows
        ticking = row_us * self.rows > tick_us  # a chunk cheaper than a tick is laid out in one go
        spent = 0.0
        for r, first, end, offset in self._spans(t0, t1):
            row = rows[r]
            span = (end - first - 1) * vector + 1
            whole = first == 0 and end == pixels
            for c in range(bpp):
                start = offset + c * lane_bytes
                chunk[start : start + span : vector] = row[c::bpp] if whole else row[first * bpp + c : end * bpp : bpp]
            if ticking:
                spent += row_us
                if spent >= tick_us:
                    yield spent
                    spent = 0.0
        yield spent if ticking else row_us * self.rows
        return chunk

    def unskew(self, chunk: bytearray, t0: int, t1: int, outs: list[bytearray], tick_us: float) -> Generator[float]:
        """Copy the samples of rows 1.. held in steps t0..t1-1 of `chunk` into outs[r - 1]."""
        bpp, lane_bytes, vector = self.bpp, self.lane_bytes, self.vector
        row_us = SKEW_US_PER_BYTE * len(chunk) / self.rows
        spent = 0.0
        for r, first, end, offset in self._spans(t0, t1):
            if r:
                span = (end - first - 1) * vector + 1
                out = outs[r - 1]
                for c in range(bpp):
                    start = offset + c * lane_bytes
                    out[first * bpp + c : end * bpp : bpp] = chunk[start : start + span : vector]
                spent += row_us
                if spent >= tick_us:
                    yield spent
                    spent = 0.0
        yield spent


def _as_bytes(outs: list[bytearray]) -> list[bytes]:
    """The decoded rows as bytes, each bytearray released as soon as it is copied (peak memory)."""
    rows = []
    for index in range(len(outs)):
        rows.append(bytes(outs[index]))
        outs[index] = bytearray()
    return rows


def _delta_rows(up_deltas: list[bytes | None] | None, row_bytes: int) -> list[bytes] | None:
    """The up deltas as window rows (row 0, above the window, gets none), or None if all are zero."""
    if up_deltas is None or not any(up_deltas):
        return None
    zeros = bytes(row_bytes)
    return [zeros, *(delta or zeros for delta in up_deltas)]


def _lane_masks_by_filter(filter_types: list[int], bpp: int, lane_mask: bytes) -> dict[int, int]:
    """For each filter type, an int with `lane_mask` in the lanes of rows using it, zero elsewhere."""
    blank = bytes(len(lane_mask))
    return {
        kind: int.from_bytes(b"".join((lane_mask if t == kind else blank) * bpp for t in filter_types), "little")
        for kind in range(5)
    }


def sweep_window_bytes(
    filter_types: list[int],
    raws: list[bytes],
    prev: bytes,
    bpp: int,
    step_us: float,
    tick_us: float,
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
    layout = _Layout(len(types), row_bytes, bpp, 1)
    vector, steps = layout.vector, layout.steps
    rows = [prev, *raws]
    outs = [bytearray(row_bytes) for _ in raws]
    lanes = ByteLanes(vector)  # a window's vector is at most WINDOW_LANES bytes: cheap to build per window
    low7, high1 = lanes.low7, lanes.high1
    masks = _lane_masks_by_filter(types, bpp, b"\xff")
    sub_mask, up_mask, average_mask = masks[FILTER_SUB], masks[FILTER_UP], masks[FILTER_AVERAGE]
    only_average = all(t == FILTER_AVERAGE for t in filter_types)
    shift = 8 * bpp
    from_bytes = int.from_bytes
    steps_per_tick = max(1, int(tick_us / step_us))
    left = 0
    chunk_steps = max(1, CHUNK_BYTES // vector)
    for t0 in range(0, steps, chunk_steps):
        t1 = min(steps, t0 + chunk_steps)
        chunk = yield from layout.skew(rows, t0, t1, tick_us)
        view = memoryview(chunk)
        start = 0
        for first in range(0, t1 - t0, steps_per_tick):
            for _ in range(min(steps_per_tick, t1 - t0 - first)):
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
        yield from layout.unskew(chunk, t0, t1, outs, tick_us)
        del chunk  # before the next chunk is laid out
    return _as_bytes(outs)


def sweep_window_paeth(
    filter_types: list[int],
    raws: list[bytes],
    prev: bytes,
    bpp: int,
    step_us: float,
    tick_us: float,
    up_deltas: list[bytes | None] | None = None,
) -> Generator[float, None, list[bytes]]:
    """Wavefront for a window with Paeth rows (any other types may be mixed in), 16 bits per lane,
    the sample in the low byte; row 0 is `prev`, passed through with predictor 0. left a = step
    t-1; up b = step t-1 shifted up one row; upper-left c = step t-2 shifted up one row, which is
    simply b of step t-1. Other rows' lanes take their own predictor through masks. Bits above the
    last lane may hold garbage: nothing moves them down into a lane (right shifts are by at most 9
    and followed by masks) and the final & LOW8 drops them. `up_deltas[r]` (if given) is added to
    row r's up neighbour: the sum of the Up rows between row r and the row above it in the window,
    which are thereby left out of the sweep (ScanlineUnfilter.flush).
    Reference twin: grayscale_reference.unfilter_row, row after row (test_wavefront_windows_match_reference).
    Justified by benchmark row libpng-rgb-paeth-2048 (a byte loop costs ~0.4 us/byte, this ~0.05)."""
    row_bytes = len(raws[0])
    types = [FILTER_NONE, *filter_types]
    layout = _Layout(len(types), row_bytes, bpp, 2)
    vector, steps = layout.vector, layout.steps
    rows = [prev, *raws]
    delta_rows = _delta_rows(up_deltas, row_bytes)
    outs = [bytearray(row_bytes) for _ in raws]
    ones, low8, bias256, bias512 = paeth_lane_constants(vector // 2)
    masks = _lane_masks_by_filter(types, bpp, b"\xff\x00")
    paeth_mask, sub_mask, up_mask = masks[FILTER_PAETH], masks[FILTER_SUB], masks[FILTER_UP]
    average_mask = masks[FILTER_AVERAGE]
    shift = 16 * bpp
    from_bytes = int.from_bytes
    steps_per_tick = max(1, int(tick_us / step_us))
    a = c = 0
    chunk_steps = max(1, CHUNK_BYTES // (2 * vector if delta_rows else vector))
    for t0 in range(0, steps, chunk_steps):
        t1 = min(steps, t0 + chunk_steps)
        chunk = yield from layout.skew(rows, t0, t1, tick_us)
        deltas = (yield from layout.skew(delta_rows, t0, t1, tick_us)) if delta_rows else None
        view = memoryview(chunk)
        for first in range(0, t1 - t0, steps_per_tick):
            for start in range(first * vector, min(first + steps_per_tick, t1 - t0) * vector, vector):
                b = a << shift
                if deltas is not None:
                    b = (b + from_bytes(deltas[start : start + vector], "little")) & low8
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
            yield steps_per_tick * step_us
        view.release()
        yield from layout.unskew(chunk, t0, t1, outs, tick_us)
        del chunk, deltas  # before the next chunk is laid out
    return _as_bytes(outs)


def unfilter_average_span(row: bytearray, prev: bytes | bytearray, bpp: int, start: int, end: int) -> None:
    """Decode bytes start..end-1 of an Average row in place (spec 9.3), byte by byte; `row` holds the
    filtered bytes there and the decoded bytes before `start`. Cheaper than a sweep for an isolated
    row, and a long row is decoded a span at a time.
    Reference twin: grayscale_reference.unfilter_row(3, ...) (test_byte_by_byte_rows_match_reference).
    Justified by isolated Average rows among Up rows (benchmark rows pnmtopng-screenshot-*)."""
    for i in range(start, min(bpp, end)):  # no left neighbour
        row[i] = (row[i] + (prev[i] >> 1)) & 0xFF
    for i in range(max(start, bpp), end):
        row[i] = (row[i] + ((row[i - bpp] + prev[i]) >> 1)) & 0xFF


def unfilter_paeth_span(row: bytearray, prev: bytes | bytearray, bpp: int, start: int, end: int) -> None:
    """Decode bytes start..end-1 of a Paeth row in place (spec 9.4), byte by byte, as
    unfilter_average_span does for Average.
    Reference twin: grayscale_reference.unfilter_row(4, ...) (test_byte_by_byte_rows_match_reference).
    Justified by isolated Paeth rows among Up rows (benchmark rows pnmtopng-chart-*)."""
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


def unfilter_window_paeth(
    filter_types: list[int], raws: list[bytes], prev: bytes, bpp: int, up_deltas: list[bytes | None] | None = None
) -> list[bytes]:
    """sweep_window_paeth run to its end."""
    return run_to_end(sweep_window_paeth(filter_types, raws, prev, bpp, 1.0, 1e12, up_deltas))

"""Decoding a Paeth scanline whose filtered bytes are mostly zero (spec 9.4), as charts, diagrams and
screenshots have them: flat areas predict exactly, so only the edges carry residuals.
Imports only .wavefront (for the byte-by-byte decoder of the parts that carry residuals).

Where the residual is zero, the Paeth predictor alone decides the byte, and two cases decide whole
runs of such bytes at C speed instead of one Python step per byte:
- copy-up: if the pixel to the left equals the one above it (a = c), then p = b, |p - b| = 0 and the
  predictor is b (or a, equal to it): the byte repeats the row above, and so a = c holds again
  one pixel on. Once it holds for a whole pixel, the rest of the zero run is the row above.
- repeat-left: where the row above does not change from one pixel to the next (b = c), |p - a| = 0
  and the predictor is a: the byte repeats the pixel to its left, up to the next change above.
Everything else (the bytes with residuals, and zero bytes where neither case holds) is decoded
byte by byte. The cost is a few C passes over the row plus ~0.4 us per byte decoded one at a time;
the sweep costs ~0.04-0.05 us per byte of every row, so this wins below ~5% residual bytes."""

import re
from collections.abc import Generator

from .wavefront import unfilter_paeth_span

# Zero runs shorter than this are decoded byte by byte with their neighbours: a run costs about as
# much to dispatch as that many bytes of the byte loop.
MIN_ZERO_RUN = 8
_ZERO_RUN = re.compile(b"\\x00{%d,}" % MIN_ZERO_RUN)
_NONZERO = re.compile(b"[^\\x00]")

# Estimated costs in microseconds (CPython 3.13, x86-64), as in budget.py. The estimate of a row is
# ROW_US + PASS_US_PER_BYTE * bytes + US_PER_LOOPED_BYTE * bytes outside the zero runs (the byte
# loop's share) + US_PER_RUN * zero runs: the byte loop's measured cost, and a run's from a fit over
# the Paeth rows of the benchmark's pnmtopng charts, screenshots and icons (the sum of the estimates
# is within 10% of the measured time on each of them). The decoder charges the same way, so a row
# can only exceed its estimate through its runs (steps where neither case holds).
PASS_US_PER_BYTE = 0.006  # the C passes over a row: finding runs, comparing and copying
US_PER_LOOPED_BYTE = BYTE_LOOP_US = 0.4  # one byte decoded by unfilter_paeth_span
US_PER_RUN = 4.0  # dispatching a zero run, and the repeat-left steps and stray pixels inside it
ROW_US = 20.0
RUN_US = 1.0  # one step inside a zero run (a comparison, a regex search, a copy), plus its bytes
ESTIMATE_US_PER_BYTE = 0.01  # what sparse_paeth_cost itself costs, at most (the caller charges it)
# Above this share of residual bytes, a row is not worth counting its runs: the sweep is cheaper.
MAX_RESIDUAL_SHARE = 0.2
# A row that costs more than this multiple of its estimate is finished byte by byte, and the caller
# stops choosing this decoder for the image: a crafted row whose zero runs satisfy neither case
# costs a run step per pixel, which the estimate does not foresee.
OVERRUN_FACTOR = 2.0
# No single C operation of the decoder (a run search, a copy, a search of the row above) covers
# more than this many bytes, so that no unit of work is long, even in a row of megabytes.
CHANGES_WINDOW = 1 << 16


def sparse_paeth_cost(raw: bytes) -> float:
    """Estimated cost in microseconds of decode_sparse_paeth on this filtered row (computing it costs
    ESTIMATE_US_PER_BYTE per byte)."""
    n = len(raw)
    residual_bytes = n - raw.count(0)
    if residual_bytes > MAX_RESIDUAL_SHARE * n:  # as if all of it went through the byte loop: never chosen
        return ROW_US + (PASS_US_PER_BYTE + US_PER_LOOPED_BYTE) * n
    outside, runs = _ZERO_RUN.subn(b"", raw)
    return ROW_US + PASS_US_PER_BYTE * n + US_PER_LOOPED_BYTE * len(outside) + US_PER_RUN * runs


def decode_sparse_paeth(
    raw: bytes | bytearray | memoryview, prev: bytes | bytearray, bpp: int, tick_us: float, estimate_us: float
) -> Generator[float, None, tuple[bytearray, bool]]:
    """Decode the filtered Paeth row `raw` below `prev`, whose sparse_paeth_cost is `estimate_us`.
    Yields the cost of every ~tick_us of work; returns the decoded row and whether it kept within
    OVERRUN_FACTOR times the estimate (if not, it stopped where it passed that and decoded the rest
    byte by byte).
    Reference twin: grayscale_reference.unfilter_row(4, ...) (test_sparse_paeth_rows_match_reference).
    Justified by benchmark rows pnmtopng-chart-* and pnmtopng-screenshot-* (Paeth rows ~1-5% residuals)."""
    n = len(raw)
    row = bytearray(raw)
    allowed = OVERRUN_FACTOR * estimate_us
    piece = max(bpp, int(tick_us / BYTE_LOOP_US))  # bytes of the byte loop between two yields
    total = spent = ROW_US
    changes_above = _ChangesAbove(prev, bpp)
    done = 0  # the bytes before this one are decoded
    while done < n and total <= allowed:
        window_end = min(n, done + CHANGES_WINDOW)
        match = _ZERO_RUN.search(raw, done, window_end)
        start, end = match.span() if match else (window_end, window_end)
        spent += PASS_US_PER_BYTE * (start - done)
        total += PASS_US_PER_BYTE * (start - done)
        while done < start and total <= allowed:  # the bytes up to the run, by the byte loop
            last = min(start, done + piece)
            unfilter_paeth_span(row, prev, bpp, done, last)
            spent += BYTE_LOOP_US * (last - done)
            total += BYTE_LOOP_US * (last - done)
            done = last
            if spent >= tick_us:
                yield spent
                spent = 0.0
        while done < end and total <= allowed:  # the zero run, a step at a time
            # Copy-up needs a = c for a whole pixel: the bytes of the pixel to the left equal those
            # above them. Left of the first pixel both rows count as 0, so there the bytes of the
            # first pixel decoded so far are compared (its other bytes have a = c = 0).
            left = done - bpp if done > bpp else 0
            if row[left:done] == prev[left:done]:  # copy-up (a = c holds again after the copy)
                stop = min(end, done + CHANGES_WINDOW)
                row[done:stop] = prev[done:stop]
                cost = RUN_US + PASS_US_PER_BYTE * (stop - done)
            elif done < bpp:  # the rest of the first pixel: a = c = 0, so the predictor is b
                stop = min(end, bpp)
                row[done:stop] = prev[done:stop]
                cost = RUN_US
            else:
                stop = changes_above.next_change(done, end)
                if stop > done:  # repeat-left up to the next change in the row above
                    count = stop - done
                    row[done:stop] = (row[done - bpp : done] * (count // bpp + 1))[:count]
                    cost = RUN_US + PASS_US_PER_BYTE * count
                else:  # neither case holds here: one pixel's worth of bytes by the byte loop
                    stop = min(end, done + bpp)
                    unfilter_paeth_span(row, prev, bpp, done, stop)
                    cost = RUN_US + BYTE_LOOP_US * (stop - done)
            spent += cost
            total += cost
            done = stop
            if spent >= tick_us:
                yield spent
                spent = 0.0
    within_estimate = done == n
    for first in range(done, n, piece):  # what is left of a misjudged row
        last = min(n, first + piece)
        unfilter_paeth_span(row, prev, bpp, first, last)
        spent += BYTE_LOOP_US * (last - first)
        if spent >= tick_us:
            yield spent
            spent = 0.0
    yield spent
    return row, within_estimate


class _ChangesAbove:
    """Where the row above changes from one pixel to the next (prev[k] != prev[k - bpp], k >= bpp),
    found a window of CHANGES_WINDOW bytes at a time: a long row (megabytes) never needs a copy of
    itself, and each search is bounded."""

    __slots__ = ("_bpp", "_changes", "_end", "_prev", "_start")

    def __init__(self, prev: bytes | bytearray, bpp: int) -> None:
        self._prev = prev
        self._bpp = bpp
        self._start = self._end = 0
        self._changes = b""

    def next_change(self, position: int, end: int) -> int:
        """The first k in position..end-1 where the row above changes, else the end of the window
        holding `position` or `end`, whichever comes first (the caller asks again from there).
        position >= bpp."""
        if not self._start <= position < self._end:
            prev, bpp = self._prev, self._bpp
            self._start, self._end = position, min(len(prev), position + CHANGES_WINDOW)
            here = int.from_bytes(prev[self._start : self._end], "little")
            left = int.from_bytes(prev[self._start - bpp : self._end - bpp], "little")
            self._changes = (here ^ left).to_bytes(self._end - self._start, "little")
        stop = min(end, self._end)
        change = _NONZERO.search(self._changes, position - self._start, stop - self._start)
        return change.start() + self._start if change else stop

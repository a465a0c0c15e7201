"""Scanline filter decoding (spec 9: filter method 0, types None/Sub/Up/Average/Paeth).
Imports only .swar, .wavefront and .errors; works on one sub-image (pass) at a time."""

from .errors import InvalidImage
from .swar import add_lanes, prefix_sum_lanes
from .wavefront import unfilter_average_run, unfilter_paeth_run

FILTER_NONE, FILTER_SUB, FILTER_UP, FILTER_AVERAGE, FILTER_PAETH = range(5)
WAVEFRONT_FILTERS = (FILTER_AVERAGE, FILTER_PAETH)
MAX_RUN_BYTES = 1 << 18  # a batched Average/Paeth run holds at most ~256 KB of rows


class ScanlineUnfilter:
    """Decodes the scanlines of one sub-image in order. Average and Paeth rows are batched into runs
    (decoded together, rows as lanes, see wavefront.py), so `push` may return zero or several rows;
    `flush` returns what is still batched. Rows come back as bytes without their filter byte."""

    def __init__(self, row_bytes: int, bpp: int) -> None:
        self._row_bytes = row_bytes
        self._bpp = bpp
        self._prev = bytes(row_bytes)  # spec 9.2: the row before the first is all zeros
        self._prev_int = 0  # self._prev as a little-endian int, or None until someone needs it
        self._run_type = None
        self._run: list[bytes] = []
        self._max_run_rows = max(2, MAX_RUN_BYTES // max(1, row_bytes))
        self._decoders = {
            FILTER_NONE: self._none,
            FILTER_SUB: self._sub,
            FILTER_UP: self._up,
        }

    def push(self, scanline: memoryview) -> list[bytes]:
        """Decode one scanline (filter byte + row_bytes bytes)."""
        filter_type = scanline[0]
        raw = scanline[1:]
        if filter_type in WAVEFRONT_FILTERS:
            done = self.flush() if filter_type != self._run_type else []
            self._run_type = filter_type
            self._run.append(bytes(raw))
            if len(self._run) >= self._max_run_rows:
                done.extend(self.flush())
            return done
        decoder = self._decoders.get(filter_type)
        if decoder is None:
            raise InvalidImage("bad_filter", f"scanline filter type {filter_type} is invalid (must be 0-4)")
        done = self.flush() if self._run else []
        done.append(decoder(raw))
        return done

    def flush(self) -> list[bytes]:
        """Decode and return the batched Average/Paeth run, if any."""
        if not self._run:
            return []
        run_decoder = unfilter_average_run if self._run_type == FILTER_AVERAGE else unfilter_paeth_run
        rows = run_decoder(self._run, self._prev, self._bpp)
        self._run = []
        self._run_type = None
        self._prev = rows[-1]
        self._prev_int = None
        return rows

    def _none(self, raw: memoryview) -> bytes:
        row = bytes(raw)
        self._prev = row
        self._prev_int = None
        return row

    def _sub(self, raw: memoryview) -> bytes:
        n = self._row_bytes
        value = prefix_sum_lanes(int.from_bytes(raw, "little"), n, self._bpp)
        row = value.to_bytes(n, "little")
        self._prev, self._prev_int = row, value
        return row

    def _up(self, raw: memoryview) -> bytes:
        n = self._row_bytes
        prev_int = self._prev_int
        if prev_int is None:
            prev_int = int.from_bytes(self._prev, "little")
        value = add_lanes(int.from_bytes(raw, "little"), prev_int, n)
        row = value.to_bytes(n, "little")
        self._prev, self._prev_int = row, value
        return row

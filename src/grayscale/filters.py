"""Scanline filter decoding (spec 9: filter method 0, types None/Sub/Up/Average/Paeth) for one
sub-image at a time. None/Sub/Up rows are whole-row lane operations (swar.py); windows holding
Average/Paeth rows go to wavefront.py. Imports only sibling modules."""

from collections.abc import Callable

from .errors import InvalidImage
from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP
from .swar import ByteLanes
from .wavefront import (
    unfilter_average_row,
    unfilter_paeth_row,
    unfilter_window_bytes,
    unfilter_window_paeth,
)

NEEDS_WAVEFRONT = (FILTER_AVERAGE, FILTER_PAETH)

# A window spans at most WINDOW_LANES lanes (rows x bytes per pixel): wider windows mean fewer
# sweep steps per row but slower big-int operations; 512-1024 measured best for 512-4096 px rows.
# Its memory (raw rows plus a skewed copy) is also capped through MAX_WINDOW_BYTES.
WINDOW_LANES = 768
MAX_WINDOW_BYTES = 1 << 21

# Rough costs in microseconds, measured on CPython 3.13 x86-64; only their ratios matter: they
# decide which rows of a window are swept together and which are decoded one by one.
SWEEP_STEP_COST = {False: (1.2, 0.009), True: (3.5, 0.04)}  # has Paeth -> (per step, per lane per step)
ROW_BYTE_COST = {FILTER_NONE: 0.0, FILTER_SUB: 0.025, FILTER_UP: 0.003, FILTER_AVERAGE: 0.2, FILTER_PAETH: 0.4}
# Segments of a window may break where the filter class changes. The finest classing whose
# boundary count stays under MAX_SEGMENT_BOUNDARIES is used (else the window is one segment).
MAX_SEGMENT_BOUNDARIES = 40
FILTER_CLASSINGS = (
    {FILTER_NONE: 0, FILTER_SUB: 0, FILTER_UP: 0, FILTER_AVERAGE: 1, FILTER_PAETH: 2},
    {FILTER_NONE: 0, FILTER_SUB: 0, FILTER_UP: 0, FILTER_AVERAGE: 0, FILTER_PAETH: 2},  # Paeth or not
)


class ScanlineUnfilter:
    """Decodes the scanlines of one sub-image in order. None/Sub/Up rows are decoded at once; from
    the first Average/Paeth row on, rows are collected into a window that is decoded when full (or
    on flush), so `push` returns zero or more finished rows (bytes without the filter byte)."""

    def __init__(self, row_bytes: int, bpp: int) -> None:
        self._row_bytes = row_bytes
        self._bpp = bpp
        self._lanes = ByteLanes(row_bytes)
        self._prev = bytes(row_bytes)  # spec 9.2: the row before the first is all zeros
        self._prev_int: int | None = 0  # self._prev as a little-endian int, or None until someone needs it
        self._window_types: list[int] = []
        self._window_rows: list[bytes] = []
        self._window_limit = max(1, min(WINDOW_LANES // bpp, MAX_WINDOW_BYTES // row_bytes))
        # Close a window after this many None/Sub/Up rows in a row: sweeping them costs about as
        # much as the extra row-length of steps a new window would need (per-step / per-lane cost).
        per_step, per_lane = SWEEP_STEP_COST[True]
        self._window_break = max(4, round(per_step / (per_lane * bpp)))
        self._trailing_fast_rows = 0
        self._whole_row_decoders: dict[int, Callable[[bytes | bytearray | memoryview], bytes]] = {
            FILTER_NONE: self._none,
            FILTER_SUB: self._sub,
            FILTER_UP: self._up,
        }

    def push(self, filter_type: int, raw: bytes | bytearray | memoryview) -> list[bytes]:
        """Decode one scanline: its filter type byte and its row_bytes filtered bytes."""
        if filter_type > FILTER_PAETH:
            raise InvalidImage("bad_filter", f"scanline filter type {filter_type} is invalid (must be 0-4)")
        if not self._window_types and filter_type not in NEEDS_WAVEFRONT:
            return [self._whole_row_decoders[filter_type](raw)]
        self._window_types.append(filter_type)
        self._window_rows.append(bytes(raw))
        if filter_type in NEEDS_WAVEFRONT:
            self._trailing_fast_rows = 0
        else:
            self._trailing_fast_rows += 1
        if len(self._window_types) >= self._window_limit or self._trailing_fast_rows >= self._window_break:
            return self.flush()
        return []

    def flush(self) -> list[bytes]:
        """Decode and return the rows waiting in the window, if any."""
        types, rows = self._window_types, self._window_rows
        if not types:
            return []
        self._window_types, self._window_rows = [], []
        self._trailing_fast_rows = 0
        done: list[bytes] = []
        for start, end, sweep in self._plan_segments(types):
            if sweep:
                decode = unfilter_window_paeth if FILTER_PAETH in types[start:end] else unfilter_window_bytes
                decoded = decode(types[start:end], rows[start:end], self._prev, self._bpp)
                self._prev, self._prev_int = decoded[-1], None
                done += decoded
            else:
                done += [self._decode_row(t, raw) for t, raw in zip(types[start:end], rows[start:end], strict=True)]
        return done

    def _plan_segments(self, types: list[int]) -> list[tuple[int, int, bool]]:
        """Split the window into consecutive segments, each swept or decoded row by row, at the least
        estimated cost. Segments may only break where the filter class (see FILTER_CLASSINGS)
        changes, so a few Paeth rows do not make a long Average stretch pay for a Paeth sweep; the
        best split is a shortest path over those boundaries (O(boundaries^2)). Every plan decodes the
        same pixels (test_unfilter_decision_paths_match_reference forces each choice against
        grayscale_reference.unfilter_row); the costs come from benchmark row libpng-rgb-2048."""
        count = len(types)
        bounds = [0, count]
        for classing in FILTER_CLASSINGS:
            changes = [i for i in range(1, count) if classing[types[i]] != classing[types[i - 1]]]
            if len(changes) + 2 <= MAX_SEGMENT_BOUNDARIES:
                bounds = [0, *changes, count]
                break
        row_cost_prefix = [0.0]
        paeth_prefix = [0]
        for t in types:
            row_cost_prefix.append(row_cost_prefix[-1] + ROW_BYTE_COST[t] * self._row_bytes)
            paeth_prefix.append(paeth_prefix[-1] + (t == FILTER_PAETH))
        pixels = self._row_bytes // self._bpp

        def segment(start: int, end: int) -> tuple[float, bool]:
            """(estimated cost, sweep?) of rows start..end-1 as one segment."""
            per_step, per_lane = SWEEP_STEP_COST[paeth_prefix[end] > paeth_prefix[start]]
            rows = end - start
            sweep_cost = (pixels + rows - 1) * (per_step + per_lane * rows * self._bpp)
            rows_cost = row_cost_prefix[end] - row_cost_prefix[start]
            return (sweep_cost, True) if sweep_cost < rows_cost else (rows_cost, False)

        best = [(0.0, -1, False)] + [(float("inf"), -1, False)] * (len(bounds) - 1)  # (cost, previous, sweep)
        for k in range(1, len(bounds)):
            for m in range(k):
                cost, sweep = segment(bounds[m], bounds[k])
                if best[m][0] + cost < best[k][0]:
                    best[k] = (best[m][0] + cost, m, sweep)
        plan = []
        k = len(bounds) - 1
        while k > 0:
            _, m, sweep = best[k]
            plan.append((bounds[m], bounds[k], sweep))
            k = m
        return plan[::-1]

    def _decode_row(self, filter_type: int, raw: bytes | bytearray | memoryview) -> bytes:
        if filter_type == FILTER_AVERAGE:
            row = unfilter_average_row(raw, self._prev, self._bpp)
        elif filter_type == FILTER_PAETH:
            row = unfilter_paeth_row(raw, self._prev, self._bpp)
        else:
            return self._whole_row_decoders[filter_type](raw)
        self._prev, self._prev_int = row, None
        return row

    def _none(self, raw: bytes | bytearray | memoryview) -> bytes:
        row = bytes(raw)
        self._prev, self._prev_int = row, None
        return row

    def _sub(self, raw: bytes | bytearray | memoryview) -> bytes:
        value = self._lanes.prefix_sum(int.from_bytes(raw, "little"), self._bpp)
        row = value.to_bytes(self._row_bytes, "little")
        self._prev, self._prev_int = row, value
        return row

    def _up(self, raw: bytes | bytearray | memoryview) -> bytes:
        prev_int = self._prev_int
        if prev_int is None:
            prev_int = int.from_bytes(self._prev, "little")
        value = self._lanes.add(int.from_bytes(raw, "little"), prev_int)
        row = value.to_bytes(self._row_bytes, "little")
        self._prev, self._prev_int = row, value
        return row

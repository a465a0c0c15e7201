"""Scanline filter decoding (spec 9: filter method 0, types None/Sub/Up/Average/Paeth) for one
sub-image at a time. None/Sub/Up rows are whole-row lane operations (swar.py); windows holding
Average/Paeth rows go to wavefront.py. All work is charged to a WorkMeter and done in bounded
units (sweeps pause, long rows are decoded a piece at a time), so the caller can yield between them.
Imports only sibling modules."""

from collections.abc import Callable, Generator, Iterator

from .budget import ROW_OVERHEAD_US, WorkMeter
from .errors import InvalidImage
from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP
from .narrow import unfilter_narrow_rows
from .segments import decode_long_row
from .sparse import CHANGES_WINDOW, ESTIMATE_US_PER_BYTE, ROW_US, decode_sparse_paeth, sparse_paeth_cost
from .swar import ByteLanes
from .wavefront import sweep_window_bytes, sweep_window_paeth, unfilter_average_span, unfilter_paeth_span

NEEDS_WAVEFRONT = (FILTER_AVERAGE, FILTER_PAETH)

# A window spans at most WINDOW_LANES lanes (rows x bytes per pixel): wider windows mean fewer
# sweep steps per row but slower big-int operations; 512-1024 measured best for 512-4096 px rows.
# Its memory (raw rows plus a skewed copy) is also capped through MAX_WINDOW_BYTES.
WINDOW_LANES = 768
MAX_WINDOW_BYTES = 1 << 21

# Rough costs in microseconds, measured on CPython 3.13 x86-64; their ratios decide which rows of a
# window are swept together and which are decoded one by one, and their values feed the WorkMeter.
SWEEP_STEP_COST = {False: (1.2, 0.009), True: (3.5, 0.04)}  # has Paeth -> (per step, per lane per step)
ROW_BYTE_COST = {FILTER_NONE: 0.0, FILTER_SUB: 0.025, FILTER_UP: 0.003, FILTER_AVERAGE: 0.2, FILTER_PAETH: 0.4}
# Segments of a window may break where the filter class changes. The finest classing whose
# boundary count stays under MAX_SEGMENT_BOUNDARIES is used (else the window is one segment).
MAX_SEGMENT_BOUNDARIES = 40
FILTER_CLASSINGS = (
    {FILTER_NONE: 0, FILTER_SUB: 0, FILTER_UP: 0, FILTER_AVERAGE: 1, FILTER_PAETH: 2},
    {FILTER_NONE: 0, FILTER_SUB: 0, FILTER_UP: 0, FILTER_AVERAGE: 0, FILTER_PAETH: 2},  # Paeth or not
)
# Rows longer than this are decoded a piece at a time (the caller converts each piece as it comes),
# and never enter a window. Pieces hold about a quarter of a step's budget of work.
LONG_ROW_BYTES = 1 << 17
PIECE_BUDGET_US = 1000.0
# Rows this short (a few pixels) are decoded many at a time by narrow.unfilter_narrow_rows: below
# ~16 bytes the fixed cost of a row in push()/flush() is larger than a plain loop over its bytes.
NARROW_ROW_BYTES = 16
NARROW_US_PER_BYTE = 0.35  # the loop's cost per byte, Paeth rows (the dearest)


def _charged[Result, Pause](
    work: Generator[float, None, Result], meter: WorkMeter, pause: Pause
) -> Generator[Pause, None, Result]:
    """Run `work` (a generator that yields the cost of each bounded unit it does) to its end, adding
    each cost to `meter` and yielding `pause` after each unit; returns what `work` returns."""
    while True:
        try:
            meter.spent += next(work)
        except StopIteration as done:
            result: Result = done.value
            return result
        yield pause


class ScanlineUnfilter:
    """Decodes the scanlines of one sub-image in order. Short None/Sub/Up rows are decoded at once by
    `push`; from the first Average/Paeth row on, rows are collected into a window that `flush`
    decodes (when `window_full`, or at the end of the sub-image). Rows longer than LONG_ROW_BYTES
    go through `long_row_pieces` instead. Everything it builds for its row length (lane masks)
    belongs to it."""

    def __init__(self, row_bytes: int, bpp: int, meter: WorkMeter | None = None) -> None:
        self._row_bytes = row_bytes
        self._bpp = bpp
        self.meter = meter if meter is not None else WorkMeter()
        self.long_rows = row_bytes > LONG_ROW_BYTES
        self.narrow = row_bytes <= NARROW_ROW_BYTES
        # Row-length constants (the zero row, ByteLanes masks) are only built for rows that push() and
        # flush() handle: long rows never need them, and for a 1,000,000-pixel row they are 9 MB.
        self._lanes_built: ByteLanes | None = None
        self._piece_lanes: dict[int, ByteLanes] = {}  # long rows: one per piece length (at most two)
        # The decoded row above (spec 9.2: all zeros above the first). A long row keeps the bytearray
        # it was decoded into: copying a 3-8 MB row would double the memory it takes.
        self._prev: bytes | bytearray = bytes(row_bytes)
        self._zero_row_built: bytes | None = None
        self._prev_int: int | None = 0  # self._prev as a little-endian int, or None until someone needs it
        # The window: every held row as (filter type, filtered bytes), in order. Up rows are not
        # lanes of a sweep: they are folded into the up neighbour of the next lane (up deltas).
        self._window: list[tuple[int, bytes]] = []
        self._window_lanes = 0
        self._lane_limit = max(1, WINDOW_LANES // bpp)
        self._row_limit = max(1, MAX_WINDOW_BYTES // row_bytes)
        # Close a window after this many Sub/None rows in a row: each is a lane of the sweep, and
        # sweeping them costs about as much as the extra row-length of steps a new window would need.
        per_step, per_lane = SWEEP_STEP_COST[True]
        self._window_break = max(4, round(per_step / (per_lane * bpp)))
        self._trailing_lanes_without_wavefront = 0
        # Paeth rows that are mostly zero residuals go to sparse.py, until one of them costs far more
        # than estimated (a crafted image): from then on this sub-image sweeps its Paeth rows.
        self._sparse_paeth = True
        self._whole_row_decoders: dict[int, Callable[[bytes | bytearray | memoryview], bytes]] = {
            FILTER_NONE: self._none,
            FILTER_SUB: self._sub,
            FILTER_UP: self._up,
        }

    @property
    def window_full(self) -> bool:
        """Whether the caller should flush() before pushing more rows."""
        return (
            self._window_lanes >= self._lane_limit
            or len(self._window) >= self._row_limit
            or self._trailing_lanes_without_wavefront >= self._window_break
        )

    def push(self, filter_type: int, raw: bytes | bytearray | memoryview) -> list[bytes]:
        """Take one short scanline (its filter type byte and row_bytes filtered bytes); returns it decoded
        when that is cheap (a None/Sub/Up row with no window open), else [] and keeps it for flush()."""
        if filter_type > FILTER_PAETH:
            raise InvalidImage("bad_filter", f"scanline filter type {filter_type} is invalid (must be 0-4)")
        if filter_type == FILTER_PAETH and raw == self._zero_row:
            # Nothing added to the prediction: the row repeats the one above (with a = c the predictor
            # is b, and a = c holds from the first pixel on), exactly like an all-zero Up row.
            filter_type = FILTER_UP
        if not self._window and filter_type not in NEEDS_WAVEFRONT:
            self.meter.spent += ROW_OVERHEAD_US + ROW_BYTE_COST[filter_type] * self._row_bytes
            return [self._whole_row_decoders[filter_type](raw)]
        if filter_type == FILTER_UP and raw == self._zero_row:
            self._window.append((filter_type, self._zero_row))  # repeats of the row above hold no memory
        else:
            self._window.append((filter_type, bytes(raw)))
        if filter_type != FILTER_UP:
            self._window_lanes += 1
            if filter_type in NEEDS_WAVEFRONT:
                self._trailing_lanes_without_wavefront = 0
            else:
                self._trailing_lanes_without_wavefront += 1
        return []

    def flush(self) -> Iterator[list[bytes]]:
        """Decode the rows waiting in the window; yields decoded rows in order as they are done, and
        empty lists between bounded units of work (a slice of sweep steps, a piece of a row).
        Sub and None rows do not depend on the row above: they are decoded first and enter the sweep
        as None lanes holding their pixels. Up rows are no lanes at all: the sum of the Up rows
        between two lanes is added to the lower lane's up neighbour during the sweep (an up delta),
        and the Up rows are rebuilt afterwards, one whole-row addition each. Reference twin:
        grayscale_reference.unfilter_row, row after row (test_sweeps_with_up_deltas_in_chunks_match_reference,
        test_unfilter_decision_paths_match_reference). Justified by benchmark rows pnmtopng-chart-*
        and pnmtopng-screenshot-* (about two thirds Up rows: 5.3x -> 3.4x Pillow)."""
        entries = self._window
        if not entries:
            return
        self._window = []
        self._window_lanes = 0
        self._trailing_lanes_without_wavefront = 0
        meter = self.meter
        lane_entries = [i for i, (filter_type, _) in enumerate(entries) if filter_type != FILTER_UP]
        lane_types, lane_raws = [], []
        for i in lane_entries:
            filter_type, raw = entries[i]
            if filter_type == FILTER_SUB:
                meter.spent += ROW_OVERHEAD_US + ROW_BYTE_COST[FILTER_SUB] * self._row_bytes
                value = self._lanes.prefix_sum(int.from_bytes(raw, "little"), self._bpp)
                filter_type, raw = FILTER_NONE, value.to_bytes(self._row_bytes, "little")
            lane_types.append(filter_type)
            lane_raws.append(raw)
        dense_costs = [ROW_BYTE_COST[t] * self._row_bytes for t in lane_types]
        sparse_lanes = yield from self._sparse_estimates(lane_types, lane_raws, dense_costs)
        lane_costs = [sparse_lanes.get(lane, cost) for lane, cost in enumerate(dense_costs)]
        has_up_rows = len(lane_entries) < len(entries)
        next_entry = 0  # entries before this one have been decoded and handed out
        plan = self._plan_segments(lane_types, lane_costs)
        while plan:
            start, end, sweep = plan.pop(0)
            if sweep:
                has_paeth = FILTER_PAETH in lane_types[start:end]
                types, raws = lane_types[start:end], lane_raws[start:end]
                up_deltas: list[bytes | None] | None = None
                fold = has_up_rows and has_paeth
                if has_up_rows and not has_paeth:
                    # Byte-lane sweeps make a lane cheap, cheaper than adding a delta at every step:
                    # the Up rows of the segment ride along as Up lanes.
                    types, raws = [], []
                    lane = start
                    for index in range(next_entry, lane_entries[end - 1] + 1):
                        if index == lane_entries[lane]:
                            types.append(lane_types[lane])
                            raws.append(lane_raws[lane])
                            lane += 1
                        else:
                            types.append(FILTER_UP)
                            raws.append(entries[index][1])
                elif fold:
                    up_deltas = []
                    gap_start = next_entry
                    for lane in range(start, end):
                        up_deltas.append(self._sum_of_up_rows(entries, gap_start, lane_entries[lane]))
                        gap_start = lane_entries[lane] + 1
                per_step, per_lane = SWEEP_STEP_COST[has_paeth]
                step_us = per_step + per_lane * (len(types) + 1) * self._bpp
                prev = self._prev_row()
                sweeper = (
                    sweep_window_paeth(types, raws, prev, self._bpp, step_us, PIECE_BUDGET_US, up_deltas)
                    if has_paeth
                    else sweep_window_bytes(types, raws, prev, self._bpp, step_us, PIECE_BUDGET_US)
                )
                decoded = yield from _charged(sweeper, meter, [])
                if fold:
                    rows: list[bytes] = []
                    for lane, row in zip(range(start, end), decoded, strict=True):
                        rows += self._up_rows(entries, next_entry, lane_entries[lane])
                        rows.append(row)
                        self._prev, self._prev_int = row, None
                        next_entry = lane_entries[lane] + 1
                    yield rows
                else:
                    self._prev, self._prev_int = decoded[-1], None
                    yield decoded
                next_entry = lane_entries[end - 1] + 1
            else:
                for lane in range(start, end):
                    yield self._up_rows(entries, next_entry, lane_entries[lane])
                    filter_type, raw = lane_types[lane], lane_raws[lane]
                    if filter_type == FILTER_NONE:  # a None row, or a Sub row decoded above
                        self._prev, self._prev_int = raw, None
                    elif lane in sparse_lanes and self._sparse_paeth:
                        yield from self._sparse_paeth_row(raw, sparse_lanes[lane])
                    else:
                        for _ in self._row_pieces(filter_type, raw):
                            yield []
                    yield [self._prev_row()]
                    next_entry = lane_entries[lane] + 1
                    if lane in sparse_lanes and not self._sparse_paeth and lane + 1 < len(lane_types):
                        # That row cost far more than estimated: plan the rest of the window again
                        # without sparse rows (they are swept, not left to the byte loop).
                        rest = lane + 1
                        replanned = self._plan_segments(lane_types[rest:], dense_costs[rest:])
                        plan = [(rest + first, rest + last, swept) for first, last, swept in replanned]
                        break
        yield self._up_rows(entries, next_entry, len(entries))

    def _sparse_estimates(
        self, types: list[int], raws: list[bytes], dense_costs: list[float]
    ) -> Generator[list[bytes], None, dict[int, float]]:
        """The lanes (Paeth rows) that sparse.py decodes for less than the byte loop, with its estimate
        of each; charges the meter for estimating and yields an empty list after each row."""
        estimates: dict[int, float] = {}
        if self._sparse_paeth:
            for lane, filter_type in enumerate(types):
                if filter_type == FILTER_PAETH:
                    self.meter.spent += ESTIMATE_US_PER_BYTE * self._row_bytes
                    cost = sparse_paeth_cost(raws[lane])
                    if cost < dense_costs[lane]:
                        estimates[lane] = cost
                    yield []
        return estimates

    def _sparse_paeth_row(self, raw: bytes, estimate_us: float) -> Iterator[list[bytes]]:
        """Decode one Paeth row with sparse.decode_sparse_paeth into self._prev, charging the meter;
        yields empty lists between bounded units of work."""
        self.meter.spent += ROW_OVERHEAD_US
        row = yield from _charged(self._sparse_decoder(raw, estimate_us), self.meter, [])
        self._prev, self._prev_int = bytes(row), None

    def _sparse_decoder(
        self, raw: bytes | bytearray | memoryview, estimate_us: float
    ) -> Generator[float, None, bytearray]:
        """sparse.decode_sparse_paeth below self._prev; a row it misjudged turns it off for this sub-image."""
        decoder = decode_sparse_paeth(raw, self._prev, self._bpp, PIECE_BUDGET_US, estimate_us)
        row, within_estimate = yield from decoder
        if not within_estimate:
            self._sparse_paeth = False
        return row

    def _sum_of_up_rows(self, entries: list[tuple[int, bytes]], start: int, end: int) -> bytes | None:
        """The bytewise sum (mod 256) of the Up rows entries[start:end], or None if it is zero."""
        total = 0
        for _, raw in entries[start:end]:
            value = int.from_bytes(raw, "little")
            if value:
                total = self._lanes.add(total, value) if total else value
        self.meter.spent += (end - start) * (ROW_OVERHEAD_US + ROW_BYTE_COST[FILTER_UP] * self._row_bytes)
        return total.to_bytes(self._row_bytes, "little") if total else None

    def _up_rows(self, entries: list[tuple[int, bytes]], start: int, end: int) -> list[bytes]:
        """Decode the Up rows entries[start:end] below self._prev."""
        self.meter.spent += (end - start) * (ROW_OVERHEAD_US + ROW_BYTE_COST[FILTER_UP] * self._row_bytes)
        return [self._up(raw) for _, raw in entries[start:end]]

    @property
    def narrow_rows_per_piece(self) -> int:
        """How many narrow rows decode_narrow handles in about PIECE_BUDGET_US."""
        return max(1, int(PIECE_BUDGET_US / (ROW_OVERHEAD_US / 8 + NARROW_US_PER_BYTE * self._row_bytes)))

    def decode_narrow(self, band: bytes | bytearray, rows: int) -> bytearray:
        """Decode `rows` complete scanlines (filter type byte + row bytes each) of a narrow sub-image in
        one loop (narrow.unfilter_narrow_rows); returns them decoded and concatenated. Only for
        sub-images that never open a window (the caller sends all their rows here)."""
        length = self._row_bytes + 1
        types = band[0 : rows * length : length]
        if max(types) > FILTER_PAETH:
            bad = next(t for t in types if t > FILTER_PAETH)
            raise InvalidImage("bad_filter", f"scanline filter type {bad} is invalid (must be 0-4)")
        decoded = unfilter_narrow_rows(band, rows, self._row_bytes, self._bpp, self._prev_row())
        self._prev, self._prev_int = bytes(decoded[-self._row_bytes :]), None
        self.meter.spent += rows * (ROW_OVERHEAD_US / 8 + NARROW_US_PER_BYTE * self._row_bytes)
        return decoded

    def long_row_pieces(
        self, filter_type: int, raw: bytes | bytearray | memoryview, extra_us_per_byte: float = 0.0
    ) -> Iterator[bytes]:
        """Decode one long scanline a piece at a time; yields the decoded bytes of each piece in order
        (their concatenation is the row). Pieces are sized so that decoding a piece plus what the
        caller does with it (`extra_us_per_byte` of decoded data) costs about PIECE_BUDGET_US."""
        if filter_type > FILTER_PAETH:
            raise InvalidImage("bad_filter", f"scanline filter type {filter_type} is invalid (must be 0-4)")
        for row, start, end in self._row_pieces(filter_type, raw, extra_us_per_byte):
            yield bytes(row[start:end])

    def _row_pieces(
        self, filter_type: int, raw: bytes | bytearray | memoryview, extra_us_per_byte: float = 0.0
    ) -> Iterator[tuple[bytes | bytearray, int, int]]:
        """Decode one row in place in column pieces of about PIECE_BUDGET_US of work each, charging
        the meter; yields (row, start, end) after each piece and leaves the row in self._prev."""
        n, bpp = self._row_bytes, self._bpp
        if filter_type == FILTER_PAETH and self._prev_is_zero():
            filter_type = FILTER_SUB  # with the row above all zero, b = c = 0 and Paeth picks a: Sub
        if self.long_rows and filter_type in NEEDS_WAVEFRONT:
            yield from self._long_row(filter_type, raw, extra_us_per_byte)
            return
        cost = ROW_BYTE_COST[filter_type]
        piece = max(bpp, int(PIECE_BUDGET_US / max(cost + extra_us_per_byte, 0.005)) // bpp * bpp)
        row = bytearray(raw)
        prev = self._prev
        self.meter.spent += ROW_OVERHEAD_US
        for start in range(0, n, piece):
            end = min(n, start + piece)
            if filter_type == FILTER_AVERAGE:
                unfilter_average_span(row, prev, bpp, start, end)
            elif filter_type == FILTER_PAETH:
                unfilter_paeth_span(row, prev, bpp, start, end)
            elif filter_type != FILTER_NONE:
                lanes = self._piece_lanes.get(end - start)
                if lanes is None:
                    lanes = self._piece_lanes[end - start] = ByteLanes(end - start)
                value = int.from_bytes(row[start:end], "little")
                if filter_type == FILTER_UP:
                    value = lanes.add(value, int.from_bytes(prev[start:end], "little"))
                else:  # Sub: a running sum within the piece, plus the last pixel before it in every lane
                    value = lanes.prefix_sum(value, bpp)
                    if start:
                        carry = row[start - bpp : start] * ((end - start) // bpp)
                        value = lanes.add(value, int.from_bytes(carry, "little"))
                row[start:end] = value.to_bytes(end - start, "little")
            self.meter.spent += cost * (end - start)
            yield row, start, end
        self._prev, self._prev_int = (row if self.long_rows else bytes(row)), None

    def _long_row(
        self, filter_type: int, raw: bytes | bytearray | memoryview, extra_us_per_byte: float
    ) -> Iterator[tuple[bytes | bytearray, int, int]]:
        """A long Average/Paeth row, decoded as segments side by side (segments.decode_long_row), or
        by sparse.py if it is a Paeth row whose estimate there is lower: mostly zero residuals, where
        the segments' guesses fail whenever the row differs from the one above (a 6 KB 1,000,000 x 2
        image of two flat rows cost 1.2 s of repairs, 0.08 s this way). Yields empty pieces while it
        works, then the row in pieces sized for the caller's extra work."""
        bpp = self._bpp
        per_step, per_lane = SWEEP_STEP_COST[filter_type == FILTER_PAETH]
        lanes = min(WINDOW_LANES, self._row_bytes)
        step_us = per_step + per_lane * lanes
        empty = bytearray()
        decoder: Generator[float, None, bytearray] | None = None
        if filter_type == FILTER_PAETH and self._sparse_paeth:
            estimate_us = ROW_US
            for first in range(0, self._row_bytes, CHANGES_WINDOW):  # a window at a time: bounded units
                window = bytes(raw[first : first + CHANGES_WINDOW])
                self.meter.spent += ESTIMATE_US_PER_BYTE * len(window)
                estimate_us += sparse_paeth_cost(window) - ROW_US
                yield empty, 0, 0
            if estimate_us < step_us * self._row_bytes / lanes:
                self.meter.spent += ROW_OVERHEAD_US
                decoder = self._sparse_decoder(raw, estimate_us)
        if decoder is None:
            decoder = decode_long_row(filter_type, raw, self._prev, bpp, step_us, PIECE_BUDGET_US)
        row = yield from _charged(decoder, self.meter, (empty, 0, 0))
        self._prev, self._prev_int = row, None
        piece = max(bpp, int(PIECE_BUDGET_US / max(extra_us_per_byte, 0.005)) // bpp * bpp)
        for start in range(0, self._row_bytes, piece):
            end = min(self._row_bytes, start + piece)
            self.meter.spent += extra_us_per_byte * (end - start)
            yield row, start, end

    @property
    def _zero_row(self) -> bytes:
        """A row of zeros, built when first needed (push() compares rows with it)."""
        if self._zero_row_built is None:
            self._zero_row_built = bytes(self._row_bytes)
        return self._zero_row_built

    @property
    def _lanes(self) -> ByteLanes:
        """Lane arithmetic for this row length, built when first needed."""
        if self._lanes_built is None:
            self._lanes_built = ByteLanes(self._row_bytes)
        return self._lanes_built

    def _prev_row(self) -> bytes:
        """The row above as bytes: a bytearray only after a long row, and long rows never come here."""
        prev = self._prev
        return prev if isinstance(prev, bytes) else bytes(prev)

    def _prev_is_zero(self) -> bool:
        if self._prev_int is not None:
            return self._prev_int == 0
        return self._prev.count(0) == self._row_bytes

    def _plan_segments(self, types: list[int], row_costs: list[float]) -> list[tuple[int, int, bool]]:
        """Split the window into consecutive segments, each swept or decoded row by row, at the least
        estimated cost. Segments may only break where the filter class (see FILTER_CLASSINGS)
        changes, so a few Paeth rows do not make a long Average stretch pay for a Paeth sweep; the
        best split is a shortest path over those boundaries (O(boundaries^2)). Every plan decodes the
        same pixels (test_unfilter_decision_paths_match_reference forces each choice against
        grayscale_reference.unfilter_row); it matters where windows mix filters row by row (benchmark
        rows pnmtopng-icon-*, pnmtopng-chart-*, libpng-adam7-2048)."""
        count = len(types)
        bounds = [0, count]
        for classing in FILTER_CLASSINGS:
            changes = [i for i in range(1, count) if classing[types[i]] != classing[types[i - 1]]]
            if len(changes) + 2 <= MAX_SEGMENT_BOUNDARIES:
                bounds = [0, *changes, count]
                break
        row_cost_prefix = [0.0]
        paeth_prefix = [0]
        for t, cost in zip(types, row_costs, strict=True):
            row_cost_prefix.append(row_cost_prefix[-1] + cost)
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
        value = int.from_bytes(raw, "little")
        if not value:  # the row repeats the one above: hand out the very same object
            return self._prev_row()
        prev_int = self._prev_int
        if prev_int is None:
            prev_int = int.from_bytes(self._prev, "little")
        value = self._lanes.add(value, prev_int)
        row = value.to_bytes(self._row_bytes, "little")
        self._prev, self._prev_int = row, value
        return row

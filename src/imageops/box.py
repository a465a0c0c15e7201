"""Box (area-average) downscaling of 8-bit pixel rows that arrive pass by pass and strip by strip, with
the arithmetic of Pillow: reduce() when both factors are integers (exact sums, one rounding), else
resize(BOX) (two passes, each rounded to 8 bits). Memory stays bounded: nothing of the input is kept
beyond the strip at hand, one partial sum per open run, and for Adam7 resizes the partial sums later
passes still add to. Imports only stdlib, grayscale.budget and sibling modules.

Sums are taken as big-int lane operations (lanes.py): a strip of k rows of P pixels of c samples is
one int of k*P*c lanes; window sums along the row axis (stride one row) and along the pixel axis
(stride one pixel) put each run's sum in the lane of its first sample, masks keep the runs' first
lanes, and one gather packs the results. Reference twins: imageops_reference.run_sums
(test_run_sums_match_reference), the column sums' loop (test_column_sums_match_reference) and, for
the whole filter, imageops_reference.thumbnail_pixels (check_against_pillow in
test_imageops_thumbnail: PngSuite, photos, random images, every order, Adam7, bands, long rows)."""

import math
from dataclasses import dataclass

from grayscale.budget import WorkMeter

from .alpha import SplitPremultiplier
from .geometry import RESIZE_PRECISION_BITS, RESIZE_ROUNDING, BoxAxis, reduce_multiplier, resize_coefficient
from .lanes import LaneGather, lane_ones, lane_width_for, widen, window_sums

# Estimated CPython costs (microseconds per input byte of 8-bit pixels), measured by
# bench/imageops_bench.py; they feed the WorkMeter like the grayscale core's budget constants.
BOX_US_PER_BYTE = 0.004  # widening, window sums, masks and gathers of one strip
PREMULTIPLY_US_PER_BYTE = 0.009
# A strip is cut into pieces of about this many lanes: wide rows are summed one row at a time (the
# vertical sum is carried from row to row), narrow rows many rows at once (window sums down the strip).
PIECE_LANES = 1 << 12
# Rows are cut into bands of whole output columns of at most this many input pixels, so that one unit
# of work stays small however wide the image.
BAND_PIXELS = 1 << 14


@dataclass(frozen=True, slots=True)
class Band:
    """Output columns first..end-1 and, in one pass, the pass pixels they cover: pass pixels
    pixel_start..pixel_start+pixels-1; runs[j] = (start, length) of output column first+j within them."""

    first: int
    end: int
    pixel_start: int
    pixels: int
    runs: tuple[tuple[int, int], ...]


def bands_of(columns: BoxAxis) -> list[tuple[int, int]]:
    """Output column ranges [first, end) covering at most BAND_PIXELS input pixels each (at least one
    column each)."""
    bands = []
    first = 0
    runs = columns.runs
    while first < columns.out_size:
        end = first + 1
        while end < columns.out_size and runs[end][1] - runs[first][0] <= BAND_PIXELS:
            end += 1
        bands.append((first, end))
        first = end
    return bands


def pass_index_range(start: int, end: int, origin: int, step: int) -> tuple[int, int]:
    """The pass indices i whose image position origin + i*step lies in [start, end)."""
    first = max(0, -((origin - start) // step))
    last = max(0, -((origin - end) // step))
    return first, last


def pass_bands(columns: BoxAxis, bands: list[tuple[int, int]], x0: int, dx: int, pass_width: int) -> list[Band]:
    """The bands as seen by one pass (pass pixel x lies at image column x0 + x*dx)."""
    result = []
    for first, end in bands:
        pixel_start, pixel_end = pass_index_range(columns.runs[first][0], columns.runs[end - 1][1], x0, dx)
        pixel_end = min(pixel_end, pass_width)
        pixel_start = min(pixel_start, pixel_end)
        runs = []
        for start, stop in columns.runs[first:end]:
            a, b = pass_index_range(start, stop, x0, dx)
            a, b = min(a, pass_width), min(b, pass_width)
            runs.append((a - pixel_start, b - a))
        result.append(Band(first, end, pixel_start, pixel_end - pixel_start, tuple(runs)))
    return result


class RunSums:
    """Sums over runs along the rows of one strip layout: `rows` rows of `row_lanes` lanes, `unit`
    lanes per step along a row (one pixel's samples), the same runs (start, length) in steps on every
    row, lanes of `width` bytes. Calling it returns, for every row, the runs' sums (each of the `unit`
    samples) packed in order into lanes of `out_width` bytes; a run of length 0 sums to 0.
    Window sums of each distinct length put a run's sum in its first lane; with several lengths, masks
    keep for each length only the first lanes of the runs that have it."""

    def __init__(
        self, rows: int, row_lanes: int, unit: int, runs: tuple[tuple[int, int], ...], width: int, out_width: int
    ) -> None:
        self.stride_bits = 8 * width * unit
        self.lengths = sorted({length for _, length in runs if length})
        self.masks: list[int] = []
        if len(self.lengths) > 1:
            run_ones = b"\xff" * (width * unit)
            for length in self.lengths:
                row = bytearray(width * row_lanes)
                for start, run in runs:
                    if run == length:
                        row[start * width * unit : (start + 1) * width * unit] = run_ones
                self.masks.append(int.from_bytes(bytes(row) * rows, "little"))
        total_lanes = rows * row_lanes
        positions = []
        for r in range(rows):
            base = r * row_lanes
            for start, run in runs:
                for k in range(unit):
                    positions.append(base + start * unit + k if run else total_lanes)
        self.gather = LaneGather(positions, total_lanes, width, out_width)

    def __call__(self, value: int) -> int:
        if not self.lengths:
            return 0
        stride = self.stride_bits
        lengths = self.lengths
        if len(lengths) == 1:
            return self.gather(window_sums(value, lengths[0], stride))
        if len(lengths) == 2 and lengths[1] == lengths[0] + 1:
            # Runs of q and q + 1 (the usual resize): the longer window, minus the last term where a run
            # of q starts. Cheaper than two windows and two masks.
            short_mask = self.masks[0]
            return self.gather(window_sums(value, lengths[1], stride) - ((value >> (lengths[0] * stride)) & short_mask))
        combined = 0
        partial = 0
        done = 0
        for length, mask in zip(lengths, self.masks, strict=True):
            partial += window_sums(value, length - done, stride) >> (done * stride)
            done = length
            combined |= partial & mask
        return self.gather(combined)


def column_sums(value: int, rows: int, row_bits: int, segments: list[tuple[int, int]]) -> int:
    """Sums down the rows of a strip (`rows` rows of `row_bits` bits): for each segment (first row,
    length) of consecutive rows, the segment's sum in the segment's first row, every other row 0.
    Window sums along the strip with a stride of one row, one per distinct length, masked to the rows
    that start a segment of that length."""
    if rows == 1:
        return value
    row_bytes = row_bits // 8
    ones, zeros = b"\xff" * row_bytes, bytes(row_bytes)
    result = 0
    partial = 0
    done = 0
    for length in sorted({length for _, length in segments}):
        partial += window_sums(value, length - done, row_bits) >> (done * row_bits)
        done = length
        starts = {first for first, run in segments if run == length}
        mask = int.from_bytes(b"".join(ones if r in starts else zeros for r in range(rows)), "little")
        result |= partial & mask
    return result


@dataclass(slots=True)
class _Carry:
    """The open run of one pass and band at the end of the last strip: its partial sum down the rows
    (as row 0 of a strip) and how many rows it holds."""

    value: int = 0
    rows: int = 0


def resize_vertical_first(columns: BoxAxis, rows: BoxAxis) -> bool:
    """Whether Pillow's resize() does its vertical pass first: Pillow 13 does when the height shrinks by
    more than twice as many pixels as the width ((H - h) > 2 (W - w)); before that it always went
    horizontal first (test_resize_pass_order_matches_pillow checks the installed Pillow)."""
    return rows.in_size - rows.out_size > 2 * (columns.in_size - columns.out_size)


class BoxFilter:
    """Downscales 8-bit pixel rows of `channels` samples from columns.in_size x rows.in_size to
    columns.out_size x rows.out_size. Rows arrive as strips of one band of one pass (add_strip), in data
    order; finished output rows come out of take_rows() in order, as soon as everything they average
    has arrived (premultiplying alpha, if any, is PremultipliedBoxFilter's).

    Three orders of work, as Pillow's arithmetic requires:
    - exact (reduce()): sums down each run of rows, then along each run of columns, one rounding;
    - horizontal first (resize(BOX), Pillow's usual order): each input row's column runs rounded to 8
      bits, then the runs of those rows rounded again;
    - vertical first (resize(BOX) when Pillow does its vertical pass first, or when pillow_order is
      False): each run of rows summed and rounded per column, then the column runs of that rounded.
      Horizontal first costs column sums and a gather per input row, vertical first per output row
      (about twice as fast on a 4096-pixel photo, bench/imageops_bench.py's 4095 rows); the two orders
      differ by at most 1 in any sample (test_orders_differ_by_at_most_one), so a caller without alpha
      (where premultiplying would magnify the difference) may trade Pillow's exact order for speed.
    With Adam7, a row or column sum that later passes still add to is kept until they have (the
    horizontal-first store holds column sums of even rows, the vertical-first one row sums of open
    output rows); the exact order needs none, as its sums are linear."""

    def __init__(
        self,
        columns: BoxAxis,
        rows: BoxAxis,
        channels: int,
        passes: list[tuple[int, int, int, int, int, int]],
        exact: bool,
        meter: WorkMeter,
        pillow_order: bool = True,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.channels = channels
        self.exact = exact
        self.vertical_first = exact or not pillow_order or resize_vertical_first(columns, rows)
        self.meter = meter
        self.passes = passes
        band_ranges = bands_of(columns)
        self.bands = [pass_bands(columns, band_ranges, x0, dx, width) for x0, _, dx, _, width, _ in passes]
        self._image_bands = pass_bands(columns, band_ranges, 0, 1, columns.in_size)
        self.band_count = len(band_ranges)
        run_x = max(columns.lengths())
        run_y = max(rows.lengths())
        if exact:
            area = run_x * run_y
            self.width = lane_width_for(255 * area)
            self._multiplier = reduce_multiplier(area)
            self._amend = area // 2
            self.out_width = max(4, lane_width_for((255 * area + self._amend) * max(self._multiplier, 1)))
        else:
            self.width = lane_width_for(255 * (run_y if self.vertical_first else run_x))
            largest = max(255 * run * resize_coefficient(run) for run in columns.lengths() | rows.lengths())
            self.out_width = max(4, lane_width_for(largest + RESIZE_ROUNDING))
        self._carries = [[_Carry() for _ in range(self.band_count)] for _ in passes]
        self._row_lanes = columns.out_size * channels
        self._row_ones = lane_ones(self._row_lanes, self.out_width)
        self._irregular_rows = rows.irregular()
        self._interlaced = len(passes) > 1
        # Per output row: per band, the sums so far, and how much of what they average has arrived.
        self._sums: dict[int, list[int]] = {}
        self._received: dict[int, int] = {}
        self._finished: dict[int, bytes] = {}
        self._next_output_row = 0
        self._run_sums_cache: dict[tuple[int, int, int, int], RunSums] = {}
        self._rounding: dict[tuple[int, int], tuple[int, list[tuple[int, int]]]] = {}
        # Horizontal first with Adam7: column sums of rows later passes add to, by (row // 2).
        self._completes = [self._pass_completes_rows(p) for p in range(len(passes))]
        self._continues = [self._shares_rows_with_earlier(p) for p in range(len(passes))]
        self._store_width = lane_width_for(255 * run_x)
        self._store: bytearray | None = None
        # Vertical first with Adam7: row sums of open output rows by (output row, band), in image columns.
        self._open_rows: dict[tuple[int, int], list[int]] = {}
        self._band_ones: dict[int, int] = {}

    def _pass_completes_rows(self, pass_index: int) -> bool:
        """Whether no later pass has pixels on this pass's rows. In Adam7 each later pass's row step
        divides an earlier pass's, so this holds for all of a pass's rows or for none."""
        _, y0, _, dy, _, _ = self.passes[pass_index]
        return all((y0 - y1) % math.gcd(dy, dy1) for _, y1, _, dy1, _, _ in self.passes[pass_index + 1 :])

    def _shares_rows_with_earlier(self, pass_index: int) -> bool:
        """Whether an earlier pass has pixels on this pass's rows."""
        _, y0, _, dy, _, _ = self.passes[pass_index]
        return any((y0 - y1) % math.gcd(dy, dy1) == 0 for _, y1, _, dy1, _, _ in self.passes[:pass_index])

    def add_strip(self, pass_index: int, first_row: int, band_index: int, pixels: bytes, rows: int) -> None:
        """`rows` consecutive rows of pass `pass_index` from its row `first_row`, restricted to one band:
        band.pixels 8-bit pixels per row (possibly none)."""
        value = widen(pixels, self.width) if pixels else 0
        self.meter.spent += BOX_US_PER_BYTE * len(pixels)
        self.add_lanes(pass_index, first_row, band_index, value, rows)

    def add_lanes(self, pass_index: int, first_row: int, band_index: int, value: int, rows: int) -> None:
        """add_strip with the samples already widened into lanes of self.width bytes."""
        if self.vertical_first:
            if self.bands[pass_index][band_index].pixels:
                self._rows_first(pass_index, band_index, first_row, rows, value)
        else:
            self._columns_first(pass_index, band_index, first_row, rows, value)

    def _segments(
        self, pass_index: int, first_row: int, count: int
    ) -> tuple[list[tuple[int, int, int]], bool, list[int] | None]:
        """The strip's rows split by output row: (first row, rows, output row) in order; whether the last
        one's run goes on past the strip; and, when some row belongs to no run or to two (resize ties),
        the strip rows in the order the runs take them (a row repeated or left out), else None."""
        _, y0, _, dy, _, pass_height = self.passes[pass_index]
        rows_axis = self.rows
        y_first, y_end = y0 + first_row * dy, y0 + (first_row + count) * dy
        order: list[int] | None = None
        owners: list[int] = []
        if any(y_first <= y < y_end and (y - y0) % dy == 0 for y in self._irregular_rows):
            order = []
            for r in range(count):
                for output_row in rows_axis.members(y0 + (first_row + r) * dy):
                    order.append(r)
                    owners.append(output_row)
        else:
            row = 0
            while row < count:  # one bisect per run, not per row
                output_row = rows_axis.members(y0 + (first_row + row) * dy)[0]
                run_end = min(-((y0 - rows_axis.runs[output_row][1]) // dy) - first_row, count)
                owners += [output_row] * (run_end - row)
                row = run_end
        segments = []
        start = 0
        for index in range(1, len(owners) + 1):
            if index == len(owners) or owners[index] != owners[start]:
                segments.append((start, index - start, owners[start]))
                start = index
        next_row = first_row + count
        last_open = (
            bool(segments) and next_row < pass_height and y0 + next_row * dy < rows_axis.runs[segments[-1][2]][1]
        )
        return segments, last_open, order

    def _run_sums(self, pass_index: int, band_index: int, rows: int, width: int) -> RunSums:
        """Column run sums of strips of `rows` rows of one band as one pass sees it (pass -1: the band in
        image columns)."""
        key = (pass_index, band_index, rows, width)
        run_sums = self._run_sums_cache.get(key)
        if run_sums is None:
            band = self._image_bands[band_index] if pass_index < 0 else self.bands[pass_index][band_index]
            run_sums = RunSums(rows, band.pixels * self.channels, self.channels, band.runs, width, self.out_width)
            if len(self._run_sums_cache) > 64:  # strip heights vary little; never let odd ones pile up
                self._run_sums_cache.clear()
            self._run_sums_cache[key] = run_sums
        return run_sums

    def _sum_down(
        self, pass_index: int, band_index: int, first_row: int, rows: int, value: int, row_bits: int
    ) -> list[tuple[int, int, int]]:
        """Sums down the strip's runs of rows, carrying an open run into the next strip; returns
        (sum as a row, rows in it, output row) for each run completed within this strip."""
        segments, last_open, order = self._segments(pass_index, first_row, rows)
        if order is not None:  # rows in no run dropped, rows in two runs repeated
            size = row_bits // 8
            raw = value.to_bytes(rows * size, "little")
            value = int.from_bytes(b"".join(raw[r * size : (r + 1) * size] for r in order), "little")
            rows = len(order)
        if not segments:
            return []
        carry = self._carries[pass_index][band_index]
        if len(segments) == 1 and order is None and rows == 1:  # the usual case for wide rows: one row
            output_row = segments[0][2]
            if last_open:
                carry.value += value
                carry.rows += 1
                return []
            done_row = (carry.value + value, carry.rows + 1, output_row)
            carry.value, carry.rows = 0, 0
            return [done_row]
        value += carry.value  # the open run's rows so far, as row 0
        sums = column_sums(value, rows, row_bits, [(first, length) for first, length, _ in segments])
        row_mask = (1 << row_bits) - 1
        done = []
        for index, (first, length, output_row) in enumerate(segments):
            run_rows = length + (carry.rows if index == 0 else 0)
            done.append(((sums >> (first * row_bits)) & row_mask, run_rows, output_row))
        if last_open:
            carry.value, carry.rows, _ = done.pop()
        else:
            carry.value, carry.rows = 0, 0
        return done

    def _rows_first(self, pass_index: int, band_index: int, first_row: int, rows: int, value: int) -> None:
        """Exact and vertical-first orders: sums down each run of rows, then (once a run's sum is
        complete) along each run of columns."""
        band = self.bands[pass_index][band_index]
        row_bits = 8 * self.width * band.pixels * self.channels
        for row_sums, run_rows, output_row in self._sum_down(pass_index, band_index, first_row, rows, value, row_bits):
            if self.exact:  # linear to the end: passes simply add up
                packed = self._run_sums(pass_index, band_index, 1, self.width)(row_sums)
                self._add_sums(output_row, band_index, packed, run_rows * band.pixels)
            elif not self._interlaced:
                self._round_rows_then_columns(output_row, band_index, row_sums)
            else:
                self._collect_open_row(pass_index, band_index, output_row, row_sums, run_rows)

    def _collect_open_row(self, pass_index: int, band_index: int, output_row: int, row_sums: int, rows: int) -> None:
        """Vertical first with Adam7: add one pass's sum of an output row's rows (pass pixels) to the row's
        sum in image columns; round it once every pass has added its part."""
        band = self.bands[pass_index][band_index]
        image_band = self._image_bands[band_index]
        x0, _, dx, _, _, _ = self.passes[pass_index]
        width = self.width
        scattered = bytearray(image_band.pixels * self.channels * width)
        raw = row_sums.to_bytes(band.pixels * self.channels * width, "little")
        first_column = x0 + band.pixel_start * dx - image_band.pixel_start
        step = dx * self.channels * width
        for k in range(self.channels * width):
            offset = first_column * self.channels * width + k
            scattered[offset : offset + band.pixels * step : step] = raw[k :: self.channels * width]
        entry = self._open_rows.setdefault((output_row, band_index), [0, 0])
        entry[0] += int.from_bytes(scattered, "little")
        entry[1] += rows * band.pixels
        if entry[1] == self.rows.length(output_row) * image_band.pixels:
            del self._open_rows[(output_row, band_index)]
            self._round_rows_then_columns(output_row, band_index, entry[0])

    def _round_rows_then_columns(self, output_row: int, band_index: int, row_sums: int) -> None:
        """Vertical first: round a complete run of rows to 8 bits per column (image columns of the band),
        then sum and round each run of columns."""
        band = self._image_bands[band_index]
        lanes = band.pixels * self.channels
        wide = int.from_bytes(relane(row_sums, lanes, self.width, self.out_width), "little")
        ones = self._band_ones.get(band_index)
        if ones is None:
            ones = self._band_ones[band_index] = lane_ones(lanes, self.out_width)
        coefficient = resize_coefficient(self.rows.length(output_row))
        rounded = clip8_lanes(wide * coefficient + ones * RESIZE_ROUNDING, ones)
        sums = self._run_sums(-1, band_index, 1, self.out_width)(rounded)
        self._add_sums(output_row, band_index, self._round_columns(band_index, 1, sums), 1)

    def _columns_first(self, pass_index: int, band_index: int, first_row: int, rows: int, value: int) -> None:
        """Horizontal first: each row's column runs (completed from the store for Adam7), rounded to 8
        bits, then sums down each run of rows (carried across strips)."""
        band = self.bands[pass_index][band_index]
        lanes = (band.end - band.first) * self.channels
        sums = self._run_sums(pass_index, band_index, rows, self.width)(value) if band.pixels else 0
        if not self._completes[pass_index]:
            self._store_add(pass_index, band_index, first_row, rows, sums)
            return
        if self._continues[pass_index]:
            sums += self._store_take(pass_index, band_index, first_row, rows)
        rounded = self._round_columns(band_index, rows, sums)
        row_bits = 8 * self.out_width * lanes
        for row_sums, run_rows, output_row in self._sum_down(
            pass_index, band_index, first_row, rows, rounded, row_bits
        ):
            self._add_sums(output_row, band_index, row_sums, run_rows)

    def _round_columns(self, band_index: int, rows: int, sums: int) -> int:
        """resize's horizontal rounding: clip8((2^21 + k_n * sum) >> 22) in every lane, k_n the
        fixed-point weight of the lane's column run length n; lanes of out_width bytes."""
        plan = self._rounding.get((band_index, rows))
        if plan is None:
            plan = self._rounding[(band_index, rows)] = self._rounding_plan(band_index, rows)
        ones, weighted = plan
        if len(weighted) == 1:
            product = sums * weighted[0][1]
        else:
            product = sum((sums & mask) * coefficient for mask, coefficient in weighted)
        return clip8_lanes(product + ones * RESIZE_ROUNDING, ones)

    def _rounding_plan(self, band_index: int, rows: int) -> tuple[int, list[tuple[int, int]]]:
        band = self._image_bands[band_index]
        width = self.out_width
        lengths = [self.columns.length(j) for j in range(band.first, band.end)]
        ones = lane_ones(rows * len(lengths) * self.channels, width)
        weighted = []
        for length in sorted(set(lengths)):
            row = b"".join((b"\xff" * width if n == length else bytes(width)) * self.channels for n in lengths)
            weighted.append((int.from_bytes(row * rows, "little"), resize_coefficient(length)))
        return ones, weighted

    def _store_slot(self, pass_index: int, pass_row: int) -> int:
        _, y0, _, dy, _, _ = self.passes[pass_index]
        y = y0 + pass_row * dy
        if y % 2:  # pragma: no cover - Adam7 rows that later passes complete are even
            raise AssertionError("only even rows are completed by a later Adam7 pass")
        return (y // 2) * self._row_lanes * self._store_width

    def _store_add(self, pass_index: int, band_index: int, first_row: int, rows: int, sums: int) -> None:
        """Add the column sums of rows that later passes complete to the store (narrow lanes)."""
        if self._store is None:
            self._store = bytearray(((self.rows.in_size + 1) // 2) * self._row_lanes * self._store_width)
        band = self.bands[pass_index][band_index]
        lanes = (band.end - band.first) * self.channels
        size = lanes * self._store_width
        offset = band.first * self.channels * self._store_width
        narrow = relane(sums, rows * lanes, self.out_width, self._store_width)
        for r in range(rows):
            at = self._store_slot(pass_index, first_row + r) + offset
            total = int.from_bytes(self._store[at : at + size], "little") + int.from_bytes(
                narrow[r * size : (r + 1) * size], "little"
            )
            self._store[at : at + size] = total.to_bytes(size, "little")

    def _store_take(self, pass_index: int, band_index: int, first_row: int, rows: int) -> int:
        """The stored column sums of these rows (out_width lanes), cleared from the store."""
        if self._store is None:
            return 0
        band = self.bands[pass_index][band_index]
        lanes = (band.end - band.first) * self.channels
        size = lanes * self._store_width
        offset = band.first * self.channels * self._store_width
        parts = []
        for r in range(rows):
            at = self._store_slot(pass_index, first_row + r) + offset
            parts.append(bytes(self._store[at : at + size]))
            self._store[at : at + size] = bytes(size)
        narrow = int.from_bytes(b"".join(parts), "little")
        return int.from_bytes(relane(narrow, rows * lanes, self._store_width, self.out_width), "little")

    def _add_sums(self, output_row: int, band_index: int, row_sums: int, units: int) -> None:
        """Add one band's sums to an output row; finish the row once everything it averages is in
        (exact: input pixels; horizontal first: rows per band; vertical first: bands)."""
        sums = self._sums.get(output_row)
        if sums is None:
            sums = self._sums[output_row] = [0] * self.band_count
        sums[band_index] += row_sums
        received = self._received.get(output_row, 0) + units
        self._received[output_row] = received
        if self.exact:
            expected = self.rows.length(output_row) * self.columns.in_size
        elif self.vertical_first:
            expected = self.band_count
        else:
            expected = self.rows.length(output_row) * self.band_count
        if received == expected:
            self._finish_row(output_row)

    def _finish_row(self, output_row: int) -> None:
        band_sums = self._sums.pop(output_row)
        del self._received[output_row]
        width = self.out_width
        total = 0
        for band, sums in zip(self._image_bands, band_sums, strict=True):
            total |= sums << (8 * width * band.first * self.channels)
        ones = self._row_ones
        if self.exact:
            product = (total + ones * self._amend) * self._multiplier
            self._finished[output_row] = product.to_bytes(self._row_lanes * width + 8, "little")[
                3 : self._row_lanes * width : width
            ]
            return
        if not self.vertical_first:
            coefficient = resize_coefficient(self.rows.length(output_row))
            total = clip8_lanes(total * coefficient + ones * RESIZE_ROUNDING, ones)
        self._finished[output_row] = total.to_bytes(self._row_lanes * width, "little")[0::width]

    def take_rows(self) -> list[bytes]:
        """The output rows finished since the last call, in order (each one only once)."""
        rows = []
        while self._next_output_row in self._finished:
            rows.append(self._finished.pop(self._next_output_row))
            self._next_output_row += 1
        return rows

    @property
    def done(self) -> bool:
        """Whether every output row has been taken."""
        return self._next_output_row == self.rows.out_size


def clip8_lanes(fixed: int, ones: int) -> int:
    """clip8(x >> 22) in every lane of `fixed` (lanes marked by `ones`, each lane < 2^32): x >> 22 is
    then below 1024 and over 255 only when a run's length times its weight rounds above 2^22 (a little,
    or for runs of tens of thousands of pixels a few units); those lanes become 255.
    Reference twin: imageops_reference.clip8 (test_clip8_lanes_matches_reference)."""
    value = (fixed >> RESIZE_PRECISION_BITS) & (ones * 0x3FF)
    over = ((value >> 8) | (value >> 9)) & ones
    return (value & (ones * 0xFF)) | (over * 0xFF)


def relane(value: int, lanes: int, width: int, new_width: int) -> bytes:
    """The bytes of `lanes` lanes of `width` bytes re-laid in lanes of `new_width` bytes (values must fit)."""
    raw = value.to_bytes(lanes * width, "little")
    if new_width == width:
        return raw
    out = bytearray(lanes * new_width)
    for k in range(min(width, new_width)):
        out[k::new_width] = raw[k::width]
    return bytes(out)


class PremultipliedBoxFilter:
    """A BoxFilter for pixels with alpha (gray+alpha or RGBA), premultiplied as Pillow does around
    reduce() and resize(): each strip is split into its even and odd samples (alpha.SplitPremultiplier),
    each half is box-filtered on its own (a BoxFilter of channels / 2 samples: sums never mix samples),
    and the output rows are interleaved back. The rows that come out are still premultiplied."""

    def __init__(
        self,
        columns: BoxAxis,
        rows: BoxAxis,
        channels: int,
        passes: list[tuple[int, int, int, int, int, int]],
        exact: bool,
        meter: WorkMeter,
    ) -> None:
        self.meter = meter
        self._split = SplitPremultiplier(channels)
        self._halves = [BoxFilter(columns, rows, channels // 2, passes, exact, meter) for _ in range(2)]
        self.bands = self._halves[0].bands

    def add_strip(self, pass_index: int, first_row: int, band_index: int, pixels: bytes, rows: int) -> None:
        count = rows * self.bands[pass_index][band_index].pixels
        halves = self._split(pixels, count) if count else (0, 0)
        self.meter.spent += (BOX_US_PER_BYTE + PREMULTIPLY_US_PER_BYTE) * len(pixels)
        lanes = count * self._split.channels // 2
        for half, value in zip(self._halves, halves, strict=True):
            if half.width != 2 and value:
                value = int.from_bytes(relane(value, lanes, 2, half.width), "little")
            half.add_lanes(pass_index, first_row, band_index, value, rows)

    def take_rows(self) -> list[bytes]:
        even_rows, odd_rows = (half.take_rows() for half in self._halves)
        rows = []
        for even, odd in zip(even_rows, odd_rows, strict=True):
            row = bytearray(2 * len(even))
            row[0::2] = even
            row[1::2] = odd
            rows.append(bytes(row))
        return rows

    @property
    def done(self) -> bool:
        return self._halves[0].done

"""Encoding non-interlaced 8-bit PNGs incrementally: gray (colour type 0) or gray+alpha (4) for the
conversion, also RGB (2) or RGBA (6) for imageops' thumbnails. Output filtering (spec 9), a per-image
choice of filter + deflate strategy, IDAT chunking.
Imports only struct, zlib and sibling modules."""

import struct
import zlib
from collections.abc import Callable

from .budget import LZ77_WRITE_US_PER_BYTE, WRITE_US_PER_BYTE
from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP
from .header import CHANNELS, PNG_SIGNATURE
from .swar import ByteLanes, paeth_lane_constants, paeth_predictor_lanes

IDAT_TARGET = 1 << 16  # emit an IDAT once this much compressed data is pending

# How the encoding (output filter + deflate settings) is chosen: the first TRIAL_BYTES of rows are
# held back. A probe of PROBE_BYTES taken from across them, Up-filtered and run-length coded, says
# whether the image is flat (charts, screenshots, icons: compressed below FLAT_RATIO). Photo-like
# images then take the run-length candidate that codes the probe smallest. Flat ones hold back up to
# FLAT_TRIAL_BYTES (their first rows are the least typical: a title bar, a transparent margin) and
# take the LZ77 candidate that codes all of that smallest; LZ77 is fast on flat data.
TRIAL_BYTES = 1 << 15
TRIAL_MIN_ROWS = 16
FLAT_TRIAL_BYTES = 1 << 18
PROBE_BYTES = 1 << 13
PROBE_SLICES = 4

# (output filter, zlib strategy, level, cost class) candidates. Run-length-only deflate is fast
# (~20-30 ns/byte) whatever the data; with the right filter it is within 2% of Pillow's adaptive
# filters + level 6 on photos (Paeth; Average when noisy), paintings (Average) and very narrow or
# very wide images (Up, Paeth). (Sub never won on the corpus, and won the first rows of some photos
# that Average codes 5% smaller.) Flat content needs LZ77 matching: level 7 is 1-2% smaller than 6 at
# about the same speed on such data, but ~300 ns/byte on photographs, hence only for flat images.
CHEAP_ENCODINGS = (
    (FILTER_UP, zlib.Z_RLE, 6, 0),  # first: also the flatness probe
    (FILTER_AVERAGE, zlib.Z_RLE, 6, 0),
    (FILTER_PAETH, zlib.Z_RLE, 6, 2),  # the Paeth output filter costs ~30 ns/byte: 6% margin
)
FLAT_RATIO = 0.2
LZ77_COST = 3
LZ77_ENCODINGS = (
    (FILTER_NONE, zlib.Z_DEFAULT_STRATEGY, 7, LZ77_COST),
    (FILTER_UP, zlib.Z_FILTERED, 7, LZ77_COST),
)
# Also tried on small images (all held back), photo-like to the probe yet LZ77-friendly (icons).
SMALL_IMAGE_ENCODINGS = ((FILTER_UP, zlib.Z_FILTERED, 7, LZ77_COST),)
# A palette image that is not flat (a dithered photo): its indices repeat in patterns that LZ77 finds
# at level 3 already (12% smaller than Pillow on pillow-palette-2048), or at level 5 (half as fast)
# when that is clearly smaller (*-palette-photo-1024x768: 8% smaller, which brings it under Pillow's).
PALETTE_ENCODINGS = (
    (FILTER_NONE, zlib.Z_DEFAULT_STRATEGY, 3, LZ77_COST),
    (FILTER_NONE, zlib.Z_DEFAULT_STRATEGY, 5, LZ77_COST + 2),
)
# A candidate of a costlier class is chosen only when its trial is smaller by this much per class.
WORTH_THE_COST = 0.03


def chunk(chunk_type: bytes, payload: bytes) -> bytes:
    """One complete chunk: length, type, payload, CRC over type+payload (spec 5.3)."""
    crc = zlib.crc32(payload, zlib.crc32(chunk_type))
    return b"".join((struct.pack(">I", len(payload)), chunk_type, payload, struct.pack(">I", crc)))


class StripFilters:
    """The output filters (spec 9.2) applied to strips of whole rows of `line` bytes, `bpp` bytes per
    pixel, as whole-strip lane operations. Their masks are as long as a strip, so they belong to the
    writer of one image and are rebuilt only when the strip length changes (the last strip).
    Reference twin: grayscale_reference.filter_row (test_output_strip_filters_match_reference).
    Justified by every benchmark row: a byte loop costs ~0.1 us/byte, these ~0.005."""

    def __init__(self, line: int, bpp: int) -> None:
        self.line = line
        self.bpp = bpp
        self._size = -1
        self._lanes = ByteLanes(0)
        self._first_pixel_cleared = 0
        self._wide_size = -1
        self._wide: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
        self.by_type: dict[int, Callable[[bytes | bytearray, bytes | bytearray], bytes]] = {
            FILTER_NONE: self.none,
            FILTER_SUB: self.sub,
            FILTER_UP: self.up,
            FILTER_AVERAGE: self.average,
            FILTER_PAETH: self.paeth,
        }

    def _constants(self, size: int) -> tuple[ByteLanes, int]:
        """(lane arithmetic for `size` bytes, a mask that is 0xff everywhere except the first bpp
        lanes of each row)."""
        if size != self._size:
            row = b"\x00" * self.bpp + b"\xff" * (self.line - self.bpp)
            self._lanes = ByteLanes(size)
            self._first_pixel_cleared = int.from_bytes(row * (size // self.line), "little")
            self._size = size
        return self._lanes, self._first_pixel_cleared

    def _with_filter_bytes(self, filtered: bytes | bytearray, filter_type: int) -> bytes:
        """Prefix each row with its filter type byte (spec 7.3): a copy per row, or for strips of many
        narrow rows, a strided copy per byte column."""
        line = self.line
        rows = len(filtered) // line
        if rows <= line:
            out = bytearray()
            marker = bytes([filter_type])
            for start in range(0, len(filtered), line):
                out += marker
                out += filtered[start : start + line]
            return bytes(out)
        spaced = bytearray([filter_type]) * (rows * (line + 1))
        for column in range(line):
            spaced[1 + column :: line + 1] = filtered[column::line]
        return bytes(spaced)

    def none(self, pixels: bytes | bytearray, above: bytes | bytearray) -> bytes:
        """Filter type 0 on every row of a strip."""
        return self._with_filter_bytes(pixels, FILTER_NONE)

    def sub(self, pixels: bytes | bytearray, above: bytes | bytearray) -> bytes:
        """Sub on every row of a strip (x - left, left of the first pixel = 0), as one whole-strip lane
        subtraction; the mask zeroes 'left' where it would reach into the previous row."""
        n = len(pixels)
        lanes, first_pixel_cleared = self._constants(n)
        value = int.from_bytes(pixels, "little")
        left = (value << (8 * self.bpp)) & first_pixel_cleared
        return self._with_filter_bytes(lanes.sub(value, left).to_bytes(n, "little"), FILTER_SUB)

    def up(self, pixels: bytes | bytearray, above: bytes | bytearray) -> bytes:
        """Up on every row of a strip (x - up): one whole-strip lane subtraction of the strip shifted
        by one row, with `above` in front."""
        n = len(pixels)
        lanes, _ = self._constants(n)
        value = int.from_bytes(pixels, "little")
        up = (value << (8 * self.line)) | int.from_bytes(above, "little")
        return self._with_filter_bytes(lanes.sub(value, up).to_bytes(n, "little"), FILTER_UP)

    def average(self, pixels: bytes | bytearray, above: bytes | bytearray) -> bytes:
        """Average on every row of a strip (x - floor((left + up) / 2)); `above` is the row before the
        strip (zeros for the first row of the image). Up is the strip shifted by one row with `above`
        in front, left as in sub."""
        n = len(pixels)
        lanes, first_pixel_cleared = self._constants(n)
        value = int.from_bytes(pixels, "little")
        up = (value << (8 * self.line)) | int.from_bytes(above, "little")
        left = (value << (8 * self.bpp)) & first_pixel_cleared
        predicted = lanes.avg(left, up)
        return self._with_filter_bytes(lanes.sub(value, predicted).to_bytes(n, "little"), FILTER_AVERAGE)

    def _wide_constants(self, size: int) -> tuple[int, int, int, int, int]:
        """Paeth's 16-bit lane constants for `size` samples, and the first-pixel-cleared mask in
        16-bit lanes (rebuilt only when the strip length changes)."""
        if size != self._wide_size:
            row = b"\x00\x00" * self.bpp + b"\xff\x00" * (self.line - self.bpp)
            first_pixel_cleared = int.from_bytes(row * (size // self.line), "little")
            self._wide = (*paeth_lane_constants(size), first_pixel_cleared)
            self._wide_size = size
        return self._wide

    def paeth(self, pixels: bytes | bytearray, above: bytes | bytearray) -> bytes:
        """Paeth on every row of a strip (x - PaethPredictor(left, up, upper-left)). Encoding is not
        sequential (every neighbour is a known input pixel), so the whole strip is one lane
        computation: samples spread to 16-bit lanes, swar.paeth_predictor_lanes, then subtracted.
        Chosen for photographs, where Paeth + run-length deflate is ~6% smaller than Average and
        ~5x faster than Pillow's level-6 deflate (benchmark rows pnmtopng-photo-*)."""
        n = len(pixels)
        ones, low8, bias256, bias512, first_pixel_cleared = self._wide_constants(n)
        spread = bytearray(2 * n)
        spread[0::2] = pixels
        value = int.from_bytes(spread, "little")
        spread_above = bytearray(2 * self.line)
        spread_above[0::2] = above
        up = (value << (16 * self.line)) | int.from_bytes(spread_above, "little")
        left = (value << (16 * self.bpp)) & first_pixel_cleared
        upper_left = (up << (16 * self.bpp)) & first_pixel_cleared
        predicted = paeth_predictor_lanes(left, up, upper_left, ones, low8, bias256, bias512)
        filtered = ((value + bias256 - predicted) & low8).to_bytes(2 * n, "little")[0::2]
        return self._with_filter_bytes(filtered, FILTER_PAETH)


def _probe(filtered: bytes) -> bytes:
    """About PROBE_BYTES of `filtered`, in PROBE_SLICES slices spread over it (all of it if small)."""
    if len(filtered) <= PROBE_BYTES:
        return filtered
    piece = PROBE_BYTES // PROBE_SLICES
    step = (len(filtered) - piece) // (PROBE_SLICES - 1)
    return b"".join(filtered[k * step : k * step + piece] for k in range(PROBE_SLICES))


def _compressor(strategy: int, level: int) -> "zlib._Compress":
    return zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)


# The colour types PngWriter writes (8-bit samples, no palette) and their samples per pixel.
WRITABLE_CHANNELS = {color_type: CHANNELS[color_type] for color_type in (0, 2, 4, 6)}


class PngWriter:
    """Streams out a PNG of the given size and colour type (one of WRITABLE_CHANNELS, 8-bit samples);
    `header` is its first piece, `add_rows` takes whole rows of pixels, and
    `add_row_piece` takes rows too long to filter at once, a pixel-aligned piece at a time.
    The first rows (or the first piece of a long row) are held back to choose the filter and deflate
    settings for the whole image (see TRIAL_BYTES)."""

    def __init__(
        self,
        width: int,
        height: int,
        color_type: int,
        on_size_estimate: Callable[[int], None] | None = None,
        repetitive: bool = False,
        every_encoding: bool = False,
    ) -> None:
        if color_type not in WRITABLE_CHANNELS:
            raise ValueError(f"PngWriter writes colour types {sorted(WRITABLE_CHANNELS)}, not {color_type}")
        self.channels = WRITABLE_CHANNELS[color_type]
        self._repetitive = repetitive  # palette-image pixels: PALETTE_ENCODINGS unless flat
        # Rank every run-length and LZ77 encoding on the held-back data and take the smallest, whatever
        # its cost (imageops' thumbnails: small outputs, where the trial costs little and size counts).
        self._every_encoding = every_encoding
        self.line = width * self.channels
        self._height = height
        self._on_size_estimate = on_size_estimate  # called once with a generous output size guess
        self._header = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
        self._filters = StripFilters(self.line, self.channels)
        self._piece_filters: dict[int, StripFilters] = {}  # long rows: one per piece length (at most two)
        self._trial: list[bytes] = []
        self._trial_size = 0
        # At least TRIAL_MIN_ROWS rows: the first row (nothing above it) must not decide for a wide image.
        self._trial_limit = max(TRIAL_BYTES, TRIAL_MIN_ROWS * self.line)
        self._flat: bool | None = None  # decided on the first TRIAL_BYTES
        # Set once the trial has chosen: the output filter type and the compressor.
        self._filter_type = FILTER_NONE
        self._compressor: zlib._Compress | None = None
        # What writing costs per pixel byte with the chosen encoding (budget.py), for the caller's meter.
        self.us_per_byte = WRITE_US_PER_BYTE
        self._above: bytes | bytearray = bytes(self.line)
        self._row = bytearray()  # the long row being written, so far
        self._pending: list[bytes] = []
        self._pending_size = 0

    def header(self) -> bytes:
        """Signature and IHDR."""
        return self._header

    def add_rows(self, pixels: bytes | bytearray) -> bytes:
        """Filter and compress whole rows; returns any IDAT chunks that are ready (maybe b"")."""
        if self._compressor is None:
            self._trial.append(bytes(pixels))
            self._trial_size += len(pixels)
            if self._trial_size < self._trial_limit:
                return b""
            sample = b"".join(self._trial)
            self._trial = []
            if self._flat is None:
                self._flat = self._is_flat(self._filters.up(sample, self._above))
                if self._flat and self._trial_limit < FLAT_TRIAL_BYTES and self._trial_size < FLAT_TRIAL_BYTES:
                    self._trial, self._trial_limit = [sample], FLAT_TRIAL_BYTES  # hold back more
                    return b""
            self._emit(self._choose_encoding(lambda t: self._filters.by_type[t](sample, self._above)))
            self._above = sample[-self.line :]
        else:
            if self._flat:
                filtered = self._flat_strip(pixels)
            else:
                filtered = self._filters.by_type[self._filter_type](pixels, self._above)
            self._above = pixels[-self.line :]
            self._emit(self._compressor.compress(filtered))
        return self._take_idat() if self._pending_size >= IDAT_TARGET else b""

    def _flat_strip(self, pixels: bytes | bytearray) -> bytes:
        """A strip of a flat image filtered None or Up, whichever a fast deflate (level 1) codes
        smaller: parts of one image favour either (text keeps its repeats unfiltered, gradients and
        alpha edges want Up), and the first rows cannot tell which parts come later. ~6 ns/byte.
        Justified by benchmark rows pnmtopng-icon-512x512, *-palette-chart-2048x2253 and
        *-chart-trns-* (10-16% over Pillow's size with one filter for the whole image)."""
        unfiltered = self._filters.none(pixels, self._above)
        up = self._filters.up(pixels, self._above)
        return unfiltered if len(zlib.compress(unfiltered, 1)) < len(zlib.compress(up, 1)) else up

    def _is_flat(self, up_filtered: bytes) -> bool:
        """Whether run-length coding squeezes a probe of Up-filtered rows below FLAT_RATIO."""
        probe = _probe(up_filtered)
        strategy, level = CHEAP_ENCODINGS[0][1:3]
        compressor = _compressor(strategy, level)
        return len(compressor.compress(probe) + compressor.flush()) < FLAT_RATIO * len(probe)

    def add_row_piece(self, piece: bytes | bytearray) -> bytes:
        """Filter and compress the next piece of a row (whole pixels; the pieces of a row arrive in
        order and add up to the row). Each piece is filtered as a one-row strip with the pixel to its
        left prepended (zeros at the start of the row), whose own filtered bytes are then dropped."""
        bpp = self.channels
        start = len(self._row)
        end = start + len(piece)
        filters = self._piece_filters.get(len(piece) + bpp)
        if filters is None:
            filters = self._piece_filters[len(piece) + bpp] = StripFilters(len(piece) + bpp, bpp)
        extended: bytes | bytearray
        above: bytes | bytearray
        if start:
            extended, above = self._row[start - bpp : start] + piece, self._above[start - bpp : end]
        else:
            extended, above = bytes(bpp) + piece, bytes(bpp) + self._above[:end]

        def filtered(filter_type: int) -> bytes:
            marked = filters.by_type[filter_type](extended, above)
            return marked[:1] + marked[1 + bpp :] if start == 0 else marked[1 + bpp :]

        if self._compressor is None:
            self._emit(self._choose_encoding(filtered))
        else:
            self._emit(self._compressor.compress(filtered(self._filter_type)))
        self._row += piece
        if len(self._row) == self.line:
            self._above, self._row = self._row, bytearray()
        return self._take_idat() if self._pending_size >= IDAT_TARGET else b""

    def finish(self) -> bytes:
        """The remaining IDAT data and IEND."""
        if self._compressor is None:  # the whole image was held back
            sample = b"".join(self._trial)
            self._trial = []
            if self._flat is None:
                self._flat = self._is_flat(self._filters.up(sample, self._above))
            # The trial compresses the whole image: the winner's stream is the image data.
            self._emit(self._choose_encoding(lambda t: self._filters.by_type[t](sample, self._above), whole=True))
        else:
            self._emit(self._compressor.flush())
        return self._take_idat() + chunk(b"IEND", b"")

    def _choose_encoding(self, filtered_with: Callable[[int], bytes], whole: bool = False) -> bytes:
        """Choose the image's encoding on the held-back data (`filtered_with(filter_type)` filters it):
        for flat images the LZ77 candidate that codes all of it smallest, for palette images the
        palette encoding, else the run-length candidate that codes a probe of it smallest (one of a
        costlier class only if smaller by WORTH_THE_COST). Starts the image's compressor and returns
        its output for the held-back data (the complete stream when that is the `whole` image)."""
        if self._flat is None:  # the first piece of a long row
            self._flat = self._is_flat(filtered_with(FILTER_UP))
        candidates: tuple[tuple[int, int, int, int], ...] = (
            LZ77_ENCODINGS if self._flat else PALETTE_ENCODINGS if self._repetitive else CHEAP_ENCODINGS
        )
        small = self._height * self.line <= TRIAL_BYTES
        if candidates is CHEAP_ENCODINGS and small:
            # A small image is all held back: LZ77 on all of it costs little, and wins on icons whose
            # gradients look photo-like to the run-length probe.
            candidates = (*CHEAP_ENCODINGS, *SMALL_IMAGE_ENCODINGS)
        if self._every_encoding:
            candidates = (*CHEAP_ENCODINGS, *LZ77_ENCODINGS)
        # Filters are ranked on all the held-back data (a smaller probe ranks them less reliably: on
        # noisy photos it prefers Up to Average, which codes the whole image 5% smaller); the two
        # palette levels on a probe spread over it, which tells them apart as well and costs less.
        on_all = candidates is not PALETTE_ENCODINGS
        filtered_by_type: dict[int, bytes] = {}
        best: tuple[int, int, int, int, int] | None = None  # size, filter, cost, strategy, level
        kept: dict[tuple[int, int, int], tuple[zlib._Compress, bytes]] = {}
        for filter_type, strategy, level, cost in candidates:
            filtered = filtered_by_type.get(filter_type)
            if filtered is None:
                filtered = filtered_by_type[filter_type] = filtered_with(filter_type)
            if len(candidates) == 1:
                size = 0
            elif on_all or len(filtered) <= PROBE_BYTES:
                # On all the held-back data; the compressor is kept, so the winner's work is not redone.
                compressor = _compressor(strategy, level)
                start = compressor.compress(filtered)
                tail = compressor.flush() if whole else compressor.copy().flush()
                size = len(start) + len(tail)
                kept[filter_type, strategy, level] = (compressor, start + tail if whole else start)
            else:
                compressor = _compressor(strategy, level)
                size = len(compressor.compress(_probe(filtered)) + compressor.flush())
            # (A small image's data is all coded by now: no candidate costs more than another.)
            costlier = best is not None and cost > best[2] and not (small or self._every_encoding)
            margin = 1 - WORTH_THE_COST * (cost - best[2]) if best is not None and costlier else 1
            if best is None or size < best[0] * margin:
                best = (size, filter_type, cost, strategy, level)
        assert best is not None
        _, self._filter_type, _, strategy, level = best
        if strategy != zlib.Z_RLE and not self._flat:
            self.us_per_byte = LZ77_WRITE_US_PER_BYTE
        if self._flat and (self._filter_type, strategy, level) not in [e[:3] for e in LZ77_ENCODINGS]:
            self._flat = False  # a run-length encoding won (every_encoding): keep its filter for every strip
        filtered = filtered_by_type[self._filter_type]
        if (self._filter_type, strategy, level) in kept:
            self._compressor, start = kept[self._filter_type, strategy, level]
        else:
            self._compressor = _compressor(strategy, level)
            start = self._compressor.compress(filtered) + (self._compressor.flush() if whole else b"")
        if self._on_size_estimate is not None and filtered and not whole:
            # The ratio of a fresh coding of a probe, applied to the whole image, plus 10% and chunk
            # overhead.
            probe = _probe(filtered)
            compressor = _compressor(strategy, level)
            ratio = len(compressor.compress(probe) + compressor.flush()) / len(probe)
            filtered_total = self._height * (self.line + 1)
            self._on_size_estimate(int(filtered_total * ratio * 1.1) + 12 * (filtered_total // IDAT_TARGET) + 4096)
        return start

    def _emit(self, compressed: bytes) -> None:
        if compressed:
            self._pending.append(compressed)
            self._pending_size += len(compressed)

    def _take_idat(self) -> bytes:
        data = b"".join(self._pending)
        self._pending = []
        self._pending_size = 0
        return chunk(b"IDAT", data) if data else b""

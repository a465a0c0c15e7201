"""Encoding 8-bit gray (colour type 0) or gray+alpha (colour type 4) PNGs incrementally: output
filtering (spec 9), a per-image choice of filter + deflate strategy, IDAT chunking.
Imports only struct, zlib and sibling modules."""

import struct
import zlib
from collections.abc import Callable

from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_SUB
from .header import PNG_SIGNATURE
from .swar import ByteLanes

IDAT_TARGET = 1 << 16  # emit an IDAT once this much compressed data is pending
TRIAL_BYTES = 1 << 15  # the first rows (this many pixel bytes) decide filter and deflate settings

# (output filter, zlib strategy, level) candidates. On photo-like rows Average + run-length-only
# deflate is ~5% smaller than Pillow's output and ~4x faster to compress than default deflate;
# flat or repetitive art (palette images, screenshots) needs real LZ77 matching, with None or Sub.
# Level 3 is zlib's last "fast" level: ~3x faster than 6 for ~3% more bytes on such images.
ENCODINGS = (
    (FILTER_AVERAGE, zlib.Z_RLE, 6),
    (FILTER_SUB, zlib.Z_DEFAULT_STRATEGY, 3),
    (FILTER_NONE, zlib.Z_DEFAULT_STRATEGY, 3),
)


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
        self.by_type: dict[int, Callable[[bytes | bytearray, bytes | bytearray], bytes]] = {
            FILTER_NONE: self.none,
            FILTER_SUB: self.sub,
            FILTER_AVERAGE: self.average,
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
        """Prefix each row with its filter type byte (spec 7.3)."""
        out = bytearray()
        marker = bytes([filter_type])
        line = self.line
        for start in range(0, len(filtered), line):
            out += marker
            out += filtered[start : start + line]
        return bytes(out)

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


def _compressor(strategy: int, level: int) -> "zlib._Compress":
    return zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)


def _compressed_size(data: bytes, strategy: int, level: int) -> int:
    compressor = _compressor(strategy, level)
    return len(compressor.compress(data)) + len(compressor.flush())


class GrayPngWriter:
    """Streams out a PNG of the given size; `add_rows` takes whole rows of 8-bit output pixels, and
    `add_row_piece` takes rows too long to filter at once, a pixel-aligned piece at a time.
    The first TRIAL_BYTES of rows (or the first piece of a long row) are held back and compressed
    with each of ENCODINGS; the smallest result fixes the filter and deflate strategy for the image."""

    def __init__(
        self, width: int, height: int, has_alpha: bool, on_size_estimate: Callable[[int], None] | None = None
    ) -> None:
        self.channels = 2 if has_alpha else 1
        self.line = width * self.channels
        self._height = height
        self._on_size_estimate = on_size_estimate  # called once with a generous output size guess
        self._header = PNG_SIGNATURE + chunk(
            b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 4 if has_alpha else 0, 0, 0, 0)
        )
        self._filters = StripFilters(self.line, self.channels)
        self._piece_filters: dict[int, StripFilters] = {}  # long rows: one per piece length (at most two)
        self._trial: list[bytes] = []
        self._trial_size = 0
        # Set once the trial has chosen: the output filter type and the compressor.
        self._filter_type = FILTER_NONE
        self._compressor: zlib._Compress | None = None
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
            if self._trial_size < TRIAL_BYTES:
                return b""
            sample = b"".join(self._trial)
            self._trial = []
            self._choose_encoding(lambda filter_type: self._filters.by_type[filter_type](sample, self._above))
            self._above = sample[-self.line :]
        else:
            filtered = self._filters.by_type[self._filter_type](pixels, self._above)
            self._above = pixels[-self.line :]
            self._emit(self._compressor.compress(filtered))
        return self._take_idat() if self._pending_size >= IDAT_TARGET else b""

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
            self._choose_encoding(filtered)
        else:
            self._emit(self._compressor.compress(filtered(self._filter_type)))
        self._row += piece
        if len(self._row) == self.line:
            self._above, self._row = self._row, bytearray()
        return self._take_idat() if self._pending_size >= IDAT_TARGET else b""

    def finish(self) -> bytes:
        """The remaining IDAT data and IEND."""
        if self._compressor is None:  # fewer than TRIAL_BYTES of rows in the whole image
            sample = b"".join(self._trial)
            self._trial = []
            self._choose_encoding(lambda filter_type: self._filters.by_type[filter_type](sample, self._above))
        assert self._compressor is not None
        self._emit(self._compressor.flush())
        return self._take_idat() + chunk(b"IEND", b"")

    def _choose_encoding(self, filtered_with: Callable[[int], bytes]) -> None:
        """Compress the held-back data filtered each way of ENCODINGS (`filtered_with(filter_type)`),
        keep the smallest, and start the image's compressor with that data."""
        trials = []
        for filter_type, strategy, level in ENCODINGS:
            filtered = filtered_with(filter_type)
            trials.append((_compressed_size(filtered, strategy, level), filter_type, strategy, level, filtered))
        compressed_sample, self._filter_type, strategy, level, filtered = min(trials, key=lambda trial: trial[0])
        self._compressor = _compressor(strategy, level)
        if self._on_size_estimate is not None and filtered:
            # The trial's compression ratio, applied to the whole image, plus 10% and chunk overhead.
            filtered_total = self._height * (self.line + 1)
            estimate = filtered_total * compressed_sample / len(filtered) * 1.1
            self._on_size_estimate(int(estimate) + 12 * (filtered_total // IDAT_TARGET) + 4096)
        self._emit(self._compressor.compress(filtered))

    def _emit(self, compressed: bytes) -> None:
        if compressed:
            self._pending.append(compressed)
            self._pending_size += len(compressed)

    def _take_idat(self) -> bytes:
        data = b"".join(self._pending)
        self._pending = []
        self._pending_size = 0
        return chunk(b"IDAT", data) if data else b""

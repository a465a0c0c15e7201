"""Encoding 8-bit gray (colour type 0) or gray+alpha (colour type 4) PNGs incrementally: output
filtering (spec 9), a per-image choice of filter + deflate strategy, IDAT chunking.
Imports only struct, zlib, functools and sibling modules."""

import struct
import zlib
from functools import lru_cache

from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_SUB
from .header import PNG_SIGNATURE
from .swar import avg_lanes, sub_lanes

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


@lru_cache(maxsize=8)
def first_pixel_cleared_mask(size: int, line: int, bpp: int) -> int:
    """A mask over `size` byte lanes: 0xff everywhere except the first bpp lanes of each row."""
    row = b"\x00" * bpp + b"\xff" * (line - bpp)
    return int.from_bytes(row * (size // line), "little")


def _with_filter_bytes(filtered: bytes, line: int, filter_type: int) -> bytes:
    """Prefix each `line`-byte row with its filter type byte (spec 7.3)."""
    out = bytearray()
    marker = bytes([filter_type])
    for start in range(0, len(filtered), line):
        out += marker
        out += filtered[start : start + line]
    return bytes(out)


def filter_strip_none(pixels: bytes, above: bytes, line: int, bpp: int) -> bytes:
    """Filter type 0 on every row of a strip."""
    return _with_filter_bytes(pixels, line, FILTER_NONE)


def filter_strip_sub(pixels: bytes, above: bytes, line: int, bpp: int) -> bytes:
    """Sub on every row of a strip (spec 9.2: x - left, left of the first pixel = 0), as one
    whole-strip lane subtraction; the mask zeroes 'left' where it would reach into the previous row."""
    n = len(pixels)
    value = int.from_bytes(pixels, "little")
    left = (value << (8 * bpp)) & first_pixel_cleared_mask(n, line, bpp)
    return _with_filter_bytes(sub_lanes(value, left, n).to_bytes(n, "little"), line, FILTER_SUB)


def filter_strip_average(pixels: bytes, above: bytes, line: int, bpp: int) -> bytes:
    """Average on every row of a strip (spec 9.2: x - floor((left + up) / 2)); `above` is the row
    before the strip (zeros for the first row of the image). Whole-strip lane operations: up is the
    strip shifted by one row with `above` in front, left as in filter_strip_sub."""
    n = len(pixels)
    value = int.from_bytes(pixels, "little")
    up = (value << (8 * line)) | int.from_bytes(above, "little")
    left = (value << (8 * bpp)) & first_pixel_cleared_mask(n, line, bpp)
    predicted = avg_lanes(left, up, n)
    return _with_filter_bytes(sub_lanes(value, predicted, n).to_bytes(n, "little"), line, FILTER_AVERAGE)


STRIP_FILTERS = {
    FILTER_NONE: filter_strip_none,
    FILTER_SUB: filter_strip_sub,
    FILTER_AVERAGE: filter_strip_average,
}


def _compressor(strategy: int, level: int):
    return zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)


def _compressed_size(data: bytes, strategy: int, level: int) -> int:
    compressor = _compressor(strategy, level)
    return len(compressor.compress(data)) + len(compressor.flush())


class GrayPngWriter:
    """Streams out a PNG of the given size; `add_rows` takes whole rows of 8-bit output pixels.
    The first TRIAL_BYTES of rows are held back and compressed with each of ENCODINGS; the
    smallest result fixes the filter and deflate strategy for the whole image."""

    def __init__(self, width: int, height: int, has_alpha: bool, on_size_estimate=None) -> None:
        self.channels = 2 if has_alpha else 1
        self.line = width * self.channels
        self._height = height
        self._on_size_estimate = on_size_estimate  # called once with a generous output size guess
        self._header = PNG_SIGNATURE + chunk(
            b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 4 if has_alpha else 0, 0, 0, 0)
        )
        self._trial: list[bytes] = []
        self._trial_size = 0
        self._filter = None
        self._compressor = None
        self._above = bytes(self.line)
        self._pending: list[bytes] = []
        self._pending_size = 0

    def header(self) -> bytes:
        """Signature and IHDR."""
        return self._header

    def add_rows(self, pixels: bytes) -> bytes:
        """Filter and compress whole rows; returns any IDAT chunks that are ready (maybe b"")."""
        if self._compressor is None:
            self._trial.append(bytes(pixels))
            self._trial_size += len(pixels)
            if self._trial_size < TRIAL_BYTES:
                return b""
            self._choose_encoding()
            return self._take_idat() if self._pending_size >= IDAT_TARGET else b""
        self._compress(pixels)
        if self._pending_size >= IDAT_TARGET:
            return self._take_idat()
        return b""

    def finish(self) -> bytes:
        """The remaining IDAT data and IEND."""
        if self._compressor is None:
            self._choose_encoding()
        self._pending.append(self._compressor.flush())
        return self._take_idat() + chunk(b"IEND", b"")

    def _choose_encoding(self) -> None:
        sample = b"".join(self._trial)
        self._trial = []
        if not sample:  # no rows were added (not possible for a valid image): any encoding will do
            self._filter, strategy, level = ENCODINGS[0]
            self._compressor = _compressor(strategy, level)
            return
        trials = []
        for filter_type, strategy, level in ENCODINGS:
            filtered = STRIP_FILTERS[filter_type](sample, self._above, self.line, self.channels)
            trials.append((_compressed_size(filtered, strategy, level), filter_type, strategy, level, filtered))
        compressed_sample, self._filter, strategy, level, filtered = min(trials, key=lambda trial: trial[0])
        self._compressor = _compressor(strategy, level)
        if self._on_size_estimate is not None:
            # The trial's compression ratio, applied to the whole image, plus 10% and chunk overhead.
            filtered_total = self._height * (self.line + 1)
            estimate = filtered_total * compressed_sample / len(filtered) * 1.1
            self._on_size_estimate(int(estimate) + 12 * (filtered_total // IDAT_TARGET) + 4096)
        self._above = sample[-self.line :]
        self._emit(self._compressor.compress(filtered))

    def _compress(self, pixels: bytes) -> None:
        filtered = STRIP_FILTERS[self._filter](pixels, self._above, self.line, self.channels)
        self._above = pixels[-self.line :]
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

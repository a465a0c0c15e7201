"""Encoding 8-bit gray, gray+alpha, RGB or RGBA PNGs incrementally (colour types 0, 4, 2, 6), with the
grayscale core's output filters and deflate choices. Imports only zlib, struct and grayscale.writer.

The grayscale core's GrayPngWriter does the same for colour types 0 and 4 only; a later refactor could
let it take any 8-bit colour type and serve both packages (its StripFilters already take any pixel
size)."""

import struct
import zlib

from grayscale.budget import WRITE_US_PER_BYTE, WorkMeter
from grayscale.writer import CHEAP_ENCODINGS, IDAT_TARGET, LZ77_ENCODINGS, TRIAL_BYTES, StripFilters, chunk

from .pixels import PixelFormat

# Every candidate of the grayscale core's writer (thumbnails are small: trying them all is cheap).
ENCODINGS = tuple(
    (filter_type, strategy, level) for filter_type, strategy, level, _cost in (*CHEAP_ENCODINGS, *LZ77_ENCODINGS)
)


class PngWriter:
    """Streams out a non-interlaced 8-bit PNG of `format` pixels. add_rows takes whole rows; the first
    TRIAL_BYTES of rows are compressed each way of ENCODINGS and the smallest fixes the
    image's filter and deflate settings (as the grayscale core's writer does)."""

    def __init__(self, width: int, height: int, format: PixelFormat, meter: WorkMeter) -> None:
        self.format = format
        self.meter = meter
        self.line = width * format.channels
        header = struct.pack(">IIBBBBB", width, height, 8, format.color_type, 0, 0, 0)
        self._pending = [b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)]
        self._filters = StripFilters(self.line, format.channels)
        self._above: bytes | bytearray = bytes(self.line)
        self._trial: list[bytes] = []
        self._trial_size = 0
        self._filter_type = 0
        self._compressor: zlib._Compress | None = None
        self._compressed: list[bytes] = []
        self._compressed_size = 0

    def add_rows(self, pixels: bytes) -> None:
        """Filter and compress whole rows."""
        self.meter.spent += WRITE_US_PER_BYTE * len(pixels)
        if self._compressor is None:
            self._trial.append(pixels)
            self._trial_size += len(pixels)
            if self._trial_size >= TRIAL_BYTES:
                self._choose_encoding()
            return
        self._compress(self._filters.by_type[self._filter_type](pixels, self._above))
        self._above = pixels[-self.line :]

    def _choose_encoding(self) -> None:
        sample = b"".join(self._trial)
        self._trial = []
        best: tuple[int, int, bytes, zlib._Compress] | None = None
        for filter_type, strategy, level in ENCODINGS:
            filtered = self._filters.by_type[filter_type](sample, self._above)
            trial = zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)
            size = len(trial.compress(filtered)) + len(trial.flush(zlib.Z_FULL_FLUSH))
            if best is None or size < best[0]:
                best = (size, filter_type, filtered, zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy))
        assert best is not None
        _, self._filter_type, filtered, self._compressor = best
        self._compress(filtered)
        if sample:
            self._above = sample[-self.line :]

    def _compress(self, filtered: bytes) -> None:
        assert self._compressor is not None
        data = self._compressor.compress(filtered)
        if data:
            self._compressed.append(data)
            self._compressed_size += len(data)
            if self._compressed_size >= IDAT_TARGET:
                self._flush_idat()

    def _flush_idat(self) -> None:
        if self._compressed:
            self._pending.append(chunk(b"IDAT", b"".join(self._compressed)))
        self._compressed = []
        self._compressed_size = 0

    def take_output(self) -> bytes:
        """The output made ready since the last call (maybe b"")."""
        out = b"".join(self._pending)
        self._pending = []
        return out

    def finish(self) -> bytes:
        """The rest of the PNG: remaining image data and IEND."""
        if self._compressor is None:
            self._choose_encoding()
        assert self._compressor is not None
        tail = self._compressor.flush()
        if tail:
            self._compressed.append(tail)
        self._flush_idat()
        self._pending.append(chunk(b"IEND", b""))
        return self.take_output()

"""Encoding 8-bit gray (colour type 0) or gray+alpha (colour type 4) PNGs incrementally.
Imports only struct, zlib and .swar; emits signature+IHDR first, then IDAT chunks as zlib produces them."""

import struct
import zlib

from .header import PNG_SIGNATURE
from .swar import sub_lanes

IDAT_TARGET = 1 << 16  # emit an IDAT once this much compressed data is pending
COMPRESSION_LEVEL = 6  # zlib's default, as Pillow uses


def chunk(chunk_type: bytes, payload: bytes) -> bytes:
    """One complete chunk: length, type, payload, CRC over type+payload (spec 5.3)."""
    return b"".join(
        (struct.pack(">I", len(payload)), chunk_type, payload, struct.pack(">I", zlib.crc32(payload, zlib.crc32(chunk_type))))
    )


def filter_rows_sub(pixels: bytes, line: int, bpp: int) -> bytes:
    """Sub-filter every row of a strip (spec 9.3: x - left, with 0 left of the first pixel) and
    prefix each row with filter byte 1. One whole-strip lane subtraction; the row-start lanes are
    re-set from the raw pixels because their left neighbour belongs to the previous row."""
    n = len(pixels)
    value = int.from_bytes(pixels, "little")
    filtered = bytearray(sub_lanes(value, value << (8 * bpp), n).to_bytes(n, "little"))
    out = bytearray()
    for start in range(0, n, line):
        filtered[start : start + bpp] = pixels[start : start + bpp]
        out += b"\x01"
        out += filtered[start : start + line]
    return bytes(out)


class GrayPngWriter:
    """Streams out a PNG of the given size; `add_rows` takes whole rows of 8-bit output pixels."""

    def __init__(self, width: int, height: int, has_alpha: bool) -> None:
        self.channels = 2 if has_alpha else 1
        self.line = width * self.channels
        self._header = PNG_SIGNATURE + chunk(
            b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 4 if has_alpha else 0, 0, 0, 0)
        )
        self._compressor = zlib.compressobj(COMPRESSION_LEVEL)
        self._pending: list[bytes] = []
        self._pending_size = 0

    def header(self) -> bytes:
        """Signature and IHDR."""
        return self._header

    def add_rows(self, pixels: bytes) -> bytes:
        """Filter and compress whole rows; returns any IDAT chunks that are ready (maybe b"")."""
        filtered = filter_rows_sub(pixels, self.line, self.channels)
        compressed = self._compressor.compress(filtered)
        if compressed:
            self._pending.append(compressed)
            self._pending_size += len(compressed)
        if self._pending_size >= IDAT_TARGET:
            return self._take_idat()
        return b""

    def finish(self) -> bytes:
        """The remaining IDAT data and IEND."""
        self._pending.append(self._compressor.flush())
        return self._take_idat() + chunk(b"IEND", b"")

    def _take_idat(self) -> bytes:
        data = b"".join(self._pending)
        self._pending = []
        self._pending_size = 0
        return chunk(b"IDAT", data) if data else b""

"""Decoding the inflated image data of one PNG into output PNG bytes: scanline assembly, unfiltering,
conversion of strips of rows to gray (+ alpha), and the Adam7 canvas. Knows nothing about chunks.
Imports only dataclasses and sibling modules."""

import dataclasses
from collections.abc import Callable, Iterator

from .deinterlace import Adam7Canvas
from .errors import InvalidImage
from .filters import ScanlineUnfilter
from .header import PngInfo
from .samples import SampleConverter
from .writer import GrayPngWriter

STRIP_BYTES = 1 << 17  # decoded rows are converted to gray this many bytes at a time
OUTPUT_STRIP_ROWS_BYTES = 1 << 17  # Adam7 canvas rows are handed to the writer in pieces this big


class ImageDecoder:
    """Turns the inflated image data stream into output PNG bytes: assembles scanlines, unfilters them,
    converts strips of rows to gray (+alpha) and either writes them straight out or, for Adam7,
    places them on a canvas written out at the end. Everything it builds for this image's row
    lengths (lane masks, tables) lives in its parts and goes away with it."""

    def __init__(
        self,
        info: PngInfo,
        palette: bytes | None,
        transparency: bytes | None,
        on_size_estimate: Callable[[int], None] | None = None,
    ) -> None:
        self.info = info
        # Filters work bytewise with a distance of whole pixels (spec 9.2), so the high bytes of 16-bit
        # samples decode independently of the low bytes; only tRNS needs the low bytes (exact match).
        self._high_bytes_only = info.bit_depth == 16 and transparency is None
        self._decode_info = dataclasses.replace(info, bit_depth=8) if self._high_bytes_only else info
        self._converter = SampleConverter(self._decode_info, palette, transparency)
        self._out_channels = 2 if self._converter.has_alpha else 1
        self.writer = GrayPngWriter(info.width, info.height, self._converter.has_alpha, on_size_estimate)
        self._canvas = Adam7Canvas(info.width, info.height, self._out_channels) if info.interlace else None
        self._passes = info.passes()
        self._pass_index = -1
        self._pending = bytearray()
        self._start_next_pass()

    def _start_next_pass(self) -> None:
        self._pass_index += 1
        self._strip: list[bytes] = []
        self._strip_bytes = 0
        self._strip_first_row = 0
        if self._pass_index < len(self._passes):
            _, _, _, _, pass_width, pass_height = self._passes[self._pass_index]
            self._pass_width = pass_width
            self._rows_left = pass_height
            self._scanline_length = self.info.row_bytes(pass_width) + 1
            self._unfilter = ScanlineUnfilter(self._decode_info.row_bytes(pass_width), self._decode_info.filter_bpp)

    def feed(self, data: bytes | memoryview) -> bytes:
        """Consume inflated bytes; return output PNG bytes that became ready (maybe b"")."""
        pending = self._pending
        pending += data
        out: list[bytes] = []
        offset = 0
        length = self._scanline_length
        with memoryview(pending) as view:
            while len(pending) - offset >= length and self._pass_index < len(self._passes):
                rows = self._unfilter.push(view[offset], self._raw_scanline(pending, view, offset + 1, offset + length))
                offset += length
                self._rows_left -= 1
                if not self._rows_left:
                    rows.extend(self._unfilter.flush())
                self._add_rows(rows, out)
                if not self._rows_left:
                    self._flush_strip(out)
                    self._start_next_pass()
                    length = self._scanline_length
        del pending[:offset]
        return b"".join(out)

    def _raw_scanline(self, pending: bytearray, view: memoryview, start: int, end: int) -> bytearray | memoryview:
        """The filtered bytes of one scanline (just the high bytes when those are all we need)."""
        if self._high_bytes_only:
            return pending[start:end:2]
        return view[start:end]

    def _add_rows(self, rows: list[bytes], out: list[bytes]) -> None:
        for row in rows:
            self._strip.append(row)
            self._strip_bytes += len(row)
            if self._strip_bytes >= STRIP_BYTES:
                self._flush_strip(out)

    def _flush_strip(self, out: list[bytes]) -> None:
        if not self._strip:
            return
        gray, alpha = self._converter.convert(self._strip, self._pass_width)
        pixels: bytes | bytearray = gray
        if alpha is not None:
            pixels = bytearray(2 * len(gray))
            pixels[0::2] = gray
            pixels[1::2] = alpha
        if self._canvas is None:
            out.append(self.writer.add_rows(pixels))
        else:
            x0, y0, dx, dy, _, _ = self._passes[self._pass_index]
            self._canvas.place_rows(pixels, x0, dx, y0 + self._strip_first_row * dy, dy)
        self._strip_first_row += len(self._strip)
        self._strip = []
        self._strip_bytes = 0

    def finish(self) -> Iterator[bytes]:
        """The rest of the output PNG (the Adam7 canvas, if any, and the end of the stream)."""
        if self._pass_index < len(self._passes):
            raise InvalidImage("image_data_short", "the image data ends before the last scanline")
        if self._canvas is not None:
            pixels = self._canvas.pixels
            line = self.info.width * self._out_channels
            rows_per_piece = max(1, OUTPUT_STRIP_ROWS_BYTES // line)
            for start in range(0, len(pixels), rows_per_piece * line):
                yield self.writer.add_rows(bytes(pixels[start : start + rows_per_piece * line]))
        yield self.writer.finish()

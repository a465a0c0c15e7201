"""Decoding the inflated image data of one PNG into output PNG bytes: scanline assembly (ScanlineBuffer,
shared with imageops), unfiltering,
conversion of strips of rows to gray (+ alpha), and the Adam7 canvas. Knows nothing about chunks.
Imports only dataclasses and sibling modules."""

import dataclasses
from collections.abc import Callable, Iterator

from .budget import CONVERT_US_PER_BYTE, WorkMeter
from .deinterlace import Adam7Canvas
from .errors import InvalidImage
from .filters import ScanlineUnfilter
from .header import PngInfo
from .samples import SampleConverter
from .writer import PngWriter

# Decoded rows are converted to gray and written in strips of this many decoded bytes, or fewer when
# the strip's output reaches OUTPUT_STRIP_BYTES (gray input: writing costs more than converting).
STRIP_BYTES = 1 << 17
OUTPUT_STRIP_BYTES = 1 << 16
BAND_BYTES = 1 << 17  # complete scanlines are taken from the inflated data this many bytes at a time
OUTPUT_STRIP_ROWS_BYTES = 1 << 16  # Adam7 canvas rows are handed to the writer in pieces this big


class ScanlineBuffer:
    """The inflated image data not yet decoded: collects inflated pieces and hands out bands of complete
    scanlines, at most BAND_BYTES long but at least one scanline (exactly one for rows decoded a piece
    at a time). Used by ImageDecoder and by imageops' RowDecoder."""

    def __init__(self) -> None:
        self._pending = bytearray()

    def add(self, data: bytes | memoryview) -> None:
        """Append inflated bytes."""
        self._pending += data

    def take_band(self, length: int, rows_left: int, one_row: bool) -> tuple[bytearray, int]:
        """(band, rows): the next `rows` complete scanlines of `length` bytes (filter byte included), at
        most `rows_left` and, if `one_row`, one; rows is 0 while there is no complete scanline yet."""
        pending = self._pending
        rows = min(len(pending) // length, rows_left, 1 if one_row else max(1, BAND_BYTES // length))
        if not rows:
            return bytearray(), 0
        if one_row:  # hand the whole buffer over instead of copying a row of megabytes
            self._pending = bytearray(pending[length:])
            del pending[length:]
            return pending, 1
        band = pending[: rows * length]  # a copy: `pending` may move while the band is decoded
        del pending[: rows * length]
        return band, rows


class ImageDecoder:
    """Turns the inflated image data stream into output PNG bytes: assembles scanlines, unfilters them,
    converts strips of rows to gray (+alpha) and either writes them straight out or, for Adam7,
    places them on a canvas written out at the end. Everything it builds for this image's row
    lengths (lane masks, tables) lives in its parts and goes away with it.
    Work is charged to `meter`; feed() and finish() yield the output so far whenever the meter says a
    step's budget is spent (possibly b""), and otherwise keep the output for the next yield."""

    def __init__(
        self,
        info: PngInfo,
        palette: bytes | None,
        transparency: bytes | None,
        meter: WorkMeter,
        on_size_estimate: Callable[[int], None] | None = None,
    ) -> None:
        self.info = info
        self.meter = meter
        # Filters work bytewise with a distance of whole pixels (spec 9.2), so the high bytes of 16-bit
        # samples decode independently of the low bytes; only tRNS needs the low bytes (exact match).
        self._high_bytes_only = info.bit_depth == 16 and transparency is None
        self._decode_info = dataclasses.replace(info, bit_depth=8) if self._high_bytes_only else info
        self._converter = SampleConverter(self._decode_info, palette, transparency)
        self._out_channels = 2 if self._converter.has_alpha else 1
        output_color_type = 4 if self._converter.has_alpha else 0
        self.writer = PngWriter(
            info.width, info.height, output_color_type, on_size_estimate, repetitive=info.color_type == 3
        )
        self._canvas = Adam7Canvas(info.width, info.height, self._out_channels) if info.interlace else None
        self._passes = info.passes()
        self._pass_index = -1
        self._scanlines = ScanlineBuffer()
        self._out: list[bytes] = []
        self._start_next_pass()

    def _start_next_pass(self) -> None:
        self._pass_index += 1
        self._strip: list[bytes] = []  # decoded rows, or blocks of narrow rows
        self._strip_bytes = 0
        self._strip_rows = 0
        self._pass_row = 0  # rows of this pass handed to the converter so far
        if self._pass_index < len(self._passes):
            _, _, _, _, pass_width, pass_height = self._passes[self._pass_index]
            self._pass_width = pass_width
            decoded_row = self._decode_info.row_bytes(pass_width)
            out_row = pass_width * self._out_channels
            self._strip_limit = min(STRIP_BYTES, max(1, OUTPUT_STRIP_BYTES // out_row) * decoded_row)
            self._rows_left = pass_height
            self._scanline_length = self.info.row_bytes(pass_width) + 1
            self._unfilter = ScanlineUnfilter(
                self._decode_info.row_bytes(pass_width), self._decode_info.filter_bpp, self.meter
            )
            # Narrow rows go through decode_narrow a run at a time, kept as blocks of rows in the
            # strip (so only for whole-byte samples, whose conversion ignores row boundaries).
            self._narrow = self._unfilter.narrow and self._decode_info.bit_depth >= 8

    def take_output(self) -> bytes:
        """The output made ready since the last call (maybe b""); starts a new step of the meter."""
        self.meter.reset()
        out = b"".join(self._out)
        self._out = []
        return out

    def feed(self, data: bytes | memoryview) -> Iterator[bytes]:
        """Consume inflated bytes, decoding every complete scanline; yields output (maybe b"") each time
        a step's budget is spent."""
        self._scanlines.add(data)
        while self._pass_index < len(self._passes):
            length = self._scanline_length
            band, rows = self._scanlines.take_band(length, self._rows_left, self._unfilter.long_rows)
            if not rows:
                return
            if self._unfilter.long_rows:
                yield from self._decode_long_row(band)
            elif self._narrow:
                yield from self._decode_narrow(band, rows, length)
            else:
                yield from self._decode_band(band, rows, length)
            if not self._rows_left:
                self._flush_strip()
                self._start_next_pass()

    def _decode_band(self, band: bytearray, rows: int, length: int) -> Iterator[bytes]:
        """Decode consecutive complete scanlines of the current pass. The common case, a row decoded
        at once by push(), is kept free of generator calls: it costs a few microseconds per row."""
        unfilter = self._unfilter
        meter = self.meter
        strip = self._strip
        high_bytes_only = self._high_bytes_only
        with memoryview(band) as view:
            for start in range(0, rows * length, length):
                raw = band[start + 1 : start + length : 2] if high_bytes_only else view[start + 1 : start + length]
                decoded = unfilter.push(band[start], raw)
                self._rows_left -= 1
                if decoded:
                    row = decoded[0]
                    strip.append(row)
                    self._strip_bytes += len(row)
                    self._strip_rows += 1
                    if self._strip_bytes >= self._strip_limit:
                        self._flush_strip()
                        strip = self._strip
                        if meter.due:
                            yield self.take_output()
                elif unfilter.window_full or not self._rows_left:
                    for decoded in unfilter.flush():
                        yield from self._add_rows(decoded)
                        if meter.due:
                            yield self.take_output()
                    strip = self._strip

    def _decode_narrow(self, band: bytearray, rows: int, length: int) -> Iterator[bytes]:
        """Decode consecutive complete narrow scanlines, a piece of rows at a time."""
        if self._high_bytes_only:  # keep each row's filter byte and its samples' high bytes
            half = (length - 1) // 2
            reduced = bytearray(rows * (half + 1))
            reduced[0 :: half + 1] = band[0::length]
            for k in range(half):
                reduced[1 + k :: half + 1] = band[1 + 2 * k :: length]
            band, length = reduced, half + 1
        per_piece = self._unfilter.narrow_rows_per_piece
        for first in range(0, rows, per_piece):
            count = min(per_piece, rows - first)
            decoded = self._unfilter.decode_narrow(band[first * length : (first + count) * length], count)
            self._strip.append(bytes(decoded))
            self._strip_bytes += len(decoded)
            self._strip_rows += count
            self._rows_left -= count
            if self._strip_bytes >= self._strip_limit:
                self._flush_strip()
            if self.meter.due:
                yield self.take_output()

    def _decode_long_row(self, scanline: bytearray) -> Iterator[bytes]:
        """Decode, convert and write (or place on the canvas) one row too long to handle at once, a
        piece at a time."""
        raw = scanline[1::2] if self._high_bytes_only else memoryview(scanline)[1:]
        per_pixel = self._decode_info.filter_bpp
        pixels_per_byte = 8 // self._decode_info.bit_depth if self._decode_info.bit_depth < 8 else 0
        out_per_byte = self._out_channels * (pixels_per_byte or 1 / per_pixel)
        extra_us_per_byte = CONVERT_US_PER_BYTE + self.writer.us_per_byte * out_per_byte
        canvas_row: list[bytes | bytearray] = []
        pixels_done = 0
        for piece in self._unfilter.long_row_pieces(scanline[0], raw, extra_us_per_byte):
            if not piece:  # the row is still being decoded
                if self.meter.due:
                    yield self.take_output()
                continue
            if pixels_per_byte:
                pixels = min(len(piece) * pixels_per_byte, self._pass_width - pixels_done)
            else:
                pixels = len(piece) // per_pixel
            pixels_done += pixels
            out = self._interleaved(*self._converter.convert([piece], pixels))
            if self._canvas is None:
                self._out.append(self.writer.add_row_piece(out))
            else:
                canvas_row.append(out)
            self.meter.spent += extra_us_per_byte * len(piece)
            if self.meter.due:
                yield self.take_output()
        self._rows_left -= 1
        if self._canvas is not None:
            self._place(b"".join(canvas_row), 1)
            if self.meter.due:
                yield self.take_output()

    def _add_rows(self, rows: list[bytes]) -> Iterator[bytes]:
        """Collect decoded rows into strips, converting and writing each strip when it is full."""
        for row in rows:
            self._strip.append(row)
            self._strip_bytes += len(row)
            self._strip_rows += 1
            if self._strip_bytes >= self._strip_limit:
                self._flush_strip()
                if self.meter.due:
                    yield self.take_output()

    def _flush_strip(self) -> None:
        if not self._strip:
            return
        if self._strip_rows == len(self._strip):
            gray, alpha = self._converted(self._strip)
        else:  # blocks of narrow rows
            gray, alpha = self._converter.convert(self._strip, self._pass_width)
            self.meter.spent += CONVERT_US_PER_BYTE * self._strip_bytes
        self._emit(gray, alpha, self._strip_rows)
        self._strip = []
        self._strip_bytes = 0
        self._strip_rows = 0

    def _converted(self, rows: list[bytes]) -> tuple[bytes, bytes | None]:
        """Gray and alpha planes of a strip. Rows equal to the row above (common in charts and
        screenshots: 47% of a chart's rows) are converted once and repeated. Justified by benchmark
        rows *-chart-* and *-screenshot-*, where conversion was a fifth of the time."""
        unique, counts = [rows[0]], [1]
        for row in rows[1:]:
            if row is unique[-1] or row == unique[-1]:
                counts[-1] += 1
            else:
                unique.append(row)
                counts.append(1)
        self.meter.spent += CONVERT_US_PER_BYTE * len(unique) * len(rows[0])
        if len(unique) * 8 > len(rows) * 7:
            return self._converter.convert(rows, self._pass_width)
        gray, alpha = self._converter.convert(unique, self._pass_width)
        return _repeated_rows(gray, self._pass_width, counts), (
            None if alpha is None else _repeated_rows(alpha, self._pass_width, counts)
        )

    def _emit(self, gray: bytes, alpha: bytes | None, rows: int) -> None:
        """Hand `rows` converted rows of the current pass to the writer or the Adam7 canvas."""
        pixels = self._interleaved(gray, alpha)
        if self._canvas is None:
            self._out.append(self.writer.add_rows(pixels))
            self.meter.spent += self.writer.us_per_byte * len(pixels)
        else:
            self._place(pixels, rows)

    @staticmethod
    def _interleaved(gray: bytes, alpha: bytes | None) -> bytes | bytearray:
        """The output pixels: gray, or gray and alpha interleaved."""
        if alpha is None:
            return gray
        pixels = bytearray(2 * len(gray))
        pixels[0::2] = gray
        pixels[1::2] = alpha
        return pixels

    def _place(self, pixels: bytes | bytearray, rows: int) -> None:
        """Put `rows` converted rows of the current pass on the Adam7 canvas."""
        assert self._canvas is not None
        x0, y0, dx, dy, _, _ = self._passes[self._pass_index]
        self._canvas.place_rows(pixels, x0, dx, y0 + self._pass_row * dy, dy)
        self.meter.spent += CONVERT_US_PER_BYTE * len(pixels)
        self._pass_row += rows

    def finish(self) -> Iterator[bytes]:
        """The rest of the output PNG (the Adam7 canvas, if any, and the end of the stream); yields
        like feed() and always ends with the last piece of output."""
        if self._pass_index < len(self._passes):
            raise InvalidImage("image_data_short", "the image data ends before the last scanline")
        if self._canvas is not None:
            pixels = self._canvas.pixels
            line = self.info.width * self._out_channels
            if line > OUTPUT_STRIP_ROWS_BYTES:  # long rows: in pieces of whole pixels
                piece = OUTPUT_STRIP_ROWS_BYTES // self._out_channels * self._out_channels
                for row_start in range(0, len(pixels), line):
                    for start in range(row_start, row_start + line, piece):
                        part = bytes(pixels[start : min(start + piece, row_start + line)])
                        self._out.append(self.writer.add_row_piece(part))
                        self.meter.spent += self.writer.us_per_byte * len(part)
                        if self.meter.due:
                            yield self.take_output()
            else:
                rows_per_piece = OUTPUT_STRIP_ROWS_BYTES // line
                for start in range(0, len(pixels), rows_per_piece * line):
                    part = bytes(pixels[start : start + rows_per_piece * line])
                    self._out.append(self.writer.add_rows(part))
                    self.meter.spent += self.writer.us_per_byte * len(part)
                    if self.meter.due:
                        yield self.take_output()
        self._out.append(self.writer.finish())
        yield self.take_output()


def _repeated_rows(plane: bytes, width: int, counts: list[int]) -> bytes:
    """Row k of `plane` (rows of `width` bytes) repeated counts[k] times."""
    return b"".join([plane[k * width : (k + 1) * width] * count for k, count in enumerate(counts)])

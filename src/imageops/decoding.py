"""The PNG walk shared by both operations: the grayscale core's ChunkWalk (signature, IHDR and the
limits, the chunk-ordering rules of spec 5.6, bounded inflation) and unfiltering of the image data.
Decoded scanlines go to a RowSink; every ancillary chunk goes to a ChunkVisitor. Everything is done in
bounded units charged to a WorkMeter, and the walk is a generator that yields whenever the meter says a
step's budget is spent. Imports only grayscale's modules (chunk_walk, chunks, decoder, filters,
budget) and stdlib."""

import dataclasses
from collections.abc import Iterator
from typing import Protocol

from grayscale import InvalidImage, PngInfo
from grayscale.budget import CRC_US_PER_BYTE, ROW_OVERHEAD_US, WorkMeter
from grayscale.chunk_walk import ChunkWalk, Limits
from grayscale.chunks import ChunkReader
from grayscale.decoder import ScanlineBuffer
from grayscale.filters import ScanlineUnfilter

STRIP_BYTES = 1 << 16  # decoded rows are handed to the sink this many bytes at a time
SKIP_PIECE_BYTES = 1 << 18  # an ancillary payload nobody reads is CRC-checked this much at a time

# Pass geometry as PngInfo.passes() gives it: (x0, y0, dx, dy, pass width, pass height).
PassShape = tuple[int, int, int, int, int, int]


@dataclasses.dataclass(frozen=True, slots=True)
class ImageHeader:
    """What is known when the image data starts: IHDR, PLTE and tRNS (validated), and `decoded`, the
    layout of the rows the sink will receive (bit depth 8 when 16-bit samples are decoded by their
    high bytes only)."""

    info: PngInfo
    palette: bytes | None
    transparency: bytes | None
    decoded: PngInfo


class RowSink(Protocol):
    """Receives the decoded rows of every pass, in data order; charges its own work to the meter."""

    # Estimated CPython microseconds the sink spends per decoded byte (sizes the pieces of long rows).
    us_per_decoded_byte: float

    def wants_whole_samples(self, info: PngInfo, transparency: bytes | None) -> bool:
        """Whether 16-bit samples must be decoded whole (else only their high bytes are)."""
        ...

    def begin(self, header: ImageHeader) -> None:
        """Called once, when the image data starts."""
        ...

    def add_rows(self, pass_index: int, first_row: int, rows: list[bytes]) -> None:
        """Consecutive whole decoded rows of pass `pass_index`, starting at its row `first_row`."""
        ...

    def add_row_piece(self, pass_index: int, row: int, first_pixel: int, pixels: int, piece: bytes) -> None:
        """`pixels` pixels of a row too long to hand over whole, starting at pixel `first_pixel` of
        that pass row; the pieces of a row arrive in order and cover it."""
        ...

    def finish(self) -> Iterator[None]:
        """Called after IEND; does the remaining work, yielding between bounded units."""
        ...


class ChunkVisitor(Protocol):
    """Receives every chunk the walk does not handle itself (all but IHDR, PLTE, tRNS, IDAT, IEND)."""

    def begin(self, info: PngInfo) -> None:
        """Called once, after IHDR."""
        ...

    def visit(
        self, chunk_type: bytes, length: int, reader: ChunkReader, palette: bytes | None, after_image_data: bool
    ) -> Iterator[None]:
        """Consume the payload through `reader` (read_payload / iter_payload / skip_payload, which check
        its CRC), yielding between bounded units. `palette` is the PLTE payload if it came already."""
        ...


class SkippingVisitor:
    """A ChunkVisitor that only checks CRCs (the thumbnail uses no ancillary chunk)."""

    def __init__(self, meter: WorkMeter) -> None:
        self.meter = meter

    def begin(self, info: PngInfo) -> None:
        pass

    def visit(
        self, chunk_type: bytes, length: int, reader: ChunkReader, palette: bytes | None, after_image_data: bool
    ) -> Iterator[None]:
        for piece in reader.iter_payload(chunk_type, length, SKIP_PIECE_BYTES):
            self.meter.spent += CRC_US_PER_BYTE * len(piece)
            if self.meter.due:
                yield None


def walk_png(data: bytes, limits: Limits, sink: RowSink, visitor: ChunkVisitor, meter: WorkMeter) -> Iterator[None]:
    """Decode `data`, feeding `sink` and `visitor`; yields whenever the meter is due (the caller resets
    it). Raises InvalidImage with the grayscale core's code for every bad input (grayscale.chunk_walk
    enforces the chunk order and the limits for both)."""
    walk = ChunkWalk((data,), limits)
    info = walk.info
    visitor.begin(info)
    for chunk_type, length in walk.chunks_before_image_data():
        yield from visitor.visit(chunk_type, length, walk.reader, walk.palette, False)

    whole_samples = info.bit_depth == 16 and sink.wants_whole_samples(info, walk.transparency)
    decoded = info if info.bit_depth != 16 or whole_samples else dataclasses.replace(info, bit_depth=8)
    sink.begin(ImageHeader(info, walk.palette, walk.transparency, decoded))
    rows = RowDecoder(info, decoded, sink, meter)
    for inflated in walk.image_data(meter):
        yield from rows.feed(inflated)
        if meter.due:
            yield None
    for chunk_type, length in walk.chunks_after_image_data():
        yield from visitor.visit(chunk_type, length, walk.reader, walk.palette, True)
    rows.finish()
    yield from sink.finish()


class RowDecoder:
    """Inflated image data -> decoded rows for the sink: assembles scanlines pass by pass, unfilters them
    (grayscale.filters.ScanlineUnfilter, which charges the meter) and hands them over in strips of about
    STRIP_BYTES, or a piece at a time for rows the unfilter decodes in pieces. `decoded` is `info`
    with bit depth 8 when only the high bytes of 16-bit samples are decoded: filters work bytewise at a
    distance of whole pixels (spec 9.2), so the high bytes decode on their own."""

    def __init__(self, info: PngInfo, decoded: PngInfo, sink: RowSink, meter: WorkMeter) -> None:
        self.info = info
        self.decoded = decoded
        self.sink = sink
        self.meter = meter
        self._high_bytes_only = decoded.bit_depth != info.bit_depth
        self._passes = info.passes()
        self._pass_index = -1
        self._scanlines = ScanlineBuffer()
        self._start_next_pass()

    def _start_next_pass(self) -> None:
        self._pass_index += 1
        self._strip: list[bytes] = []
        self._strip_bytes = 0
        self._strip_first_row = 0
        self._pass_row = 0  # rows of this pass decoded so far
        if self._pass_index < len(self._passes):
            _, _, _, _, pass_width, pass_height = self._passes[self._pass_index]
            self._pass_width = pass_width
            self._rows_left = pass_height
            self._scanline_length = self.info.row_bytes(pass_width) + 1
            self._unfilter = ScanlineUnfilter(self.decoded.row_bytes(pass_width), self.decoded.filter_bpp, self.meter)

    def feed(self, data: bytes | memoryview) -> Iterator[None]:
        """Consume inflated bytes, decoding every complete scanline; yields whenever the meter is due."""
        self._scanlines.add(data)
        while self._pass_index < len(self._passes):
            length = self._scanline_length
            band, rows = self._scanlines.take_band(length, self._rows_left, self._unfilter.long_rows)
            if not rows:
                return
            if self._unfilter.long_rows:
                yield from self._decode_long_row(band)
            else:
                yield from self._decode_band(band, rows, length)
            if not self._rows_left:
                self._hand_over_strip()
                self._start_next_pass()

    def _decode_band(self, band: bytearray, rows: int, length: int) -> Iterator[None]:
        unfilter = self._unfilter
        meter = self.meter
        with memoryview(band) as view:
            for start in range(0, rows * length, length):
                raw = (
                    band[start + 1 : start + length : 2] if self._high_bytes_only else view[start + 1 : start + length]
                )
                decoded = unfilter.push(band[start], raw)
                if decoded:
                    yield from self._add_rows(decoded)
                self._rows_left -= 1
                if unfilter.window_full or not self._rows_left:
                    for decoded in unfilter.flush():
                        yield from self._add_rows(decoded)
                        if meter.due:
                            yield None
                if meter.due:
                    yield None

    def _add_rows(self, rows: list[bytes]) -> Iterator[None]:
        """Collect decoded rows into strips for the sink; yields whenever the meter is due after a
        strip, as a window can hand over hundreds of rows at once."""
        for row in rows:
            self._strip.append(row)
            self._strip_bytes += len(row)
            self._pass_row += 1
            if self._strip_bytes >= STRIP_BYTES:
                self._hand_over_strip()
                if self.meter.due:
                    yield None

    def _hand_over_strip(self) -> None:
        if self._strip:
            self.meter.spent += ROW_OVERHEAD_US
            self.sink.add_rows(self._pass_index, self._strip_first_row, self._strip)
        self._strip = []
        self._strip_bytes = 0
        self._strip_first_row = self._pass_row

    def _decode_long_row(self, scanline: bytearray) -> Iterator[None]:
        """Decode one row too long to handle at once and hand it over a piece at a time."""
        raw = scanline[1::2] if self._high_bytes_only else scanline[1:]
        pixel_bytes = self.decoded.filter_bpp
        pixels_per_byte = 8 // self.decoded.bit_depth if self.decoded.bit_depth < 8 else 0
        done = 0
        for piece in self._unfilter.long_row_pieces(scanline[0], raw, self.sink.us_per_decoded_byte):
            if pixels_per_byte:
                pixels = min(len(piece) * pixels_per_byte, self._pass_width - done)
            else:
                pixels = len(piece) // pixel_bytes
            self.sink.add_row_piece(self._pass_index, self._pass_row, done, pixels, piece)
            done += pixels
            if self.meter.due:
                yield None
        self._rows_left -= 1
        self._pass_row += 1
        self._strip_first_row = self._pass_row

    def finish(self) -> None:
        """Called at IEND: every pass must be complete."""
        if self._pass_index < len(self._passes):
            raise InvalidImage("image_data_short", "the image data ends before the last scanline")

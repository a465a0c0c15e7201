"""The PNG walk shared by both operations: signature, IHDR and the limits, the chunk-ordering rules of
spec 5.6 (the grayscale core's, code for code), bounded inflation and unfiltering of the image data.
Decoded scanlines go to a RowSink; every ancillary chunk goes to a ChunkVisitor. Everything is done in
bounded units charged to a WorkMeter, and the walk is a generator that yields whenever the meter says a
step's budget is spent. Imports only grayscale's public modules (chunks, inflate, filters, header,
samples, budget) and stdlib."""

import dataclasses
from collections.abc import Iterator
from typing import Protocol

from grayscale import InvalidImage, PngInfo
from grayscale.budget import CRC_US_PER_BYTE, INFLATE_US_PER_BYTE, ROW_OVERHEAD_US, WorkMeter
from grayscale.chunks import CRC_PIECE_BYTES, ByteSource, ChunkReader, read_signature
from grayscale.filters import ScanlineUnfilter
from grayscale.header import parse_ihdr
from grayscale.inflate import BoundedInflater
from grayscale.samples import validate_palette, validate_transparency

STRIP_BYTES = 1 << 16  # decoded rows are handed to the sink this many bytes at a time
BAND_BYTES = 1 << 17  # complete scanlines are taken from the inflated data this many bytes at a time
SKIP_PIECE_BYTES = 1 << 18  # an ancillary payload nobody reads is CRC-checked this much at a time
CRC_PIECE_US = CRC_US_PER_BYTE * CRC_PIECE_BYTES

# Pass geometry as PngInfo.passes() gives it: (x0, y0, dx, dy, pass width, pass height).
PassShape = tuple[int, int, int, int, int, int]


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """The grayscale core's limits, checked from IHDR before anything is inflated."""

    max_pixels: int
    max_decompressed_bytes: int
    max_dimension: int


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
    it). Raises InvalidImage with the grayscale core's code for every bad input."""
    source = ByteSource((data,))
    read_signature(source)
    reader = ChunkReader(source)
    chunk_type, length = reader.next_header()
    if chunk_type != b"IHDR":
        raise InvalidImage("chunk_order", f"the first chunk must be IHDR, found {chunk_type.decode()!r}")
    if length != 13:
        raise InvalidImage("bad_header", f"IHDR must be 13 bytes long, found {length}")
    info = parse_ihdr(bytes(reader.read_payload(chunk_type, length)))
    raw_size = _check_limits(info, limits)
    visitor.begin(info)

    palette: bytes | None = None
    transparency: bytes | None = None
    while True:  # the chunks before the image data
        chunk_type, length = reader.next_header()
        if chunk_type == b"IDAT":
            if info.color_type == 3 and palette is None:
                raise InvalidImage("missing_palette", "a palette image (colour type 3) needs a PLTE chunk before IDAT")
            break
        if chunk_type == b"PLTE":
            if palette is not None:
                raise InvalidImage("chunk_order", "the image has more than one PLTE chunk")
            if transparency is not None:
                raise InvalidImage("chunk_order", "PLTE must come before tRNS")
            if length > 768:
                raise InvalidImage("bad_palette", f"PLTE length {length} exceeds 768 (256 entries)")
            palette = validate_palette(info, bytes(reader.read_payload(chunk_type, length)))
        elif chunk_type == b"tRNS":
            if transparency is not None:
                raise InvalidImage("chunk_order", "the image has more than one tRNS chunk")
            if length > 256:
                raise InvalidImage("bad_transparency", f"tRNS length {length} exceeds 256")
            transparency = validate_transparency(info, bytes(reader.read_payload(chunk_type, length)), palette)
        else:
            _check_other_chunk(chunk_type)
            yield from visitor.visit(chunk_type, length, reader, palette, False)

    whole_samples = info.bit_depth == 16 and sink.wants_whole_samples(info, transparency)
    decoded = info if info.bit_depth != 16 or whole_samples else dataclasses.replace(info, bit_depth=8)
    sink.begin(ImageHeader(info, palette, transparency, decoded))
    rows = RowDecoder(info, decoded, sink, meter)
    inflater = BoundedInflater(raw_size)
    while chunk_type == b"IDAT":  # spec 5.6: IDAT chunks are consecutive
        for piece in reader.iter_verified_payload(chunk_type, length):
            meter.spent += (CRC_US_PER_BYTE + INFLATE_US_PER_BYTE) * len(piece) if piece else CRC_PIECE_US
            for inflated in inflater.feed(piece):
                meter.spent += INFLATE_US_PER_BYTE * len(inflated)
                yield from rows.feed(inflated)
                if meter.due:
                    yield None
            if meter.due:
                yield None
        chunk_type, length = reader.next_header()
    while chunk_type != b"IEND":
        _check_other_chunk(chunk_type)
        yield from visitor.visit(chunk_type, length, reader, palette, True)
        chunk_type, length = reader.next_header()
    if length != 0:
        raise InvalidImage("bad_chunk", f"IEND must be empty, found {length} bytes")
    reader.read_payload(chunk_type, 0)
    inflater.finish()
    rows.finish()
    yield from sink.finish()


def _check_limits(info: PngInfo, limits: Limits) -> int:
    """Refuse an image over the limits (too_large); returns the exact inflated data size."""
    if info.width * info.height > limits.max_pixels:
        raise InvalidImage(
            "too_large",
            f"{info.width}x{info.height} is {info.width * info.height} pixels, over the limit of {limits.max_pixels}",
        )
    if max(info.width, info.height) > limits.max_dimension:
        raise InvalidImage(
            "too_large", f"{info.width}x{info.height} has a side over the limit of {limits.max_dimension} pixels"
        )
    raw_size = info.raw_data_size()
    if raw_size > limits.max_decompressed_bytes:
        raise InvalidImage(
            "too_large",
            f"the image data would inflate to {raw_size} bytes, over the limit of {limits.max_decompressed_bytes}",
        )
    return raw_size


def _check_other_chunk(chunk_type: bytes) -> None:
    """Spec 5.4/5.6 for a chunk that is neither PLTE/tRNS before the image data nor IDAT/IEND in place:
    only ancillary chunks (bit 5 of the first type byte set) may appear, and may be ignored."""
    if chunk_type == b"IHDR":
        raise InvalidImage("chunk_order", "IHDR appears more than once")
    if chunk_type == b"IEND":
        raise InvalidImage("missing_image_data", "the image has no IDAT chunk before IEND")
    if chunk_type in (b"PLTE", b"tRNS", b"IDAT"):
        raise InvalidImage("chunk_order", f"{chunk_type.decode()} appears after the image data has ended")
    if not chunk_type[0] & 0x20:
        raise InvalidImage("unknown_critical_chunk", f"unknown critical chunk {chunk_type.decode()!r}")


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
        self._pending = bytearray()
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
        pending = self._pending
        pending += data
        while self._pass_index < len(self._passes):
            length = self._scanline_length
            band_rows = 1 if self._unfilter.long_rows else max(1, BAND_BYTES // length)
            rows = min(len(pending) // length, self._rows_left, band_rows)
            if not rows:
                return
            band = pending[: rows * length]  # a copy: `pending` may move while the band is decoded
            del pending[: rows * length]
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
                    self._add_rows(decoded)
                self._rows_left -= 1
                if unfilter.window_full or not self._rows_left:
                    for decoded in unfilter.flush():
                        self._add_rows(decoded)
                        if meter.due:
                            yield None
                if meter.due:
                    yield None

    def _add_rows(self, rows: list[bytes]) -> None:
        for row in rows:
            self._strip.append(row)
            self._strip_bytes += len(row)
            self._pass_row += 1
            if self._strip_bytes >= STRIP_BYTES:
                self._hand_over_strip()

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

"""The conversion pipeline: chunks -> bounded inflate -> unfilter -> gray/alpha -> (Adam7 canvas) -> writer.
Imports only dataclasses, io and sibling modules; this is where the chunk-ordering rules of spec 5.6 are enforced."""

import dataclasses
import io
from collections.abc import Iterable, Iterator

from . import luma, swar, wavefront, writer
from .chunks import ByteSource, ChunkReader, read_signature
from .deinterlace import Adam7Canvas
from .errors import InvalidImage
from .filters import ScanlineUnfilter
from .header import PngInfo, parse_ihdr
from .inflate import BoundedInflater
from .samples import SampleConverter, validate_palette, validate_transparency
from .writer import GrayPngWriter

DEFAULT_MAX_PIXELS = 40_000_000
# libpng's default user limit for width and height. Rows this long or this many rows (within
# max_pixels) are what make pure-Python decoding slow or large: a 40,000,000 x 1 image needs
# hundred-megabyte row buffers, a 1 x 40,000,000 one forty million row steps.
DEFAULT_MAX_DIMENSION = 1_000_000
# Enough for the largest default-size image of any kind (16-bit RGBA: 8 bytes/pixel + filter bytes).
DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * DEFAULT_MAX_PIXELS + 64 * 1024 * 1024
STRIP_BYTES = 1 << 17  # decoded rows are converted to gray this many bytes at a time
OUTPUT_STRIP_ROWS_BYTES = 1 << 17  # Adam7 canvas rows are handed to the writer in pieces this big


class ImageDecoder:
    """Turns the inflated image data stream into output PNG bytes: assembles scanlines, unfilters them,
    converts strips of rows to gray (+alpha) and either writes them straight out or, for Adam7,
    places them on a canvas written out at the end."""

    def __init__(self, info: PngInfo, palette: bytes | None, transparency: bytes | None, on_size_estimate=None) -> None:
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

    def feed(self, data: bytes) -> bytes:
        """Consume inflated bytes; return output PNG bytes that became ready (maybe b"")."""
        pending = self._pending
        pending += data
        out = []
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

    def _raw_scanline(self, pending: bytearray, view: memoryview, start: int, end: int) -> bytes:
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
        if alpha is None:
            pixels = gray
        else:
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


def _read_until_image_data(reader: ChunkReader, info: PngInfo) -> tuple[bytes | None, bytes | None, int]:
    """Read the chunks between IHDR and the first IDAT; returns (palette, transparency, IDAT length)."""
    palette = transparency = None
    while True:
        chunk_type, length = reader.next_header()
        if chunk_type == b"IDAT":
            if info.color_type == 3 and palette is None:
                raise InvalidImage("missing_palette", "a palette image (colour type 3) needs a PLTE chunk before IDAT")
            return palette, transparency, length
        if chunk_type == b"PLTE":
            if palette is not None:
                raise InvalidImage("chunk_order", "the image has more than one PLTE chunk")
            if transparency is not None:
                raise InvalidImage("chunk_order", "PLTE must come before tRNS")
            if length > 768:
                raise InvalidImage("bad_palette", f"PLTE length {length} exceeds 768 (256 entries)")
            palette = validate_palette(info, reader.read_payload(chunk_type, length))
        elif chunk_type == b"tRNS":
            if transparency is not None:
                raise InvalidImage("chunk_order", "the image has more than one tRNS chunk")
            if length > 256:
                raise InvalidImage("bad_transparency", f"tRNS length {length} exceeds 256")
            transparency = validate_transparency(info, reader.read_payload(chunk_type, length), palette)
        else:
            _skip_other_chunk(reader, chunk_type, length)


def _skip_other_chunk(reader: ChunkReader, chunk_type: bytes, length: int) -> None:
    """Handle a chunk that is neither the image data nor a chunk we use (spec 5.4: bit 5 of the
    first type byte set = ancillary, safe to ignore)."""
    if chunk_type == b"IHDR":
        raise InvalidImage("chunk_order", "IHDR appears more than once")
    if chunk_type == b"IEND":
        raise InvalidImage("missing_image_data", "the image has no IDAT chunk before IEND")
    if chunk_type in (b"PLTE", b"tRNS", b"IDAT"):
        raise InvalidImage("chunk_order", f"{chunk_type.decode()} appears after the image data has ended")
    if not chunk_type[0] & 0x20:
        raise InvalidImage("unknown_critical_chunk", f"unknown critical chunk {chunk_type.decode()!r}")
    reader.skip_payload(chunk_type, length)


def convert_stream(
    chunks: Iterable[bytes],
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> Iterator[bytes]:
    """Convert a PNG given as an iterable of byte pieces; yields the gray PNG as it is produced.
    Raises InvalidImage (possibly after some output was yielded — discard it then)."""
    try:
        yield from _convert_pieces(chunks, max_pixels, max_decompressed_bytes, max_dimension)
    except MemoryError:
        # Within the limits memory use is bounded, but a host may still have less (e.g. an image
        # with extremely long rows); that is an input too large for this host, not a crash.
        raise InvalidImage("too_large", "converting this image needs more memory than is available") from None
    finally:
        release_row_caches()


# Per-row-length constants (big-int lane masks) are cached while an image is converted, where
# the same row lengths repeat. They are as large as the rows, so they are released when the
# conversion ends: a long-lived process (a Worker isolate) must not keep them per width seen.
_ROW_LENGTH_CACHES = (
    swar.lane_masks,
    luma.luma_lane_constants,
    writer.first_pixel_cleared_mask,
    wavefront.repeated_pattern,
    wavefront.paeth_lane_constants,
)


def release_row_caches() -> None:
    """Drop the cached per-row-length constants (done at the end of every conversion)."""
    for cached in _ROW_LENGTH_CACHES:
        cached.cache_clear()


def _convert_pieces(
    chunks: Iterable[bytes],
    max_pixels: int,
    max_decompressed_bytes: int,
    max_dimension: int,
    on_size_estimate=None,
) -> Iterator[bytes]:
    """convert_stream without the MemoryError translation; `on_size_estimate` (see GrayPngWriter)."""
    source = ByteSource(chunks)
    read_signature(source)
    reader = ChunkReader(source)
    chunk_type, length = reader.next_header()
    if chunk_type != b"IHDR":
        raise InvalidImage("chunk_order", f"the first chunk must be IHDR, found {chunk_type.decode()!r}")
    if length != 13:
        raise InvalidImage("bad_header", f"IHDR must be 13 bytes long, found {length}")
    info = parse_ihdr(reader.read_payload(chunk_type, length))
    if info.width * info.height > max_pixels:
        raise InvalidImage(
            "too_large",
            f"{info.width}x{info.height} is {info.width * info.height} pixels, over the limit of {max_pixels}",
        )
    if max(info.width, info.height) > max_dimension:
        raise InvalidImage(
            "too_large", f"{info.width}x{info.height} has a side over the limit of {max_dimension} pixels"
        )
    raw_size = info.raw_data_size()
    if raw_size > max_decompressed_bytes:
        raise InvalidImage(
            "too_large", f"the image data would inflate to {raw_size} bytes, over the limit of {max_decompressed_bytes}"
        )
    palette, transparency, length = _read_until_image_data(reader, info)

    decoder = ImageDecoder(info, palette, transparency, on_size_estimate)
    inflater = BoundedInflater(raw_size)
    yield decoder.writer.header()
    chunk_type = b"IDAT"
    while chunk_type == b"IDAT":  # spec 5.6: IDAT chunks are consecutive
        for piece in reader.iter_verified_payload(chunk_type, length):
            for inflated in inflater.feed(piece):
                ready = decoder.feed(inflated)
                if ready:
                    yield ready
        chunk_type, length = reader.next_header()
    while chunk_type != b"IEND":
        _skip_other_chunk(reader, chunk_type, length)
        chunk_type, length = reader.next_header()
    if length != 0:
        raise InvalidImage("bad_chunk", f"IEND must be empty, found {length} bytes")
    reader.read_payload(chunk_type, 0)
    inflater.finish()
    yield from decoder.finish()


RESERVATION_SLACK_BYTES = 1 << 20


class _PresizedOutput:
    """The output of convert() in one buffer, reserved once from the writer's size estimate and
    shrunk at the end. Joining a list of pieces (or growing a buffer) would need twice the output
    size at the end, which is what bounds the wasm heap in Pyodide; BytesIO.getvalue() hands its
    buffer over without a copy."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def reserve(self, size: int) -> None:
        """Grow the buffer once to `size` bytes (no-op if already past it)."""
        position = self._buffer.tell()
        if size > position:
            self._buffer.seek(size - 1)
            self._buffer.write(b"\0")  # grows the buffer once, to `size`
            self._buffer.seek(position)

    def write(self, piece: bytes) -> None:
        """Append a piece of output."""
        self._buffer.write(piece)

    def getvalue(self) -> bytes:
        """Everything written, as bytes, without copying the buffer."""
        self._buffer.truncate(self._buffer.tell())
        return self._buffer.getvalue()


def convert(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> bytes:
    """Convert a whole PNG in memory to an 8-bit gray (or gray+alpha) PNG of the same size."""
    output = _PresizedOutput()
    # The estimate comes from IHDR, which a tiny hostile file can inflate: never reserve much
    # more than the input itself (gray output of real images is smaller than their input).
    reservation_cap = len(data) + RESERVATION_SLACK_BYTES

    def reserve(estimate: int) -> None:
        output.reserve(min(estimate, reservation_cap))

    try:
        for piece in _convert_pieces((data,), max_pixels, max_decompressed_bytes, max_dimension, reserve):
            output.write(piece)
    except MemoryError:
        raise InvalidImage("too_large", "converting this image needs more memory than is available") from None
    finally:
        release_row_caches()
    return output.getvalue()

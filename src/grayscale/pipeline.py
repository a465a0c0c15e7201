"""The conversion pipeline: chunks -> bounded inflate -> ImageDecoder -> output, and the public entry
points. This is where the limits are checked and the chunk-ordering rules of spec 5.6 are enforced.
Imports only sibling modules."""

from collections.abc import Callable, Iterable, Iterator

from .budget import CRC_US_PER_BYTE, INFLATE_US_PER_BYTE, WorkMeter
from .chunks import CRC_PIECE_BYTES, ByteSource, ChunkReader, read_signature
from .decoder import ImageDecoder
from .errors import InvalidImage
from .header import PngInfo, parse_ihdr
from .inflate import BoundedInflater
from .output_buffer import PresizedOutput
from .samples import validate_palette, validate_transparency

DEFAULT_MAX_PIXELS = 40_000_000
# libpng's default user limit for width and height. Rows this long or this many rows (within
# max_pixels) are what make pure-Python decoding slow or large: a 40,000,000 x 1 image needs
# hundred-megabyte row buffers, a 1 x 40,000,000 one forty million row steps.
DEFAULT_MAX_DIMENSION = 1_000_000
# Enough for the largest default-size image of any kind (16-bit RGBA: 8 bytes/pixel + filter bytes).
DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * DEFAULT_MAX_PIXELS + 64 * 1024 * 1024


def _read_until_image_data(reader: ChunkReader, info: PngInfo) -> tuple[bytes | None, bytes | None, int]:
    """Read the chunks between IHDR and the first IDAT; returns (palette, transparency, IDAT length)."""
    palette: bytes | None = None
    transparency: bytes | None = None
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
            palette = validate_palette(info, bytes(reader.read_payload(chunk_type, length)))
        elif chunk_type == b"tRNS":
            if transparency is not None:
                raise InvalidImage("chunk_order", "the image has more than one tRNS chunk")
            if length > 256:
                raise InvalidImage("bad_transparency", f"tRNS length {length} exceeds 256")
            transparency = validate_transparency(info, bytes(reader.read_payload(chunk_type, length)), palette)
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
    """Convert a PNG given as an iterable of byte pieces; yields the gray PNG as it is produced (never
    an empty piece). Raises InvalidImage (possibly after some output was yielded — discard it then)."""
    for piece in _translated(_convert_pieces(chunks, max_pixels, max_decompressed_bytes, max_dimension)):
        if piece:
            yield piece


def convert_steps(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> Iterator[bytes]:
    """Convert a whole PNG in memory, yielding after every bounded amount of work (about
    budget.STEP_BUDGET_US of CPython time, whatever the input): each piece is the output made ready
    during that step, often b"". b"".join(pieces) == convert(data). Raises InvalidImage like
    convert_stream. To keep only the result, with convert()'s memory bound, use Conversion."""
    return _translated(_convert_pieces((data,), max_pixels, max_decompressed_bytes, max_dimension))


def _translated(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """`pieces` with MemoryError reported as InvalidImage("too_large"): within the limits memory use is
    bounded, but a host may still have less (e.g. an image with extremely long rows); that is an input
    too large for this host, not a crash."""
    try:
        yield from pieces
    except MemoryError:
        raise InvalidImage("too_large", "converting this image needs more memory than is available") from None


def _convert_pieces(
    chunks: Iterable[bytes],
    max_pixels: int,
    max_decompressed_bytes: int,
    max_dimension: int,
    on_size_estimate: Callable[[int], None] | None = None,
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
    info = parse_ihdr(bytes(reader.read_payload(chunk_type, length)))
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

    meter = WorkMeter()
    decoder = ImageDecoder(info, palette, transparency, meter, on_size_estimate)
    inflater = BoundedInflater(raw_size)
    yield decoder.writer.header()
    chunk_type = b"IDAT"
    while chunk_type == b"IDAT":  # spec 5.6: IDAT chunks are consecutive
        for piece in reader.iter_verified_payload(chunk_type, length):
            meter.spent += (CRC_US_PER_BYTE + INFLATE_US_PER_BYTE) * len(piece) if piece else CRC_PIECE_US
            for inflated in inflater.feed(piece):
                meter.spent += INFLATE_US_PER_BYTE * len(inflated)
                yield from decoder.feed(inflated)
                if meter.due:
                    yield decoder.take_output()
            if meter.due:
                yield decoder.take_output()
        chunk_type, length = reader.next_header()
    while chunk_type != b"IEND":
        _skip_other_chunk(reader, chunk_type, length)
        chunk_type, length = reader.next_header()
    if length != 0:
        raise InvalidImage("bad_chunk", f"IEND must be empty, found {length} bytes")
    reader.read_payload(chunk_type, 0)
    inflater.finish()
    yield from decoder.finish()


CRC_PIECE_US = CRC_US_PER_BYTE * CRC_PIECE_BYTES

# convert() never reserves more than the input's size plus this for its output (see convert()).
RESERVATION_SLACK_BYTES = 1 << 20


class Conversion:
    """A conversion of a whole PNG in memory that advances one bounded step at a time, so that a host
    serving other work (a Worker isolate) can hand control back between steps:

        conversion = Conversion(data, max_pixels=...)
        while not conversion.step():
            await pause()  # whatever lets the host's event loop run
        gray = conversion.result()

    Each step() does about budget.STEP_BUDGET_US of CPython work whatever the input (see convert_steps);
    the output goes into one buffer reserved up front, so memory is bounded as for convert()."""

    def __init__(
        self,
        data: bytes,
        *,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        max_dimension: int = DEFAULT_MAX_DIMENSION,
    ) -> None:
        self._output = PresizedOutput()
        # The estimate comes from IHDR, which a tiny hostile file can inflate: never reserve much
        # more than the input itself (gray output of real images is smaller than their input).
        reservation_cap = len(data) + RESERVATION_SLACK_BYTES

        def reserve(estimate: int) -> None:
            self._output.reserve(min(estimate, reservation_cap))

        self._pieces = _translated(_convert_pieces((data,), max_pixels, max_decompressed_bytes, max_dimension, reserve))
        self.done = False

    def step(self) -> bool:
        """Do one bounded step of the work; returns True once the conversion has finished (then call
        result()). Raises InvalidImage for a bad input, after which the conversion is over."""
        if not self.done:
            try:
                self._output.write(next(self._pieces))
            except StopIteration:
                self.done = True
            except InvalidImage:
                self.done = True
                raise
        return self.done

    def result(self) -> bytes:
        """The gray PNG (call once step() has returned True)."""
        if not self.done:
            raise RuntimeError("the conversion has not finished: call step() until it returns True")
        return self._output.getvalue()


def convert(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> bytes:
    """Convert a whole PNG in memory to an 8-bit gray (or gray+alpha) PNG of the same size."""
    conversion = Conversion(
        data, max_pixels=max_pixels, max_decompressed_bytes=max_decompressed_bytes, max_dimension=max_dimension
    )
    while not conversion.step():
        pass
    return conversion.result()

"""The conversion pipeline: chunks -> bounded inflate -> ImageDecoder -> output, and the public entry
points; the chunk order and the limits are checked by chunk_walk.ChunkWalk.
Imports only sibling modules."""

from collections.abc import Callable, Iterable, Iterator

from .budget import WorkMeter
from .chunk_walk import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DIMENSION, DEFAULT_MAX_PIXELS, ChunkWalk, Limits
from .decoder import ImageDecoder
from .errors import InvalidImage
from .output_buffer import PresizedOutput


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
    """convert_stream without the MemoryError translation; `on_size_estimate` (see writer.PngWriter)."""
    walk = ChunkWalk(chunks, Limits(max_pixels, max_decompressed_bytes, max_dimension))
    for chunk_type, length in walk.chunks_before_image_data():
        walk.reader.skip_payload(chunk_type, length)
    meter = WorkMeter()
    decoder = ImageDecoder(walk.info, walk.palette, walk.transparency, meter, on_size_estimate)
    yield decoder.writer.header()
    for inflated in walk.image_data(meter):
        yield from decoder.feed(inflated)
        if meter.due:
            yield decoder.take_output()
    for chunk_type, length in walk.chunks_after_image_data():
        walk.reader.skip_payload(chunk_type, length)
    yield from decoder.finish()


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

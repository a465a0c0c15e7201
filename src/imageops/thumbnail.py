"""The thumbnail operation: decode (decoding.walk_png), expand to 8-bit pixels keeping colour and alpha
(pixels.py), box-downscale (box.py) or keep the size, and write an 8-bit PNG (grayscale.writer); the
public Thumbnail / thumbnail / thumbnail_steps. Imports only sibling modules and grayscale."""

from collections.abc import Iterator

from grayscale import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DIMENSION, DEFAULT_MAX_PIXELS, PngInfo
from grayscale.budget import CONVERT_US_PER_BYTE, WorkMeter
from grayscale.chunk_walk import Limits
from grayscale.deinterlace import Adam7Canvas
from grayscale.writer import PngWriter

from .alpha import unpremultiply
from .box import BOX_US_PER_BYTE, PIECE_LANES, PREMULTIPLY_US_PER_BYTE, BoxFilter, PremultipliedBoxFilter
from .decoding import ImageHeader, SkippingVisitor, walk_png
from .geometry import DEFAULT_MAX_SIDE, reduce_axis, resize_axis, thumbnail_size
from .pixels import PixelExpander
from .steps import Stepper

MAX_SIDE_RANGE = (1, 4096)  # an output is at most 4096 x 4096 (its Adam7 canvas, if kept, 64 MB)
CANVAS_PIECE_BYTES = 1 << 16  # a kept-size Adam7 image is written out this much at a time
UNPREMULTIPLY_US_PER_PIXEL = 0.3  # alpha.unpremultiply, a Python loop over output pixels


class ThumbnailSink:
    """Receives decoded rows (decoding.RowSink) and produces the thumbnail PNG: pixels are expanded to
    8 bits, then either box-filtered to the thumbnail size or, when the image already fits, written
    as they are (through an Adam7 canvas of the output's size when interlaced)."""

    # Expanding (up to 4 output bytes per decoded byte), premultiplying and box-filtering them.
    us_per_decoded_byte = CONVERT_US_PER_BYTE + 4 * (BOX_US_PER_BYTE + PREMULTIPLY_US_PER_BYTE)

    def __init__(self, max_side: int, meter: WorkMeter) -> None:
        self.max_side = max_side
        self.meter = meter
        self._pieces: list[bytes] = []

    def wants_whole_samples(self, info: PngInfo, transparency: bytes | None) -> bool:
        return transparency is not None and info.color_type in (0, 2)  # a 16-bit colour key is exact

    def begin(self, header: ImageHeader) -> None:
        info = header.info
        self._expander = PixelExpander(header.decoded, header.palette, header.transparency)
        self.format = self._expander.format
        self._passes = info.passes()
        width, height = thumbnail_size(info.width, info.height, self.max_side)
        self.size = (width, height)
        resized = (width, height) != (info.width, info.height)
        self._writer = PngWriter(width, height, self.format.color_type, every_encoding=True)
        self._pieces.append(self._writer.header())
        self._filter: BoxFilter | PremultipliedBoxFilter | None = None
        self._canvas: Adam7Canvas | None = None
        if resized:
            exact = info.width % width == 0 and info.height % height == 0
            columns = reduce_axis(info.width, info.width // width) if exact else resize_axis(info.width, width)
            rows = reduce_axis(info.height, info.height // height) if exact else resize_axis(info.height, height)
            channels = self.format.channels
            if self.format.has_alpha:
                self._filter = PremultipliedBoxFilter(columns, rows, channels, self._passes, exact, self.meter)
            else:  # the cheaper order of resize's passes, within 1 of Pillow's; Adam7 keeps Pillow's (memory)
                pillow_order = bool(info.interlace)
                self._filter = BoxFilter(columns, rows, channels, self._passes, exact, self.meter, pillow_order)
            self._buffer = bytearray()  # the long row being collected, from pass pixel _buffer_from
            self._buffer_from = 0
            self._next_band = 0
        elif info.interlace:
            self._canvas = Adam7Canvas(width, height, self.format.channels)

    def add_rows(self, pass_index: int, first_row: int, rows: list[bytes]) -> None:
        pass_width = self._passes[pass_index][4]
        pixels = self._expander.expand(rows, pass_width)
        self.meter.spent += CONVERT_US_PER_BYTE * len(pixels)
        if self._filter is not None:
            self._filter_rows(pass_index, first_row, len(rows), pixels)
        elif self._canvas is not None:
            x0, y0, dx, dy, _, _ = self._passes[pass_index]
            self._canvas.place_rows(pixels, x0, dx, y0 + first_row * dy, dy)
        else:
            self._write(pixels)

    def _filter_rows(self, pass_index: int, first_row: int, count: int, pixels: bytes) -> None:
        """Hand whole rows to the box filter band by band, in pieces of a few rows (box.PIECE_LANES)."""
        assert self._filter is not None
        channels = self.format.channels
        bands = self._filter.bands[pass_index]
        line = self._passes[pass_index][4] * channels
        rows_per_piece = max(1, PIECE_LANES // max(1, line))
        for start in range(0, count, rows_per_piece):
            rows = min(rows_per_piece, count - start)
            piece = pixels[start * line : (start + rows) * line]
            for band_index, band in enumerate(bands):
                if len(bands) == 1:
                    band_pixels = piece
                else:
                    a, b = band.pixel_start * channels, (band.pixel_start + band.pixels) * channels
                    band_pixels = b"".join(piece[r * line + a : r * line + b] for r in range(rows))
                self._filter.add_strip(pass_index, first_row + start, band_index, band_pixels, rows)
        self._take_filtered_rows()

    def add_row_piece(self, pass_index: int, row: int, first_pixel: int, pixels: int, piece: bytes) -> None:
        """Collect the pieces of a long row and hand each band to the box filter once it is complete."""
        if self._filter is None:  # a kept-size image has rows of at most 4096 pixels: never in pieces
            raise AssertionError("rows of an image that keeps its size are never handed over in pieces")
        expanded = self._expander.expand([piece], pixels)
        self.meter.spent += CONVERT_US_PER_BYTE * len(expanded)
        channels = self.format.channels
        if first_pixel == 0:
            self._buffer = bytearray()
            self._buffer_from = 0  # the pass pixel at self._buffer[0]
            self._next_band = 0
        self._buffer += expanded
        end = first_pixel + pixels
        bands = self._filter.bands[pass_index]
        while (
            self._next_band < len(bands) and bands[self._next_band].pixel_start + bands[self._next_band].pixels <= end
        ):
            band = bands[self._next_band]
            start = (band.pixel_start - self._buffer_from) * channels
            self._filter.add_strip(
                pass_index, row, self._next_band, bytes(self._buffer[start : start + band.pixels * channels]), 1
            )
            self._next_band += 1
        keep_from = bands[self._next_band].pixel_start if self._next_band < len(bands) else end
        del self._buffer[: (keep_from - self._buffer_from) * channels]
        self._buffer_from = keep_from
        self._take_filtered_rows()

    def _take_filtered_rows(self) -> None:
        assert self._filter is not None
        for row in self._filter.take_rows():
            if self.format.has_alpha:
                row = unpremultiply(row, self.format.channels)
                self.meter.spent += UNPREMULTIPLY_US_PER_PIXEL * len(row) / self.format.channels
            self._write(row)

    def finish(self) -> Iterator[None]:
        if self._canvas is not None:
            pixels = self._canvas.pixels
            line = self.size[0] * self.format.channels
            rows_per_piece = max(1, CANVAS_PIECE_BYTES // line)
            for start in range(0, len(pixels), rows_per_piece * line):
                self._write(bytes(pixels[start : start + rows_per_piece * line]))
                if self.meter.due:
                    yield None
        if self._filter is not None and not self._filter.done:  # pragma: no cover - the walk checks the data
            raise AssertionError("the box filter did not receive every pixel")
        self._pieces.append(self._writer.finish())

    def _write(self, pixels: bytes | bytearray) -> None:
        """Filter and compress whole output rows (keeping any IDAT chunks that are ready)."""
        self.meter.spent += self._writer.us_per_byte * len(pixels)
        self._pieces.append(self._writer.add_rows(pixels))

    def take_output(self) -> bytes:
        """The output made ready since the last call (maybe b"")."""
        out = b"".join(self._pieces)
        self._pieces = []
        return out


def _validated_max_side(max_side: int) -> int:
    low, high = MAX_SIDE_RANGE
    if not low <= max_side <= high:
        raise ValueError(f"max_side must be {low}..{high}, got {max_side}")
    return max_side


class Thumbnail:
    """A thumbnail of a whole PNG in memory, made one bounded step at a time (like grayscale.Conversion):

        job = Thumbnail(data, max_side=256)
        while not job.step():
            await pause()  # let the host's event loop run
        png = job.result()

    Each step() does about grayscale.budget.STEP_BUDGET_US (4 ms) of estimated CPython work."""

    def __init__(
        self,
        data: bytes,
        *,
        max_side: int = DEFAULT_MAX_SIDE,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
        max_dimension: int = DEFAULT_MAX_DIMENSION,
    ) -> None:
        self._meter = WorkMeter()
        self._sink = ThumbnailSink(_validated_max_side(max_side), self._meter)
        limits = Limits(max_pixels, max_decompressed_bytes, max_dimension)
        self._stepper = Stepper(
            walk_png(data, limits, self._sink, SkippingVisitor(self._meter), self._meter), self._meter
        )
        self._output: list[bytes] = []

    @property
    def done(self) -> bool:
        return self._stepper.done

    def step(self) -> bool:
        """Do one bounded step; True once the thumbnail is ready (then call result()). Raises
        InvalidImage for a bad input, after which the job is over."""
        try:
            return self._stepper.step()
        finally:
            piece = self._sink.take_output()
            if piece:
                self._output.append(piece)

    def take_output(self) -> bytes:
        """The output produced since the last call (for thumbnail_steps; result() then has only the rest)."""
        out = b"".join(self._output)
        self._output = []
        return out

    def result(self) -> bytes:
        """The thumbnail PNG (call once step() has returned True; raises the InvalidImage again if a bad
        input ended the job)."""
        self._stepper.check_finished("thumbnail")
        whole = b"".join(self._output)
        self._output = [whole]
        return whole


def thumbnail_steps(
    data: bytes,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> Iterator[bytes]:
    """thumbnail() one bounded step at a time: yields the output made ready during each step (often
    b""); b"".join(pieces) == thumbnail(data, ...)."""
    job = Thumbnail(
        data,
        max_side=max_side,
        max_pixels=max_pixels,
        max_decompressed_bytes=max_decompressed_bytes,
        max_dimension=max_dimension,
    )
    while True:
        finished = job.step()
        yield job.take_output()
        if finished:
            return


def thumbnail(
    data: bytes,
    *,
    max_side: int = DEFAULT_MAX_SIDE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES,
    max_dimension: int = DEFAULT_MAX_DIMENSION,
) -> bytes:
    """An 8-bit PNG thumbnail of a whole PNG in memory: longest side at most max_side (aspect ratio kept,
    never enlarged), colour and alpha kept."""
    job = Thumbnail(
        data,
        max_side=max_side,
        max_pixels=max_pixels,
        max_decompressed_bytes=max_decompressed_bytes,
        max_dimension=max_dimension,
    )
    while not job.step():
        pass
    return job.result()

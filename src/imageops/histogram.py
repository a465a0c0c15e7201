"""The 256-bin luma histogram of every pixel: BT.601 luma exactly as the grayscale core computes it
(its SampleConverter, alpha ignored), counted at C speed. Imports only grayscale and sibling modules."""

from collections.abc import Iterator

from grayscale import PngInfo
from grayscale.budget import CONVERT_US_PER_BYTE, WorkMeter
from grayscale.samples import SampleConverter

from .decoding import ImageHeader

HISTOGRAM_US_PER_BYTE = 0.02  # byte_histogram, measured by bench/imageops_bench.py
_LEAF_VALUES = 16  # value ranges this narrow are counted with bytes.count; wider ones are split in two


# The values of every half range the split below visits, as delete sets for bytes.translate.
_HALVES = {
    (low, low + size): bytes(range(low, low + size)) for size in (128, 64, 32, 16) for low in range(0, 256, size)
}


def byte_histogram(data: bytes | bytearray | memoryview) -> list[int]:
    """How many bytes of `data` have each value 0..255.

    bytes.count scans the data once per value, 256 scans in all; instead the data is split by value
    range (translate with a delete set keeps one half of the range, at C speed), four times, and the
    16 values of each final part are counted there, about 14 scans' worth of work in all. Reference
    twin: imageops_reference.byte_histogram (test_byte_histogram_matches_reference); justified by
    bench/imageops_bench.py's metadata rows (~20 ns per byte against ~30 for collections.Counter)."""
    counts = [0] * 256
    parts: list[tuple[bytes, int, int]] = [(bytes(data), 0, 256)]
    while parts:
        part, low, high = parts.pop()
        size = len(part)
        if not size:
            continue
        if high - low <= _LEAF_VALUES:
            for value in range(low, high - 1):
                counts[value] = part.count(value)
            counts[high - 1] = size - sum(counts[low : high - 1])
            continue
        middle = (low + high) // 2
        parts.append((part.translate(None, _HALVES[(middle, high)]), low, middle))
        parts.append((part.translate(None, _HALVES[(low, middle)]), middle, high))
    return counts


class LumaHistogram:
    """A decoding.RowSink counting the luma of every decoded pixel (all passes of Adam7: order does not
    matter to a histogram)."""

    us_per_decoded_byte = CONVERT_US_PER_BYTE + HISTOGRAM_US_PER_BYTE

    def __init__(self, meter: WorkMeter) -> None:
        self.meter = meter
        self.counts = [0] * 256

    def wants_whole_samples(self, info: PngInfo, transparency: bytes | None) -> bool:
        return False  # luma uses the high byte of 16-bit samples; alpha is ignored

    def begin(self, header: ImageHeader) -> None:
        self._converter = SampleConverter(header.decoded, header.palette, None)
        self._passes = header.info.passes()

    def add_rows(self, pass_index: int, first_row: int, rows: list[bytes]) -> None:
        gray, _ = self._converter.convert(rows, self._passes[pass_index][4])
        self._count(gray, sum(map(len, rows)))

    def add_row_piece(self, pass_index: int, row: int, first_pixel: int, pixels: int, piece: bytes) -> None:
        gray, _ = self._converter.convert([piece], pixels)
        self._count(gray, len(piece))

    def _count(self, gray: bytes, decoded_bytes: int) -> None:
        for value, count in enumerate(byte_histogram(gray)):
            self.counts[value] += count
        self.meter.spent += CONVERT_US_PER_BYTE * decoded_bytes + HISTOGRAM_US_PER_BYTE * len(gray)

    def finish(self) -> Iterator[None]:
        return iter(())

    def summary(self) -> dict[str, object]:
        """{"bins": 256 counts, "pixels", "min", "max", "mean"} (min/max/mean None for no pixels)."""
        pixels = sum(self.counts)
        used = [value for value, count in enumerate(self.counts) if count]
        mean = round(sum(value * count for value, count in enumerate(self.counts)) / pixels, 4) if pixels else None
        return {
            "bins": list(self.counts),
            "pixels": pixels,
            "min": used[0] if used else None,
            "max": used[-1] if used else None,
            "mean": mean,
        }

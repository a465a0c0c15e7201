"""Thumbnail geometry: the target size (Pillow's Image.thumbnail rule), which input pixels each output
pixel averages (Pillow's box partition), and the fixed-point constants of Pillow's reduce() and
resize(BOX) that the box filter reproduces. Pure arithmetic; imports only math and struct."""

import bisect
import math
import struct
from collections.abc import Callable

DEFAULT_MAX_SIDE = 256

# Pillow's resample.c works in fixed point with this many fractional bits (32 - 8 - 2).
RESIZE_PRECISION_BITS = 22
RESIZE_ROUNDING = 1 << (RESIZE_PRECISION_BITS - 1)


def thumbnail_size(width: int, height: int, max_side: int = DEFAULT_MAX_SIDE) -> tuple[int, int]:
    """The size Pillow's Image.thumbnail((max_side, max_side)) gives a width x height image.

    An image whose sides both fit is kept as it is. Otherwise the longer side becomes max_side and the
    other is the floor or the ceiling of max_side times the aspect ratio, whichever gives the aspect
    ratio closer to the original's (the floor on a tie), and at least 1. The comparison is done in
    floating point exactly as Pillow does it, so both agree on every size
    (test_thumbnail_size_matches_pillow)."""
    if width <= max_side and height <= max_side:
        return width, height
    aspect = width / height
    if aspect <= 1:  # portrait or square: the height is the long side
        ideal = max_side * aspect
        return _closest(ideal, lambda n: abs(aspect - n / max_side)), max_side
    ideal = max_side / aspect
    return max_side, _closest(ideal, lambda n: 0.0 if n == 0 else abs(aspect - max_side / n))


def _closest(ideal: float, error: Callable[[int], float]) -> int:
    """floor(ideal) or ceil(ideal), whichever has the smaller error (floor on a tie), at least 1."""
    low, high = math.floor(ideal), math.ceil(ideal)
    return max(low if error(low) <= error(high) else high, 1)


class BoxAxis:
    """How one axis of `in_size` pixels shrinks to `out_size`: output pixel j averages the input pixels
    runs[j] = (start, end), i.e. start..end-1. Runs are in order; for reduce() they partition the axis,
    for resize(BOX) neighbours may share one pixel or leave one out where Pillow's floating-point test
    lands exactly on a boundary (see resize_axis)."""

    __slots__ = ("_ends", "_starts", "in_size", "out_size", "runs")

    def __init__(self, in_size: int, out_size: int, runs: tuple[tuple[int, int], ...]) -> None:
        self.in_size = in_size
        self.out_size = out_size
        self.runs = runs
        self._starts = [start for start, _ in runs]
        self._ends = [end for _, end in runs]

    def length(self, j: int) -> int:
        """How many input pixels output pixel j averages."""
        start, end = self.runs[j]
        return end - start

    def lengths(self) -> set[int]:
        """The distinct run lengths."""
        return {end - start for start, end in self.runs}

    def members(self, x: int) -> range:
        """The output pixels whose runs contain input pixel x (usually one; none or two at a tie)."""
        first = bisect.bisect_right(self._ends, x)
        last = bisect.bisect_right(self._starts, x)
        return range(first, max(first, last))

    def irregular(self) -> list[int]:
        """The input pixels in no run or in two (ties of resize_axis), in order."""
        return [x for j in range(self.out_size - 1) for x in _tie_pixels(self.runs[j][1], self.runs[j + 1][0])]

    @property
    def is_partition(self) -> bool:
        """Whether every input pixel is in exactly one run."""
        return not self.irregular() and self.runs[0][0] == 0 and self.runs[-1][1] == self.in_size


def _tie_pixels(end: int, next_start: int) -> range:
    """Pixels between two runs that are in neither (end < next_start) or in both (next_start < end)."""
    return range(min(end, next_start), max(end, next_start))


def reduce_axis(in_size: int, factor: int) -> BoxAxis:
    """The runs of Pillow's reduce(factor) on an axis that `factor` divides."""
    return BoxAxis(in_size, in_size // factor, tuple((j, j + factor) for j in range(0, in_size, factor)))


def resize_axis(in_size: int, out_size: int) -> BoxAxis:
    """The runs of Pillow's resize(..., BOX) when shrinking (out_size <= in_size).

    Pillow gives input pixel x the weight box((x + 0.5 - center) / scale) for output pixel j, where
    scale = in_size / out_size, center = (j + 0.5) * scale and box(t) = 1 for -0.5 < t <= 0.5, else 0,
    looking only at x in [int(center - scale/2 + 0.5), int(center + scale/2 + 0.5)). So pixel x belongs
    to j when j*scale < x + 0.5 <= (j+1)*scale, up to rounding: where x + 0.5 is exactly a boundary
    the floating-point test can put x in both neighbours or in neither. The runs here come from that
    same test evaluated at the few candidates near each window's ends, so they are Pillow's own,
    ties included (test_resize_axis_matches_pillow_weights)."""
    if not 0 < out_size <= in_size:
        raise ValueError(f"resize_axis shrinks only: {in_size} -> {out_size}")
    scale = in_size / out_size
    support = scale * 0.5
    inverse = 1.0 / scale
    runs = []
    for j in range(out_size):
        center = (j + 0.5) * scale
        window_start = max(int(center - support + 0.5), 0)
        window_end = min(int(center + support + 0.5), in_size)

        def member(x: int, center: float = center) -> bool:
            t = (x - center + 0.5) * inverse  # C's left-to-right order, as Pillow evaluates it
            return -0.5 < t <= 0.5

        start = window_start
        while start < window_end and not member(start):
            start += 1
        end = window_end
        while end > start and not member(end - 1):
            end -= 1
        if end <= start:  # pragma: no cover - a shrinking box always holds at least one pixel
            raise ArithmeticError(f"resize_axis: empty run {in_size} -> {out_size} at {j}")
        runs.append((start, end))
    return BoxAxis(in_size, out_size, tuple(runs))


def reduce_multiplier(area: int) -> int:
    """Pillow's reduce() divides a sum of `area` samples by multiplying with this and shifting right by
    24: floor(2^32 / (256 * area)) computed in single-precision float (so it can be one more than the
    exact floor); value = ((sum + area // 2) * multiplier) >> 24."""
    divisor = _float32(256 * area)
    return int(_float32(2.0**32 / divisor))


def resize_coefficient(run_length: int) -> int:
    """Pillow's resize(BOX) fixed-point weight of each of `run_length` equal weights:
    int(0.5 + (1 / run_length) * 2^22) in double precision; value = clip8((2^21 + k * sum) >> 22)."""
    return int(0.5 + (1.0 / run_length) * float(1 << RESIZE_PRECISION_BITS))


def _float32(value: float) -> float:
    """`value` rounded to IEEE single precision (C's float)."""
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result

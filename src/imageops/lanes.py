"""Rows of samples held as one Python int of fixed-width lanes ("SIMD within a register", as in
grayscale.swar but with lanes of 2, 4 or 8 bytes so that sums of many samples fit): widening bytes into
lanes, running window sums along a row, and gathering chosen lanes. Imports only stdlib.

Lane layout everywhere: lane i is bits [8*w*i, 8*w*(i+1)) of the int for a lane width of w bytes,
i.e. int.from_bytes(..., "little") of the lanes' bytes; `x >> (8*w*k)` moves every lane k lanes down."""

import operator
import sys
from array import array
from collections.abc import Callable, Sequence

_BIG_ENDIAN = sys.byteorder == "big"
LANE_FORMATS = {2: "H", 4: "I", 8: "Q"}  # array typecodes whose item size is the lane width
for _width, _code in LANE_FORMATS.items():
    if array(_code).itemsize != _width:  # pragma: no cover - holds on every CPython and Pyodide platform
        raise ImportError(f"array typecode {_code!r} is not {_width} bytes on this platform")


def lane_width_for(maximum: int) -> int:
    """The narrowest lane width (2, 4 or 8 bytes) that holds values up to `maximum`."""
    for width in (2, 4, 8):
        if maximum < 1 << (8 * width):
            return width
    raise OverflowError(f"no lane width holds {maximum}")


def lane_ones(count: int, width: int) -> int:
    """An int with the value 1 in each of `count` lanes of `width` bytes."""
    return int.from_bytes((b"\x01" + bytes(width - 1)) * count, "little")


def widen(samples: bytes | bytearray | memoryview, width: int) -> int:
    """One lane of `width` bytes per byte of `samples` (a C-speed strided copy and one conversion).
    Reference twin: imageops_reference.lanes_of (test_widen_and_gather_match_reference)."""
    wide = bytearray(len(samples) * width)
    wide[0::width] = samples
    return int.from_bytes(wide, "little")


def window_sums(value: int, length: int, stride_bits: int) -> int:
    """Lane i of the result is the sum of lanes i, i + s, ..., i + (length-1)*s of `value`, where
    s = stride_bits / lane bits (lanes past the top read as 0). Binary doubling: `power` holds windows
    of `span` terms, doubled each round by adding itself shifted by span terms, and the result collects
    the windows of the set bits of `length` at increasing offsets: about 2*log2(length) operations.
    The caller chooses lanes wide enough for the largest window sum, so no carry crosses a lane.
    Reference twin: imageops_reference.window_sums (test_window_sums_match_reference)."""
    result = 0
    offset = 0
    power = value
    span = 1
    remaining = length
    while remaining:
        if remaining & 1:
            result += power >> (offset * stride_bits)
            offset += span
        remaining >>= 1
        if remaining:
            power += power >> (span * stride_bits)
            span *= 2
    return result


class LaneGather:
    """Picks lanes `positions` (in order) out of an int of `width`-byte lanes and packs them into a new
    int of `out_width`-byte lanes. The lanes are read as an array (C speed, by operator.itemgetter)
    rather than by shifting; a position equal to `zero_lane` (one spare lane past the end) reads as 0.
    Reference twin: imageops_reference.gather (test_widen_and_gather_match_reference)."""

    def __init__(self, positions: Sequence[int], lanes: int, width: int, out_width: int) -> None:
        self.lanes = lanes
        self.width = width
        self.out_width = out_width
        self.count = len(positions)
        self.zero_lane = lanes
        self._pick: Callable[[array[int]], tuple[int, ...]] | None = None
        if positions:
            getter = operator.itemgetter(*positions)
            if len(positions) == 1:
                self._pick = lambda view: (getter(view),)
            else:
                self._pick = getter

    def __call__(self, value: int) -> int:
        if self._pick is None:
            return 0
        lanes = array(LANE_FORMATS[self.width])
        lanes.frombytes(value.to_bytes((self.lanes + 1) * self.width, "little"))
        if _BIG_ENDIAN:  # pragma: no cover - arrays hold native-order items
            lanes.byteswap()
        picked = array(LANE_FORMATS[self.out_width], self._pick(lanes))
        if _BIG_ENDIAN:  # pragma: no cover
            picked.byteswap()
        return int.from_bytes(picked.tobytes(), "little")


def lane_bytes(value: int, count: int, width: int, byte: int = 0) -> bytes:
    """Byte `byte` of each of the first `count` lanes of `value` (e.g. the low byte of each lane)."""
    return value.to_bytes(count * width, "little")[byte::width]

"""Bytewise arithmetic on whole rows held as Python ints ("SIMD within a register").
Lane layout everywhere: int.from_bytes(row, "little"), so byte i of the row is lane i (bits 8i..8i+7)
and `x << 8*k` moves every byte k lanes towards the end of the row. Imports nothing."""


class ByteLanes:
    """Lane arithmetic for rows of exactly `n` bytes. The masks are as long as the rows, so they are
    built once by the object that owns rows of this length (an unfilter, a writer) and die with it.
    Reference twins: grayscale_reference.add_bytes / sub_bytes / avg_bytes / unfilter_row(1, ...)
    (tests/unit/grayscale); test_lane_arithmetic_matches_bytewise checks them on edge and random rows."""

    __slots__ = ("high1", "low7", "n")

    def __init__(self, n: int) -> None:
        self.n = n
        # LOW7 = 0x7f7f..7f and HIGH1 = 0x8080..80 over n lanes; they also truncate results to n lanes.
        self.low7 = int.from_bytes(b"\x7f" * n, "little")
        self.high1 = int.from_bytes(b"\x80" * n, "little")

    def add(self, a: int, b: int) -> int:
        """(a + b) mod 256 in each lane. Adding only the low 7 bits of each lane keeps every lane sum
        <= 0xfe, so no carry crosses a lane; the high bits are then added carry-free with XOR.
        Justified by the Up rows of every benchmark image (libpng-rgb-up-*: one add per row)."""
        low7 = self.low7
        return ((a & low7) + (b & low7)) ^ ((a ^ b) & self.high1)

    def sub(self, a: int, b: int) -> int:
        """(a - b) mod 256 in each lane. Setting each lane's high bit of `a` (| HIGH1) and subtracting
        only b's low 7 bits keeps every lane difference >= 1, so no borrow crosses a lane; the high
        bits are then fixed with XOR. Used by the writer's Sub and Average output filters."""
        high1 = self.high1
        return ((a | high1) - (b & self.low7)) ^ ((a ^ ~b) & high1)

    def avg(self, a: int, b: int) -> int:
        """floor((a + b) / 2) in each lane: a&b plus half of a^b, where the shifted a^b has its
        lane-crossing bit masked off (& LOW7), so the sum stays <= 0xff per lane."""
        return (a & b) + (((a ^ b) >> 1) & self.low7)

    def prefix_sum(self, x: int, stride: int) -> int:
        """Running sum mod 256 along the row, lane i += lane i-stride (a Sub-filter decode, spec 9.3):
        Hillis-Steele log-step scan, ceil(log2(n/stride)) add steps with doubling shifts.
        Justified by benchmark row libpng-rgb-sub-2048 (vs ~0.1 us/byte for a byte loop)."""
        n = self.n
        shift = stride
        while shift < n:
            x = self.add(x, x << (8 * shift))
            shift <<= 1
        return x

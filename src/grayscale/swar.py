"""Bytewise arithmetic on whole rows held as Python ints ("SIMD within a register").
Lane layout everywhere: int.from_bytes(row, "little"), so byte i of the row is lane i (bits 8i..8i+7)
and `x << 8*k` moves every byte k lanes towards the end of the row; the Paeth predictor works on
16-bit lanes (a sample in the low byte of each). Imports nothing."""


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


def paeth_lane_constants(lanes: int) -> tuple[int, int, int, int]:
    """(ONES, LOW8, BIAS256, BIAS512): 1, 0xff, 256 and 512 in each of `lanes` 16-bit lanes."""
    ones = int.from_bytes(b"\x01\x00" * lanes, "little")
    return ones, ones * 0xFF, ones << 8, ones << 9


def paeth_predictor_lanes(a: int, b: int, c: int, ones: int, low8: int, bias256: int, bias512: int) -> int:
    """PaethPredictor(a=left, b=up, c=upper-left) of spec 9.4 in every 16-bit lane (values 0..255 in
    the low byte; the result may carry garbage above the last lane, callers mask it off).
    With A = a - c and B = b - c: pa = |B|, pb = |A|, pc = |A + B|. If A and B have the same sign,
    pc >= pa, pb, so the answer is a when |B| <= |A| else b; with opposite signs pc = ||A| - |B||,
    so it is a when 2|B| <= |A|, b when 2|A| <= |B|, else c (a zero A or B gives the same answer
    under either rule). Lanes never borrow: A and B are kept biased by 256 (so in 1..511), |.|
    comes from the bias bit, and each comparison x <= y is bit 9 of y + 512 - x (never negative).
    Reference twin: grayscale_reference.paeth_predictor, checked on all 2^24 neighbourhoods
    (test_paeth_predictor_lanes_all_16_million_neighbourhoods)."""
    xa = a + bias256 - c
    negative_a = ((xa >> 8) & ones) ^ ones
    abs_a = ((xa ^ ((negative_a << 8) - negative_a)) & low8) + negative_a
    xb = b + bias256 - c
    negative_b = ((xb >> 8) & ones) ^ ones
    abs_b = ((xb ^ ((negative_b << 8) - negative_b)) & low8) + negative_b
    same_sign = (ones ^ negative_a ^ negative_b) << 9
    pick_a = ((abs_a + bias512 - abs_b) & (same_sign | (abs_a + bias512 - abs_b - abs_b))) >> 9 & ones
    pick_b = ((same_sign | (abs_b + bias512 - abs_a - abs_a)) >> 9) & ones & ~pick_a
    mask_a = (pick_a << 8) - pick_a  # 0xff where picked: (flag << 8) - flag never borrows
    mask_b = (pick_b << 8) - pick_b
    return c ^ ((a ^ c) & mask_a) ^ ((b ^ c) & mask_b)

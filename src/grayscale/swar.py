"""Bytewise arithmetic on whole rows held as Python ints ("SIMD within a register").
Lane layout everywhere: int.from_bytes(row, "little"), so byte i of the row is lane i (bits 8i..8i+7)
and `x << 8*k` moves every byte k lanes towards the end of the row. Imports only functools."""

from functools import lru_cache


@lru_cache(maxsize=64)
def lane_masks(n: int) -> tuple[int, int]:
    """(LOW7, HIGH1) for n byte lanes: 0x7f7f..7f and 0x8080..80, n bytes long.
    Masks are also what truncates results to n lanes (bits beyond lane n-1 are dropped)."""
    return int.from_bytes(b"\x7f" * n, "little"), int.from_bytes(b"\x80" * n, "little")


def add_lanes(a: int, b: int, n: int) -> int:
    """(a + b) mod 256 in each of n byte lanes. Adding only the low 7 bits of each lane keeps every
    lane sum <= 0xfe, so no carry crosses a lane; the high bits are then added carry-free with XOR."""
    low7, high1 = lane_masks(n)
    return ((a & low7) + (b & low7)) ^ ((a ^ b) & high1)


def sub_lanes(a: int, b: int, n: int) -> int:
    """(a - b) mod 256 in each of n byte lanes. Setting each lane's high bit of `a` (| HIGH1) and
    subtracting only b's low 7 bits keeps every lane difference >= 1, so no borrow crosses a lane;
    the high bits are then fixed with XOR."""
    low7, high1 = lane_masks(n)
    return ((a | high1) - (b & low7)) ^ ((a ^ ~b) & high1)


def avg_lanes(a: int, b: int, n: int) -> int:
    """floor((a + b) / 2) in each of n byte lanes: a&b plus half of a^b, where the shifted a^b has
    its lane-crossing bit masked off (& LOW7), so the sum stays <= 0xff per lane."""
    low7, _ = lane_masks(n)
    return (a & b) + (((a ^ b) >> 1) & low7)


def prefix_sum_lanes(x: int, n: int, stride: int) -> int:
    """Running sum mod 256 along the row, lane i += lane i-stride (a Sub-filter decode, spec 9.3):
    Hillis-Steele log-step scan, ceil(log2(n/stride)) add_lanes steps with doubling shifts."""
    shift = stride
    while shift < n:
        x = add_lanes(x, x << (8 * shift), n)
        shift <<= 1
    return x

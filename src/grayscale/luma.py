"""ITU-R BT.601 luma from 8-bit R, G, B planes, bit-exact with Pillow's convert("L"):
L = (19595*R + 38470*G + 7471*B + 0x8000) >> 16. Imports only functools."""

from functools import lru_cache

WEIGHT_R, WEIGHT_G, WEIGHT_B = 19595, 38470, 7471  # sum 65536: weights 0.299/0.587/0.114 in 16.16 fixed point
ROUNDING = 0x8000


@lru_cache(maxsize=8)
def _rounding_lanes(n: int) -> int:
    """ROUNDING in each of n 24-bit lanes."""
    return int.from_bytes(b"\x00\x80\x00" * n, "little")


def luma(red: bytes, green: bytes, blue: bytes) -> bytes:
    """Luma of n pixels given as three n-byte planes; returns n bytes.
    Lanes: each pixel gets a 24-bit lane (3 bytes, little-endian). The lane total is at most
    65536*255 + 0x8000 < 2^24, so the whole-int multiply-adds never carry across lanes, and
    the result (total >> 16) is simply each lane's top byte."""
    n = len(red)
    spread = bytearray(3 * n)  # zero padding bytes make the 24-bit lanes
    spread[0::3] = red
    total = int.from_bytes(spread, "little") * WEIGHT_R
    spread[0::3] = green
    total += int.from_bytes(spread, "little") * WEIGHT_G
    spread[0::3] = blue
    total += int.from_bytes(spread, "little") * WEIGHT_B
    total += _rounding_lanes(n)
    return total.to_bytes(3 * n, "little")[2::3]

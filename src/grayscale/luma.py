"""ITU-R BT.601 luma from interleaved 8-bit R, G, B samples, bit-exact with Pillow's convert("L"):
L = (19595*R + 38470*G + 7471*B + 0x8000) >> 16. Imports only functools."""

from functools import lru_cache

WEIGHT_R, WEIGHT_G, WEIGHT_B = 19595, 38470, 7471  # sum 65536: weights 0.299/0.587/0.114 in 16.16 fixed point
ROUNDING = 0x8000


@lru_cache(maxsize=16)
def luma_lane_constants(pixel_count: int, pixel_bytes: int) -> tuple[int, int]:
    """(0xff in the low byte of each pixel lane, ROUNDING in each pixel lane)."""
    low_byte = b"\xff" + bytes(pixel_bytes - 1)
    rounding = ROUNDING.to_bytes(pixel_bytes, "little")
    return int.from_bytes(low_byte * pixel_count, "little"), int.from_bytes(rounding * pixel_count, "little")


def luma(pixels: bytes, pixel_bytes: int, green_at: int = 1, blue_at: int = 2) -> bytes:
    """Luma of each pixel of `pixels` (pixel_bytes >= 3 bytes each; R at byte 0, G at byte green_at,
    B at byte blue_at); returns one byte per pixel.
    Lanes: the whole buffer is one little-endian int, each pixel its own lane of pixel_bytes bytes.
    Masking the shifted int with the low-byte mask isolates one channel per lane; the weighted
    total is at most 65536*255 + 0x8000 < 2^24, so it never carries out of a lane of >= 3 bytes,
    and the result (total >> 16) is simply byte 2 of each lane."""
    count = len(pixels) // pixel_bytes
    low_byte, rounding = luma_lane_constants(count, pixel_bytes)
    value = int.from_bytes(pixels, "little")
    total = (value & low_byte) * WEIGHT_R
    total += ((value >> (8 * green_at)) & low_byte) * WEIGHT_G
    total += ((value >> (8 * blue_at)) & low_byte) * WEIGHT_B
    total += rounding
    return total.to_bytes(count * pixel_bytes, "little")[2::pixel_bytes]

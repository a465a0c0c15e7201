"""ITU-R BT.601 luma from interleaved 8-bit R, G, B samples, bit-exact with Pillow's convert("L"):
L = (19595*R + 38470*G + 7471*B + 0x8000) >> 16. Imports nothing."""

WEIGHT_R, WEIGHT_G, WEIGHT_B = 19595, 38470, 7471  # sum 65536: weights 0.299/0.587/0.114 in 16.16 fixed point
ROUNDING = 0x8000


class Luma:
    """Luma of pixels laid out `pixel_bytes` >= 3 bytes each, R at byte 0, G at byte green_at, B at
    byte blue_at. Its lane constants are as long as the strips it converts, so they belong to the
    instance (one per conversion) and are rebuilt only when a strip is longer than any before.
    Reference twin: grayscale_reference.luma (test_luma_matches_reference, test_luma_exhaustive_extremes).
    Justified by every RGB/RGBA benchmark row (pillow-rgb-4096: the per-pixel loop it replaces
    costs ~0.3 us/pixel, this ~0.013)."""

    __slots__ = ("_blue_shift", "_constants", "_count", "_green_shift", "_pixel_bytes")

    def __init__(self, pixel_bytes: int, green_at: int = 1, blue_at: int = 2) -> None:
        self._pixel_bytes = pixel_bytes
        self._green_shift = 8 * green_at
        self._blue_shift = 8 * blue_at
        self._count = -1
        self._constants = (0, 0)

    def _lane_constants(self, count: int) -> tuple[int, int]:
        """(0xff in the low byte of each pixel lane, ROUNDING in each pixel lane) for `count` pixels.
        Built for the longest strip so far; a shorter strip (the last one, or a strip whose repeated
        rows were left out) takes their low end, one mask operation instead of a rebuild."""
        if count > self._count:
            low_byte = b"\xff" + bytes(self._pixel_bytes - 1)
            rounding = ROUNDING.to_bytes(self._pixel_bytes, "little")
            self._constants = (
                int.from_bytes(low_byte * count, "little"),
                int.from_bytes(rounding * count, "little"),
            )
            self._count = count
        if count == self._count:
            return self._constants
        keep = (1 << (8 * self._pixel_bytes * count)) - 1
        low_bytes, roundings = self._constants
        return low_bytes & keep, roundings & keep

    def __call__(self, pixels: bytes) -> bytes:
        """One luma byte per pixel of `pixels`.
        Lanes: the whole buffer is one little-endian int, each pixel its own lane of pixel_bytes bytes.
        Masking the shifted int with the low-byte mask isolates one channel per lane; the weighted
        total is at most 65536*255 + 0x8000 < 2^24, so it never carries out of a lane of >= 3 bytes,
        and the result (total >> 16) is simply byte 2 of each lane."""
        pixel_bytes = self._pixel_bytes
        count = len(pixels) // pixel_bytes
        low_byte, rounding = self._lane_constants(count)
        value = int.from_bytes(pixels, "little")
        total = (value & low_byte) * WEIGHT_R
        total += ((value >> self._green_shift) & low_byte) * WEIGHT_G
        total += ((value >> self._blue_shift) & low_byte) * WEIGHT_B
        total += rounding
        return total.to_bytes(count * pixel_bytes, "little")[2::pixel_bytes]

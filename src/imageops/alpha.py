"""Premultiplied alpha exactly as Pillow does it around reduce() and resize(): colour samples become
round(c * a / 255) before averaging (Pillow's MULDIV255), and the averages are divided back by the
averaged alpha afterwards (255 * c // a, clipped; alpha 0 and 255 leave c as it is).
Imports only stdlib and .lanes."""

from .lanes import lane_ones


class Premultiplier:
    """Premultiplies rows of `pixels` pixels, each `channels` lanes of `width` >= 2 bytes with alpha in
    the last lane (gray+alpha or RGBA, as widened by lanes.widen), all rows of one strip at once.

    Lanes: c * a needs 16 bits, so lanes are at least 2 bytes; no lane-wise multiply exists for big
    ints, so the product is built from alpha's bit planes: for each bit b, (A & bit b) * 255 is
    0xff << b in the lanes whose alpha has bit b, and ANDing it with the colour shifted left by b adds
    c * 2^b there. The sum c * a <= 65025 never carries out of a lane. MULDIV255 then runs lane-wise:
    t = x + 128; (t + (t >> 8)) >> 8, masking off what the shifts pull in from the next lane.
    Reference twin: imageops_reference.premultiply (test_premultiply_matches_reference, exhaustive
    over every (c, a) pair); justified by bench/imageops_bench.py's RGBA rows (a per-sample loop
    costs ~0.15 us/sample, this ~0.01)."""

    def __init__(self, channels: int, width: int) -> None:
        if width < 2 or channels < 2:
            raise ValueError("premultiplying needs an alpha lane and lanes of at least 2 bytes")
        self.channels = channels
        self.width = width
        self._lane_bits = 8 * width
        self._pixels = -1
        self._masks: tuple[list[int], int, int, int] = ([], 0, 0, 0)

    def _constants(self, pixels: int) -> tuple[list[int], int, int, int]:
        """For `pixels` pixels: 2^b in each colour lane for b = 0..7, 1 in each alpha lane, 128 in each
        colour lane and 0xff in each colour lane."""
        if pixels != self._pixels:
            ones = lane_ones(pixels * self.channels, self.width)
            alpha_ones = lane_ones(pixels, self.width * self.channels) << (self._lane_bits * (self.channels - 1))
            colour_ones = ones - alpha_ones
            bits = [colour_ones << bit for bit in range(8)]
            self._masks = (bits, alpha_ones, colour_ones << 7, colour_ones * 0xFF)
            self._pixels = pixels
        return self._masks

    def __call__(self, lanes: int, pixels: int) -> int:
        """`lanes` (one strip, `pixels` pixels) with every colour sample premultiplied by its alpha."""
        bits, alpha_ones, half, colour_low_byte = self._constants(pixels)
        alpha_lanes = lanes & (alpha_ones * 0xFF)
        shifted = lanes ^ alpha_lanes  # the colour lanes, shifted left one bit per round below
        # Alpha copied into every colour lane of its pixel.
        alpha = alpha_lanes >> self._lane_bits
        spread = alpha
        for _ in range(self.channels - 2):
            alpha >>= self._lane_bits
            spread |= alpha
        product = shifted & ((spread & bits[0]) * 0xFF)
        for bit in range(1, 8):
            shifted <<= 1
            product += shifted & ((spread & bits[bit]) * 0xFF)
        rounded = product + half
        rounded += (rounded >> 8) & colour_low_byte
        return ((rounded >> 8) & colour_low_byte) | alpha_lanes


def unpremultiply(pixels: bytes | bytearray, channels: int) -> bytes:
    """8-bit premultiplied pixels (alpha last of `channels`) back to straight alpha, as Pillow's
    RGBa -> RGBA and La -> LA conversions: c = min(255, 255 * c // a) unless a is 0 or 255.
    Runs on output pixels only (a thumbnail's worth), one table lookup per sample.
    Reference twin: imageops_reference.unpremultiply (test_unpremultiply_matches_reference)."""
    out = bytearray(pixels)
    alpha_at = channels - 1
    for start in range(0, len(out), channels):
        alpha = out[start + alpha_at]
        if 0 < alpha < 255:
            row = _UNPREMULTIPLY[alpha]
            for k in range(start, start + alpha_at):
                out[k] = row[out[k]]
    return bytes(out)


# _UNPREMULTIPLY[a][c] = min(255, 255 * c // a) for 0 < a < 255.
_UNPREMULTIPLY = [b""] + [bytes(min(255, 255 * c // a) for c in range(256)) for a in range(1, 255)] + [b""]

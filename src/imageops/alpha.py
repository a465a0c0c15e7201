"""Premultiplied alpha exactly as Pillow does it around reduce() and resize(): colour samples become
round(c * a / 255) before averaging (Pillow's MULDIV255), and the averages are divided back by the
averaged alpha afterwards (255 * c // a, clipped; alpha 0 and 255 leave c as it is).
Imports only stdlib and .lanes."""

from .lanes import lane_ones


class SplitPremultiplier:
    """Splits strips of 8-bit pixels with alpha last (gray+alpha or RGBA: `channels` 2 or 4) into two
    planes of 16-bit lanes, the even samples and the odd ones, and premultiplies their colour samples
    by alpha: round(c * a / 255) exactly as Pillow's MULDIV255.

    Lanes: one int of the strip's bytes gives both planes with a mask and a shift (no copy); each pixel
    has h = channels / 2 lanes in each plane, and alpha is the odd plane's last lane. c * a needs 16
    bits, the lane width. No lane-wise multiply exists for big ints, so the product is built from
    alpha's bit planes: for each bit b, (alpha spread over the pixel's lanes & 2^b) * 0xff is 0xff << b
    where alpha has bit b, and ANDed with the colour shifted left by b it adds c * 2^b there; the sum
    c * a <= 65025 never carries out of a lane. MULDIV255 then runs lane-wise: t = x + 128;
    (t + (t >> 8)) >> 8, masking off what the shifts pull in from the next lane.
    Reference twin: imageops_reference.premultiply (test_premultiply_matches_reference_on_every_pair);
    justified by bench/imageops_bench.py's RGBA rows (a per-sample loop costs
    ~0.15 us per sample, this ~0.01; the split saves a widening copy and the alpha lanes' share of
    every operation against premultiplying whole pixels)."""

    def __init__(self, channels: int) -> None:
        if channels not in (2, 4):
            raise ValueError("premultiplying needs gray+alpha or RGBA pixels")
        self.channels = channels
        self._lanes_per_pixel = channels // 2
        self._pixels = -1
        self._constants: tuple[int, int, list[int], int] = (0, 0, [], 0)

    def _masks(self, pixels: int) -> tuple[int, int, list[int], int]:
        """For `pixels` pixels: 0xff in every lane, 0xffff in each alpha lane, 2^b in every lane for
        b = 0..7, and 128 in every lane."""
        if pixels != self._pixels:
            lanes = pixels * self._lanes_per_pixel
            ones = lane_ones(lanes, 2)
            alpha_ones = lane_ones(pixels, 2 * self._lanes_per_pixel) << (16 * (self._lanes_per_pixel - 1))
            self._constants = (ones * 0xFF, alpha_ones * 0xFFFF, [ones << bit for bit in range(8)], ones << 7)
            self._pixels = pixels
        return self._constants

    def __call__(self, pixels: bytes | bytearray, count: int) -> tuple[int, int]:
        """(even plane, odd plane) of `count` pixels, colour premultiplied, lanes of 2 bytes."""
        low_bytes, alpha_mask, bits, half = self._masks(count)
        value = int.from_bytes(pixels, "little")
        even = value & low_bytes
        odd = (value >> 8) & low_bytes
        alpha = odd & alpha_mask
        odd ^= alpha
        spread = alpha
        if self._lanes_per_pixel == 2:
            spread |= alpha >> 16
        product_even = even & ((spread & bits[0]) * 0xFF)
        product_odd = odd & ((spread & bits[0]) * 0xFF)
        for bit in range(1, 8):
            mask = (spread & bits[bit]) * 0xFF
            even <<= 1
            odd <<= 1
            product_even += even & mask
            product_odd += odd & mask
        return _muldiv_rounding(product_even, half, low_bytes), _muldiv_rounding(product_odd, half, low_bytes) | alpha


def _muldiv_rounding(product: int, half: int, low_bytes: int) -> int:
    """(x + 128 + ((x + 128) >> 8)) >> 8 in every 16-bit lane of `product` (x <= 65025)."""
    rounded = product + half
    rounded += (rounded >> 8) & low_bytes
    return (rounded >> 8) & low_bytes


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

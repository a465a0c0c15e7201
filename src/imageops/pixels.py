"""Decoded scanlines of any colour type and bit depth -> 8-bit interleaved pixels that keep the
image's colour and transparency: gray, gray+alpha, RGB or RGBA. Palettes become RGB (RGBA with
tRNS), a tRNS colour key becomes an alpha channel, 16-bit samples keep their high byte and lower
depths are scaled by bit replication (spec 13.12), as in the grayscale core.
Imports only dataclasses, grayscale's PngInfo, InvalidImage and samples.transparency_key."""

from collections.abc import Callable
from dataclasses import dataclass

from grayscale import InvalidImage, PngInfo
from grayscale.samples import transparency_key


@dataclass(frozen=True, slots=True)
class PixelFormat:
    """An 8-bit output pixel layout: its PNG colour type, samples per pixel and whether the last one is
    alpha."""

    color_type: int
    channels: int

    @property
    def has_alpha(self) -> bool:
        return self.color_type in (4, 6)


GRAY = PixelFormat(0, 1)
GRAY_ALPHA = PixelFormat(4, 2)
RGB = PixelFormat(2, 3)
RGBA = PixelFormat(6, 4)


def output_format(color_type: int, has_transparency: bool) -> PixelFormat:
    """The 8-bit format that keeps an image's colour and transparency (palette -> RGB/RGBA,
    tRNS -> an alpha channel)."""
    if color_type in (0, 4):
        return GRAY_ALPHA if color_type == 4 or has_transparency else GRAY
    return RGBA if color_type == 6 or has_transparency else RGB


def unpack_table(bit_depth: int, value_of: Callable[[int], int]) -> list[bytes]:
    """For each packed byte, the bytes value_of(sample) of its 8 / bit_depth samples, leftmost first
    (spec 7.2: the leftmost pixel is in the high-order bits)."""
    per_byte = 8 // bit_depth
    mask = (1 << bit_depth) - 1
    return [bytes(value_of((byte >> (8 - bit_depth * (k + 1))) & mask) for k in range(per_byte)) for byte in range(256)]


def unpack(rows: list[bytes], width: int, table: list[bytes]) -> bytes:
    """Each row's packed samples through `table`, without the padding samples ending each row (a C-speed
    map over the row's bytes instead of a shift per sample). Reference twin:
    imageops_reference.unpack_samples (test_unpack_matches_reference)."""
    lookup = table.__getitem__
    return b"".join([b"".join(map(lookup, row))[:width] for row in rows])


def alpha_where_key(samples: bytes, sample_bytes: int, key: bytes) -> bytes:
    """0 where a pixel's `sample_bytes` bytes equal `key`, else 255 (tRNS for colour types 0 and 2, spec
    11.3.2.1). Each byte position gives a 0/1 flag per pixel (a translate); the flags are ANDed as
    big ints, one byte per pixel, so no lane ever holds more than 1. Reference twin:
    imageops_reference.alpha_where_key (test_alpha_where_key_matches_reference)."""
    pixels = len(samples) // sample_bytes
    matches = -1
    for k in range(sample_bytes):
        flag_table = bytes(1 if value == key[k] else 0 for value in range(256))
        matches &= int.from_bytes(samples[k::sample_bytes].translate(flag_table), "little")
    return matches.to_bytes(pixels, "little").translate(_FLAG_TO_ALPHA)


_FLAG_TO_ALPHA = bytes([255, 0]) + bytes(254)


def interleave(planes: list[bytes], count: int) -> bytes:
    """Planes of `count` samples each, interleaved into pixels (strided copies, C speed)."""
    if len(planes) == 1:
        return planes[0]
    step = len(planes)
    out = bytearray(step * count)
    for k, plane in enumerate(planes):
        out[k::step] = plane
    return bytes(out)


class PixelExpander:
    """Turns strips of decoded rows (all of one width) into 8-bit pixels of `format`. `info` describes
    the rows as decoded: bit depth 8 for 16-bit images decoded by their high bytes only, which is
    what the decoder does unless a tRNS colour key needs the whole samples."""

    def __init__(self, info: PngInfo, palette: bytes | None, transparency: bytes | None) -> None:
        self.info = info
        self.format = output_format(info.color_type, transparency is not None)
        self._key = transparency_key(info, transparency) if info.color_type in (0, 2) and transparency else None
        self._has_key = transparency is not None and info.color_type in (0, 2)
        expanders: dict[int, Callable[[list[bytes], int], bytes]] = {
            0: self._gray,
            2: self._truecolour,
            3: self._indexed,
            4: self._with_alpha,
            6: self._with_alpha,
        }
        self.expand: Callable[[list[bytes], int], bytes] = expanders[info.color_type]
        if info.bit_depth < 8:
            self._raw_table = unpack_table(info.bit_depth, lambda v: v)
            if info.color_type == 0:
                scale = 255 // ((1 << info.bit_depth) - 1)
                self._gray_table = unpack_table(info.bit_depth, lambda v: v * scale)
        if info.color_type == 3:
            if palette is None:  # the decoder refuses colour type 3 without PLTE before this
                raise InvalidImage("missing_palette", "a palette image (colour type 3) needs a PLTE chunk")
            entries = len(palette) // 3
            # Indices past the palette decode as black, opaque (as Pillow and libpng do).
            self._palette_planes = [palette[k::3] + bytes(256 - entries) for k in range(3)]
            alphas = transparency or b""
            self._palette_alpha = alphas + b"\xff" * (256 - len(alphas)) if transparency is not None else None

    def _key_alpha(self, samples: bytes, sample_bytes: int) -> bytes:
        if self._key is None:  # a key no sample can match: every pixel is opaque
            return b"\xff" * (len(samples) // sample_bytes)
        return alpha_where_key(samples, sample_bytes, self._key)

    def _gray(self, rows: list[bytes], width: int) -> bytes:
        depth = self.info.bit_depth
        if depth < 8:
            gray = unpack(rows, width, self._gray_table)
            if not self._has_key:
                return gray
            return interleave([gray, self._key_alpha(unpack(rows, width, self._raw_table), 1)], len(gray))
        strip = b"".join(rows)
        if depth == 8:
            if not self._has_key:
                return strip
            return interleave([strip, self._key_alpha(strip, 1)], len(strip))
        gray = strip[0::2]  # whole 16-bit samples are only decoded for a colour key
        return interleave([gray, self._key_alpha(strip, 2)], len(gray))

    def _truecolour(self, rows: list[bytes], width: int) -> bytes:
        strip = b"".join(rows)
        if not self._has_key:
            return strip
        sample_bytes = 3 if self.info.bit_depth == 8 else 6
        rgb = strip if self.info.bit_depth == 8 else strip[0::2]
        count = len(rgb) // 3
        return interleave([rgb[0::3], rgb[1::3], rgb[2::3], self._key_alpha(strip, sample_bytes)], count)

    def _indexed(self, rows: list[bytes], width: int) -> bytes:
        indices = unpack(rows, width, self._raw_table) if self.info.bit_depth < 8 else b"".join(rows)
        planes = [indices.translate(plane) for plane in self._palette_planes]
        if self._palette_alpha is not None:
            planes.append(indices.translate(self._palette_alpha))
        return interleave(planes, len(indices))

    def _with_alpha(self, rows: list[bytes], width: int) -> bytes:
        return b"".join(rows)  # 16-bit images arrive as their high bytes

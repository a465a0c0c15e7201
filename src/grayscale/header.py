"""IHDR parsing and validation, image geometry, and probe(); knows nothing about pixels.
Imports only struct, zlib (crc32), dataclasses and .errors."""

import struct
import zlib
from dataclasses import dataclass

from .errors import InvalidImage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK_LENGTH = 2**31 - 1  # PNG spec 5.3: chunk lengths are limited to 2^31-1

# PNG spec 11.2.2, table 11.1: the bit depths each colour type allows.
ALLOWED_BIT_DEPTHS = {
    0: (1, 2, 4, 8, 16),  # greyscale
    2: (8, 16),  # truecolour
    3: (1, 2, 4, 8),  # indexed-colour
    4: (8, 16),  # greyscale with alpha
    6: (8, 16),  # truecolour with alpha
}
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

# PNG spec 8.2: Adam7 passes as (x0, y0, dx, dy).
ADAM7_PASSES = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


@dataclass(frozen=True, slots=True)
class PngInfo:
    """What IHDR says. `has_alpha` covers colour types 4 and 6 only: a tRNS chunk (which
    also makes convert() emit an alpha channel) comes after IHDR, so probe() cannot see it."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlace: int

    @property
    def has_alpha(self) -> bool:
        """True for colour types 4 and 6 (see the class docstring about tRNS)."""
        return self.color_type in (4, 6)

    @property
    def channels(self) -> int:
        """Samples per pixel (spec 7.1); a palette index counts as one."""
        return CHANNELS[self.color_type]

    @property
    def filter_bpp(self) -> int:
        """Bytes per complete pixel, at least 1: the filters' left-neighbour distance (spec 9.2)."""
        return max(1, self.channels * self.bit_depth // 8)

    def row_bytes(self, width: int) -> int:
        """Bytes of one scanline of `width` pixels, without its filter byte (spec 7.2)."""
        return (width * self.channels * self.bit_depth + 7) // 8

    def passes(self) -> list[tuple[int, int, int, int, int, int]]:
        """Sub-images in data order as (x0, y0, dx, dy, width, height); one for non-interlaced."""
        if self.interlace == 0:
            return [(0, 0, 1, 1, self.width, self.height)]
        result = []
        for x0, y0, dx, dy in ADAM7_PASSES:
            pass_width = (self.width - x0 + dx - 1) // dx if self.width > x0 else 0
            pass_height = (self.height - y0 + dy - 1) // dy if self.height > y0 else 0
            if pass_width and pass_height:  # spec 8.2: empty passes contribute no bytes at all
                result.append((x0, y0, dx, dy, pass_width, pass_height))
        return result

    def raw_data_size(self) -> int:
        """Exact size of the inflated image data: every scanline plus its filter byte."""
        return sum((1 + self.row_bytes(w)) * h for _, _, _, _, w, h in self.passes())


def parse_ihdr(payload: bytes) -> PngInfo:
    """Validate an IHDR payload (spec 11.2.2) and return it as PngInfo."""
    if len(payload) != 13:
        raise InvalidImage("bad_header", f"IHDR must be 13 bytes long, found {len(payload)}")
    width, height, bit_depth, color_type, compression, filter_method, interlace = struct.unpack(">IIBBBBB", payload)
    if not (0 < width <= MAX_CHUNK_LENGTH and 0 < height <= MAX_CHUNK_LENGTH):
        raise InvalidImage("bad_header", f"image size {width}x{height} is invalid: each side must be 1..2^31-1")
    if color_type not in ALLOWED_BIT_DEPTHS:
        raise InvalidImage("bad_header", f"colour type {color_type} is not one of 0, 2, 3, 4, 6")
    if bit_depth not in ALLOWED_BIT_DEPTHS[color_type]:
        raise InvalidImage(
            "bad_header",
            f"bit depth {bit_depth} is not allowed for colour type {color_type} "
            f"(allowed: {ALLOWED_BIT_DEPTHS[color_type]})",
        )
    if compression != 0:
        raise InvalidImage("bad_header", f"compression method {compression} is unknown (only 0 exists)")
    if filter_method != 0:
        raise InvalidImage("bad_header", f"filter method {filter_method} is unknown (only 0 exists)")
    if interlace not in (0, 1):
        raise InvalidImage("bad_header", f"interlace method {interlace} is unknown (only 0 and 1 exist)")
    return PngInfo(width, height, bit_depth, color_type, interlace)


def check_signature(head: bytes) -> None:
    """Raise not_png unless `head` (up to 8 bytes) matches the signature; truncated if it is a short prefix."""
    if head[:8] != PNG_SIGNATURE[: len(head)] or not head:
        raise InvalidImage("not_png", "the data is not a PNG image (bad signature)")
    if len(head) < 8:
        raise InvalidImage("truncated", "the file ends inside the PNG signature")


def probe(data: bytes) -> PngInfo:
    """Read only the signature and IHDR (the first 33 bytes) and return PngInfo without decoding."""
    head = bytes(data[:33])
    check_signature(head[:8])
    if len(head) < 33:
        raise InvalidImage("truncated", f"a PNG needs at least 33 bytes for its header, got {len(head)}")
    length, chunk_type = struct.unpack(">I4s", head[8:16])
    if chunk_type != b"IHDR":
        raise InvalidImage("chunk_order", f"the first chunk must be IHDR, found {chunk_type!r}")
    if length != 13:
        raise InvalidImage("bad_header", f"IHDR must be 13 bytes long, found {length}")
    (crc,) = struct.unpack(">I", head[29:33])
    if zlib.crc32(head[12:29]) != crc:
        raise InvalidImage("crc_mismatch", "the IHDR chunk's CRC does not match its contents")
    return parse_ihdr(head[16:29])

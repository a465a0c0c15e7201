"""Test images made on the fly with Pillow (the oracle) and by hand for corrupt cases."""

import io
import random
import struct
import zlib

from PIL import Image


def photo_like(width: int, height: int, mode: str = "RGB", seed: int = 1) -> bytes:
    """A deterministic gradient-plus-noise image encoded by Pillow."""
    rng = random.Random(seed)
    channels = len(mode)
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            base = (x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256, 255 - x % 256)
            pixels.extend(min(255, max(0, base[c] + rng.randint(-20, 20))) for c in range(channels))
    image = Image.frombytes(mode, (width, height), bytes(pixels))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_corrupt_data(width: int = 16, height: int = 16) -> bytes:
    """Valid signature and IHDR (passes upload validation) but image data that is not zlib."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"this is not zlib data") + chunk(b"IEND", b"")


def luma_of(png: bytes) -> bytes:
    """Pillow's convert("L") of an image: the reference grayscale pixels."""
    return Image.open(io.BytesIO(png)).convert("L").tobytes()


def large_photo(width: int, height: int) -> bytes:
    """A large photo-like RGB image built with Pillow's C operations (gradients and noise)."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 48)
    blue = Image.blend(red.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.5)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, format="PNG")
    return out.getvalue()

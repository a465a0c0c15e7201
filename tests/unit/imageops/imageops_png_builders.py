"""Test-only PNG writing: any colour type, bit depth and interlace method from plain sample values, with
extra chunks placed anywhere; and photo-like test images drawn with Pillow."""

import random
import struct
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFilter

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def chunk(chunk_type: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", zlib.crc32(chunk_type + payload))


def ihdr(width: int, height: int, bit_depth: int, color_type: int, interlace: int = 0) -> bytes:
    return struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)


def _row_bytes(samples: list[int], bit_depth: int) -> bytes:
    if bit_depth == 16:
        return b"".join(v.to_bytes(2, "big") for v in samples)
    if bit_depth == 8:
        return bytes(samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i : i + per_byte]
        for k, value in enumerate(group):
            byte |= value << (8 - bit_depth * (k + 1))
        out.append(byte)
    return bytes(out)


def encode(
    samples: list[int],
    width: int,
    height: int,
    color_type: int,
    bit_depth: int = 8,
    *,
    interlace: int = 0,
    palette: bytes | None = None,
    transparency: bytes | None = None,
    before: tuple[tuple[bytes, bytes], ...] = (),
    after: tuple[tuple[bytes, bytes], ...] = (),
    sub_filter_every: int = 0,
    idat_pieces: int = 1,
) -> bytes:
    """A PNG of `samples` (row-major, CHANNELS[color_type] per pixel, values at `bit_depth`).
    sub_filter_every: every n-th scanline uses the Sub filter (else None) to vary the data."""
    channels = CHANNELS[color_type]
    raw = bytearray()
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    row_index = 0
    for x0, y0, dx, dy in passes:
        columns = range(x0, width, dx)
        if not columns:
            continue
        for y in range(y0, height, dy):
            pass_samples = [samples[(y * width + x) * channels + k] for x in columns for k in range(channels)]
            line = _row_bytes(pass_samples, bit_depth)
            if sub_filter_every and row_index % sub_filter_every == 0:
                bpp = max(1, channels * bit_depth // 8)
                filtered = bytes((line[i] - (line[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(line)))
                raw += b"\x01" + filtered
            else:
                raw += b"\x00" + line
            row_index += 1
    data = zlib.compress(bytes(raw), 6)
    step = max(1, -(-len(data) // idat_pieces))
    chunks = [chunk(b"IHDR", ihdr(width, height, bit_depth, color_type, interlace))]
    chunks += [chunk(t, p) for t, p in before]
    if palette is not None:
        chunks.append(chunk(b"PLTE", palette))
    if transparency is not None:
        chunks.append(chunk(b"tRNS", transparency))
    chunks += [chunk(b"IDAT", data[i : i + step]) for i in range(0, len(data), step)]
    chunks += [chunk(t, p) for t, p in after]
    chunks.append(chunk(b"IEND", b""))
    return SIGNATURE + b"".join(chunks)


def encode_image(image: Image.Image, interlace: int = 0, sub_filter_every: int = 0) -> bytes:
    """A Pillow image (L, LA, RGB, RGBA) as an 8-bit PNG written by `encode` (so Adam7 is possible)."""
    color_type = {"L": 0, "LA": 4, "RGB": 2, "RGBA": 6}[image.mode]
    samples = list(image.tobytes())
    return encode(
        samples, image.width, image.height, color_type, interlace=interlace, sub_filter_every=sub_filter_every
    )


def photo(width: int, height: int, mode: str, seed: int) -> Image.Image:
    """A photo-like image: gradients, soft shapes, a little noise; alpha a radial gradient plus noise."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize((width, height))
    channels = [ImageChops.add(base, Image.radial_gradient("L").resize((width, height)), scale=2.0) for _ in range(3)]
    image = Image.merge(
        "RGB", [c.rotate(90 * k, expand=False) if width == height else c for k, c in enumerate(channels)]
    )
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(1, max(2, min(width, height) // 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(1))
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).point(lambda v: v >> 4)
    image = ImageChops.add(image, noise)
    alpha = ImageChops.add(
        Image.radial_gradient("L").resize((width, height)),
        Image.frombytes("L", (width, height), rng.randbytes(width * height)).point(lambda v: v >> 3),
    )
    if mode == "RGB":
        return image
    if mode == "RGBA":
        image.putalpha(alpha)
        return image
    if mode == "L":
        return image.convert("L")
    if mode == "LA":
        return Image.merge("LA", (image.convert("L"), alpha))
    if mode == "P":
        return image.quantize(64)
    raise ValueError(mode)

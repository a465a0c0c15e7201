"""Deterministic test images for the load and responsiveness tools: a mix of PNG kinds (written by
Pillow, and by pypng for what Pillow cannot write: 16-bit colour, Adam7 interlacing) and one large
photo-like image. Tool-only: uses Pillow and pypng (dev dependencies)."""

import io
import random
from dataclasses import dataclass
from pathlib import Path

import png  # type: ignore[import-untyped]  # pypng
from PIL import Image, ImageChops, ImageDraw

CACHE_DIR = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class TestImage:
    name: str
    data: bytes
    width: int
    height: int

    @property
    def expected_gray(self) -> bytes:
        """Pillow's convert("L") of the image: what the result's gray channel must equal."""
        return Image.open(io.BytesIO(self.data)).convert("L").tobytes()


def _base(width: int, height: int, seed: int) -> Image.Image:
    """Rotated gradients per channel, a few flat shapes and a little noise (RGB)."""
    rng = random.Random(seed)
    channels = [
        Image.linear_gradient("L")
        .rotate(rng.uniform(0, 360), resample=Image.Resampling.BICUBIC)
        .resize((width, height))
        for _ in range(3)
    ]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(2, max(3, min(width, height) // 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).point(lambda v: v >> 5)
    return ImageChops.add(image, noise)


def _pillow(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **options)
    return out.getvalue()


def _pypng(image: Image.Image, *, bitdepth: int = 8, interlace: bool = False) -> bytes:
    """RGB through pypng: 16-bit samples repeat the 8-bit value (v * 257), so the high byte is v."""
    width, height = image.size
    raw = image.tobytes()
    scale = 257 if bitdepth == 16 else 1
    rows = [[v * scale for v in raw[y * width * 3 : (y + 1) * width * 3]] for y in range(height)]
    out = io.BytesIO()
    png.Writer(width, height, greyscale=False, bitdepth=bitdepth, interlace=interlace).write(out, rows)
    return out.getvalue()


KINDS = ("rgb", "rgba", "gray", "gray_alpha", "palette", "palette_trns", "bilevel", "rgb16", "rgb_interlaced")


def make_image(kind: str, width: int, height: int, seed: int) -> TestImage:
    """One image of a kind in KINDS."""
    base = _base(width, height, seed)
    alpha = Image.radial_gradient("L").resize((width, height))
    encoders = {
        "rgb": lambda: _pillow(base),
        "rgba": lambda: _pillow(Image.merge("RGBA", (*base.split(), alpha))),
        "gray": lambda: _pillow(base.convert("L")),
        "gray_alpha": lambda: _pillow(Image.merge("LA", (base.convert("L"), alpha))),
        "palette": lambda: _pillow(base.quantize(64)),
        "palette_trns": lambda: _pillow(base.quantize(64), transparency=3),
        "bilevel": lambda: _pillow(base.convert("1")),
        "rgb16": lambda: _pypng(base, bitdepth=16),
        "rgb_interlaced": lambda: _pypng(base, interlace=True),
    }
    return TestImage(f"{kind}-{width}x{height}", encoders[kind](), width, height)


def image_mix(count: int, *, seed: int = 20260601, max_side: int = 1024) -> list[TestImage]:
    """`count` images cycling through KINDS, with sides from 16 px to `max_side`."""
    rng = random.Random(seed)
    sides = [16, 64, 200, 512, max_side]
    images = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        width, height = rng.choice(sides), rng.choice(sides)
        images.append(make_image(kind, width, height, seed + i))
    return images


def large_photo(width: int = 8000, height: int = 5000, *, seed: int = 7) -> TestImage:
    """A photo-like RGB image (40 MP by default) that stays under the 20 MiB upload limit: light
    noise over the top 60 % of the rows, smooth gradients below. Cached in loadtest/.cache/."""
    path = CACHE_DIR / f"photo-{width}x{height}-{seed}.png"
    if not path.exists():
        rng = random.Random(seed)
        channels = [
            Image.linear_gradient("L")
            .rotate(rng.uniform(0, 360), resample=Image.Resampling.BICUBIC)
            .resize((width, height), Image.Resampling.BICUBIC)
            for _ in range(3)
        ]
        smooth = Image.merge("RGB", channels)
        noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3)).point(lambda v: v >> 7)
        mask = Image.new("L", (width, height), 0)
        ImageDraw.Draw(mask).rectangle((0, 0, width, height * 6 // 10), fill=255)
        image = Image.composite(ImageChops.add(smooth, noise), smooth, mask)
        CACHE_DIR.mkdir(exist_ok=True)
        path.write_bytes(_pillow(image))
    return TestImage(path.stem, path.read_bytes(), width, height)

"""Deterministic benchmark corpus: photo-like images (smooth gradients + noise + shapes) written by
Pillow and by libpng (Debian netpbm's pnmtopng) in several variants, cached in bench/.corpus/.
Bench-only: uses Pillow (a dev dependency) and, when installed, pnmtopng."""

import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

CORPUS_DIR = Path(__file__).resolve().parent / ".corpus"
SEED = 20260601


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    size: int
    mode: str  # Pillow mode of the content: RGB, RGBA, LA, P
    writer: str  # "pillow" or "libpng"
    variant: str = ""  # pnmtopng filter option, "interlace", "16bit" ...

    @property
    def path(self) -> Path:
        return CORPUS_DIR / f"{self.name}.png"


def photo(size: int, mode: str, seed: int = SEED) -> Image.Image:
    """A photo-like image: rotated gradients per channel, soft shapes, and low-amplitude noise."""
    rng = random.Random(seed * 31 + size)
    channels = []
    for _k in range(3):
        base = Image.linear_gradient("L").rotate(rng.uniform(0, 360), resample=Image.BICUBIC, expand=False)
        base = ImageChops.add(
            base.resize((size, size), Image.BICUBIC),
            Image.radial_gradient("L").resize((size, size), Image.BICUBIC),
            scale=2.0,
        )
        channels.append(base)
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y = rng.randrange(size), rng.randrange(size)
        r = rng.randrange(size // 40 + 1, size // 6 + 2)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(max(1, size // 256)))
    noise = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3)).point(lambda v: v >> 4)
    image = ImageChops.add(image, noise)
    if mode == "RGB":
        return image
    alpha = Image.radial_gradient("L").resize((size, size), Image.BICUBIC)
    alpha = ImageChops.add(
        alpha, Image.frombytes("L", (size, size), rng.randbytes(size * size)).point(lambda v: v >> 5)
    )
    if mode == "RGBA":
        image.putalpha(alpha)
        return image
    if mode == "LA":
        return Image.merge("LA", (image.convert("L"), alpha))
    if mode == "P":
        return image.quantize(256, dither=Image.Dither.FLOYDSTEINBERG)
    raise ValueError(mode)


def pnmtopng_available() -> bool:
    return shutil.which("pnmtopng") is not None


def _write_libpng(entry: CorpusEntry, image: Image.Image) -> bytes:
    """Encode with libpng through pnmtopng; `variant` picks a forced filter, interlace or 16 bits."""
    args = ["pnmtopng"]
    if entry.variant in ("-nofilter", "-sub", "-up", "-avg", "-paeth"):
        args.append(entry.variant)
    if entry.variant == "interlace":
        args.append("-interlace")
    if entry.variant.startswith("16bit"):
        if entry.variant == "16bit-paeth":
            args.append("-paeth")
        rgb = image.convert("RGB").tobytes()
        # PPM with maxval 65535: 16-bit big-endian samples; the low byte adds fine detail
        rng = random.Random(SEED)
        noise = rng.randbytes(len(rgb))
        samples = bytearray(2 * len(rgb))
        samples[0::2] = rgb
        samples[1::2] = noise
        ppm = b"P6\n%d %d\n65535\n" % image.size + bytes(samples)
    else:
        ppm_io = io.BytesIO()
        image.convert("RGB").save(ppm_io, "PPM")
        ppm = ppm_io.getvalue()
    alpha_file = None
    if image.mode == "RGBA":
        alpha_file = CORPUS_DIR / f"{entry.name}.alpha.pgm"
        image.getchannel("A").save(alpha_file, "PPM")
        args.append(f"-alpha={alpha_file}")
    result = subprocess.run(args, input=ppm, capture_output=True, check=True)
    if alpha_file:
        alpha_file.unlink()
    return result.stdout


def build(entries: list[CorpusEntry], progress=print) -> list[CorpusEntry]:
    """Create missing corpus files; returns the entries that exist afterwards (libpng ones need pnmtopng)."""
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    ready = []
    for entry in entries:
        if entry.path.exists():
            ready.append(entry)
            continue
        if entry.writer == "libpng" and not pnmtopng_available():
            continue
        progress(f"  generating {entry.name} ...")
        image = photo(entry.size, entry.mode)
        if entry.writer == "pillow":
            out = io.BytesIO()
            image.save(out, "PNG", optimize=False, **({"compress_type": 1} if entry.variant == "zfiltered" else {}))
            data = out.getvalue()
        else:
            data = _write_libpng(entry, image)
        entry.path.write_bytes(data)
        ready.append(entry)
    return ready


def default_entries(quick: bool) -> list[CorpusEntry]:
    sizes = (512, 1024) if quick else (512, 2048, 4096)
    big = sizes[-1]
    entries = []
    for size in sizes:
        entries.append(CorpusEntry(f"pillow-rgb-{size}", size, "RGB", "pillow"))
        entries.append(CorpusEntry(f"libpng-rgb-{size}", size, "RGB", "libpng"))
    entries += [
        CorpusEntry(f"pillow-rgba-{big}", big, "RGBA", "pillow"),
        CorpusEntry(f"libpng-rgba-{big}", big, "RGBA", "libpng"),
        CorpusEntry(f"pillow-rgb-zfiltered-{sizes[1]}", sizes[1], "RGB", "pillow", "zfiltered"),
        CorpusEntry(f"libpng-rgb-sub-{sizes[1]}", sizes[1], "RGB", "libpng", "-sub"),
        CorpusEntry(f"libpng-rgb-up-{sizes[1]}", sizes[1], "RGB", "libpng", "-up"),
        CorpusEntry(f"libpng-rgb-avg-{sizes[1]}", sizes[1], "RGB", "libpng", "-avg"),
        CorpusEntry(f"libpng-rgb-paeth-{sizes[1]}", sizes[1], "RGB", "libpng", "-paeth"),
        CorpusEntry(f"libpng-rgb-none-{sizes[1]}", sizes[1], "RGB", "libpng", "-nofilter"),
        CorpusEntry("libpng-rgb16-paeth-512", 512, "RGB", "libpng", "16bit-paeth"),
        CorpusEntry(f"libpng-rgb16-{sizes[1]}", sizes[1], "RGB", "libpng", "16bit"),
        CorpusEntry(f"libpng-adam7-{sizes[1]}", sizes[1], "RGB", "libpng", "interlace"),
        CorpusEntry(f"pillow-palette-{sizes[1]}", sizes[1], "P", "pillow"),
        CorpusEntry(f"pillow-gray-alpha-{sizes[1]}", sizes[1], "LA", "pillow"),
    ]
    return entries

"""The benchmark corpus, generated deterministically and cached in bench/.corpus/:

- "existing": the photo-like rows the benchmark has always had (Pillow- and libpng-written, forced
  filters, 16-bit, Adam7, palette, gray+alpha), kept so that no regression goes unseen;
- "real-world": the same source images written by real encoders (encoders.py: pnmtopng, ImageMagick,
  optipng, pngcrush, zopflipng, advpng, Pillow optimize) across kinds of content (sources.py:
  photos, paintings, charts, text screenshots, UI icons with alpha, palette, 16-bit), 64 px to 8K;
- "extreme": 1,000,000 x 2 and 2 x 1,000,000 images and square references with the same filters.
Bench-only: uses Pillow (a dev dependency) and the Debian encoders when installed."""

import io
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import encoders
import sources
from PIL import Image, ImageChops, ImageDraw, ImageFilter

CORPUS_DIR = Path(__file__).resolve().parent / ".corpus"
SEED = 20260601


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    group: str  # "existing", "real-world" or "extreme"
    kind: str  # photo, painting, chart, screenshot, icon, palette, photo16, strip, ... (existing: a mode)
    encoder: str  # one of encoders.ENCODERS, or "pillow" / "libpng" for the existing rows
    width: int
    height: int
    variant: str = ""  # pnmtopng filter option, "interlace", "16bit" ... ; source options for real-world
    mode: str = "RGB"  # existing rows: the Pillow mode of the content

    @property
    def path(self) -> Path:
        return CORPUS_DIR / f"{self.name}.png"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def programs(self) -> list[str]:
        """Encoders this entry needs (libpng = pnmtopng)."""
        return ["pnmtopng"] if self.encoder == "libpng" else [] if self.encoder == "pillow" else [self.encoder]


def legacy_photo(size: int, mode: str, seed: int = SEED) -> Image.Image:
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


def _write_libpng(entry: "CorpusEntry", image: Image.Image) -> bytes:
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


def pnmtopng_available() -> bool:
    return encoders.available("pnmtopng")


def _existing(entry: CorpusEntry) -> bytes:
    image = legacy_photo(entry.width, entry.mode)
    if entry.encoder == "pillow":
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False, **({"compress_type": 1} if entry.variant == "zfiltered" else {}))
        return out.getvalue()
    return _write_libpng(entry, image)


def _source(entry: CorpusEntry) -> Image.Image | encoders.Samples16:
    seed = SEED + entry.width * 7 + entry.height * 13
    w, h = entry.width, entry.height
    if entry.kind in sources.SOURCES:
        return sources.SOURCES[entry.kind](w, h, seed)
    if entry.kind == "chart-trns":  # a chart whose white background is transparent through tRNS
        return sources.chart(w, h, seed)
    if entry.kind == "icon":
        return sources.icon(w, seed)
    if entry.kind == "palette":
        base = sources.chart(w, h, seed) if entry.variant == "chart" else sources.photo(w, h, seed)
        return sources.palette_of(base, 256 if entry.variant != "chart" else 16, dither=entry.variant != "chart")
    if entry.kind == "photo16":
        rgb = sources.photo(w, h, seed).tobytes()
        samples = bytearray(2 * len(rgb))
        samples[0::2] = rgb
        samples[1::2] = random.Random(seed).randbytes(len(rgb))  # sensor noise in the low byte
        return encoders.Samples16(w, h, bytes(samples))
    if entry.kind == "strip":  # the square reference is an ordinary photo of the same pixel count
        return sources.photo(w, h, seed) if w == h else sources.strip_photo(w, h, seed)
    raise ValueError(entry.kind)


def build(entries: list[CorpusEntry], progress: Callable[[str], None] = print) -> list[CorpusEntry]:
    """Create missing corpus files; returns the entries that exist afterwards (an entry whose encoder
    is not installed is skipped)."""
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    ready = []
    for entry in entries:
        if entry.path.exists():
            ready.append(entry)
            continue
        if not all(encoders.available(program) for program in entry.programs):
            continue
        progress(f"  generating {entry.name} ...")
        if entry.group == "existing":
            data = _existing(entry)
        else:
            variant = entry.variant if entry.kind == "strip" else "trns" if entry.kind == "chart-trns" else ""
            data = encoders.encode(entry.encoder, _source(entry), variant)
        entry.path.write_bytes(data)
        ready.append(entry)
    return ready


def existing_entries(quick: bool) -> list[CorpusEntry]:
    """The rows the benchmark has always had (names unchanged)."""
    sizes = (512, 1024) if quick else (512, 2048, 4096)
    big, mid = sizes[-1], sizes[1]

    def row(name: str, size: int, mode: str, writer: str, variant: str = "") -> CorpusEntry:
        return CorpusEntry(name, "existing", mode.lower(), writer, size, size, variant, mode)

    entries = []
    for size in sizes:
        entries.append(row(f"pillow-rgb-{size}", size, "RGB", "pillow"))
        entries.append(row(f"libpng-rgb-{size}", size, "RGB", "libpng"))
    entries += [
        row(f"pillow-rgba-{big}", big, "RGBA", "pillow"),
        row(f"libpng-rgba-{big}", big, "RGBA", "libpng"),
        row(f"pillow-rgb-zfiltered-{mid}", mid, "RGB", "pillow", "zfiltered"),
        row(f"libpng-rgb-sub-{mid}", mid, "RGB", "libpng", "-sub"),
        row(f"libpng-rgb-up-{mid}", mid, "RGB", "libpng", "-up"),
        row(f"libpng-rgb-avg-{mid}", mid, "RGB", "libpng", "-avg"),
        row(f"libpng-rgb-paeth-{mid}", mid, "RGB", "libpng", "-paeth"),
        row(f"libpng-rgb-none-{mid}", mid, "RGB", "libpng", "-nofilter"),
        row("libpng-rgb16-paeth-512", 512, "RGB", "libpng", "16bit-paeth"),
        row(f"libpng-rgb16-{mid}", mid, "RGB", "libpng", "16bit"),
        row(f"libpng-adam7-{mid}", mid, "RGB", "libpng", "interlace"),
        row(f"pillow-palette-{mid}", mid, "P", "pillow"),
        row(f"pillow-gray-alpha-{mid}", mid, "LA", "pillow"),
    ]
    return entries


ALL = encoders.ENCODERS
FAST = ("pnmtopng", "imagemagick", "pillow-opt")  # the encoders quick enough for the biggest images
NO_ZOPFLI = tuple(e for e in ALL if e != "zopflipng")

# (kind, width, height, variant, encoders): the real-world rows of the full run.
REAL_WORLD = [
    ("icon", 64, 64, "", ALL),
    ("icon", 128, 128, "", ALL),
    ("icon", 256, 256, "", ALL),
    ("icon", 512, 512, "", ALL),
    ("photo", 512, 384, "", ALL),
    ("chart", 480, 320, "", ALL),
    ("screenshot", 512, 320, "", ALL),
    ("photo", 768, 512, "", ALL),
    ("photo-noisy", 768, 512, "", ("pnmtopng", "imagemagick", "optipng", "pillow-opt")),
    ("photo", 2048, 1365, "", NO_ZOPFLI),
    ("photo-noisy", 2048, 1365, "", FAST),
    ("photo", 4000, 3000, "", (*FAST, "advpng")),
    ("painting", 1488, 1488, "", ALL),
    ("painting", 3000, 2000, "", (*FAST, "optipng")),
    ("chart", 1280, 720, "", ALL),
    ("chart", 3840, 2160, "", NO_ZOPFLI),
    ("screenshot", 1920, 1080, "", ALL),
    ("screenshot", 2560, 1440, "", NO_ZOPFLI),
    ("screenshot", 7680, 4320, "", FAST),
    ("palette", 2048, 2253, "chart", ("pnmtopng", "imagemagick", "optipng", "pngcrush", "pillow-opt")),
    ("chart-trns", 1280, 720, "", ("pnmtopng", "pillow-opt")),
    ("palette", 1024, 768, "photo", ("pnmtopng", "optipng", "pillow-opt")),
    ("photo16", 1024, 768, "", ("pnmtopng", "imagemagick", "optipng")),
    ("photo16", 2048, 1536, "", ("pnmtopng", "imagemagick")),
]
REAL_WORLD_QUICK = [
    ("icon", 64, 64, "", ("pnmtopng", "optipng", "zopflipng", "pillow-opt")),
    ("icon", 256, 256, "", ("pnmtopng", "imagemagick", "pngcrush", "pillow-opt")),
    ("photo", 512, 384, "", ("pnmtopng", "imagemagick", "pillow-opt")),
    ("photo", 768, 512, "", ("pnmtopng", "imagemagick", "optipng", "pillow-opt")),
    ("photo-noisy", 768, 512, "", ("pnmtopng", "pillow-opt")),
    ("photo", 1600, 1200, "", ("pnmtopng", "imagemagick")),
    ("painting", 1024, 1024, "", ("pnmtopng", "imagemagick", "pillow-opt")),
    ("chart", 1280, 720, "", ALL),
    ("screenshot", 1280, 800, "", ("pnmtopng", "imagemagick", "pillow-opt")),
    ("palette", 1024, 768, "chart", ("optipng", "pillow-opt")),
    ("chart-trns", 640, 360, "", ("pillow-opt",)),
    ("photo16", 512, 384, "", ("pnmtopng",)),
]
EXTREME_LONG = 1_000_000
EXTREME_LONG_QUICK = 200_000
EXTREME_VARIANTS = (("pnmtopng", ""), ("pnmtopng", "-paeth"), ("pnmtopng", "-avg"), ("pillow-opt", ""))


def real_world_entries(quick: bool) -> list[CorpusEntry]:
    entries = []
    for kind, width, height, variant, names in REAL_WORLD_QUICK if quick else REAL_WORLD:
        for encoder in names:
            suffix = f"-{variant}" if variant else ""
            name = f"{encoder}-{kind}{suffix}-{width}x{height}"
            entries.append(CorpusEntry(name, "real-world", kind, encoder, width, height, variant))
    return entries


def extreme_entries(quick: bool) -> list[CorpusEntry]:
    """1,000,000 x 2, 2 x 1,000,000 and a square of the same pixel count, each written by pnmtopng
    with its adaptive filters and with Paeth / Average forced, and by Pillow."""
    long = EXTREME_LONG_QUICK if quick else EXTREME_LONG
    side = int((2 * long) ** 0.5)
    entries = []
    for encoder, variant in EXTREME_VARIANTS:
        label = encoder + (variant.replace("-", "-forced-") if variant else "")
        for shape, (width, height) in (("wide", (long, 2)), ("tall", (2, long)), ("square", (side, side))):
            name = f"{label}-strip-{shape}-{width}x{height}"
            entries.append(CorpusEntry(name, "extreme", "strip", encoder, width, height, variant))
    return entries


def default_entries(quick: bool) -> list[CorpusEntry]:
    return existing_entries(quick) + real_world_entries(quick) + extreme_entries(quick)

"""Deterministic source images for the benchmark corpus, one generator per kind of content people
actually convert: photographs, paintings, charts, text screenshots, UI icons with alpha, and the
16-bit and extreme-shape variants. Bench-only: uses Pillow (a dev dependency), no network, no files.

Each generator builds its content from Pillow operations (no per-pixel Python loops), so an 8K image
takes seconds; the same (kind, size, seed) always gives the same pixels."""

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "image",
    "queue",
    "worker",
    "request",
    "status",
    "pending",
    "completed",
    "failed",
    "retry",
    "upload",
    "download",
    "gray",
    "scale",
    "convert",
    "pixel",
    "filter",
    "paeth",
    "average",
    "deflate",
    "inflate",
    "chunk",
    "header",
    "palette",
    "alpha",
    "channel",
    "luma",
    "width",
    "height",
    "limit",
    "memory",
    "bound",
    "stream",
    "step",
    "budget",
]


def value_noise(width: int, height: int, cell: int, rng: random.Random) -> Image.Image:
    """A smooth random field ("L"): random values on a grid of `cell`-pixel cells, interpolated."""
    grid_w, grid_h = max(2, width // cell + 2), max(2, height // cell + 2)
    grid = Image.frombytes("L", (grid_w, grid_h), rng.randbytes(grid_w * grid_h))
    return grid.resize((width, height), Image.Resampling.BICUBIC)


def sensor_noise(width: int, height: int, mode: str, amplitude: int, rng: random.Random) -> Image.Image:
    """Uniform noise in 0..2*amplitude per sample (add it with offset=-amplitude)."""
    bands = len(mode)
    table = [v % (2 * amplitude + 1) for v in range(256)] * bands
    return Image.frombytes(mode, (width, height), rng.randbytes(width * height * bands)).point(table)


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A photograph as cameras and phones deliver it: photo_noisy's content after the camera's JPEG
    step (quality 90), which smooths the sensor noise into blocks of correlated detail. Encoders
    then pick Paeth for nearly every row, as on real photographs (a JPEG photo re-saved by
    ImageMagick and by pnmtopng: 99% Paeth rows)."""
    out = io.BytesIO()
    photo_noisy(width, height, seed).save(out, "JPEG", quality=90)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def photo_noisy(width: int, height: int, seed: int) -> Image.Image:
    """A photograph-like RGB image straight from a sensor: a luminance field with structure at every
    scale (large shapes, mid-size objects, fine texture), correlated colour channels, soft edges and
    uniform sensor noise, which makes encoders pick Average for most rows."""
    rng = random.Random(seed)
    side = max(width, height)
    luminance = value_noise(width, height, max(8, side // 3), rng)
    for cell, weight in ((side // 10, 0.45), (side // 40, 0.3), (12, 0.18), (3, 0.08)):
        luminance = Image.blend(luminance, value_noise(width, height, max(2, cell), rng), weight)
    draw = ImageDraw.Draw(luminance)
    for _ in range(18):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(side // 40 + 1, side // 7 + 2)
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=rng.randrange(256))
    luminance = luminance.filter(ImageFilter.GaussianBlur(max(1.0, side / 900)))
    channels = []
    for _ in range(3):
        tint = value_noise(width, height, max(8, side // 4), rng).point(lambda v: v // 3)
        channels.append(ImageChops.add(luminance, tint, offset=-42))
    image = Image.merge("RGB", channels)
    return ImageChops.add(image, sensor_noise(width, height, "RGB", 3, rng), offset=-3)


def painting(width: int, height: int, seed: int) -> Image.Image:
    """A digital painting / gradient artwork: broad smooth gradients, soft brush strokes and almost
    no noise (encoders pick Paeth for nearly every row)."""
    rng = random.Random(seed)
    side = max(width, height)
    channels = []
    for _ in range(3):
        base = Image.linear_gradient("L").rotate(rng.uniform(0, 360), resample=Image.Resampling.BICUBIC)
        base = base.resize((width, height), Image.Resampling.BICUBIC)
        channels.append(Image.blend(base, value_noise(width, height, max(8, side // 3), rng), 0.5))
    image = Image.merge("RGB", channels)
    strokes = Image.new("RGB", (width, height))
    mask = Image.new("L", (width, height))
    draw_strokes, draw_mask = ImageDraw.Draw(strokes), ImageDraw.Draw(mask)
    for _ in range(40):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(4)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        thickness = rng.randrange(side // 80 + 2, side // 20 + 4)
        draw_strokes.line(points, fill=colour, width=thickness, joint="curve")
        draw_mask.line(points, fill=rng.randrange(120, 256), width=thickness, joint="curve")
    blur = ImageFilter.GaussianBlur(max(2.0, side / 150))
    image = Image.composite(strokes.filter(blur), image, mask.filter(blur))
    return ImageChops.add(image, sensor_noise(width, height, "RGB", 1, rng), offset=-1)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def chart(width: int, height: int, seed: int) -> Image.Image:
    """A chart / diagram as plotting libraries export it: white background, light grid, axes, flat
    bars, anti-aliased line series, a legend and text labels (drawn at 2x and reduced)."""
    rng = random.Random(seed)
    scale = 2
    w, h = width * scale, height * scale
    image = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    unit = max(1, min(w, h) // 400)
    font = _font(12 * unit)
    left, top, right, bottom = w // 10, h // 8, w - w // 20, h - h // 8
    draw.text((left, h // 30), "Jobs completed per hour, by image kind", fill=(30, 30, 30), font=_font(18 * unit))
    for k in range(11):
        y = top + (bottom - top) * k // 10
        draw.line((left, y, right, y), fill=(225, 225, 225), width=unit)
        draw.text((left - 40 * unit, y - 6 * unit), f"{(10 - k) * 100}", fill=(60, 60, 60), font=font)
    draw.line((left, top, left, bottom), fill=(0, 0, 0), width=2 * unit)
    draw.line((left, bottom, right, bottom), fill=(0, 0, 0), width=2 * unit)
    palette = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
    groups = 12
    slot = (right - left) // groups
    for g in range(groups):
        for s in range(3):
            value = rng.uniform(0.1, 0.95)
            x0 = left + g * slot + slot // 8 + s * slot // 4
            draw.rectangle((x0, bottom - int((bottom - top) * value), x0 + slot // 5, bottom), fill=palette[s])
        draw.text((left + g * slot + slot // 4, bottom + 6 * unit), f"{g:02d}:00", fill=(60, 60, 60), font=font)
    for s in range(2):
        level = rng.uniform(0.3, 0.7)
        points = []
        for k in range(groups * 4 + 1):
            level = min(0.95, max(0.05, level + rng.uniform(-0.08, 0.08)))
            points.append((left + k * (right - left) // (groups * 4), bottom - int((bottom - top) * level)))
        draw.line(points, fill=palette[3 + s], width=3 * unit, joint="curve")
    legend = (right - 260 * unit, top + 10 * unit, right - 10 * unit, top + 110 * unit)
    draw.rectangle(legend, fill=(250, 250, 250), outline=(180, 180, 180), width=unit)
    for s, name in enumerate(("photos", "charts", "screens", "trend a", "trend b")):
        y = legend[1] + 10 * unit + s * 18 * unit
        draw.rectangle((legend[0] + 10 * unit, y, legend[0] + 30 * unit, y + 10 * unit), fill=palette[s])
        draw.text((legend[0] + 40 * unit, y - 2 * unit), name, fill=(40, 40, 40), font=font)
    return image.reduce(scale)


def screenshot(width: int, height: int, seed: int) -> Image.Image:
    """A text-heavy screenshot (an editor / web app): flat panels, a gradient title bar, buttons, a
    sidebar list and many lines of anti-aliased text in a few colours."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    unit = max(1.0, width / 1280)
    line = int(18 * unit)
    font = _font(int(13 * unit))
    bar = int(34 * unit)
    gradient = Image.linear_gradient("L").resize((width, bar)).point(lambda v: 200 + v // 6)
    image.paste(Image.merge("RGB", (gradient, gradient, gradient)), (0, 0))
    for k, title in enumerate(("index.py", "pipeline.py", "README.md", "results.csv")):
        x = int((10 + 150 * k) * unit)
        draw.rounded_rectangle((x, int(6 * unit), x + int(140 * unit), bar), radius=int(6 * unit), fill=(246, 246, 246))
        draw.text((x + int(12 * unit), int(12 * unit)), title, fill=(30, 30, 30), font=font)
    sidebar = int(240 * unit)
    draw.rectangle((0, bar, sidebar, height), fill=(37, 37, 38))
    y = bar + int(8 * unit)
    while y < height - line:
        draw.text((int(14 * unit), y), " ".join(rng.choices(WORDS, k=2)), fill=(204, 204, 204), font=font)
        y += line
    colours = [(0, 0, 255), (163, 21, 21), (0, 128, 0), (30, 30, 30), (175, 0, 219), (9, 134, 88)]
    x0 = sidebar + int(16 * unit)
    column = (width - x0) // max(1, int(width // (900 * unit)))
    for left in range(x0, width - int(200 * unit), column):
        y = bar + int(12 * unit)
        while y < height - line:
            if rng.random() < 0.08:
                y += line  # blank line
                continue
            indent = int(rng.choice((0, 0, 24, 48, 72)) * unit)
            x = left + indent
            for _ in range(rng.randrange(2, 9)):
                word = rng.choice(WORDS)
                draw.text((x, y), word, fill=rng.choice(colours), font=font)
                x += int((len(word) + 1) * 7.2 * unit)
                if x > left + column - int(80 * unit):
                    break
            y += line
    for k in range(3):
        x = width - int((120 + 110 * k) * unit)
        draw.rounded_rectangle(
            (x, height - int(44 * unit), x + int(96 * unit), height - int(14 * unit)),
            radius=int(5 * unit),
            fill=(0, 120, 212) if k == 0 else (230, 230, 230),
        )
    return image


def icon(size: int, seed: int) -> Image.Image:
    """A UI icon with alpha: a rounded, gradient-filled badge with a glyph and a soft drop shadow on
    a transparent background (drawn at 4x and reduced, so edges are anti-aliased)."""
    rng = random.Random(seed)
    big = size * 4
    shadow = Image.new("L", (big, big))
    ImageDraw.Draw(shadow).rounded_rectangle(
        (big // 10, big // 8, big - big // 12, big - big // 20), radius=big // 5, fill=150
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(big / 30))
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    image.putalpha(shadow)
    top, bottom = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(2)]
    fill = Image.linear_gradient("L").resize((big, big))
    gradient = Image.merge(
        "RGB",
        [fill.point(lambda v, a=a, b=b: a + (b - a) * v // 255) for a, b in zip(top, bottom, strict=True)],
    )
    badge = Image.new("L", (big, big))
    ImageDraw.Draw(badge).rounded_rectangle(
        (big // 14, big // 14, big - big // 8, big - big // 8), radius=big // 5, fill=255
    )
    image.paste(gradient, (0, 0), badge)
    glyph = ImageDraw.Draw(image)
    c = big * 7 // 16
    if seed % 2:
        glyph.ellipse(
            (c - big // 5, c - big // 5, c + big // 5, c + big // 5), outline=(255, 255, 255, 255), width=big // 16
        )
    else:
        glyph.polygon(
            [(c - big // 5, c + big // 6), (c, c - big // 5), (c + big // 5, c + big // 6)], fill=(255, 255, 255, 230)
        )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def palette_of(image: Image.Image, colours: int, dither: bool) -> Image.Image:
    """The image reduced to a palette, as a "save for web" step would."""
    return image.quantize(colours, dither=Image.Dither.FLOYDSTEINBERG if dither else Image.Dither.NONE)


def strip_photo(width: int, height: int, seed: int) -> Image.Image:
    """Photo-like content for extreme shapes (1,000,000 x 2, 2 x 1,000,000) and their square
    references: smooth variation along the long side plus texture and sensor noise."""
    rng = random.Random(seed)
    long_side = max(width, height)
    channels = []
    for _ in range(3):
        cells = max(2, long_side // 2000)
        grid = Image.frombytes("L", (cells, 1), rng.randbytes(cells)).resize((long_side, 1), Image.Resampling.BICUBIC)
        fine = Image.frombytes("L", (max(2, long_side // 16), 1), rng.randbytes(max(2, long_side // 16)))
        fine = fine.resize((long_side, 1), Image.Resampling.BICUBIC)
        line = Image.blend(grid, fine, 0.3)
        if width >= height:
            channels.append(line.resize((width, height), Image.Resampling.NEAREST))
        else:
            channels.append(line.transpose(Image.Transpose.ROTATE_90).resize((width, height), Image.Resampling.NEAREST))
    image = Image.merge("RGB", channels)
    return ImageChops.add(image, sensor_noise(width, height, "RGB", 3, rng), offset=-3)


SOURCES = {
    "photo": photo,
    "photo-noisy": photo_noisy,
    "painting": painting,
    "chart": chart,
    "screenshot": screenshot,
}

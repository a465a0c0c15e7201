"""The PNG encoders of the benchmark corpus: real programs from Debian, run on a source image, plus
Pillow. Each takes a Pillow image (or 16-bit RGB samples) and returns the PNG bytes that program
writes with its usual settings. Bench-only; `make bench` installs the Debian packages.

    pnmtopng     netpbm      libpng's adaptive filter heuristic, zlib level 6
    imagemagick  imagemagick IM6 "convert": adaptive filters, zlib level 7 (quality 75)
    optipng      optipng     tries filter/zlib strategy combinations, keeps the smallest (-o2)
    pngcrush     pngcrush    likewise with its own trial set
    zopflipng    zopfli      minimum-sum / entropy filter strategies, zopfli deflate
    advpng       advancecomp recompresses pnmtopng's output with libdeflate (same filters, one IDAT)
    pillow-opt   Pillow      save(optimize=True): zlib level 9, Pillow's adaptive filters
"""

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# ImageMagick 6 is called by its versioned name: a plain `convert` on PATH may be something else.
IMAGEMAGICK = "convert-im6.q16"
PROGRAMS = {
    "pnmtopng": "pnmtopng",
    "imagemagick": IMAGEMAGICK,
    "optipng": "optipng",
    "pngcrush": "pngcrush",
    "zopflipng": "zopflipng",
    "advpng": "advpng",
}
ENCODERS = ("pnmtopng", "imagemagick", "optipng", "pngcrush", "zopflipng", "advpng", "pillow-opt")


@dataclass(frozen=True)
class Samples16:
    """A 16-bit RGB image as big-endian samples (what a PPM with maxval 65535 holds)."""

    width: int
    height: int
    samples: bytes

    def ppm(self) -> bytes:
        return b"P6\n%d %d\n65535\n" % (self.width, self.height) + self.samples


def available(encoder: str) -> bool:
    return encoder == "pillow-opt" or shutil.which(PROGRAMS[encoder]) is not None


def missing_programs() -> list[str]:
    return [name for name in ENCODERS if not available(name)]


def _run(args: list[str], stdin: bytes | None = None) -> bytes:
    return subprocess.run(args, input=stdin, capture_output=True, check=True).stdout


def _lossless_png(image: Image.Image) -> bytes:
    """The source as a quick PNG, the input of the optimisers (they re-encode it from scratch)."""
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _pnmtopng(image: Image.Image | Samples16, options: list[str], workdir: Path) -> bytes:
    args = ["pnmtopng", *options]
    if isinstance(image, Samples16):
        return _run(args, image.ppm())
    if image.mode == "RGBA":
        alpha = workdir / "alpha.pgm"
        image.getchannel("A").save(alpha, "PPM")
        args.append(f"-alpha={alpha}")
    ppm = io.BytesIO()
    image.convert("RGB").save(ppm, "PPM")
    return _run(args, ppm.getvalue())


def _imagemagick(image: Image.Image | Samples16, workdir: Path) -> bytes:
    if isinstance(image, Samples16):
        source = workdir / "in.ppm"
        source.write_bytes(image.ppm())
        return _run([IMAGEMAGICK, str(source), "-depth", "16", "png:-"])
    source = workdir / "in.png"
    source.write_bytes(_lossless_png(image))
    options = ["-define", "png:format=png8"] if image.mode == "P" else []
    return _run([IMAGEMAGICK, str(source), *options, "png:-"])


def _optimised(program: list[str], image: Image.Image | Samples16, workdir: Path, output_arg: bool) -> bytes:
    """Run an optimiser that reads a PNG file and writes another."""
    source, target = workdir / "in.png", workdir / "out.png"
    if isinstance(image, Samples16):
        source.write_bytes(_pnmtopng(image, [], workdir))
    else:
        source.write_bytes(_lossless_png(image))
    if output_arg:
        _run([*program, str(source), str(target)])
    else:
        _run([*program, "-out", str(target), str(source)])
    return target.read_bytes()


def encode(encoder: str, image: Image.Image | Samples16, variant: str = "") -> bytes:
    """The PNG `encoder` writes for `image`; `variant` is a pnmtopng filter option (e.g. -paeth), or
    "trns" for white made transparent through a tRNS chunk (pnmtopng and Pillow)."""
    with tempfile.TemporaryDirectory(prefix="bench-encode-") as folder:
        workdir = Path(folder)
        if encoder == "pnmtopng":
            if variant == "trns":
                return _pnmtopng(image, ["-transparent=rgb:ff/ff/ff"], workdir)
            return _pnmtopng(image, [variant] if variant else [], workdir)
        if encoder == "imagemagick":
            return _imagemagick(image, workdir)
        if encoder == "optipng":
            return _optimised(["optipng", "-quiet", "-o2"], image, workdir, output_arg=False)
        if encoder == "pngcrush":
            return _optimised(["pngcrush", "-q"], image, workdir, output_arg=True)
        if encoder == "zopflipng":
            pixels = image.width * image.height
            quick = ["--iterations=1"] if pixels > 600_000 else []
            return _optimised(["zopflipng", "-y", *quick], image, workdir, output_arg=True)
        if encoder == "advpng":
            target = workdir / "out.png"
            target.write_bytes(_pnmtopng(image, [], workdir))
            _run(["advpng", "-z", "-2", "-q", str(target)])
            return target.read_bytes()
        if encoder == "pillow-opt":
            if isinstance(image, Samples16):
                raise ValueError("Pillow cannot write 16-bit RGB")
            out = io.BytesIO()
            options = {"transparency": (255, 255, 255)} if variant == "trns" else {}
            image.save(out, "PNG", optimize=True, **options)
            return out.getvalue()
    raise ValueError(f"unknown encoder {encoder!r}")

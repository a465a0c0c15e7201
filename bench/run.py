"""Benchmark of the grayscale core against the zlib bound, Pillow and naive pypng.
Usage: uv run python bench/run.py [--quick] [--only SUBSTRING] [--repeat N] [--no-naive] [--no-pyodide]
Generates its corpus into bench/.corpus/ (see corpus.py), then prints one table row per image."""

import argparse
import hashlib
import io
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT / "src"))
sys.path.insert(0, str(BENCH_DIR))

import corpus  # noqa: E402
import png  # noqa: E402  (pypng, for the naive baseline)
from PIL import Image  # noqa: E402

import grayscale  # noqa: E402

NAIVE_FULL_LIMIT = 1024 * 1024  # above this many pixels naive pypng is timed on a band of rows and scaled
NAIVE_SAMPLE_ROWS = 64


def best_time(function, repeat: int) -> float:
    """Best CPU time (process_time) of `repeat` calls: steadier than wall time on a shared machine,
    and every contender here is single-threaded."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def idat_data(data: bytes) -> bytes:
    """The concatenated IDAT payloads (what has to be inflated)."""
    pos, parts = 8, []
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"IDAT":
            parts.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)


def zlib_bound(data: bytes, output: bytes) -> float:
    """The unavoidable codec work: inflate all input image data + deflate the gray rows at level 6."""
    compressed_in = idat_data(data)
    gray_rows = zlib.decompress(idat_data(output))

    def work():
        zlib.decompress(compressed_in)
        zlib.compress(gray_rows, 6)

    return work


def pillow_convert(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    gray = image.convert("LA" if has_alpha else "L")
    out = io.BytesIO()
    gray.save(out, "PNG")
    return out.getvalue()


def naive_pypng(data: bytes, max_rows: int | None = None) -> bytes:
    """The naive design: pypng decode to RGBA8, a per-pixel Python loop, pypng Writer."""
    width, height, rows, _ = png.Reader(bytes=data).asRGBA8()
    out_rows = []
    for y, row in enumerate(rows):
        if max_rows is not None and y >= max_rows:
            break
        out = bytearray(2 * width)
        for x in range(width):
            r, g, b, a = row[4 * x : 4 * x + 4]
            out[2 * x] = (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16
            out[2 * x + 1] = a
        out_rows.append(out)
    buffer = io.BytesIO()
    png.Writer(width, len(out_rows), greyscale=True, alpha=True).write(buffer, out_rows)
    return buffer.getvalue()


def naive_time(data: bytes, info, enabled: bool) -> tuple[float | None, bool]:
    """(seconds, estimated?) for naive pypng; big images are timed on a band of rows and scaled up
    (not for Adam7, where pypng decodes the whole image before the first row: skipped)."""
    width, height = info.width, info.height
    if not enabled or (info.interlace and width * height > NAIVE_FULL_LIMIT):
        return None, False
    if width * height <= NAIVE_FULL_LIMIT:
        return best_time(lambda: naive_pypng(data), 1), False
    rows = min(height, NAIVE_SAMPLE_ROWS)
    return best_time(lambda: naive_pypng(data, rows), 1) * height / rows, True


def planes(png_bytes: bytes) -> tuple[bytes, bytes | None]:
    image = Image.open(io.BytesIO(png_bytes))
    pixels = image.tobytes()
    if image.mode == "LA":
        return pixels[0::2], pixels[1::2]
    return pixels, None


def peak_memory(data: bytes) -> int:
    """Peak traced allocation of convert_stream fed 64 KB pieces (the input itself is not counted)."""
    tracemalloc.start()
    try:
        pieces = (data[i : i + 65536] for i in range(0, len(data), 65536))
        for _ in grayscale.convert_stream(pieces):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small images only (512-1024 px), a minute or so")
    parser.add_argument("--only", default="", help="run only corpus entries whose name contains this")
    parser.add_argument(
        "--repeat", type=int, default=0, help="timing repeats (default: 3 below 2048 px, 2 below 4096, else 1)"
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pypng baseline")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory run")
    parser.add_argument("--no-pyodide", action="store_true", help="skip bench/pyodide_bench.mjs")
    args = parser.parse_args()

    started = time.perf_counter()
    entries = [e for e in corpus.default_entries(args.quick) if args.only in e.name]
    print(f"corpus: {len(entries)} images in {corpus.CORPUS_DIR}", flush=True)
    if not corpus.pnmtopng_available():
        print("  pnmtopng (Debian package netpbm) is not installed: libpng-written images are SKIPPED", flush=True)
    entries = corpus.build(entries, progress=lambda m: print(m, flush=True))

    header = (
        f"{'image':<28} {'input':>8} {'ours s':>7} {'bound s':>7} {'x bound':>7} {'x Pillow':>8} "
        f"{'x naive':>8} {'size x Pil':>10} {'peak MB':>8} {'match':>5}"
    )
    results = []
    mismatches = 0
    for index, entry in enumerate(entries, 1):
        data = entry.path.read_bytes()
        info = grayscale.probe(data)
        print(
            f"[{index}/{len(entries)}] {entry.name} ({info.width}x{info.height}, "
            f"type {info.color_type}, {info.bit_depth}-bit, interlace {info.interlace}) ...",
            flush=True,
        )
        repeat = args.repeat or (3 if info.width < 2048 else 2 if info.width < 4096 else 1)
        output = grayscale.convert(data)
        pillow_output = pillow_convert(data)
        ours = best_time(lambda data=data: grayscale.convert(data), repeat)
        bound = best_time(zlib_bound(data, output), repeat)
        pillow = best_time(lambda data=data: pillow_convert(data), repeat)
        naive, naive_estimated = naive_time(data, info, not args.no_naive)
        peak = None if args.no_memory else peak_memory(data)
        match = planes(output) == planes(pillow_output)
        mismatches += not match
        row = (
            f"{entry.name:<28} {len(data) / 1e6:>7.1f}M {ours:>7.3f} {bound:>7.3f} {ours / bound:>7.2f} "
            f"{ours / pillow:>8.2f} {fmt(naive and ours / naive, '{:.3f}') + ('~' if naive_estimated else ''):>8} "
            f"{len(output) / len(pillow_output):>10.3f} {fmt(peak and peak / 1e6, '{:.1f}'):>8} {'yes' if match else 'NO':>5}"
        )
        results.append(row)
        print("   " + row.strip(), flush=True)

    print()
    print(
        "ours s / bound s: best CPU time of grayscale.convert / of zlib inflate(input IDAT) + deflate(gray rows, level 6)"
    )
    print(
        "x Pillow: ours / Pillow open+convert('L' or 'LA')+save; x naive: ours / pypng asRGBA8+per-pixel loop+Writer"
        " (~ = naive timed on the first 64 rows and scaled; - = skipped: big Adam7)"
    )
    print(
        "size x Pil: our output bytes / Pillow's; peak MB: tracemalloc peak of convert_stream (64 KB pieces), input not counted"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in results:
        print(row)

    if not args.no_pyodide:
        run_pyodide_bench()
    print(f"\nbenchmark finished in {time.perf_counter() - started:.0f} s (wall)")
    if mismatches:
        print(f"{mismatches} image(s) did NOT match Pillow's pixels")
    return 1 if mismatches else 0


def pngsuite_digest(directory: Path) -> str:
    """sha256 over every PngSuite file's output (or error code); pyodide_bench.mjs computes the same."""
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        try:
            out = grayscale.convert(path.read_bytes())
        except grayscale.InvalidImage as error:
            out = error.code.encode()
        digest.update(path.name.encode() + out)
    return digest.hexdigest()


def run_pyodide_bench() -> None:
    script = BENCH_DIR / "pyodide_bench.mjs"
    if not (REPO_ROOT / "node_modules" / "pyodide").is_dir():
        print("\npyodide: SKIPPED (no node_modules/pyodide at the repo root; npm install pyodide@0.28.3)")
        return
    print("\npyodide (node bench/pyodide_bench.mjs):", flush=True)
    result = subprocess.run(["node", str(script)], cwd=REPO_ROOT, text=True, capture_output=True)
    print(result.stdout.rstrip())
    if result.returncode:
        print(f"pyodide bench FAILED (exit {result.returncode}):\n{result.stderr[-2000:]}")
    suite = REPO_ROOT / "tests" / "data" / "pngsuite" / "png"
    if suite.is_dir():
        result = subprocess.run(["node", str(script), "--pngsuite"], cwd=REPO_ROOT, text=True, capture_output=True)
        theirs = result.stdout.split()[-1] if result.returncode == 0 and result.stdout.strip() else "failed"
        ours = pngsuite_digest(suite)
        verdict = "identical output" if theirs == ours else f"DIFFERENT (pyodide {theirs[:16]}, CPython {ours[:16]})"
        print(f"PngSuite converted in Pyodide vs CPython: {verdict}")


if __name__ == "__main__":
    sys.exit(main())

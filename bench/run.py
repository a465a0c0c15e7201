"""Benchmark of the grayscale core against Pillow, the zlib-only bound and naive pypng, on a corpus that
looks like the PNGs people have (corpus.py: real encoders x kinds of content, extreme shapes, and the
benchmark's original rows). Every ratio is measured side by side in this one run.

Usage: uv run python bench/run.py [--quick] [--only SUBSTRING] [--group GROUP] [--repeat N]
                                  [--no-naive] [--no-memory] [--no-pyodide]
Prints one table row per image, then the targets of issue #11 with MET / MISSED, then Pyodide
numbers. Exits 1 if any image's pixels differ from Pillow's."""

import argparse
import hashlib
import io
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
import zlib
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT / "src"))
sys.path.insert(0, str(BENCH_DIR))

import corpus  # noqa: E402
import encoders  # noqa: E402
import png  # noqa: E402  (pypng, for the naive baseline)
import png_facts  # noqa: E402
from PIL import Image  # noqa: E402

import grayscale  # noqa: E402

Image.MAX_IMAGE_PIXELS = None  # the corpus holds 2 x 1,000,000 images on purpose
NAIVE_FULL_LIMIT = 1024 * 1024  # above this many pixels naive pypng is timed on a band of rows and scaled
NAIVE_SAMPLE_ROWS = 64
MEMORY_SLACK = 8 * 2**20  # the memory target: convert_stream's peak <= input + 8 MB
PYODIDE_MAX_PIXELS = 5_000_000  # Pyodide times the images up to this size (it runs ~2-3x slower)


def best_time(function, repeat: int) -> float:
    """Best CPU time (process_time) of `repeat` calls: steadier than wall time on a shared machine,
    and every contender here is single-threaded."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        function()
        best = min(best, time.process_time() - start)
    return best


def side_by_side(functions: list, repeat: int) -> list[float]:
    """Best CPU time of each function, the calls interleaved so that all see the same machine load."""
    best = [float("inf")] * len(functions)
    for _ in range(repeat):
        for k, function in enumerate(functions):
            start = time.process_time()
            function()
            best[k] = min(best[k], time.process_time() - start)
    return best


def zlib_bound(data: bytes, output: bytes):
    """The unavoidable codec work: inflate all input image data + deflate the gray rows at level 6."""
    compressed_in = png_facts.idat_data(data)
    gray_rows = zlib.decompress(png_facts.idat_data(output))

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
    (not for Adam7 or very long rows, where pypng works on the whole image first: skipped)."""
    width, height = info.width, info.height
    if not enabled or ((info.interlace or width > 100_000) and width * height > NAIVE_FULL_LIMIT):
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


@dataclass
class Result:
    entry: corpus.CorpusEntry
    input_bytes: int
    mix: str
    ours: float
    bound: float
    pillow: float
    naive: float | None
    naive_estimated: bool
    size_ratio: float
    peak: int | None
    match: bool
    pyodide: float | None = None

    @property
    def vs_pillow(self) -> float:
        return self.ours / self.pillow

    @property
    def us_per_pixel(self) -> float:
        return 1e6 * self.ours / self.entry.pixels


def measure(entry: corpus.CorpusEntry, args) -> Result:
    data = entry.path.read_bytes()
    info = grayscale.probe(data)
    repeat = args.repeat or (3 if info.width * info.height < 4_000_000 else 2 if info.width * info.height < 12e6 else 1)
    output = grayscale.convert(data)
    pillow_output = pillow_convert(data)
    ours, pillow, bound = side_by_side(
        [lambda: grayscale.convert(data), lambda: pillow_convert(data), zlib_bound(data, output)], repeat
    )
    naive, naive_estimated = naive_time(data, info, not args.no_naive)
    peak = None if args.no_memory else peak_memory(data)
    return Result(
        entry=entry,
        input_bytes=len(data),
        mix=png_facts.filter_mix(data),
        ours=ours,
        bound=bound,
        pillow=pillow,
        naive=naive,
        naive_estimated=naive_estimated,
        size_ratio=len(output) / len(pillow_output),
        peak=peak,
        match=planes(output) == planes(pillow_output),
    )


HEADER = (
    f"{'image':<44} {'size':>15} {'input':>7} {'filters (% rows)':<18} {'ours s':>7} {'x Pillow':>8} "
    f"{'x bound':>7} {'x naive':>8} {'size x Pil':>10} {'peak MB':>7} {'match':>5} {'pyodide s':>9}"
)


def row_text(r: Result) -> str:
    e = r.entry
    naive = fmt(r.naive and r.ours / r.naive, "{:.3f}") + ("~" if r.naive_estimated else "")
    return (
        f"{e.name:<44} {f'{e.width}x{e.height}':>15} {r.input_bytes / 1e6:>6.2f}M {r.mix:<18} {r.ours:>7.3f} "
        f"{r.vs_pillow:>8.2f} {r.ours / r.bound:>7.2f} {naive:>8} {r.size_ratio:>10.3f} "
        f"{fmt(r.peak and r.peak / 1e6, '{:.1f}'):>7} {'yes' if r.match else 'NO':>5} {fmt(r.pyodide, '{:.3f}'):>9}"
    )


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def summary_by_kind(results: list[Result]) -> list[str]:
    """One line per kind of content: how the real-world rows of that kind fare against Pillow."""
    lines = []
    real = [r for r in results if r.entry.group == "real-world"]
    for kind in sorted({r.entry.kind for r in real}):
        rows = [r for r in real if r.entry.kind == kind]
        worst = max(rows, key=lambda r: r.vs_pillow)
        adaptive = [r for r in rows if r.entry.encoder in ("pnmtopng", "imagemagick", "pillow-opt")]
        optimised = [r for r in rows if r.entry.encoder not in ("pnmtopng", "imagemagick", "pillow-opt")]
        split = ""
        if adaptive and optimised:
            split = (
                f" (libpng-style adaptive filters {statistics.median(r.vs_pillow for r in adaptive):.2f},"
                f" optimisers {statistics.median(r.vs_pillow for r in optimised):.2f})"
            )
        lines.append(
            f"{kind:<12} {len(rows):>3} images: x Pillow median {statistics.median(r.vs_pillow for r in rows):.2f}"
            f"{split}, worst {worst.vs_pillow:.2f} ({worst.entry.name}); x bound median "
            f"{statistics.median(r.ours / r.bound for r in rows):.2f}; size worst {max(r.size_ratio for r in rows):.3f}"
        )
    return lines


def targets(results: list[Result]) -> list[str]:
    """The targets of issue #11, checked on this run's rows."""
    lines = []
    real = [r for r in results if r.entry.group == "real-world"]
    big = [r for r in real if r.entry.pixels >= 1_000_000]
    if big:
        worst = max(big, key=lambda r: r.vs_pillow)
        over = [r for r in big if r.vs_pillow > 1.5]
        lines.append(
            f"every real-world image >= 1 MP <= 1.5x Pillow: worst {worst.vs_pillow:.2f} ({worst.entry.name}), "
            f"{len(over)} of {len(big)} over -> {verdict(not over)}"
        )
    if real:
        median = statistics.median(r.vs_pillow for r in real)
        lines.append(f"median over the real-world corpus <= 1.0x Pillow: {median:.2f} -> {verdict(median <= 1.0)}")
    flat = [r for r in real if r.entry.kind in ("chart", "screenshot")]
    if flat:
        worst = max(flat, key=lambda r: r.vs_pillow)
        over = [r for r in flat if r.vs_pillow > 2.0]
        lines.append(
            f"charts and screenshots <= 2x Pillow: worst {worst.vs_pillow:.2f} ({worst.entry.name}), "
            f"{len(over)} of {len(flat)} over -> {verdict(not over)}"
        )
    small = [r for r in results if r.entry.group != "extreme" and max(r.entry.width, r.entry.height) <= 512]
    if small:
        worst = max(small, key=lambda r: r.vs_pillow)
        timed = [r for r in small if r.naive]
        slowest = max(timed, key=lambda r: r.ours / r.naive) if timed else None
        naive_ok = slowest is not None and slowest.ours / slowest.naive <= 0.1
        lines.append(
            f"small images (<= 512 px) <= 3x Pillow: worst {worst.vs_pillow:.2f} ({worst.entry.name}) "
            f"-> {verdict(worst.vs_pillow <= 3.0)}"
        )
        if slowest is not None:
            lines.append(
                f"small images >= 10x faster than naive pypng: slowest {slowest.naive / slowest.ours:.1f}x "
                f"({slowest.entry.name}) -> {verdict(naive_ok)}"
            )
    extreme = [r for r in results if r.entry.group == "extreme"]
    for r in extreme:
        if r.entry.width == r.entry.height:
            continue
        label = r.entry.name.split("-strip-")[0]
        square = next(
            (s for s in extreme if s.entry.width == s.entry.height and s.entry.name.startswith(label + "-strip")), None
        )
        if square:
            ratio = r.us_per_pixel / square.us_per_pixel
            lines.append(
                f"extreme shape cost per pixel <= 2x the square with the same encoder/filters: {r.entry.name} "
                f"{r.us_per_pixel:.3f} us/px ({r.mix}) vs {square.us_per_pixel:.3f} ({square.mix}): "
                f"{ratio:.2f}x -> {verdict(ratio <= 2.0)}"
            )
    sizes = [r for r in results if r.size_ratio > 1.02]
    worst_size = max(results, key=lambda r: r.size_ratio)
    lines.append(
        f"output size <= 1.02x Pillow's: worst {worst_size.size_ratio:.3f} ({worst_size.entry.name}) "
        f"-> {verdict(not sizes)}"
    )
    measured = [r for r in results if r.peak is not None]
    if measured:
        over = [r for r in measured if r.peak > r.input_bytes + MEMORY_SLACK]
        worst = max(measured, key=lambda r: r.peak - r.input_bytes)
        lines.append(
            f"convert_stream peak <= input + 8 MB: worst input + {(worst.peak - worst.input_bytes) / 1e6:.1f} MB "
            f"({worst.entry.name}); over: {', '.join(r.entry.name for r in over) or 'none'} -> {verdict(not over)}"
        )
    mismatches = [r for r in results if not r.match]
    lines.append(f"pixels equal to Pillow's on every image: {len(mismatches)} mismatches -> {verdict(not mismatches)}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller corpus and sizes: a few minutes")
    parser.add_argument("--only", default="", help="run only corpus entries whose name contains this")
    parser.add_argument("--group", default="", help="run only one group: existing, real-world or extreme")
    parser.add_argument("--repeat", type=int, default=0, help="timing repeats (default: 3, fewer for big images)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pypng baseline")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc peak-memory run")
    parser.add_argument("--no-pyodide", action="store_true", help="skip bench/pyodide_bench.mjs")
    args = parser.parse_args()

    started = time.perf_counter()
    entries = [
        e
        for e in corpus.default_entries(args.quick)
        if args.only in e.name and (not args.group or e.group == args.group)
    ]
    print(f"corpus: {len(entries)} images in {corpus.CORPUS_DIR}", flush=True)
    missing = encoders.missing_programs()
    if missing:
        print(
            f"  not installed (their images are SKIPPED; `make bench` installs them): {', '.join(missing)}", flush=True
        )
    entries = corpus.build(entries, progress=lambda m: print(m, flush=True))

    results = []
    for index, entry in enumerate(entries, 1):
        print(f"[{index}/{len(entries)}] {entry.name} ...", flush=True)
        result = measure(entry, args)
        results.append(result)
        print("   " + row_text(result).strip(), flush=True)

    if not args.no_pyodide:
        run_pyodide(results)

    print()
    print("ours s: best CPU time of grayscale.convert; x Pillow: ours / Pillow open+convert('L' or 'LA')+save;")
    print("x bound: ours / (zlib inflate of the input IDAT + deflate of the gray rows at level 6);")
    print("x naive: ours / pypng asRGBA8 + per-pixel loop + Writer (~ = timed on 64 rows and scaled; - = skipped);")
    print("filters: % of scanlines per filter type (None, Sub, Up, Average, Paeth); size x Pil: our output / Pillow's;")
    print("peak MB: tracemalloc peak of convert_stream fed 64 KB pieces (input not counted); all timed side by side.")
    for group in ("real-world", "extreme", "existing"):
        rows = [r for r in results if r.entry.group == group]
        if rows:
            print(f"\n{group}:")
            print(HEADER)
            print("-" * len(HEADER))
            for r in rows:
                print(row_text(r))
    print("\nsummary by kind (real-world rows): median and worst x Pillow, median x bound, worst size x Pillow")
    for line in summary_by_kind(results):
        print("  " + line)
    print("\ntargets (issue #11):")
    for line in targets(results):
        print("  " + line)
    if not args.no_pyodide:
        report_pyodide_pngsuite()
    print(f"\nbenchmark finished in {time.perf_counter() - started:.0f} s (wall)")
    mismatches = [r for r in results if not r.match]
    if mismatches:
        print(
            f"{len(mismatches)} image(s) did NOT match Pillow's pixels: {', '.join(r.entry.name for r in mismatches)}"
        )
    return 1 if mismatches else 0


def pyodide_available() -> bool:
    return (REPO_ROOT / "node_modules" / "pyodide").is_dir()


def run_pyodide(results: list[Result]) -> None:
    """Time grayscale.convert in Pyodide (node bench/pyodide_bench.mjs --files) on the images up to
    PYODIDE_MAX_PIXELS, filling Result.pyodide."""
    if not pyodide_available():
        print("\npyodide: SKIPPED (no node_modules/pyodide; run `make deps`)")
        return
    chosen = [r for r in results if r.entry.pixels <= PYODIDE_MAX_PIXELS]
    print(f"\npyodide: timing {len(chosen)} images in Pyodide ...", flush=True)
    script = BENCH_DIR / "pyodide_bench.mjs"
    command = ["node", str(script), "--files", *(str(r.entry.path) for r in chosen)]
    result = subprocess.run(command, cwd=REPO_ROOT, text=True, capture_output=True)
    if result.returncode:
        print(f"pyodide bench FAILED (exit {result.returncode}):\n{result.stderr[-2000:]}")
        return
    times = json.loads(result.stdout.strip().splitlines()[-1])
    for r in chosen:
        r.pyodide = times.get(str(r.entry.path))
    ratios = [r.pyodide / r.ours for r in chosen if r.pyodide]
    if ratios:
        print(
            f"pyodide / CPython time: median {statistics.median(ratios):.2f}, "
            f"range {min(ratios):.2f}-{max(ratios):.2f} over {len(ratios)} images"
        )


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


def report_pyodide_pngsuite() -> None:
    script = BENCH_DIR / "pyodide_bench.mjs"
    suite = REPO_ROOT / "tests" / "data" / "pngsuite" / "png"
    if not pyodide_available() or not suite.is_dir():
        return
    result = subprocess.run(["node", str(script), "--pngsuite"], cwd=REPO_ROOT, text=True, capture_output=True)
    theirs = result.stdout.split()[-1] if result.returncode == 0 and result.stdout.strip() else "failed"
    ours = pngsuite_digest(suite)
    verdict_text = "identical output" if theirs == ours else f"DIFFERENT (pyodide {theirs[:16]}, CPython {ours[:16]})"
    print(f"PngSuite converted in Pyodide vs CPython: {verdict_text}")


if __name__ == "__main__":
    sys.exit(main())

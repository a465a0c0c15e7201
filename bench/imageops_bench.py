"""Benchmark of imageops (thumbnail, metadata) side by side with grayscale.convert on the same images,
in one run: best CPU times and their ratios, and tracemalloc peaks over the input's size.
Usage: uv run python bench/imageops_bench.py [--quick] [--only SUBSTRING] [--repeat N] [--no-memory]
Images come from bench/corpus.py (generated into bench/.corpus/, cached); libpng-written ones need
pnmtopng (Debian netpbm) and are skipped without it."""

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))
sys.path.insert(0, str(BENCH_DIR))

import corpus  # noqa: E402

import grayscale  # noqa: E402
import imageops  # noqa: E402


def entries(quick: bool) -> list[corpus.CorpusEntry]:
    size = 1024 if quick else 4096
    Entry = corpus.CorpusEntry
    return [
        Entry(f"pillow-rgb-{size}", size, "RGB", "pillow"),
        Entry(f"pillow-rgba-{size}", size, "RGBA", "pillow"),
        Entry(f"libpng-rgb-{size}", size, "RGB", "libpng"),
        Entry(f"libpng-rgba-{size}", size, "RGBA", "libpng"),
        Entry(f"libpng-adam7-{size}", size, "RGB", "libpng", "interlace"),
        Entry(f"pillow-gray-alpha-{size}", size, "LA", "pillow"),
        Entry(f"pillow-palette-{size}", size, "P", "pillow"),
    ]


def best_time(function: Callable[[], object], repeat: int) -> float:
    """Best CPU time (process_time) of `repeat` calls: steadier than wall time on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        function()
        best = min(best, time.process_time() - started)
    return best


def extra_peak(function: Callable[[bytes], object], path: Path) -> tuple[int, int]:
    """(input bytes, tracemalloc peak minus the input) for function(input read inside the trace)."""
    tracemalloc.start()
    try:
        data = path.read_bytes()
        tracemalloc.reset_peak()
        function(data)
        return len(data), tracemalloc.get_traced_memory()[1] - len(data)
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1024 px images instead of 4096 px")
    parser.add_argument("--only", default="", help="run only corpus entries whose name contains this")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats, best kept (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args()

    chosen = [e for e in entries(args.quick) if args.only in e.name]
    ready = corpus.build(chosen, progress=lambda m: print(m, flush=True))
    if len(ready) < len(chosen):
        print("  pnmtopng (Debian netpbm) is not installed: libpng-written images are SKIPPED", flush=True)
    header = (
        f"{'image':<24} {'input':>7} {'gray s':>7} {'thumb s':>7} {'x gray':>6} {'meta s':>7} {'x gray':>6} "
        f"{'thumb +MB':>9} {'meta +MB':>8} {'gray +MB':>8}"
    )
    rows = []
    for entry in ready:
        data = entry.path.read_bytes()
        info = grayscale.probe(data)
        print(
            f"{entry.name} ({info.width}x{info.height}, type {info.color_type}, interlace {info.interlace}) ...",
            flush=True,
        )
        gray = best_time(lambda data=data: grayscale.convert(data), args.repeat)
        thumb = best_time(lambda data=data: imageops.thumbnail(data), args.repeat)
        meta = best_time(lambda data=data: imageops.metadata(data), args.repeat)
        peaks = ["-", "-", "-"]
        if not args.no_memory:
            for k, function in enumerate((imageops.thumbnail, imageops.metadata, grayscale.convert)):
                _, extra = extra_peak(function, entry.path)
                peaks[k] = f"{extra / 1e6:.1f}"
        row = (
            f"{entry.name:<24} {len(data) / 1e6:>6.1f}M {gray:>7.3f} {thumb:>7.3f} {thumb / gray:>6.2f} "
            f"{meta:>7.3f} {meta / gray:>6.2f} {peaks[0]:>9} {peaks[1]:>8} {peaks[2]:>8}"
        )
        rows.append(row)
        print("   " + row, flush=True)
    print()
    print(
        "gray s / thumb s / meta s: best CPU time of grayscale.convert / imageops.thumbnail (256) / imageops.metadata;"
    )
    print(
        "x gray: that time / grayscale.convert's; +MB: tracemalloc peak minus the input's size (input read inside the trace)"
    )
    print()
    print(header)
    print("-" * len(header))
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

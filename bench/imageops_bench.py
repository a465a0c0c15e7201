"""Benchmark of imageops (thumbnail, metadata) side by side with grayscale.convert on the same images,
in one run: best CPU times and their ratios, and tracemalloc peaks over the input's size.
Usage: uv run python bench/imageops_bench.py [--quick] [--only SUBSTRING] [--repeat N] [--no-memory] [--pyodide]
Images come from bench/corpus.py (generated into bench/.corpus/, cached); libpng-written ones need
pnmtopng (Debian netpbm) and are skipped without it. --pyodide also checks that Pyodide (node_modules)
gives the very same thumbnails and metadata as CPython on all of PngSuite, and times one thumbnail there."""

import argparse
import subprocess
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

REPO_ROOT = BENCH_DIR.parent
PNGSUITE_DIR = REPO_ROOT / "tests" / "data" / "pngsuite" / "png"

# Run by CPython here and by Pyodide in node: one digest of every PngSuite file's thumbnails and report.
DIGEST_SOURCE = """
import hashlib, json, os, time
import imageops

def imageops_digest(directory):
    digest = hashlib.sha256()
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        for side in (7, 32, 256):
            try:
                out = imageops.thumbnail(data, max_side=side)
            except imageops.InvalidImage as error:
                out = error.code.encode()
            digest.update(name.encode() + out)
        try:
            out = json.dumps(imageops.metadata(data), sort_keys=True).encode()
        except imageops.InvalidImage as error:
            out = error.code.encode()
        digest.update(out)
    return digest.hexdigest()

def thumbnail_seconds(path):
    with open(path, "rb") as f:
        data = f.read()
    started = time.process_time()
    imageops.thumbnail(data)
    return time.process_time() - started
"""

PYODIDE_SCRIPT = """
import path from "node:path";
import { pathToFileURL } from "node:url";
const [root, source, image] = process.argv.slice(-3);
const pyodideDir = path.join(root, "node_modules", "pyodide");
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
for (const [dir, mount] of [[path.join(root, "src"), "/b/src"], [path.join(root, "tests/data/pngsuite/png"), "/b/suite"],
                            [path.dirname(image), "/b/image"]]) {
  pyodide.FS.mkdirTree(mount);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dir }, mount);
}
pyodide.runPython(`import sys\nsys.path.insert(0, "/b/src")\n` + source);
console.log(pyodide.runPython(`imageops_digest("/b/suite")`));
console.log(pyodide.runPython(`thumbnail_seconds("/b/image/${path.basename(image)}")`));
"""


def pyodide_check(image: Path) -> int:
    """Compare Pyodide's PngSuite digest with CPython's and time one thumbnail in both."""
    namespace: dict[str, object] = {}
    exec(DIGEST_SOURCE, namespace)
    ours = namespace["imageops_digest"](str(PNGSUITE_DIR))  # type: ignore[operator]
    cpython_seconds = min(namespace["thumbnail_seconds"](str(image)) for _ in range(2))  # type: ignore[operator]
    result = subprocess.run(
        ["node", "--input-type=module", "-e", PYODIDE_SCRIPT, str(REPO_ROOT), DIGEST_SOURCE, str(image)],
        capture_output=True,
        text=True,
        check=True,
    )
    theirs, pyodide_seconds = result.stdout.split()
    same = theirs == ours
    print(f"PngSuite thumbnails (7, 32, 256) and metadata: Pyodide {'==' if same else '!='} CPython ({ours[:16]})")
    print(
        f"thumbnail of {image.name}: CPython {cpython_seconds:.3f} s, Pyodide {float(pyodide_seconds):.3f} s "
        f"(x{float(pyodide_seconds) / cpython_seconds:.2f})"
    )
    return 0 if same else 1


def entries(quick: bool) -> list[corpus.CorpusEntry]:
    size = 1024 if quick else 4096
    Entry = corpus.CorpusEntry
    return [
        Entry(f"pillow-rgb-{size}", size, "RGB", "pillow"),
        Entry(f"pillow-rgba-{size}", size, "RGBA", "pillow"),
        Entry(f"libpng-rgb-{size}", size, "RGB", "libpng"),
        Entry(f"libpng-rgba-{size}", size, "RGBA", "libpng"),
        Entry(f"libpng-adam7-{size}", size, "RGB", "libpng", "interlace"),
        # 4095 px: no integer factor, so resize(BOX); with Adam7, the path that keeps partial row sums.
        Entry(f"libpng-rgb-{size - 1}", size - 1, "RGB", "libpng"),
        Entry(f"libpng-rgba-{size - 1}", size - 1, "RGBA", "libpng"),
        Entry(f"libpng-rgba-adam7-{size - 1}", size - 1, "RGBA", "libpng", "interlace"),
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
    parser.add_argument("--pyodide", action="store_true", help="also compare Pyodide's output with CPython's")
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
    if args.pyodide and ready:
        print()
        return pyodide_check(ready[0].path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

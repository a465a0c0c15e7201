import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import zlib from "node:zlib";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, "..");
const pyodideDir = process.env.PYODIDE_DIR ?? path.join(repoRoot, "node_modules", "pyodide");

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}
const size = Number(option("--size", "4096"));
const filterMix = option("--filter", "up-sub");
const streamed = process.argv.includes("--stream");

// --- a deterministic photo-like RGBA PNG (gradients + soft blobs + noise), written by hand ---
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes, crc = 0xffffffff) {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}
function chunk(type, payload) {
  const out = Buffer.alloc(12 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.write(type, 4, "latin1");
  payload.copy(out, 8);
  out.writeUInt32BE((crc32(out.subarray(4, 8 + payload.length)) ^ 0xffffffff) >>> 0, 8 + payload.length);
  return out;
}
function paeth(a, b, c) {
  const pa = Math.abs(b - c),
    pb = Math.abs(a - c),
    pc = Math.abs(a + b - 2 * c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
function photoPng(n) {
  const bpp = 4,
    line = n * bpp;
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) & 0xff;
  };
  const blobs = Array.from({ length: 8 }, () => [
    (random() * n) / 256,
    (random() * n) / 256,
    ((random() + 20) * n) / 1200,
    random(),
    random(),
    random(),
  ]);
  const raw = Buffer.alloc(n * (line + 1));
  let prev = new Uint8Array(line),
    row = new Uint8Array(line);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let r = (x * 255) / n,
        g = (y * 255) / n,
        b = ((x + y) * 127) / n;
      for (const [bx, by, radius, br, bg, bb] of blobs) {
        const d2 = ((x - bx) ** 2 + (y - by) ** 2) / (radius * radius);
        if (d2 < 1) {
          const w = 1 - d2;
          r += (br - r) * w;
          g += (bg - g) * w;
          b += (bb - b) * w;
        }
      }
      const i = x * bpp;
      row[i] = Math.min(255, r + (random() >> 4));
      row[i + 1] = Math.min(255, g + (random() >> 4));
      row[i + 2] = Math.min(255, b + (random() >> 4));
      row[i + 3] = Math.min(255, 255 - (Math.hypot(x - n / 2, y - n / 2) * 200) / n + (random() >> 5));
    }
    const type = filterMix === "avg" ? 3 : filterMix === "paeth" ? 4 : y % 3 === 2 ? 1 : 2;
    const at = y * (line + 1);
    raw[at] = type;
    for (let i = 0; i < line; i++) {
      const a = i >= bpp ? row[i - bpp] : 0,
        up = prev[i],
        c = i >= bpp ? prev[i - bpp] : 0;
      const predictor = type === 1 ? a : type === 2 ? up : type === 3 ? (a + up) >> 1 : paeth(a, up, c);
      raw[at + 1 + i] = (row[i] - predictor) & 0xff;
    }
    [prev, row] = [row, prev];
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(n, 0);
  ihdr.writeUInt32BE(n, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...splitIdat(zlib.deflateSync(raw, { level: 6 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
function splitIdat(data) {
  const parts = [];
  for (let i = 0; i < data.length; i += 65536) parts.push(chunk("IDAT", data.subarray(i, i + 65536)));
  return parts;
}

// The same digest bench/run.py computes on CPython: every PngSuite file's output PNG (or error code).
const SUITE_DIGEST = `
import hashlib, os
import grayscale
def pngsuite_digest(directory):
    digest = hashlib.sha256()
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        try:
            out = grayscale.convert(data)
        except grayscale.InvalidImage as error:
            out = error.code.encode()
        digest.update(name.encode() + out)
    return digest.hexdigest()
`;

if (process.argv.includes("--pngsuite")) {
  // Conformance inside Pyodide: print the digest only (bench/run.py compares it with CPython's).
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
  pyodide.FS.mkdirTree("/bench/src");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.join(repoRoot, "src") }, "/bench/src");
  pyodide.FS.mkdirTree("/bench/pngsuite");
  pyodide.FS.mount(
    pyodide.FS.filesystems.NODEFS,
    { root: path.join(repoRoot, "tests", "data", "pngsuite", "png") },
    "/bench/pngsuite",
  );
  pyodide.runPython(`import sys\nsys.path.insert(0, "/bench/src")\n${SUITE_DIGEST}`);
  console.log(`pngsuite digest ${pyodide.runPython(`pngsuite_digest("/bench/pngsuite")`)}`);
  process.exit(0);
}

if (process.argv.includes("--files")) {
  // Time grayscale.convert on each PNG file named after --files (best of 2); print one JSON object
  // {path: seconds} on the last line (bench/run.py reads it).
  const files = process.argv.slice(process.argv.indexOf("--files") + 1);
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
  pyodide.FS.mkdirTree("/bench/src");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.join(repoRoot, "src") }, "/bench/src");
  pyodide.runPython(`import sys\nsys.path.insert(0, "/bench/src")\nimport grayscale, time`);
  const times = {};
  for (const file of files) {
    pyodide.FS.writeFile("/bench/input.png", (await import("node:fs")).readFileSync(file));
    times[file] = pyodide.runPython(`
with open("/bench/input.png", "rb") as f:
    data = f.read()
best = float("inf")
for _ in range(2):
    start = time.perf_counter()
    grayscale.convert(data)
    best = min(best, time.perf_counter() - start)
data = None
best
`);
  }
  console.log(JSON.stringify(times));
  process.exit(0);
}

// --- run ---
let started = performance.now();
const png = photoPng(size);
if (option("--save", null)) (await import("node:fs")).writeFileSync(option("--save", null), png);
console.log(
  `input: ${size}x${size} RGBA, filters ${filterMix}, ${(png.length / 1e6).toFixed(1)} MB (generated in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
);

const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
started = performance.now();
const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
console.log(
  `pyodide ${pyodide.version} loaded in ${((performance.now() - started) / 1000).toFixed(1)} s (no packages)`,
);
pyodide.FS.mkdirTree("/bench/src");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.join(repoRoot, "src") }, "/bench/src");
pyodide.FS.writeFile("/bench/input.png", png);
pyodide.runPython(`
import sys
sys.path.insert(0, "/bench/src")
import grayscale
`);
const heap = () => pyodide._module.HEAP8.length;
const heapBefore = heap();
pyodide.runPython(`
data = b""
if not ${streamed ? "True" : "False"}:
    with open("/bench/input.png", "rb") as f:
        data = f.read()
`);
const heapWithInput = heap();
const result = pyodide
  .runPython(`
import time
start = time.perf_counter()
if ${streamed ? "True" : "False"}:
    # The Worker streams the output onwards, so only its size is kept here.
    with open("/bench/input.png", "rb") as f:
        pieces = grayscale.convert_stream(iter(lambda: f.read(65536), b""))
        header = next(pieces)
        out_size = len(header) + sum(len(piece) for piece in pieces)
else:
    out = grayscale.convert(data)
    header, out_size = out[:33], len(out)
elapsed = time.perf_counter() - start
info = grayscale.probe(header)
if ${process.argv.includes("--profile") ? "True" : "False"}:
    import cProfile, pstats
    out = None
    cProfile.run("grayscale.convert(data)", "/tmp/profile")
    pstats.Stats("/tmp/profile").sort_stats("tottime").print_stats(12)
    out = b""
(elapsed, out_size, info.width, info.height, info.color_type)
`)
  .toJs();
const heapAfter = heap();
const [elapsed, outLength, width, height, colorType] = result;
console.log(
  `${streamed ? "convert_stream (64 KB reads)" : "convert(bytes)"}: ${elapsed.toFixed(2)} s, output ${width}x${height} colour type ${colorType}, ${(outLength / 1e6).toFixed(1)} MB`,
);
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
console.log(
  `wasm heap: ${mb(heapBefore)} MB -> ${mb(heapWithInput)} MB with the input read into Python -> ${mb(heapAfter)} MB after converting: growth ${mb(heapAfter - heapBefore)} MB in all, ${mb(heapAfter - heapWithInput)} MB for the conversion`,
);
const verdict = (ok) => (ok ? "MET" : "MISSED");
console.log(
  `targets: time < 4 s ${verdict(elapsed < 4)}; heap growth < 64 MB ${verdict(heapAfter - heapBefore < 64 * 2 ** 20)} counting the input, ${verdict(heapAfter - heapWithInput < 64 * 2 ** 20)} for the conversion alone`,
);

"""Pure-Python PNG -> 8-bit grayscale conversion (stdlib only; runs the same on CPython and Pyodide).

Public API (everything else is internal):
    convert(data, *, max_pixels=40_000_000, max_decompressed_bytes=DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_dimension=1_000_000) -> bytes
    convert_stream(chunks, *, same limits) -> Iterator[bytes]   # b"".join(...) == convert(...)
        (for a corrupt input with several faults, the code reported may depend on the chunking:
        the first fault met in stream order wins; it is always InvalidImage)
    convert_steps(data, *, same limits) -> Iterator[bytes]      # b"".join(...) == convert(data)
        (yields after every bounded amount of work, often b"": see "Sharing the host" below)
    Conversion(data, *, same limits)                             # .step() -> bool (True when done), .result()
    probe(data) -> PngInfo                                       # signature + IHDR only (first 33 bytes)
    PngInfo, InvalidImage (a ValueError with .code), ERROR_CODES (code -> meaning)
For other readers of PNGs in this project (imageops), the parts they share with the conversion:
    chunk_walk.ChunkWalk / Limits (chunk order and limits, code for code), writer.PngWriter (8-bit
    PNG output, colour types 0, 2, 4, 6), decoder.ScanlineBuffer, samples.transparency_key, budget.WorkMeter.

Output: colour type 0 (8-bit gray), or colour type 4 (8-bit gray + alpha) when the input has an
alpha channel or a tRNS chunk; same width and height; never interlaced.
Gray is BT.601 luma exactly as Pillow's convert("L"): (19595 R + 38470 G + 7471 B + 0x8000) >> 16,
after scaling samples to 8 bits (low depths by bit replication, 16-bit by keeping the high byte).

Sharing the host: convert() runs to the end in one go (~0.1-0.3 s per megapixel on CPython, 2-3x
that in Pyodide). A host that must keep serving other work meanwhile (one Worker isolate) converts
through Conversion, or convert_steps, and hands control back between steps. A step does about
budget.STEP_BUDGET_US (4 ms) of estimated CPython work whatever the input, and never more than that
plus one unit (budget.MAX_UNIT_US): scanlines are taken in bands of at most 128 KB, wavefront sweeps
pause every ~1 ms of steps, rows over 128 KB are decoded, converted and written a piece at a time,
huge IDAT chunks are CRC-checked and inflated in pieces. Conversion keeps the output in one buffer
reserved up front (the same memory bound as convert); convert_steps hands out the pieces instead.

Policies for inputs the spec leaves open:
- Missing IEND is an error ("truncated"); bytes after IEND are ignored.
- Unknown ancillary chunks are skipped (CRC still checked) wherever they appear; unknown critical
  chunks are "unknown_critical_chunk". A malformed tRNS is an error ("bad_transparency").
- Palette indices beyond the PLTE entries decode as black, opaque (as Pillow and libpng do).
- Limits are checked from IHDR before anything is inflated; inflation never produces more than
  IHDR implies, so decompression bombs are refused early ("image_data_long").
- convert_stream yields output as it goes: if it raises InvalidImage midway, discard what it
  yielded. Large IDAT chunks arriving in small pieces are inflated before their CRC is checked,
  so damage there may be reported as bad_image_data/bad_filter instead of crc_mismatch.
"""

from .chunk_walk import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_DIMENSION, DEFAULT_MAX_PIXELS
from .errors import ERROR_CODES, InvalidImage
from .header import PngInfo, probe
from .pipeline import Conversion, convert, convert_steps, convert_stream

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_DIMENSION",
    "DEFAULT_MAX_PIXELS",
    "ERROR_CODES",
    "Conversion",
    "InvalidImage",
    "PngInfo",
    "convert",
    "convert_steps",
    "convert_stream",
    "probe",
]

"""Pure-Python PNG thumbnails and metadata (stdlib and the grayscale core only; runs the same on CPython
and Pyodide; imports nothing from the platform).

Public API (everything else is internal):
    thumbnail(data, *, max_side=256, max_pixels=40_000_000,
              max_decompressed_bytes=grayscale.DEFAULT_MAX_DECOMPRESSED_BYTES, max_dimension=1_000_000) -> bytes
    thumbnail_steps(data, *, same arguments) -> Iterator[bytes]    # b"".join(...) == thumbnail(...)
        (yields the output made ready during each bounded step, often b"")
    Thumbnail(data, *, same arguments)                              # .step() -> bool (True when done), .result()
    thumbnail_size(width, height, max_side=256) -> (width, height)  # the size thumbnail() produces
    metadata(data, *, max_pixels=..., max_decompressed_bytes=..., max_dimension=...) -> dict (JSON-ready)
    metadata_steps(data, *, same limits) -> Iterator[dict | None]    # None after each step, the report last
    Metadata(data, *, same limits)                                   # .step() -> bool, .result() -> dict
    DEFAULT_MAX_SIDE (256), MAX_SIDE_RANGE ((1, 4096): max_side outside it is a ValueError)
    InvalidImage, ERROR_CODES (re-exported from grayscale: every bad input raises InvalidImage with the
        grayscale core's code for it, checked in the same order, so both operations and the grayscale
        conversion refuse the same files the same way; the limits are the grayscale core's)

Thumbnail: an 8-bit, non-interlaced PNG whose longest side is at most max_side, the aspect ratio kept
as Pillow's Image.thumbnail((max_side, max_side)) keeps it (the short side is the floor or the ceiling
of the exact value, whichever gives the closer aspect ratio; at least 1). An image that already fits
is re-encoded at its size, never enlarged. Colour and transparency are kept: colour type 0 (gray),
4 (gray+alpha), 2 (RGB) or 6 (RGBA) as the input has them; palettes become RGB (RGBA with tRNS), a tRNS
colour key becomes an alpha channel, 16-bit samples keep their high byte and lower depths are scaled
by bit replication, as in the grayscale core. Adam7 inputs work (no full-size canvas is kept).
Downscaling is a box filter (area average) with Pillow's arithmetic, alpha premultiplied as Pillow
does it:
- when both sides shrink by integer factors, exactly Image.reduce((fx, fy));
- otherwise Image.resize(size, Image.Resampling.BOX): input pixel x belongs to output pixel j when
  j*scale < x + 0.5 <= (j+1)*scale in Pillow's floating point (so at an exact tie a pixel may count
  for both neighbours or for neither, as in Pillow), each pass rounded to 8 bits in Pillow's fixed
  point. Pillow 13 does the vertical pass first when (H - h) > 2 (W - w), else the horizontal one;
  images with alpha or interlacing follow that order and get exactly Pillow's pixels; other images
  always take the vertical pass first (half the work), which differs from Pillow's horizontal-first
  result by at most 1 in a sample. The promise is within +-2 of Pillow's resize.
Memory: the input, one strip of rows, one partial sum per open output row and band (bench/imageops_bench.py:
at most 8 MB over the input's size for 4096 x 4096 photos, most of it the grayscale core's unfiltering).
Adam7 inputs that resize (not reduce) also keep the partial sums later passes complete: about
height/2 x thumbnail width x channels x 2 bytes with Pillow's horizontal-first order (4 MB for a
4095 x 4095 RGBA image, which then peaks at 13 MB over its input), or thumbnail height x width x
channels x 2 with the vertical-first order (tall images).

Metadata: a JSON-ready dict: width, height, bit_depth, color_type {value, name}, interlace {value,
name}, palette_size, transparency ({"kind": "alpha_channel" | "palette_alpha" | "gray_key" |
"rgb_key", "values": [...]} or None), gamma, chromaticities, srgb_intent {value, name},
icc_profile_name (not the profile), significant_bits, background, physical_pixel_size {x, y, unit,
dpi when in metres}, modification_time (tIME as RFC 3339, UTC), text [{chunk, keyword, text,
compressed, truncated, language and translated_keyword for iTXt}], palette_histogram (hIST),
suggested_palettes [{name, sample_depth, entries}] (sPLT), exif_bytes, animation {frames, plays}
(acTL), ancillary_chunks {type: count}, invalid_chunks [{type, reason}], warnings [str], and
luma_histogram {bins (256 counts), pixels, min, max, mean}: BT.601 luma exactly as the grayscale core
computes it, alpha ignored. Absent facts are None. An invalid, misplaced or duplicated ancillary chunk
is listed in invalid_chunks and otherwise ignored, never fatal (a CRC mismatch still is, as in the
grayscale core). Bounds: at most 1 MB of any chunk is read (the rest is only CRC-checked), a text is
cut at 64 KB decompressed (marked truncated), at most 64 text chunks and 256 K characters of text are
reported, at most 32 invalid chunks and 32 warnings, 16 suggested palettes and 64 chunk types.

Sharing the host: like grayscale.Conversion, Thumbnail and Metadata advance one step per step() call,
each about grayscale.budget.STEP_BUDGET_US (4 ms) of estimated CPython work whatever the input (rows
are cut into bands of whole output columns, long rows are decoded in pieces), so a Worker can hand
control back to its event loop between steps; thumbnail() and metadata() run the steps to the end.
"""

from grayscale import ERROR_CODES, InvalidImage

from .geometry import DEFAULT_MAX_SIDE, thumbnail_size
from .metadata import Metadata, metadata, metadata_steps
from .thumbnail import MAX_SIDE_RANGE, Thumbnail, thumbnail, thumbnail_steps

__all__ = [
    "DEFAULT_MAX_SIDE",
    "ERROR_CODES",
    "MAX_SIDE_RANGE",
    "InvalidImage",
    "Metadata",
    "Thumbnail",
    "metadata",
    "metadata_steps",
    "thumbnail",
    "thumbnail_size",
    "thumbnail_steps",
]

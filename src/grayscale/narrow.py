"""Decoding runs of very narrow scanlines (a few pixels wide, spec 9) in one plain loop. For such rows
the fixed cost of handling a row (objects, dispatch, windows) outweighs the arithmetic, and no lane
trick has lanes to work with: a 2-pixel RGB row is 6 bytes, and a 2 x 1,000,000 image has a million
of them. Imports only .filter_types."""

from .filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_SUB, FILTER_UP


def unfilter_narrow_rows(band: bytes | bytearray, rows: int, row_bytes: int, bpp: int, prev: bytes) -> bytearray:
    """Decode `rows` consecutive scanlines held in `band` (each a filter type byte and row_bytes
    filtered bytes; every type already checked to be 0-4) below the decoded row `prev`; returns the
    decoded rows, concatenated. One loop per row over its bytes, all state in local variables.
    Reference twin: grayscale_reference.unfilter_row, row after row
    (test_narrow_rows_match_reference). Justified by benchmark rows *-strip-tall-2x1000000
    (~1.7 us/pixel through the general path, ~0.4 here)."""
    n = row_bytes
    length = n + 1
    out = bytearray(prev) + bytearray(rows * n)  # out[0:n] is the row above the first
    for r in range(rows):
        src = r * length + 1
        dst = (r + 1) * n
        filter_type = band[src - 1]
        if filter_type == FILTER_NONE:
            out[dst : dst + n] = band[src : src + n]
        elif filter_type == FILTER_SUB:
            out[dst : dst + bpp] = band[src : src + bpp]
            for i in range(dst + bpp, dst + n):
                out[i] = (band[src - dst + i] + out[i - bpp]) & 0xFF
        elif filter_type == FILTER_UP:
            for i in range(dst, dst + n):
                out[i] = (band[src - dst + i] + out[i - n]) & 0xFF
        elif filter_type == FILTER_AVERAGE:
            for i in range(dst, dst + bpp):
                out[i] = (band[src - dst + i] + (out[i - n] >> 1)) & 0xFF
            for i in range(dst + bpp, dst + n):
                out[i] = (band[src - dst + i] + ((out[i - bpp] + out[i - n]) >> 1)) & 0xFF
        elif filter_type == FILTER_PAETH:
            for i in range(dst, dst + bpp):  # no left neighbour: the predictor is `up`
                out[i] = (band[src - dst + i] + out[i - n]) & 0xFF
            for i in range(dst + bpp, dst + n):
                a = out[i - bpp]
                b = out[i - n]
                c = out[i - n - bpp]
                pa = b - c
                pb = a - c
                pc = pa + pb
                if pa < 0:
                    pa = -pa
                if pb < 0:
                    pb = -pb
                if pc < 0:
                    pc = -pc
                if pa <= pb and pa <= pc:
                    out[i] = (band[src - dst + i] + a) & 0xFF
                elif pb <= pc:
                    out[i] = (band[src - dst + i] + b) & 0xFF
                else:
                    out[i] = (band[src - dst + i] + c) & 0xFF
    del out[:n]
    return out

"""Plain, obviously-correct twins of the fast routines in src/grayscale (used only by tests).
Each works byte by byte, straight from the PNG spec's formulas."""


def add_bytes(a: bytes, b: bytes) -> bytes:
    return bytes((x + y) & 0xFF for x, y in zip(a, b, strict=True))


def sub_bytes(a: bytes, b: bytes) -> bytes:
    return bytes((x - y) & 0xFF for x, y in zip(a, b, strict=True))


def avg_bytes(a: bytes, b: bytes) -> bytes:
    return bytes((x + y) >> 1 for x, y in zip(a, b, strict=True))


def paeth_predictor(left: int, up: int, upper_left: int) -> int:
    """Spec 9.4."""
    p = left + up - upper_left
    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
    if pa <= pb and pa <= pc:
        return left
    if pb <= pc:
        return up
    return upper_left


def unfilter_row(filter_type: int, raw: bytes, prev: bytes, bpp: int) -> bytes:
    """Spec 9.3 reconstruction of one scanline."""
    row = bytearray(len(raw))
    for i, x in enumerate(raw):
        left = row[i - bpp] if i >= bpp else 0
        up = prev[i]
        upper_left = prev[i - bpp] if i >= bpp else 0
        predictor = {
            0: 0,
            1: left,
            2: up,
            3: (left + up) // 2,
            4: paeth_predictor(left, up, upper_left),
        }[filter_type]
        row[i] = (x + predictor) & 0xFF
    return bytes(row)


def unfilter_rows(types: list[int], raws: list[bytes], prev: bytes, bpp: int) -> list[bytes]:
    """unfilter_row over consecutive scanlines, starting below `prev`."""
    rows, above = [], prev
    for filter_type, raw in zip(types, raws, strict=True):
        above = unfilter_row(filter_type, raw, above, bpp)
        rows.append(above)
    return rows


def filter_row(filter_type: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """Spec 9.2 filtering of one scanline (the inverse of unfilter_row)."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        left = row[i - bpp] if i >= bpp else 0
        up = prev[i]
        upper_left = prev[i - bpp] if i >= bpp else 0
        predictor = {
            0: 0,
            1: left,
            2: up,
            3: (left + up) // 2,
            4: paeth_predictor(left, up, upper_left),
        }[filter_type]
        out[i] = (x - predictor) & 0xFF
    return bytes(out)


def luma(red: bytes, green: bytes, blue: bytes) -> bytes:
    return bytes((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16 for r, g, b in zip(red, green, blue, strict=True))


def alpha_where_key(samples: bytes, sample_bytes: int, key: bytes) -> bytes:
    return bytes(0 if samples[i : i + sample_bytes] == key else 255 for i in range(0, len(samples), sample_bytes))


def unpack_samples(row: bytes, bit_depth: int, width: int) -> list[int]:
    """Spec 7.2: samples packed leftmost-first into the high bits of each byte."""
    values = []
    mask = (1 << bit_depth) - 1
    for byte in row:
        for k in range(8 // bit_depth):
            values.append((byte >> (8 - bit_depth * (k + 1))) & mask)
    return values[:width]


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def adam7_positions(width: int, height: int) -> list[list[tuple[int, int]]]:
    """For each pass, the (x, y) image positions of its pixels in data order."""
    return [[(x, y) for y in range(y0, height, dy) for x in range(x0, width, dx)] for x0, y0, dx, dy in ADAM7]

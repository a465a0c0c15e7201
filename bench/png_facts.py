"""Facts about a PNG file the benchmark table shows: its IDAT data and the share of scanlines using
each filter type. Bench-only; stdlib zlib, independent of the core."""

import struct
import zlib

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
FILTER_LETTERS = "NSUAP"  # None, Sub, Up, Average, Paeth


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk."""
    pos, found = 8, []
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        found.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return found


def idat_data(data: bytes) -> bytes:
    """The concatenated IDAT payloads (what has to be inflated)."""
    return b"".join(payload for chunk_type, payload in chunks(data) if chunk_type == b"IDAT")


def filter_counts(data: bytes) -> list[int]:
    """How many scanlines use each filter type 0-4 (every Adam7 pass counted)."""
    header = chunks(data)[0][1]
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    raw = zlib.decompress(idat_data(data))
    shapes = [(width, height)]
    if interlace:
        shapes = [(len(range(x0, width, dx)), len(range(y0, height, dy))) for x0, y0, dx, dy in ADAM7]
    counts = [0] * 5
    pos = 0
    for w, h in shapes:
        if not w or not h:
            continue
        length = (w * CHANNELS[colour] * depth + 7) // 8 + 1
        for t in raw[pos : pos + h * length : length]:
            counts[t] += 1
        pos += h * length
    return counts


def filter_mix(data: bytes) -> str:
    """e.g. "P93 A5 N2": percent of scanlines per filter type, largest first, shares under 1% left out."""
    counts = filter_counts(data)
    total = sum(counts)
    shares = sorted(((100 * c / total, FILTER_LETTERS[t]) for t, c in enumerate(counts) if c), reverse=True)
    return " ".join(f"{letter}{share:.0f}" for share, letter in shares if share >= 1) or "-"

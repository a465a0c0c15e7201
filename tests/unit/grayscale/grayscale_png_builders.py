"""Test-only helpers to take PNGs apart and build (possibly broken) ones with valid CRCs."""

import struct
import zlib

import grayscale_reference as ref

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(chunk_type: bytes, payload: bytes, crc: int | None = None) -> bytes:
    if crc is None:
        crc = zlib.crc32(chunk_type + payload)
    return struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", crc)


def parse_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """[(type, payload)] of a well-formed PNG, without checking CRCs."""
    assert png[:8] == SIGNATURE
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        chunks.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def assemble(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return SIGNATURE + b"".join(chunk(t, p) for t, p in chunks)


def ihdr(
    width: int,
    height: int,
    bit_depth: int,
    color_type: int,
    interlace: int = 0,
    compression: int = 0,
    filter_method: int = 0,
) -> bytes:
    return struct.pack(">IIBBBBB", width, height, bit_depth, color_type, compression, filter_method, interlace)


def pass_shapes(width: int, height: int, interlace: int) -> list[tuple[int, int]]:
    """(width, height) of each non-empty sub-image, in data order."""
    if not interlace:
        return [(width, height)]
    shapes = []
    for x0, y0, dx, dy in ref.ADAM7:
        w = len(range(x0, width, dx))
        h = len(range(y0, height, dy))
        if w and h:
            shapes.append((w, h))
    return shapes


def image_data(png: bytes) -> tuple[bytes, tuple[int, int, int, int, int]]:
    """(inflated IDAT data, (width, height, bit_depth, color_type, interlace))."""
    chunks = parse_chunks(png)
    width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    data = zlib.decompress(b"".join(p for t, p in chunks if t == b"IDAT"))
    return data, (width, height, bit_depth, color_type, interlace)


def replace_image_data(png: bytes, raw: bytes, idat_pieces: int = 1, compressed: bytes | None = None) -> bytes:
    """The same PNG with its IDATs replaced by `raw` compressed (or `compressed` as given), split in pieces."""
    chunks = parse_chunks(png)
    data = zlib.compress(raw) if compressed is None else compressed
    step = max(1, -(-len(data) // idat_pieces))
    idats = [(b"IDAT", data[i : i + step]) for i in range(0, len(data), step)] or [(b"IDAT", b"")]
    first = next(i for i, (t, _) in enumerate(chunks) if t == b"IDAT")
    rest = [c for c in chunks if c[0] != b"IDAT"]
    return assemble(rest[:first] + idats + rest[first:])


def scanlines(png: bytes) -> list[tuple[int, bytes]]:
    """The unfiltered scanlines as (row_bytes, row) in data order, via the reference unfilter."""
    data, (width, height, bit_depth, color_type, interlace) = image_data(png)
    bpp = max(1, CHANNELS[color_type] * bit_depth // 8)
    rows, pos = [], 0
    for w, h in pass_shapes(width, height, interlace):
        row_bytes = (w * CHANNELS[color_type] * bit_depth + 7) // 8
        prev = bytes(row_bytes)
        for _ in range(h):
            prev = ref.unfilter_row(data[pos], data[pos + 1 : pos + 1 + row_bytes], prev, bpp)
            rows.append((row_bytes, prev))
            pos += 1 + row_bytes
    return rows


def refilter(png: bytes, choose_filter, idat_pieces: int = 1) -> bytes:
    """The same image re-encoded with filter type choose_filter(row_index) on each scanline."""
    data, (width, height, bit_depth, color_type, interlace) = image_data(png)
    bpp = max(1, CHANNELS[color_type] * bit_depth // 8)
    out, pos, index = bytearray(), 0, 0
    for w, h in pass_shapes(width, height, interlace):
        row_bytes = (w * CHANNELS[color_type] * bit_depth + 7) // 8
        prev = bytes(row_bytes)
        for _ in range(h):
            row = ref.unfilter_row(data[pos], data[pos + 1 : pos + 1 + row_bytes], prev, bpp)
            filter_type = choose_filter(index)
            out.append(filter_type)
            out += ref.filter_row(filter_type, row, prev, bpp)
            prev = row
            pos += 1 + row_bytes
            index += 1
    return replace_image_data(png, bytes(out), idat_pieces)

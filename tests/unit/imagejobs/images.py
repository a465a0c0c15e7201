import io
import struct
import zlib

from PIL import Image


def png(width=8, height=6, mode="RGB", color=(200, 100, 50)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color[: len(mode)] if mode != "L" else color[0]).save(out, format="PNG")
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def header_only_png(width: int, height: int, bit_depth=8, color_type=2) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"garbage") + chunk(b"IEND", b"")

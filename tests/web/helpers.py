"""Test images (Pillow is the oracle) and page helpers shared by the page tests."""

import io
import random
import struct
import zlib
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

TERMINAL = ("completed", "failed", "cancelled")


def write_png(path: Path, width: int, height: int, seed: int = 1, mode: str = "RGB", noise: int = 20) -> Path:
    """A deterministic gradient-plus-noise PNG (noise makes it compress badly, i.e. big)."""
    rng = random.Random(seed)
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            base = (x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x * 7 + y * 3) % 256, 200)
            pixels.extend(min(255, max(0, base[c] + rng.randint(-noise, noise))) for c in range(len(mode)))
    Image.frombytes(mode, (width, height), bytes(pixels)).save(path, format="PNG")
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_corrupt_png(path: Path, width: int = 16, height: int = 16) -> Path:
    """Valid signature and IHDR (the upload is accepted) but image data that is not zlib."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"not zlib at all") + _chunk(b"IEND", b"")
    )
    return path


def write_huge_header_png(path: Path, width: int = 10_000, height: int = 5_000) -> Path:
    """A tiny file whose IHDR claims more pixels than the server's MAX_PIXELS (40 million)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0")) + _chunk(b"IEND", b"")
    )
    return path


def luma(png: bytes | Path) -> Image.Image:
    data = png.read_bytes() if isinstance(png, Path) else png
    return Image.open(io.BytesIO(data)).convert("L")


def open_as(page: Page, base_url: str, email: str) -> None:
    """Opens the page and identifies as `email` through the dev-user field."""
    page.goto(base_url + "/")
    field = page.get_by_label("Dev user")
    expect(field).to_be_visible()
    field.fill(email)
    field.press("Enter")
    expect(page.locator("#jobs-owner")).to_have_text(email)
    expect(page.locator("#jobs")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#drop-zone")).to_be_enabled()


def card(page: Page, name: str):
    return page.locator("li.job", has=page.locator(".job-name", has_text=name))


def statuses(page: Page, job_id: str) -> list[str]:
    return page.evaluate("(id) => window.__statuses[id] || []", job_id)

"""PngSuite conformance: every valid file converts (whole and streamed) to the luma of its reference
pixels; every deliberately corrupt x* file is rejected with a specific code."""

import io
import json
import random

import pytest
from grayscale_testdata import PNGSUITE
from PIL import Image

from grayscale import InvalidImage, convert, convert_stream

PNG_DIR = PNGSUITE / "png"
ALL_FILES = sorted(p.name for p in PNG_DIR.glob("*.png")) if PNG_DIR.is_dir() else []
VALID_FILES = [name for name in ALL_FILES if not name.startswith("x")]
CORRUPT_FILES = [name for name in ALL_FILES if name.startswith("x")]

EXPECTED_CODES = {
    "xc1n0g08.png": "bad_header",  # colour type 1
    "xc9n2c08.png": "bad_header",  # colour type 9
    "xcrn0g04.png": "not_png",  # signature mangled by CR-LF conversion
    "xcsn0g01.png": "crc_mismatch",  # IDAT CRC
    "xd0n2c08.png": "bad_header",  # bit depth 0
    "xd3n2c08.png": "bad_header",  # bit depth 3
    "xd9n2c08.png": "bad_header",  # bit depth 99
    "xdtn0g01.png": "missing_image_data",  # no IDAT
    "xhdn0g08.png": "crc_mismatch",  # IHDR CRC
    "xlfn0g04.png": "not_png",  # signature mangled by LF conversion
    "xs1n0g01.png": "not_png",
    "xs2n0g01.png": "not_png",
    "xs4n0g01.png": "not_png",
    "xs7n0g01.png": "not_png",
}


def test_pngsuite_is_present():
    assert len(ALL_FILES) == 175, f"PngSuite not found at {PNG_DIR} (expected tests/data/pngsuite)"
    assert sorted(CORRUPT_FILES) == sorted(EXPECTED_CODES)


def reference_rgba(stem: str) -> list[int]:
    """The reference pixels as 8-bit RGBA; files without a _to8 variant may hold 16-bit values."""
    path = PNGSUITE / "json" / f"{stem}_to8.json"
    if not path.exists():
        path = PNGSUITE / "json" / f"{stem}.json"
    values = json.loads(path.read_text())
    if max(values) > 255:
        values = [v >> 8 for v in values]
    return values


def decode_output(png: bytes) -> tuple[Image.Image, bytes, bytes | None]:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.mode in ("L", "LA")
    pixels = image.tobytes()
    if image.mode == "LA":
        return image, pixels[0::2], pixels[1::2]
    return image, pixels, None


def random_pieces(data: bytes, seed: int):
    rng = random.Random(seed)
    pos = 0
    while pos < len(data):
        size = rng.choice([1, 2, 3, 7, 8, 13, 64, 500])
        yield data[pos : pos + size]
        pos += size


@pytest.mark.parametrize("name", VALID_FILES)
def test_valid_file_matches_reference_luma(name):
    data = (PNG_DIR / name).read_bytes()
    out = convert(data)
    assert b"".join(convert_stream(random_pieces(data, len(data)))) == out
    image, gray, alpha = decode_output(out)
    source = Image.open(PNG_DIR / name)
    assert image.size == source.size

    rgba = reference_rgba(name[:-4])
    pixels = zip(rgba[0::4], rgba[1::4], rgba[2::4], strict=True)
    expected_gray = [(19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16 for r, g, b in pixels]
    assert len(gray) == len(expected_gray)
    assert max(abs(a - b) for a, b in zip(gray, expected_gray, strict=True)) <= 1
    if alpha is None:
        assert set(rgba[3::4]) == {255}, "the reference has transparency but the output has no alpha"
    else:
        assert list(alpha) == rgba[3::4]

    if source.mode in ("RGB", "RGBA", "P", "L", "LA", "1"):
        # Pillow is the oracle (16-bit gray opens as mode I;16, whose convert("L") clips, so it is skipped).
        assert gray == source.convert("L").tobytes()


@pytest.mark.parametrize("name", CORRUPT_FILES)
def test_corrupt_file_is_rejected_with_its_code(name):
    data = (PNG_DIR / name).read_bytes()
    with pytest.raises(InvalidImage) as caught:
        convert(data)
    assert caught.value.code == EXPECTED_CODES[name]
    with pytest.raises(InvalidImage) as caught_streamed:
        b"".join(convert_stream(random_pieces(data, 1)))
    assert caught_streamed.value.code == EXPECTED_CODES[name]

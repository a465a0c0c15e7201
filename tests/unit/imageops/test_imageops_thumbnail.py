"""thumbnail(): sizes, colour types and pixels against Pillow on every valid PngSuite file and on
generated photos (exact against reduce() for integer factors, within +-2 of resize(BOX) otherwise,
and against the plain reference box filter), the kept-size path, steps, and bad inputs."""

import io
import random

import imageops_reference as ref
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imageops_png_builders import encode, encode_image, photo
from imageops_testdata import CORRUPT_FILES, PNG_DIR, VALID_FILES, reference_rgba
from PIL import Image

import grayscale
from imageops import MAX_SIDE_RANGE, InvalidImage, Thumbnail, thumbnail, thumbnail_size, thumbnail_steps

MODES = {0: "L", 4: "LA", 2: "RGB", 6: "RGBA"}
RESIZE_TOLERANCE = 2
REFERENCE_PIXELS = 200_000


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def in_mode(rgba: Image.Image, mode: str) -> Image.Image:
    """The full-resolution reference in the thumbnail's mode (gray images have R = G = B)."""
    if mode == "L":
        return rgba.getchannel("R")
    if mode == "LA":
        return Image.merge("LA", (rgba.getchannel("R"), rgba.getchannel("A")))
    return rgba.convert(mode)


def pillow_thumbnail(source: Image.Image, size: tuple[int, int]) -> tuple[Image.Image, bool]:
    """(Pillow's pixels for that size, whether they come from reduce())."""
    if source.size == size:
        return source, True
    width, height = source.size
    if width % size[0] == 0 and height % size[1] == 0:
        return source.reduce((width // size[0], height // size[1])), True
    return source.resize(size, Image.Resampling.BOX), False


def largest_difference(a: bytes, b: bytes) -> int:
    assert len(a) == len(b)
    return max((abs(x - y) for x, y in zip(a, b, strict=True)), default=0)


def check_against_pillow(png: bytes, source: Image.Image, max_side: int) -> tuple[bool, int]:
    """Assert the thumbnail of `png` (whose full-resolution pixels are `source`) has Pillow's size and
    pixels: exactly reduce()'s, exactly resize(BOX)'s where we follow Pillow's order of passes (alpha,
    Adam7, or Pillow going vertical first), else within 1 of them; and exactly the reference twin's.
    Returns (exact path, largest difference from Pillow)."""
    out = decode(thumbnail(png, max_side=max_side))
    assert out.size == thumbnail_size(*source.size, max_side)
    assert out.mode == source.mode
    expected, exact = pillow_thumbnail(source, out.size)
    difference = largest_difference(out.tobytes(), expected.tobytes())
    interlaced = png[28] == 1  # IHDR's interlace method
    pillow_order = source.mode in ("LA", "RGBA") or interlaced
    pillow_vertical_first = source.height - out.height > 2 * (source.width - out.width)
    if exact or pillow_order or pillow_vertical_first:
        assert difference == 0
    assert difference <= 1 <= RESIZE_TOLERANCE
    if source.width * source.height <= REFERENCE_PIXELS:  # the plain twin is slow
        reference = ref.thumbnail_pixels(source.tobytes(), *source.size, len(source.mode), out.size, interlaced)
        assert out.tobytes() == reference
    return exact, difference


def expected_mode(name: str, source: Image.Image) -> str:
    """The thumbnail's mode from the file name's colour type and PngSuite's transparency files."""
    color_type = int(name[4])
    transparent = "transparency" in source.info or color_type in (4, 6)
    if color_type in (0, 4):
        return "LA" if transparent else "L"
    return "RGBA" if transparent else "RGB"


@pytest.mark.parametrize("name", VALID_FILES)
def test_pngsuite_thumbnails_match_pillow(name):
    png = (PNG_DIR / name).read_bytes()
    pillow = Image.open(PNG_DIR / name)
    rgba = Image.frombytes("RGBA", pillow.size, reference_rgba(name[:-4]))
    mode = expected_mode(name, pillow)
    source = in_mode(rgba, mode)
    if pillow.mode in ("L", "LA", "RGB", "RGBA") and "transparency" not in pillow.info:
        assert source.tobytes() == pillow.convert(mode).tobytes()  # the reference agrees with Pillow
    for max_side in (1, 3, 7, 16, 31, 32, 64):
        check_against_pillow(png, source, max_side)
    assert b"".join(thumbnail_steps(png, max_side=7)) == thumbnail(png, max_side=7)


def test_kept_size_is_reencoded_not_enlarged():
    for name in ("basn2c08.png", "basi6a16.png", "s01n3p01.png", "tbbn3p08.png"):
        png = (PNG_DIR / name).read_bytes()
        out = thumbnail(png, max_side=256)
        image = decode(out)
        assert image.size == Image.open(PNG_DIR / name).size
        assert image.info.get("interlace", 0) == 0
        assert out != png


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("interlace", [0, 1])
def test_photo_thumbnails_match_pillow(mode, interlace):
    rng = random.Random(hash((mode, interlace)) & 0xFFFF)
    for size in [(512, 512), (512, 384), (300, 900), (640, 427), (257, 2), (2, 600), (1023, 1023)]:
        image = photo(*size, mode, rng.randrange(1000))
        png = encode_image(image, interlace, sub_filter_every=3)
        check_against_pillow(png, image, rng.choice([256, 100, 64]))


def test_palette_photo_becomes_rgb_and_matches_pillow():
    image = photo(600, 400, "P", 5)
    data = io.BytesIO()
    image.save(data, "PNG")
    check_against_pillow(data.getvalue(), image.convert("RGB"), 256)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 160),
    st.integers(1, 160),
    st.sampled_from(["L", "LA", "RGB", "RGBA"]),
    st.integers(0, 1),
    st.integers(1, 64),
    st.integers(0, 2**16),
)
def test_random_images_match_pillow(width, height, mode, interlace, max_side, seed):
    rng = random.Random(seed)
    image = Image.frombytes(mode, (width, height), rng.randbytes(width * height * len(mode)))
    check_against_pillow(encode_image(image, interlace), image, max_side)


def test_wide_rows_in_bands_and_pieces_match_pillow():
    """Rows longer than a band (box.BAND_PIXELS) and than the decoder's long-row threshold, with and
    without Adam7, reduce and resize."""
    rng = random.Random(9)
    for width, height, mode, interlace in [(40_000, 3, "RGB", 0), (50_000, 4, "RGBA", 1), (33_000, 2, "LA", 0)]:
        image = Image.frombytes(mode, (width, height), rng.randbytes(width * height * len(mode)))
        for max_side in (250, 256):
            check_against_pillow(encode_image(image, interlace), image, max_side)


def test_runs_of_tens_of_thousands_of_pixels_match_pillow():
    """Huge reduction factors: reduce()'s multiplier for an area of 125,000 and resize's weights for
    runs of ~62,500 pixels (whose rounding can exceed 255 before clipping)."""
    rng = random.Random(10)
    for width in (1_000_000, 999_999):
        image = Image.frombytes("L", (width, 2), bytes(rng.choice((0, 255, 254)) for _ in range(2 * width)))
        check_against_pillow(encode_image(image), image, 16)
        image = Image.new("L", (width, 2), 255)
        check_against_pillow(encode_image(image), image, 16)


def test_sixteen_bit_and_low_depth_keys():
    """A 16-bit colour key matches whole samples; the thumbnail keeps the high bytes."""
    width, height = 40, 30
    rng = random.Random(3)
    samples = []
    for _ in range(width * height):
        samples += [0x1234, 0x5678, 0x9ABC] if rng.random() < 0.3 else [rng.randrange(65536) for _ in range(3)]
    samples[0:3] = [0x1234, 0x5678, 0x9ABD]  # differs from the key in a low byte only: opaque
    png = encode(samples, width, height, 2, 16, transparency=bytes.fromhex("123456789abc"))
    rgba = bytearray()
    for i in range(0, len(samples), 3):
        r, g, b = samples[i : i + 3]
        rgba += bytes([r >> 8, g >> 8, b >> 8, 0 if (r, g, b) == (0x1234, 0x5678, 0x9ABC) else 255])
    source = Image.frombytes("RGBA", (width, height), bytes(rgba))
    check_against_pillow(png, source, 10)
    check_against_pillow(png, source, 40)


def test_output_colour_types():
    cases = {
        "basn0g02.png": 0,
        "basn0g16.png": 0,
        "tbbn0g04.png": 4,
        "basn4a16.png": 4,
        "basn2c16.png": 2,
        "basn3p04.png": 2,
        "tbbn3p08.png": 6,
        "tbrn2c08.png": 6,
        "basn6a08.png": 6,
    }
    for name, color_type in cases.items():
        out = thumbnail((PNG_DIR / name).read_bytes(), max_side=16)
        assert out[25] == color_type and out[24] == 8, name


def test_steps_and_job_give_the_same_bytes():
    png = encode_image(photo(700, 500, "RGBA", 1), 1)
    expected = thumbnail(png)
    pieces = list(thumbnail_steps(png))
    assert len(pieces) > 3 and b"".join(pieces) == expected
    job = Thumbnail(png)
    with pytest.raises(RuntimeError):
        job.result()
    while not job.step():
        pass
    assert job.result() == expected
    assert job.result() == expected  # as often as asked
    assert job.step()  # stays done


def test_max_side_out_of_range_is_a_programming_error():
    png = (PNG_DIR / "basn0g08.png").read_bytes()
    for max_side in (MAX_SIDE_RANGE[0] - 1, MAX_SIDE_RANGE[1] + 1):
        with pytest.raises(ValueError):
            thumbnail(png, max_side=max_side)


@pytest.mark.parametrize("name", CORRUPT_FILES)
def test_corrupt_files_raise_the_grayscale_code(name):
    data = (PNG_DIR / name).read_bytes()
    with pytest.raises(InvalidImage) as expected:
        grayscale.convert(data)
    with pytest.raises(InvalidImage) as caught:
        thumbnail(data)
    assert caught.value.code == expected.value.code
    job = Thumbnail(data)
    with pytest.raises(InvalidImage):
        while not job.step():
            pass
    assert job.step()  # over after an error
    with pytest.raises(InvalidImage) as again:
        job.result()
    assert again.value.code == expected.value.code


def corruptions(data: bytes, seed: int) -> list[bytes]:
    """Truncations and byte flips of a valid file."""
    rng = random.Random(seed)
    cases = [data[:n] for n in (0, 7, 8, 20, 33, 40, len(data) // 2, len(data) - 12, len(data) - 1)]
    for _ in range(30):
        position = rng.randrange(8, len(data))
        cases.append(data[:position] + bytes([data[position] ^ (1 << rng.randrange(8))]) + data[position + 1 :])
    return cases


@pytest.mark.parametrize("name", ["basn2c08.png", "basi3p02.png", "tbwn0g16.png", "ctzn0g04.png", "oi9n2c16.png"])
def test_damaged_files_raise_what_grayscale_raises(name):
    """Same code as the grayscale core for every truncation and flipped bit (or both succeed)."""
    for case in corruptions((PNG_DIR / name).read_bytes(), len(name)):
        try:
            grayscale.convert(case)
            expected = None
        except InvalidImage as exc:
            expected = exc.code
        try:
            thumbnail(case)
            got = None
        except InvalidImage as exc:
            got = exc.code
        assert got == expected


def test_limits_are_the_grayscale_limits():
    png = (PNG_DIR / "basn2c08.png").read_bytes()  # 32 x 32
    for limits in ({"max_pixels": 1023}, {"max_dimension": 31}, {"max_decompressed_bytes": 3000}):
        with pytest.raises(InvalidImage) as caught:
            thumbnail(png, **limits)
        assert caught.value.code == "too_large"

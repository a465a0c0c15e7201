"""The writer's encodings and the converter's row reuse: whatever encoding the trial picks (each one
forced here, on rows written whole and in pieces), and however rows repeat, the output decodes to
Pillow's pixels."""

import io
import random

import pytest
from PIL import Image

from grayscale import convert, filters, writer
from grayscale.filter_types import FILTER_AVERAGE, FILTER_NONE, FILTER_PAETH, FILTER_UP

ALL_ENCODINGS = [*writer.CHEAP_ENCODINGS, *writer.LZ77_ENCODINGS, *writer.PALETTE_ENCODINGS]


def pillow_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def planes(png: bytes) -> tuple[str, bytes]:
    image = Image.open(io.BytesIO(png))
    return image.mode, image.tobytes()


def expected_planes(png: bytes) -> tuple[str, bytes]:
    image = Image.open(io.BytesIO(png))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return planes(pillow_png(image.convert("LA" if has_alpha else "L")))


def sample_images() -> list[bytes]:
    rng = random.Random(5)
    images = []
    for mode, size in (("RGB", (37, 23)), ("RGBA", (19, 40)), ("L", (64, 9)), ("LA", (5, 70))):
        bands = len(mode)
        rows = [rng.randbytes(size[0] * bands) for _ in range(4)]
        data = b"".join(rng.choice(rows) for _ in range(size[1]))  # repeated rows, in runs and not
        images.append(pillow_png(Image.frombytes(mode, size, data)))
    return images


@pytest.mark.parametrize("encoding", ALL_ENCODINGS, ids=lambda e: f"filter{e[0]}-strategy{e[1]}")
@pytest.mark.parametrize("long_rows", [False, True])
def test_every_encoding_decodes_to_pillows_pixels(monkeypatch, encoding, long_rows):
    monkeypatch.setattr(writer, "CHEAP_ENCODINGS", (encoding,))
    monkeypatch.setattr(writer, "LZ77_ENCODINGS", (encoding,))
    monkeypatch.setattr(writer, "PALETTE_ENCODINGS", (encoding,))
    monkeypatch.setattr(writer, "SMALL_IMAGE_ENCODINGS", (encoding,))
    if long_rows:  # rows handed to the writer a piece at a time
        monkeypatch.setattr(filters, "LONG_ROW_BYTES", 4)
        monkeypatch.setattr(filters, "PIECE_BUDGET_US", 0.3)
    for png in sample_images():
        assert planes(convert(png)) == expected_planes(png)


def test_filter_types_of_the_candidates():
    assert {e[0] for e in ALL_ENCODINGS} == {FILTER_NONE, FILTER_UP, FILTER_AVERAGE, FILTER_PAETH}


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P"])
def test_repeated_rows_are_converted_once_and_stay_exact(monkeypatch, mode):
    """A chart-like image where most rows repeat the one above: the strip conversion converts each
    run of equal rows once, and the output is still exact."""
    from grayscale.samples import SampleConverter

    converted_rows = []
    original = SampleConverter.__init__

    def counting_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        convert_rows = self.convert
        self.convert = lambda rows, width: (converted_rows.append(len(rows)), convert_rows(rows, width))[1]

    monkeypatch.setattr(SampleConverter, "__init__", counting_init)
    rng = random.Random(len(mode))
    width, height = 300, 200
    image = Image.new("RGBA" if mode == "RGBA" else "RGB", (width, height), (255, 255, 255))
    for y in range(0, height, 20):
        image.paste((rng.randrange(256), rng.randrange(256), rng.randrange(256)), (0, y, width, y + 3))
    image = image.convert(mode)
    png = pillow_png(image)
    assert planes(convert(png)) == expected_planes(png)
    assert sum(converted_rows) < height // 4


@pytest.mark.parametrize("encoding", ALL_ENCODINGS, ids=lambda e: f"filter{e[0]}-strategy{e[1]}")
@pytest.mark.parametrize(("color_type", "mode"), [(0, "L"), (2, "RGB"), (4, "LA"), (6, "RGBA")])
def test_writer_keeps_the_pixels_of_every_colour_type(monkeypatch, encoding, color_type, mode):
    """PngWriter serves imageops too: RGB and RGBA as well as gray, rows given whole or in pieces."""
    for name in ("CHEAP_ENCODINGS", "LZ77_ENCODINGS", "PALETTE_ENCODINGS", "SMALL_IMAGE_ENCODINGS"):
        monkeypatch.setattr(writer, name, (encoding,))
    rng = random.Random(color_type)
    width, height, channels = 29, 31, len(mode)
    line = width * channels
    rows = [rng.randbytes(line) for _ in range(3)]
    pixels = b"".join(rng.choice(rows) for _ in range(height))
    whole = writer.PngWriter(width, height, color_type)
    png = whole.header() + whole.add_rows(pixels[: 7 * line]) + whole.add_rows(pixels[7 * line :]) + whole.finish()
    in_pieces = writer.PngWriter(width, height, color_type)
    parts = [in_pieces.header()]
    piece = 11 * channels  # whole pixels; the last piece of each row is shorter
    for start in range(0, len(pixels), line):
        for offset in range(0, line, piece):
            parts.append(in_pieces.add_row_piece(pixels[start + offset : start + min(offset + piece, line)]))
    parts.append(in_pieces.finish())
    for output in (png, b"".join(parts)):
        assert planes(output) == (mode, pixels)


def test_writer_refuses_a_palette_colour_type():
    with pytest.raises(ValueError, match="colour types"):
        writer.PngWriter(4, 4, 3)


def write_whole(pixels: bytes, width: int, height: int, color_type: int, **options: bool) -> bytes:
    png_writer = writer.PngWriter(width, height, color_type, **options)
    return png_writer.header() + png_writer.add_rows(pixels) + png_writer.finish()


@pytest.mark.parametrize(("color_type", "channels"), [(2, 3), (6, 4)])
def test_every_encoding_takes_the_smallest_candidate(monkeypatch, color_type, channels):
    """every_encoding (thumbnails): an image held back whole comes out as small as its best candidate."""
    rng = random.Random(11)
    width, height = 40, 30
    gradient = bytes((x * 7 + y) % 256 for y in range(height) for x in range(width * channels))
    noise = rng.randbytes(width * height * channels)
    for pixels in (gradient, noise, bytes(width * height * channels)):
        chosen = write_whole(pixels, width, height, color_type, every_encoding=True)
        sizes = []
        for encoding in (*writer.CHEAP_ENCODINGS, *writer.LZ77_ENCODINGS):
            with monkeypatch.context() as patch:
                patch.setattr(writer, "CHEAP_ENCODINGS", (encoding,))
                patch.setattr(writer, "LZ77_ENCODINGS", (encoding,))
                sizes.append(len(write_whole(pixels, width, height, color_type, every_encoding=True)))
        assert len(chosen) == min(sizes)
        assert planes(chosen)[1] == pixels


def test_the_writer_reports_what_writing_costs_with_the_encoding_it_chose():
    """A caller's work meter charges writer.us_per_byte per pixel byte: run-length coding is cheap
    whatever the data, LZ77 on rows that are not flat (a palette photo) is not."""
    from grayscale.budget import LZ77_WRITE_US_PER_BYTE, WRITE_US_PER_BYTE

    rng = random.Random(3)
    width, height = 256, 256
    noisy = rng.randbytes(width * height)
    for repetitive, expected in ((False, WRITE_US_PER_BYTE), (True, LZ77_WRITE_US_PER_BYTE)):
        png_writer = writer.PngWriter(width, height, 0, repetitive=repetitive)
        assert png_writer.us_per_byte == WRITE_US_PER_BYTE  # nothing chosen yet
        png_writer.add_rows(noisy)
        assert png_writer.us_per_byte == expected

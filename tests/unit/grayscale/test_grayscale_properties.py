"""Property tests: random small images from Pillow and from pypng (every filter type forced, Adam7)
convert to exactly Pillow's luma, and convert_stream agrees with convert for any chunking."""

import io

import png
from grayscale_png_builders import refilter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from grayscale import convert, convert_stream

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BANDS = {"RGB": 3, "RGBA": 4, "L": 1, "LA": 2, "P": 1, "1": 1}


@st.composite
def pillow_pngs(draw) -> bytes:
    """A random small image saved by Pillow (its own adaptive filtering), optionally with tRNS."""
    mode = draw(st.sampled_from(sorted(BANDS)))
    width = draw(st.integers(1, 37))
    height = draw(st.integers(1, 9))
    smooth = draw(st.booleans())
    if smooth:  # gradients compress like photos and make Pillow pick Sub/Up/Paeth
        seed = draw(st.integers(0, 255))
        raw = bytes(
            ((x * 5 + y * 3 + seed + c * 40) & 0xFF)
            for y in range(height)
            for x in range(width)
            for c in range(BANDS[mode])
        )
    else:
        raw = draw(st.binary(min_size=width * height * BANDS[mode], max_size=width * height * BANDS[mode]))
    if mode == "1":
        image = Image.frombytes("L", (width, height), raw).point(lambda v: 255 * (v > 127)).convert("1")
    else:
        image = Image.frombytes(mode, (width, height), raw)
    options = {}
    if mode == "P":
        entries = draw(st.integers(1, 256))
        image.putpalette(draw(st.binary(min_size=3 * entries, max_size=3 * entries)))
        if draw(st.booleans()):
            options["transparency"] = draw(st.binary(min_size=1, max_size=entries))
    elif mode in ("L", "RGB") and draw(st.booleans()):
        options["transparency"] = draw(st.integers(0, 255)) if mode == "L" else tuple(raw[:3])
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


@st.composite
def pypng_pngs(draw) -> bytes:
    """A random image written by pypng at any bit depth, maybe interlaced, then re-filtered so that
    each scanline uses a forced filter type (pypng itself only writes filter type 0)."""
    kind = draw(st.sampled_from(["gray", "gray_alpha", "rgb", "rgba", "palette"]))
    if kind == "gray":
        bit_depth = draw(st.sampled_from([1, 2, 4, 8, 16]))
    elif kind == "palette":
        bit_depth = draw(st.sampled_from([1, 2, 4, 8]))
    else:
        bit_depth = draw(st.sampled_from([8, 16]))
    width = draw(st.integers(1, 23))
    height = draw(st.integers(1, 11))
    planes = {"gray": 1, "gray_alpha": 2, "rgb": 3, "rgba": 4, "palette": 1}[kind]
    top = (1 << bit_depth) - 1
    options = {"bitdepth": bit_depth, "interlace": draw(st.booleans())}
    if kind == "palette":
        entries = draw(st.integers(1, 1 << bit_depth))
        top = entries - 1
        palette = [
            tuple(draw(st.integers(0, 255)) for _ in range(draw(st.sampled_from([3, 4])))) for _ in range(entries)
        ]
        if any(len(p) == 4 for p in palette):  # pypng wants the RGBA entries first
            palette = [p if len(p) == 4 else p + (255,) for p in palette]
        options["palette"] = palette
    else:
        options["greyscale"] = kind in ("gray", "gray_alpha")
        options["alpha"] = kind in ("gray_alpha", "rgba")
        if kind in ("gray", "rgb") and draw(st.booleans()):
            options["transparent"] = (
                draw(st.integers(0, top)) if kind == "gray" else tuple(draw(st.integers(0, top)) for _ in range(3))
            )
    values = st.integers(0, top)
    rows = [[draw(values) for _ in range(width * planes)] for _ in range(height)]
    if options.get("transparent") is not None and height and width:  # make sure the key colour occurs
        key = options["transparent"]
        rows[0][: len(key) if isinstance(key, tuple) else 1] = list(key) if isinstance(key, tuple) else [key]
    out = io.BytesIO()
    png.Writer(width, height, **options).write(out, rows)
    filter_choice = draw(st.sampled_from(["0", "1", "2", "3", "4", "mixed"]))
    if filter_choice == "mixed":
        types = draw(st.lists(st.integers(0, 4), min_size=1, max_size=8))
        return refilter(out.getvalue(), lambda i: types[i % len(types)], idat_pieces=draw(st.integers(1, 4)))
    return refilter(out.getvalue(), lambda i: int(filter_choice), idat_pieces=draw(st.integers(1, 4)))


def expected_planes(png_bytes: bytes) -> tuple[bytes, bytes | None]:
    """Pillow's gray (convert("L")) and, if the image has alpha or tRNS, its alpha channel."""
    image = Image.open(io.BytesIO(png_bytes))
    image.load()
    if image.mode in ("I;16", "I;16B", "I"):  # 16-bit gray: Pillow's convert("L") clips; the spec keeps the high byte
        values = image.tobytes("raw", "I;16B")
        return values[0::2], (pypng_alpha(png_bytes) if "transparency" in image.info else None)
    gray = image.convert("L").tobytes()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    alpha = image.convert("RGBA").getchannel("A").tobytes() if has_alpha else None
    bit_depth, color_type = png_bytes[24], png_bytes[25]
    if "transparency" in image.info and color_type in (0, 2) and bit_depth != 8:
        # Pillow compares a tRNS colour after scaling pixels to 8 bits; the spec (11.3.2.1)
        # compares at the original depth, as pypng's asDirect does.
        alpha = pypng_alpha(png_bytes)
    return gray, alpha


def pypng_alpha(png_bytes: bytes) -> bytes:
    """The alpha channel pypng derives (from tRNS too), as 0/255."""
    _, _, rows, meta = png.Reader(bytes=png_bytes).asDirect()
    planes = meta["planes"]
    return bytes(255 if v else 0 for row in rows for v in row[planes - 1 :: planes])


def output_planes(png_bytes: bytes) -> tuple[bytes, bytes | None]:
    image = Image.open(io.BytesIO(png_bytes))
    image.load()
    pixels = image.tobytes()
    if image.mode == "LA":
        return pixels[0::2], pixels[1::2]
    assert image.mode == "L"
    return pixels, None


@SETTINGS
@given(pillow_pngs())
def test_pillow_written_images_give_pillows_luma(png_bytes):
    out = convert(png_bytes)
    assert Image.open(io.BytesIO(out)).size == Image.open(io.BytesIO(png_bytes)).size
    assert output_planes(out) == expected_planes(png_bytes)


@SETTINGS
@given(pypng_pngs())
def test_pypng_written_images_with_forced_filters_give_pillows_luma(png_bytes):
    out = convert(png_bytes)
    assert output_planes(out) == expected_planes(png_bytes)


@SETTINGS
@given(st.one_of(pillow_pngs(), pypng_pngs()), st.lists(st.integers(1, 200), min_size=1, max_size=30))
def test_convert_stream_equals_convert_for_any_chunking(png_bytes, sizes):
    pieces, pos, i = [], 0, 0
    while pos < len(png_bytes):
        size = sizes[i % len(sizes)]
        pieces.append(png_bytes[pos : pos + size])
        pos += size
        i += 1
    assert b"".join(convert_stream(iter(pieces))) == convert(png_bytes)


@st.composite
def wide_mixed_filter_pngs(draw) -> bytes:
    """Wider photo-like images whose rows use long and short runs of every filter type, so that
    windows fill up, get split into segments, and are swept (not only decoded row by row)."""
    mode = draw(st.sampled_from(["RGB", "RGBA", "L", "LA"]))
    width = draw(st.integers(40, 300))
    height = draw(st.integers(20, 90))
    bands = len(mode)
    seed = draw(st.integers(0, 2**16))
    raw = bytes(
        ((x * 3 + y * 5 + c * 50 + ((x * y + seed) % 7)) & 0xFF)
        for y in range(height)
        for x in range(width)
        for c in range(bands)
    )
    out = io.BytesIO()
    Image.frombytes(mode, (width, height), raw).save(out, "PNG")
    runs = draw(st.lists(st.tuples(st.integers(0, 4), st.integers(1, 40)), min_size=1, max_size=12))
    types = [t for t, length in runs for _ in range(length)]
    return refilter(out.getvalue(), lambda i: types[i % len(types)], idat_pieces=draw(st.integers(1, 3)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_mixed_filter_pngs())
def test_wide_images_with_filter_runs_give_pillows_luma(png_bytes):
    assert output_planes(convert(png_bytes)) == expected_planes(png_bytes)

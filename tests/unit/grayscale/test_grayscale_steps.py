"""The bounded-work API: convert_steps and Conversion give exactly convert()'s output, and no step
does more than a bounded amount of work whatever the input's shape: very long rows, very many rows,
data that inflates a thousandfold, one huge IDAT chunk, Adam7."""

import io
import random
import time
import zlib

import pytest
from grayscale_png_builders import assemble, ihdr
from grayscale_testdata import PNGSUITE
from PIL import Image

import grayscale
from grayscale import Conversion, InvalidImage, budget, convert, convert_steps, convert_stream

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def png_of(width, height, color_type, scanlines: bytes, *, interlace=0, level=9, idat_pieces=1) -> bytes:
    """An 8-bit PNG whose inflated image data is `scanlines` (filter bytes included)."""
    data = zlib.compress(scanlines, level)
    step = -(-len(data) // idat_pieces)
    idats = [(b"IDAT", data[i : i + step]) for i in range(0, len(data), step)]
    return assemble([(b"IHDR", ihdr(width, height, 8, color_type, interlace)), *idats, (b"IEND", b"")])


def scanlines_of(width, height, color_type, filter_of, content, interlace=0) -> bytes:
    """Scanlines for every pass: filter byte filter_of(row index) and filtered bytes content(row, length)."""
    out = bytearray()
    shapes = [(width, height)]
    if interlace:
        shapes = []
        for x0, y0, dx, dy in (
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ):
            w, h = len(range(x0, width, dx)), len(range(y0, height, dy))
            if w and h:
                shapes.append((w, h))
    index = 0
    for w, h in shapes:
        for _ in range(h):
            out.append(filter_of(index))
            out += content(index, w * CHANNELS[color_type])
            index += 1
    return bytes(out)


def paeth_1m_by_2() -> bytes:
    """The issue's case: a ~6 KB all-Paeth 1,000,000 x 2 image (it cost ~9 s of CPU in one go)."""
    pattern = bytes([1, 2, 3, 0, 0, 0, 250, 7, 9])
    return png_of(1_000_000, 2, 2, scanlines_of(1_000_000, 2, 2, lambda r: 4, lambda r, n: (pattern * n)[:n]))


def average_wide() -> bytes:
    rng = random.Random(1)
    noise = rng.randbytes(1 << 16)
    return png_of(
        300_000, 3, 6, scanlines_of(300_000, 3, 6, lambda r: 3, lambda r, n: (noise * (n // len(noise) + 1))[:n])
    )


def tall_mixed() -> bytes:
    """2 x 150,000 RGB, the filter type changing on every row."""
    return png_of(2, 150_000, 2, scanlines_of(2, 150_000, 2, lambda r: r % 5, lambda r, n: bytes([r & 0xFF]) * n))


def zeros_inflating_a_thousandfold() -> bytes:
    """20 MB of image data in ~20 KB of IDAT: one piece of input inflates to megabytes."""
    return png_of(5000, 4000, 0, scanlines_of(5000, 4000, 0, lambda r: 0, lambda r, n: bytes(n)))


def one_huge_incompressible_idat() -> bytes:
    """1200 x 1200 RGB noise, Paeth rows, stored in a single 4 MB IDAT."""
    rng = random.Random(2)
    return png_of(1200, 1200, 2, scanlines_of(1200, 1200, 2, lambda r: 4, lambda r, n: rng.randbytes(n)), level=0)


def adam7_paeth_and_average() -> bytes:
    rng = random.Random(3)
    return png_of(
        1000,
        900,
        6,
        scanlines_of(1000, 900, 6, lambda r: 3 + r % 2, lambda r, n: rng.randbytes(n), interlace=1),
        interlace=1,
        level=1,
    )


def adam7_long_rows() -> bytes:
    return png_of(
        80_000,
        3,
        4,
        scanlines_of(80_000, 3, 4, lambda r: r % 5, lambda r, n: bytes([r * 3 & 0xFF]) * n, 1),
        interlace=1,
    )


PATHOLOGICAL = {
    "paeth_1m_by_2": paeth_1m_by_2,
    "average_wide": average_wide,
    "tall_mixed": tall_mixed,
    "zeros_inflating_a_thousandfold": zeros_inflating_a_thousandfold,
    "one_huge_incompressible_idat": one_huge_incompressible_idat,
    "adam7_paeth_and_average": adam7_paeth_and_average,
    "adam7_long_rows": adam7_long_rows,
}


@pytest.fixture(scope="module", params=sorted(PATHOLOGICAL))
def pathological(request):
    return request.param, PATHOLOGICAL[request.param]()


def test_steps_are_bounded_and_join_to_convert(pathological, monkeypatch):
    """Every step's work, as charged to the meter by each loop over image data, stays within the
    budget plus one unit; and, as a coarse guard against work nobody charges, no step takes more than
    a small fraction of the whole conversion's CPU time."""
    name, data = pathological
    charged: list[float] = []
    reset = budget.WorkMeter.reset

    def recording_reset(meter):
        charged.append(meter.spent)
        reset(meter)

    monkeypatch.setattr(budget.WorkMeter, "reset", recording_reset)
    pieces, step_seconds = [], []
    steps = convert_steps(data)
    while True:
        started = time.thread_time()
        try:
            piece = next(steps)
        except StopIteration:
            break
        step_seconds.append(time.thread_time() - started)
        pieces.append(piece)
    monkeypatch.undo()

    assert b"".join(pieces) == convert(data)
    assert max(charged) <= budget.STEP_BUDGET_US + budget.MAX_UNIT_US
    total = sum(step_seconds)
    assert len(step_seconds) >= total / 0.05  # on average, a step is at most 50 ms even on a slow machine
    # The meter above is the bound; CPU time only catches gross uncharged work (seconds, not
    # milliseconds), so its floor leaves room for a loaded, shared machine.
    assert max(step_seconds) <= max(0.25, total / 5), f"{name}: a step took {max(step_seconds):.3f} s of {total:.3f}"


def test_the_issue_case_no_longer_costs_seconds_in_one_go(monkeypatch):
    """paeth_1m_by_2: the whole conversion is split into many steps (it was one 9 s step)."""
    charged = []
    reset = budget.WorkMeter.reset
    monkeypatch.setattr(budget.WorkMeter, "reset", lambda meter: (charged.append(meter.spent), reset(meter)))
    for _ in convert_steps(paeth_1m_by_2()):
        pass
    assert len(charged) > 50
    assert max(charged) <= budget.STEP_BUDGET_US + budget.MAX_UNIT_US


VALID_PNGSUITE = sorted(p for p in (PNGSUITE / "png").glob("*.png") if not p.name.startswith("x"))


def test_steps_and_conversion_equal_convert_on_pngsuite():
    for path in VALID_PNGSUITE:
        data = path.read_bytes()
        expected = convert(data)
        assert b"".join(convert_steps(data)) == expected, path.name
        conversion = Conversion(data)
        while not conversion.step():
            pass
        assert conversion.result() == expected, path.name
        assert conversion.step()  # stays done


@pytest.mark.parametrize("path", sorted((PNGSUITE / "png").glob("x*.png")), ids=lambda p: p.name)
def test_steps_and_conversion_raise_what_convert_raises(path):
    data = path.read_bytes()
    with pytest.raises(InvalidImage) as expected:
        convert(data)
    with pytest.raises(InvalidImage) as caught:
        b"".join(convert_steps(data))
    assert caught.value.code == expected.value.code
    conversion = Conversion(data)
    with pytest.raises(InvalidImage) as caught:
        while not conversion.step():
            pass
    assert caught.value.code == expected.value.code
    assert conversion.step()  # over after an error
    with pytest.raises(RuntimeError):
        Conversion(data).result()


def test_long_row_path_gives_the_same_pixels_on_every_kind_of_image(monkeypatch):
    """With the long-row threshold lowered to a few bytes, every PngSuite image (all colour types, bit
    depths, tRNS, Adam7) goes through the piece-by-piece path (decode, convert, write) and must give
    the same pixels (the bytes may differ: the writer then chooses its encoding on a smaller trial)."""
    from grayscale import decoder, filters

    expected = {path.name: decoded_pixels(convert(path.read_bytes())) for path in VALID_PNGSUITE}
    monkeypatch.setattr(filters, "LONG_ROW_BYTES", 5)
    monkeypatch.setattr(filters, "PIECE_BUDGET_US", 0.5)
    monkeypatch.setattr(decoder, "OUTPUT_STRIP_ROWS_BYTES", 8)
    for path in VALID_PNGSUITE:
        assert decoded_pixels(convert(path.read_bytes())) == expected[path.name], path.name


def decoded_pixels(png: bytes) -> tuple[str, tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(png))
    return image.mode, image.size, image.tobytes()


def test_stream_never_yields_empty_pieces():
    data = zeros_inflating_a_thousandfold()
    pieces = list(convert_stream(data[i : i + 4096] for i in range(0, len(data), 4096)))
    assert all(pieces)
    assert b"".join(pieces) == convert(data)


def test_conversion_reserves_no_more_than_convert():
    """Conversion keeps one presized buffer, like convert(): a tiny input claiming a huge image
    cannot make it reserve much."""
    import tracemalloc

    data = zeros_inflating_a_thousandfold()
    tracemalloc.start()
    try:
        conversion = Conversion(data)
        while not conversion.step():
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result = conversion.result()
    assert result == convert(data)
    assert peak < len(data) + 16 * 2**20


def test_public_names():
    assert {"Conversion", "convert_steps"} <= set(grayscale.__all__)


def test_narrow_path_gives_the_same_pixels_on_every_kind_of_image(monkeypatch):
    """With the narrow-row threshold raised, many PngSuite sub-images (and every Adam7 pass of the
    small ones) go through decode_narrow in small pieces: the same pixels as before."""
    from grayscale import filters

    expected = {path.name: decoded_pixels(convert(path.read_bytes())) for path in VALID_PNGSUITE}
    monkeypatch.setattr(filters, "NARROW_ROW_BYTES", 200)
    monkeypatch.setattr(filters, "PIECE_BUDGET_US", 20.0)
    for path in VALID_PNGSUITE:
        assert decoded_pixels(convert(path.read_bytes())) == expected[path.name], path.name

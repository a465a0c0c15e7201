"""The bounded-work API of both operations: steps give exactly the one-go result, and no step does more
than a bounded amount of work whatever the input's shape (very long rows, very many rows, data that
inflates a thousandfold, Adam7, many chunks)."""

import random
import time
import zlib

import pytest
from imageops_png_builders import chunk, encode, ihdr
from imageops_testdata import PNG_DIR, VALID_FILES

from grayscale import budget
from imageops import Metadata, Thumbnail, metadata, metadata_steps, thumbnail, thumbnail_steps

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_of(width: int, height: int, color_type: int, scanlines: bytes, interlace: int = 0) -> bytes:
    return (
        SIGNATURE
        + chunk(b"IHDR", ihdr(width, height, 8, color_type, interlace))
        + chunk(b"IDAT", zlib.compress(scanlines, 9))
        + chunk(b"IEND", b"")
    )


def paeth_wide() -> bytes:
    """600,000 x 2 RGBA, every row Paeth: rows far over a band and the decoder's long-row threshold."""
    pattern = bytes([1, 2, 3, 0, 0, 0, 250, 7, 9, 11, 5])
    row = (pattern * (2_400_000 // len(pattern) + 1))[:2_400_000]
    return png_of(600_000, 2, 6, (b"\x04" + row) * 2)


def tall_narrow() -> bytes:
    """3 x 120,000 RGBA, the filter type changing on every row."""
    return png_of(3, 120_000, 6, b"".join(bytes([r % 5]) + bytes([r & 0xFF]) * 12 for r in range(120_000)))


def zeros_inflating() -> bytes:
    """5000 x 4000 gray, 20 MB of image data in a few KB of IDAT."""
    return png_of(5000, 4000, 0, (b"\x00" + bytes(5000)) * 4000)


def adam7_photo_like() -> bytes:
    rng = random.Random(3)
    width, height = 900, 700
    samples = list(rng.randbytes(width * height * 4))
    return encode(samples, width, height, 6, interlace=1, sub_filter_every=2)


def many_text_chunks() -> bytes:
    rng = random.Random(4)
    texts = tuple((b"zTXt", b"Comment\0\0" + zlib.compress(rng.randbytes(30_000))) for _ in range(300))
    return encode(list(rng.randbytes(64 * 64 * 3)), 64, 64, 2, after=texts)


def paeth_window() -> bytes:
    """1500 x 600 RGB, every row Paeth with random residuals: the decoder sweeps them in windows of
    hundreds of rows, each handed over at once (tens of strips for the sink)."""
    rng = random.Random(5)
    return png_of(1500, 600, 2, b"".join(b"\x04" + rng.randbytes(4500) for _ in range(600)))


PATHOLOGICAL = {
    "paeth_wide": paeth_wide,
    "paeth_window": paeth_window,
    "tall_narrow": tall_narrow,
    "zeros_inflating": zeros_inflating,
    "adam7_photo_like": adam7_photo_like,
    "many_text_chunks": many_text_chunks,
}


@pytest.fixture(scope="module", params=sorted(PATHOLOGICAL))
def pathological(request):
    return request.param, PATHOLOGICAL[request.param]()


def run_recording(steps, monkeypatch) -> tuple[list[object], list[float], list[float]]:
    """Run an iterator of steps; (items, work charged per step, CPU seconds per step)."""
    charged: list[float] = []
    reset = budget.WorkMeter.reset

    def recording_reset(meter):
        charged.append(meter.spent)
        reset(meter)

    monkeypatch.setattr(budget.WorkMeter, "reset", recording_reset)
    items, seconds = [], []
    while True:
        started = time.thread_time()
        try:
            item = next(steps)
        except StopIteration:
            break
        seconds.append(time.thread_time() - started)
        items.append(item)
    monkeypatch.undo()
    return items, charged, seconds


def assert_bounded(name: str, charged: list[float], seconds: list[float]) -> None:
    assert max(charged) <= budget.STEP_BUDGET_US + budget.MAX_UNIT_US, name
    total = sum(seconds)
    assert len(seconds) >= total / 0.05  # on average a step is at most 50 ms even on a slow machine
    # The meter above is the bound; CPU time only catches gross uncharged work (seconds, not
    # milliseconds), so its floor leaves room for a loaded, shared machine.
    assert max(seconds) <= max(0.25, total / 5), f"{name}: a step took {max(seconds):.3f} s of {total:.3f}"


def test_thumbnail_steps_are_bounded_and_join_to_thumbnail(pathological, monkeypatch):
    name, data = pathological
    pieces, charged, seconds = run_recording(thumbnail_steps(data), monkeypatch)
    assert b"".join(pieces) == thumbnail(data)
    assert_bounded(name, charged, seconds)


def test_metadata_steps_are_bounded_and_end_with_the_report(pathological, monkeypatch):
    name, data = pathological
    items, charged, seconds = run_recording(metadata_steps(data), monkeypatch)
    assert items[-1] == metadata(data)
    assert all(item is None for item in items[:-1])
    assert_bounded(name, charged, seconds)


def test_jobs_equal_one_go_on_pngsuite():
    for name in VALID_FILES:
        data = (PNG_DIR / name).read_bytes()
        job = Thumbnail(data, max_side=8)
        while not job.step():
            pass
        assert job.result() == thumbnail(data, max_side=8), name
        report = Metadata(data)
        while not report.step():
            pass
        assert report.result() == metadata(data), name

"""The conversion as a run of bounded steps with a pause between them: the queue handler shares
its isolate with the API, so a large image must hand the event loop back often enough that other
requests wait tens of milliseconds, not the whole conversion. Imports nothing platform: the pause
that reaches the runtime's event loop is injected (platform/event_loop.py).

Pauses are counted in steps, never timed: on workerd the clocks stand still while JavaScript or
Python computes (they advance only on I/O), so a "pause every N ms" check would never fire there.
The clock below only measures, for the logs and the benchmarks.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

import grayscale

Pause = Callable[[], Awaitable[None]]


async def asyncio_turn() -> None:
    """The default pause: one turn of the asyncio loop. Enough for other asyncio tasks under
    CPython; NOT enough on workerd (see platform/event_loop.py), where the Worker injects
    platform.event_loop.yield_to_event_loop instead."""
    await asyncio.sleep(0)


# The core's streaming API pulls its input from an iterable; small pieces keep its input-side
# buffers small. Its output-side steps are what the pauses go between (see grayscale_steps).
INPUT_PIECE_BYTES = 64 * 1024


def grayscale_steps(data: bytes | memoryview, *, max_pixels: int) -> Iterator[bytes]:
    """The gray PNG of `data` in pieces (joined, they equal grayscale.convert(data)).

    Today this is grayscale.convert_stream, which yields whenever ~64 KiB of compressed output is
    ready: its work per piece is bounded for images that compress poorly but NOT for compressible
    ones (a flat image yields almost nothing until the end), nor for interlaced ones (nothing
    until the whole canvas is decoded). The core's bounded-work step API replaces it here.
    """
    return grayscale.convert_stream(_pieces(data, INPUT_PIECE_BYTES), max_pixels=max_pixels)


def _pieces(data: bytes | memoryview, size: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])  # one small copy at a time


@dataclass(frozen=True, slots=True)
class SteppedResult:
    """The converted bytes, and how the work was spread (for logs and benchmarks)."""

    data: bytes
    steps: int
    pauses: int
    work_seconds: float  # time spent inside the steps
    elapsed_seconds: float  # the whole run: the steps, the pauses and whatever ran during them
    longest_step_seconds: float


async def run_steps(
    steps: Iterable[bytes],
    pause: Pause,
    *,
    steps_per_pause: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> SteppedResult:
    """Collect `steps` into one bytes object, awaiting `pause()` after every `steps_per_pause`
    steps (0: never pause). Exceptions from the steps propagate unchanged. A run whose output
    comes in one piece (a step API that keeps its own output buffer) is returned without a copy."""
    pieces: list[bytes] = []
    count = pauses = 0
    work = longest = 0.0
    iterator = iter(steps)
    began = clock()
    while True:
        started = clock()
        piece = next(iterator, None)
        elapsed = clock() - started
        work += elapsed
        longest = max(longest, elapsed)
        if piece is None:
            break
        if piece:
            pieces.append(piece)
        count += 1
        if steps_per_pause and count % steps_per_pause == 0:
            await pause()
            pauses += 1
    data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    return SteppedResult(bytes(data), count, pauses, work, clock() - began, longest)

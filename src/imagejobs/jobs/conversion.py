"""The conversion as a run of bounded steps with a pause between them: the queue handler shares
its isolate with the API, so a large image must hand the event loop back often enough that other
requests wait tens of milliseconds, not the whole conversion. Imports nothing platform: the pause
that reaches the runtime's event loop is injected (platform/event_loop.py).

Pauses are counted in steps, never timed: on workerd the clocks stand still while JavaScript or
Python computes (they advance only on I/O), so a "pause every N ms" check would never fire there.
The clock below only measures, for the logs and the benchmarks.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import grayscale

Pause = Callable[[], Awaitable[None]]


async def asyncio_turn() -> None:
    """The default pause: one turn of the asyncio loop. Enough for other asyncio tasks under
    CPython; NOT enough on workerd (see platform/event_loop.py), where the Worker injects
    platform.event_loop.yield_to_event_loop instead."""
    await asyncio.sleep(0)


class YieldToRequests:
    """The conversion's pause in an isolate that also serves HTTP requests: requests come first.

    A pause takes one turn of the runtime's event loop (`next_turn`, which must reach it: on
    Workers platform.event_loop.yield_to_event_loop) and one asyncio turn, so that a request which
    arrived during the last steps gets to start; then, while requests are in flight, it keeps
    taking turns, for at most `max_wait` seconds per pause (a steady stream of requests slows a
    conversion down but never stops it). One instance per isolate: the fetch handler runs each
    request inside `request()`.

    The clock is read only right after a turn of the event loop, where it is current on workerd too.
    """

    def __init__(self, next_turn: Pause, *, max_wait: float = 0.2, clock: Callable[[], float] = time.monotonic) -> None:
        self._next_turn = next_turn
        self._max_wait = max_wait
        self._clock = clock
        self.requests_in_flight = 0

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        """Marks a request in flight for as long as the block runs."""
        self.requests_in_flight += 1
        try:
            yield
        finally:
            self.requests_in_flight -= 1

    async def pause(self) -> None:
        await self._next_turn()
        await asyncio_turn()
        if not self.requests_in_flight:
            return
        deadline = self._clock() + self._max_wait
        while self.requests_in_flight and self._clock() < deadline:
            await self._next_turn()


def grayscale_steps(data: bytes | memoryview, *, max_pixels: int) -> Iterator[bytes]:
    """The gray PNG of `data` as steps of bounded work: grayscale.Conversion does about 4 ms of
    CPython work per step (~10 ms in Pyodide) whatever the input. Every step yields b"" but the
    last, which yields the whole output from Conversion's buffer, reserved once (the memory bound
    of grayscale.convert; joining pieces would need the output twice)."""
    # Conversion reads any buffer: R2's memoryview is used as it is, not copied.
    conversion = grayscale.Conversion(cast(bytes, data), max_pixels=max_pixels)
    while not conversion.step():
        yield b""
    yield conversion.result()


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

"""The conversion as a run of bounded steps with pauses between them: the queue handler shares its
isolate with the API, so a large image must hand the event loop back often enough that requests
wait tens of milliseconds, not the whole conversion. Imports nothing platform: the pause that
reaches the runtime's event loop is injected (platform/event_loop.py).

How many steps go between two pauses is adapted to a target slice of wall time. The clock is read
only right after a pause has taken a turn of the event loop: on workerd the clocks stand still
while JavaScript or Python computes and advance only with I/O, a timer included, so a reading
taken in the middle of the steps would be stale there.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

import grayscale

from .operations import Work

# A pause takes at least one turn of the event loop; it may return how many seconds of that it
# spent waiting for other work (not the conversion's own cost), or None.
Pause = Callable[[], Awaitable[float | None]]

FIRST_SLICE_STEPS = 4  # steps before the first pause, before there is any measurement
MAX_GROWTH = 2  # the steps per slice at most double from one slice to the next


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
    conversion down but never stops it). It returns the seconds spent waiting for requests. One
    instance per isolate: the fetch handler runs each request inside `request()`.
    """

    def __init__(
        self,
        next_turn: Callable[[], Awaitable[None]],
        *,
        max_wait: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
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

    async def pause(self) -> float:
        await self._next_turn()
        await asyncio_turn()
        if not self.requests_in_flight:
            return 0.0
        began = self._clock()  # current: just after a turn of the event loop
        deadline = began + self._max_wait
        while self.requests_in_flight and self._clock() < deadline:
            await self._next_turn()
        return self._clock() - began


def work_steps(work: Work) -> Iterator[bytes]:
    """An operation's bounded-work steps (grayscale.Conversion, imageops.Thumbnail, …: about 4 ms of
    CPython work per step whatever the input) as an iterator for run_steps. Every step yields b""
    but the last, which yields the whole output from the operation's own buffer, reserved once
    (joining pieces would need the output twice)."""
    while not work.step():
        yield b""
    yield work.result()


def grayscale_steps(data: bytes | memoryview, *, max_pixels: int) -> Iterator[bytes]:
    """The gray PNG of `data` as steps of bounded work."""
    # Conversion reads any buffer: R2's memoryview is used as it is, not copied.
    return work_steps(grayscale.Conversion(cast(bytes, data), max_pixels=max_pixels))


@dataclass(frozen=True, slots=True)
class SteppedResult:
    """The converted bytes, and how the work was spread (for logs and benchmarks)."""

    data: bytes
    steps: int
    pauses: int
    work_seconds: float  # time inside the steps (measured on CPython and Node; not on workerd)
    elapsed_seconds: float  # the whole run: the steps, the pauses and whatever ran during them
    longest_step_seconds: float  # likewise
    waited_seconds: float  # what the pauses spent waiting for other work


async def run_steps(
    steps: Iterable[bytes],
    pause: Pause,
    *,
    slice_seconds: float,
    clock: Callable[[], float] = time.perf_counter,
) -> SteppedResult:
    """Collect `steps` into one bytes object, awaiting `pause()` between slices of steps that take
    about `slice_seconds` of wall time each (0: never pause). Exceptions from the steps propagate
    unchanged. Output that comes in one piece (from a step API that keeps its own output buffer)
    is returned without a copy."""
    pieces: list[bytes] = []
    count = pauses = 0
    work = longest = waited = 0.0
    per_slice = FIRST_SLICE_STEPS
    in_slice = 0
    iterator = iter(steps)
    began = resumed = clock()
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
        in_slice += 1
        if slice_seconds and in_slice >= per_slice:
            waited_now = await pause() or 0.0
            pauses += 1
            waited += waited_now
            now = clock()  # current: the pause took a turn of the event loop
            spent = now - resumed - waited_now  # this slice's steps and the turn itself
            if spent > 0:  # (a clock that did not move tells nothing: keep the slice as it is)
                per_slice = max(1, min(MAX_GROWTH * per_slice, round(per_slice * slice_seconds / spent)))
            resumed, in_slice = now, 0
    data = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    return SteppedResult(bytes(data), count, pauses, work, clock() - began, longest, waited)

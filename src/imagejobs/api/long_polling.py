"""Holding a response until what it describes changes (long-polling, `Prefer: wait=N` with
`If-None-Match`; docs/API.md, "Long-polling"): re-read with back-off until the value changes,
the wait is over or the client has gone. Imports nothing platform.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

MAX_WAIT_SECONDS = 25  # below the idle timeouts of proxies between a client and the Worker
# The re-reads: after 0.1 s, then each wait doubles up to 1 s, so that a change is answered
# within about a second while a long wait costs about one read per second.
FIRST_RECHECK_SECONDS = 0.1
MAX_RECHECK_SECONDS = 1.0


class HoldOutcome(StrEnum):
    CHANGED = "changed"
    TIMED_OUT = "timed_out"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class Held[T]:
    value: T  # the last value read (the first one unless it changed)
    outcome: HoldOutcome
    reads: int  # re-reads made while holding


async def hold_until_changed[T](
    first: T,
    read: Callable[[], Awaitable[T]],
    changed: Callable[[T], bool],
    *,
    seconds: float,
    disconnected: Callable[[], bool],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Held[T]:
    """Re-read with back-off until `changed(value)`, `seconds` have passed or `disconnected()`.
    Whatever `read` raises (the job was deleted: NotFound) ends the hold with that error."""
    deadline = clock() + seconds
    delay = FIRST_RECHECK_SECONDS
    value, reads = first, 0
    while True:
        if disconnected():
            return Held(value, HoldOutcome.DISCONNECTED, reads)
        remaining = deadline - clock()
        if remaining <= 0:
            return Held(value, HoldOutcome.TIMED_OUT, reads)
        await sleep(min(delay, remaining))
        if disconnected():
            return Held(value, HoldOutcome.DISCONNECTED, reads)
        latest = await read()
        reads += 1
        if changed(latest):
            return Held(latest, HoldOutcome.CHANGED, reads)
        delay = min(delay * 2, MAX_RECHECK_SECONDS)

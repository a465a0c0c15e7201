"""The pause that hands the isolate back to the runtime in the middle of CPU-bound Python work,
so that other events (HTTP requests, I/O completions) are served meanwhile.

Why a JavaScript timer and not `await asyncio.sleep(0)`: Pyodide's event loop schedules its
callbacks with setImmediate on Node (a macrotask: the offline runtime would look responsive) but
with a MessageChannel where there is one and no Node, and workerd delivers MessagePort messages as
microtasks (workerd `api/messagechannel.c++`, `MessagePort::deliver`): a chain of microtasks never
returns to workerd's event loop, so no other request could enter. A `setTimeout` callback is a
macrotask everywhere. `make responsiveness` checks this in workerd itself
(loadtest/yield_primitives.mjs): with setTimeout(0) between slices of work, requests to the same
isolate are answered during the work; with a MessageChannel message or a resolved promise, not.
"""

from typing import Any

from js import Promise, setTimeout
from pyodide.ffi import create_proxy

# The Promise executor as a JavaScript function, made once, on first use rather than at import
# (workerd may snapshot the memory of the imported modules, which cannot hold JavaScript objects).
_start_timer: Any = None


async def yield_to_event_loop() -> None:
    """Resume after a zero-delay JavaScript timer has fired."""
    global _start_timer
    if _start_timer is None:
        _start_timer = create_proxy(_resolve_on_next_timer)
    await Promise.new(_start_timer)


def _resolve_on_next_timer(resolve: object, reject: object) -> None:
    setTimeout(resolve, 0)

"""The pause that hands the isolate back to the runtime in the middle of CPU-bound Python work,
so that other events (HTTP requests, I/O completions) are served meanwhile.

Why a JavaScript timer and not `await asyncio.sleep(0)`: Pyodide's event loop schedules its
callbacks with setImmediate on Node (a macrotask: the harness would look responsive) but with a
MessageChannel where there is one, and workerd delivers MessagePort messages as microtasks
(workerd `api/messagechannel.c++`, `MessagePort::deliver`): a chain of microtasks never returns to
workerd's event loop, so no other request could enter. A `setTimeout` callback is a macrotask
everywhere (on workerd, a timer of the request's I/O context).
"""

from js import Promise, setTimeout
from pyodide.ffi import create_once_callable


async def yield_to_event_loop() -> None:
    """Resume after a zero-delay JavaScript timer has fired."""
    await Promise.new(create_once_callable(_resolve_on_next_timer))


def _resolve_on_next_timer(resolve: object, reject: object) -> None:
    setTimeout(resolve, 0)

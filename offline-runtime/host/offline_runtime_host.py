"""Calls the Worker's handlers the way workerd's Python entrypoint does (offline runtime only):
every argument goes through the SDK's python_from_rpc (a JS Request becomes a
`workers.Request`; a batch or controller, being a class instance, stays a JS object), the
handler is called (relaxed for fetch only), and its result goes back through python_to_rpc.
"""

from inspect import isawaitable

from pyodide.code import relaxed_call
from workers import python_from_rpc, python_to_rpc


async def call_handler(instance, method_name, relaxed, *args):
    """Call `instance.<method_name>(*args)` with RPC conversions, as workerd does."""
    method = getattr(instance, method_name)
    converted = [python_from_rpc(arg) for arg in args]
    result = relaxed_call(method, *converted) if relaxed else method(*converted)
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)

"""Calls the Worker's handlers the way workerd's Python entrypoint does (offline runtime only).

fetch: the JS Request becomes a `workers.Request` (python_from_rpc), the handler is called
relaxed, and its result goes back through python_to_rpc. Other handlers (queue) are called
relaxed with the raw JS arguments from the JS side.
"""

from inspect import isawaitable

from pyodide.code import relaxed_call
from workers import python_from_rpc, python_to_rpc


async def call_rpc_style(instance, method_name, *args):
    """Call `instance.<method_name>(*args)` with RPC conversions, as workerd does for fetch."""
    method = getattr(instance, method_name)
    result = relaxed_call(method, *[python_from_rpc(arg) for arg in args])
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)

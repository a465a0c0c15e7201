"""The one FFI layer: adapters over the Workers runtime's Request/Response, D1, R2, Queues
and the Rate Limiting binding.

Each adapter wraps one JS object, converts on every call and lets no JsProxy escape. Only this
package (and entry.py) imports `js`, `pyodide` or `workers`.
"""

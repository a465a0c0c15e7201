"""The async image-jobs service: HTTP API, job store and queue consumer around the grayscale core.

Everything here except `platform/` imports under plain CPython; `platform/` is the only
layer that touches `js`, `pyodide` or `workers`.
"""

VERSION = "0.1.0"

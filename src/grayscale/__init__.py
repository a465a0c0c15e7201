"""Pure-Python PNG -> 8-bit grayscale conversion (stdlib only; runs the same on CPython and Pyodide).
Public API: convert, convert_stream, probe, PngInfo, InvalidImage, ERROR_CODES."""

from .convert import DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_PIXELS, convert, convert_stream
from .errors import ERROR_CODES, InvalidImage
from .header import PngInfo, probe

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ERROR_CODES",
    "InvalidImage",
    "PngInfo",
    "convert",
    "convert_stream",
    "probe",
]

"""The output of convert() in one buffer reserved up front. Imports only io."""

import io


class PresizedOutput:
    """The output PNG in one buffer, reserved once from the writer's size estimate and shrunk at the
    end. Joining a list of pieces (or growing a buffer) would need twice the output size at the end,
    which is what bounds the wasm heap in Pyodide; BytesIO.getvalue() hands its buffer over without a
    copy."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def reserve(self, size: int) -> None:
        """Grow the buffer once to `size` bytes (no-op if already past it)."""
        position = self._buffer.tell()
        if size > position:
            self._buffer.seek(size - 1)
            self._buffer.write(b"\0")  # grows the buffer once, to `size`
            self._buffer.seek(position)

    def write(self, piece: bytes) -> None:
        """Append a piece of output."""
        self._buffer.write(piece)

    def getvalue(self) -> bytes:
        """Everything written, as bytes, without copying the buffer."""
        self._buffer.truncate(self._buffer.tell())
        return self._buffer.getvalue()

"""Bounded incremental inflation of the IDAT zlib stream (spec 10): never produces more than IHDR implies.
Imports only zlib and .errors."""

import zlib
from collections.abc import Iterator

from .errors import InvalidImage

INFLATE_PIECE = 1 << 16  # output granularity: memory stays flat however well the data compresses


class BoundedInflater:
    """Inflates compressed pieces into at most `expected` bytes; one byte more is an error, so a
    decompression bomb costs at most INFLATE_PIECE bytes of memory before it is refused."""

    def __init__(self, expected: int) -> None:
        self._inflater = zlib.decompressobj()
        self._remaining = expected

    def feed(self, compressed: bytes | memoryview) -> Iterator[bytes]:
        """Inflated bytes from `compressed`, in pieces of at most INFLATE_PIECE."""
        if self._ended(compressed):
            return
        inflater = self._inflater
        pending = compressed
        while True:
            limit = min(INFLATE_PIECE, self._remaining + 1)
            try:
                out = inflater.decompress(pending, limit)
            except zlib.error as exc:
                raise InvalidImage("bad_image_data", f"the compressed image data is corrupt ({exc})") from None
            if len(out) > self._remaining:
                raise InvalidImage("image_data_long", "the image data inflates to more bytes than IHDR implies")
            self._remaining -= len(out)
            if out:
                yield out
            if inflater.eof:
                if inflater.unused_data:
                    raise InvalidImage("image_data_long", "IDAT continues after the end of the zlib stream")
                return
            pending = inflater.unconsumed_tail
            # A full output piece may leave output buffered inside zlib even with no input left.
            if not pending and len(out) < limit:
                return

    def _ended(self, compressed: bytes | memoryview) -> bool:
        """Whether the zlib stream has already ended (more data after that is an error)."""
        if self._inflater.eof and compressed:
            raise InvalidImage("image_data_long", "IDAT continues after the end of the zlib stream")
        return self._inflater.eof

    def finish(self) -> None:
        """Called at IEND: the zlib stream must have ended with exactly the expected bytes."""
        if self._remaining:
            raise InvalidImage("image_data_short", f"the image data is {self._remaining} bytes short of IHDR's size")
        if not self._inflater.eof:
            raise InvalidImage("bad_image_data", "the zlib stream in IDAT does not end properly (checksum missing)")

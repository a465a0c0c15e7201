"""Incremental reading of the PNG byte stream: signature, chunk headers, payloads, CRCs (spec 5.3).
Imports only struct, zlib (crc32) and sibling modules; holds at most one piece of input plus small chunks."""

import struct
import zlib
from collections.abc import Iterable, Iterator

from .errors import InvalidImage
from .header import MAX_CHUNK_LENGTH, check_signature

_CHUNK_HEAD = struct.Struct(">I4s")
_CRC = struct.Struct(">I")
VERIFY_FIRST_BYTES = 1 << 20  # chunks up to this size are buffered so their CRC is checked before use
CRC_PIECE_BYTES = 1 << 22  # a large payload's CRC is computed this much at a time (~1 ms)
# Payloads are handed out in pieces this big: zlib copies the unconsumed rest of its input on every
# call that fills its output, so a whole 30 MB IDAT in one call would be copied again and again.
HANDOUT_BYTES = 1 << 16
_ASCII_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class ByteSource:
    """Serves bytes from an iterable of input pieces without copying whole pieces (memoryview slices)."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self._current = memoryview(b"")
        self._pos = 0

    def _refill(self) -> bool:
        for piece in self._pieces:
            if piece:
                view = memoryview(piece)
                self._current = view if view.format == "B" and view.ndim == 1 else view.cast("B")
                self._pos = 0
                return True
        return False

    def read_some(self, limit: int) -> memoryview:
        """Between 1 and `limit` bytes, or an empty view at end of input."""
        if self._pos >= len(self._current) and not self._refill():
            return memoryview(b"")
        end = min(len(self._current), self._pos + limit)
        view = self._current[self._pos : end]
        self._pos = end
        return view

    def contiguous(self, size: int) -> bool:
        """Whether the next `size` bytes are already held in one input piece (a slice costs nothing)."""
        return len(self._current) - self._pos >= size

    def read_upto(self, size: int) -> memoryview | bytes:
        """Exactly `size` bytes, or fewer only when the input ends."""
        first = self.read_some(size)
        if len(first) == size or not first:
            return first
        gathered = bytearray(first)  # one growing buffer: tiny input pieces must not cost an object each
        while len(gathered) < size:
            part = self.read_some(size - len(gathered))
            if not part:
                break
            gathered += part
        return bytes(gathered)


def read_signature(source: ByteSource) -> None:
    """Consume and check the 8-byte signature (spec 5.2)."""
    check_signature(bytes(source.read_upto(8)))


class ChunkReader:
    """Walks chunks one at a time; payloads are either read whole (small chunks) or streamed (IDAT,
    skipped ancillary chunks). Every payload's CRC is checked before the next chunk header is read."""

    def __init__(self, source: ByteSource) -> None:
        self._source = source

    def next_header(self) -> tuple[bytes, int]:
        """(chunk type, payload length) of the next chunk."""
        head = self._source.read_upto(8)
        if len(head) < 8:
            raise InvalidImage("truncated", "the file ends before the IEND chunk")
        length, chunk_type = _CHUNK_HEAD.unpack(head)
        if length > MAX_CHUNK_LENGTH:
            raise InvalidImage("bad_chunk", f"chunk length {length} exceeds the PNG limit of 2^31-1")
        if not _ASCII_LETTERS.issuperset(chunk_type):
            raise InvalidImage("bad_chunk", f"chunk type {chunk_type!r} is not four ASCII letters")
        return bytes(chunk_type), length

    def read_payload(self, chunk_type: bytes, length: int) -> memoryview | bytes:
        """The whole payload (callers bound `length` first), CRC-checked; may be a memoryview."""
        payload = self._source.read_upto(length)
        if len(payload) < length:
            raise InvalidImage("truncated", f"the file ends inside the {chunk_type.decode()} chunk")
        self._check_crc(chunk_type, zlib.crc32(payload, zlib.crc32(chunk_type)))
        return payload

    def iter_verified_payload(self, chunk_type: bytes, length: int) -> Iterator[memoryview | bytes]:
        """The payload in pieces of at most HANDOUT_BYTES, CRC-checked before any of it is handed out
        whenever that is cheap: when it is at most VERIFY_FIRST_BYTES or already contiguous in memory
        (always, for convert()). A large contiguous payload's CRC is computed CRC_PIECE_BYTES at a
        time, with an empty piece yielded after each (a point where the caller may pause). Otherwise
        (a huge chunk arriving in small pieces) it is streamed and its CRC checked after the last piece,
        so a corrupt byte may first surface as another InvalidImage code."""
        if length <= VERIFY_FIRST_BYTES or self._source.contiguous(length):
            payload = self._source.read_upto(length)
            if len(payload) < length:
                raise InvalidImage("truncated", f"the file ends inside the {chunk_type.decode()} chunk")
            crc = zlib.crc32(chunk_type)
            for start in range(0, length, CRC_PIECE_BYTES):
                crc = zlib.crc32(payload[start : start + CRC_PIECE_BYTES], crc)
                if length > CRC_PIECE_BYTES:
                    yield b""
            self._check_crc(chunk_type, crc)
            view = memoryview(payload)
            for start in range(0, length, HANDOUT_BYTES):
                yield view[start : start + HANDOUT_BYTES]
        else:
            yield from self.iter_payload(chunk_type, length, HANDOUT_BYTES)

    def iter_payload(self, chunk_type: bytes, length: int, piece_size: int = 1 << 16) -> Iterator[memoryview]:
        """The payload in pieces of at most `piece_size` bytes; the CRC is checked after the last piece
        (so a consumer may act on data whose CRC fails later — it then gets crc_mismatch)."""
        crc = zlib.crc32(chunk_type)
        remaining = length
        while remaining:
            piece = self._source.read_some(min(remaining, piece_size))
            if not piece:
                raise InvalidImage("truncated", f"the file ends inside the {chunk_type.decode()} chunk")
            crc = zlib.crc32(piece, crc)
            remaining -= len(piece)
            yield piece
        self._check_crc(chunk_type, crc)

    def skip_payload(self, chunk_type: bytes, length: int) -> None:
        """Consume a payload we do not use, still checking its CRC."""
        for _ in self.iter_payload(chunk_type, length):
            pass

    def _check_crc(self, chunk_type: bytes, computed: int) -> None:
        stored = self._source.read_upto(4)
        if len(stored) < 4:
            raise InvalidImage("truncated", f"the file ends inside the {chunk_type.decode()} chunk's CRC")
        if _CRC.unpack(stored)[0] != computed:
            raise InvalidImage("crc_mismatch", f"the {chunk_type.decode()} chunk's CRC does not match its data")

"""Walking one PNG's chunks in the order spec 5.6 allows, for every reader of PNGs in this project (the
conversion pipeline, imageops): signature, IHDR and the limits checked from it, PLTE and tRNS before
the image data, the image data inflated in bounded pieces, then the chunks up to IEND. Every misplaced
or malformed critical chunk raises InvalidImage with its code, so all readers refuse the same files
the same way; ancillary chunks are handed to the caller to read or skip. Imports only dataclasses,
collections.abc and sibling modules."""

import dataclasses
from collections.abc import Iterable, Iterator

from .budget import CRC_US_PER_BYTE, INFLATE_US_PER_BYTE, WorkMeter
from .chunks import CRC_PIECE_BYTES, ByteSource, ChunkReader, read_signature
from .errors import InvalidImage
from .header import PngInfo, parse_ihdr
from .inflate import BoundedInflater
from .samples import validate_palette, validate_transparency

DEFAULT_MAX_PIXELS = 40_000_000
# libpng's default user limit for width and height. Rows this long or this many rows (within
# max_pixels) are what make pure-Python decoding slow or large: a 40,000,000 x 1 image needs
# hundred-megabyte row buffers, a 1 x 40,000,000 one forty million row steps.
DEFAULT_MAX_DIMENSION = 1_000_000
# Enough for the largest default-size image of any kind (16-bit RGBA: 8 bytes/pixel + filter bytes).
DEFAULT_MAX_DECOMPRESSED_BYTES = 8 * DEFAULT_MAX_PIXELS + 64 * 1024 * 1024

CRC_PIECE_US = CRC_US_PER_BYTE * CRC_PIECE_BYTES  # the meter's charge for a CRC-only piece of a large IDAT


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """How large an image may be, checked from IHDR before anything is inflated."""

    max_pixels: int = DEFAULT_MAX_PIXELS
    max_decompressed_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
    max_dimension: int = DEFAULT_MAX_DIMENSION

    def check(self, info: PngInfo) -> int:
        """Refuse an image over the limits ("too_large"); returns the exact size of its inflated data."""
        if info.width * info.height > self.max_pixels:
            raise InvalidImage(
                "too_large",
                f"{info.width}x{info.height} is {info.width * info.height} pixels, over the limit of {self.max_pixels}",
            )
        if max(info.width, info.height) > self.max_dimension:
            raise InvalidImage(
                "too_large", f"{info.width}x{info.height} has a side over the limit of {self.max_dimension} pixels"
            )
        raw_size = info.raw_data_size()
        if raw_size > self.max_decompressed_bytes:
            raise InvalidImage(
                "too_large",
                f"the image data would inflate to {raw_size} bytes, over the limit of {self.max_decompressed_bytes}",
            )
        return raw_size


def check_ancillary(chunk_type: bytes) -> None:
    """Spec 5.4/5.6 for a chunk that is neither PLTE/tRNS before the image data nor IDAT/IEND in place:
    only ancillary chunks (bit 5 of the first type byte set) may appear there, and may be ignored."""
    if chunk_type == b"IHDR":
        raise InvalidImage("chunk_order", "IHDR appears more than once")
    if chunk_type == b"IEND":
        raise InvalidImage("missing_image_data", "the image has no IDAT chunk before IEND")
    if chunk_type in (b"PLTE", b"tRNS", b"IDAT"):
        raise InvalidImage("chunk_order", f"{chunk_type.decode()} appears after the image data has ended")
    if not chunk_type[0] & 0x20:
        raise InvalidImage("unknown_critical_chunk", f"unknown critical chunk {chunk_type.decode()!r}")


class ChunkWalk:
    """One PNG's chunks, walked in order. Creating it reads the signature and IHDR and checks `limits`:

        walk = ChunkWalk(pieces, limits)                     # walk.info, walk.reader
        for chunk_type, length in walk.chunks_before_image_data():
            walk.reader.skip_payload(chunk_type, length)     # or read it through walk.reader
        # walk.palette and walk.transparency are known (validated) here
        for inflated in walk.image_data(meter):
            ...                                              # b"" after each compressed piece
        for chunk_type, length in walk.chunks_after_image_data():
            walk.reader.skip_payload(chunk_type, length)

    Each ancillary chunk yielded must have its payload consumed through walk.reader before the walk
    resumes. The walk ends at IEND, after checking that the image data inflated to exactly its size."""

    def __init__(self, pieces: Iterable[bytes], limits: Limits) -> None:
        source = ByteSource(pieces)
        read_signature(source)
        self.reader = ChunkReader(source)
        chunk_type, length = self.reader.next_header()
        if chunk_type != b"IHDR":
            raise InvalidImage("chunk_order", f"the first chunk must be IHDR, found {chunk_type.decode()!r}")
        if length != 13:
            raise InvalidImage("bad_header", f"IHDR must be 13 bytes long, found {length}")
        self.info = parse_ihdr(bytes(self.reader.read_payload(chunk_type, length)))
        self.raw_size = limits.check(self.info)
        self.palette: bytes | None = None
        self.transparency: bytes | None = None
        self._inflater = BoundedInflater(self.raw_size)
        self._next_chunk = (b"", 0)  # the header read last and not yet handled

    def chunks_before_image_data(self) -> Iterator[tuple[bytes, int]]:
        """Read the chunks between IHDR and the first IDAT, keeping PLTE and tRNS; yields every other
        (ancillary) chunk's type and length."""
        info = self.info
        reader = self.reader
        while True:
            chunk_type, length = reader.next_header()
            if chunk_type == b"IDAT":
                if info.color_type == 3 and self.palette is None:
                    raise InvalidImage(
                        "missing_palette", "a palette image (colour type 3) needs a PLTE chunk before IDAT"
                    )
                self._next_chunk = (chunk_type, length)
                return
            if chunk_type == b"PLTE":
                if self.palette is not None:
                    raise InvalidImage("chunk_order", "the image has more than one PLTE chunk")
                if self.transparency is not None:
                    raise InvalidImage("chunk_order", "PLTE must come before tRNS")
                if length > 768:
                    raise InvalidImage("bad_palette", f"PLTE length {length} exceeds 768 (256 entries)")
                self.palette = validate_palette(info, bytes(reader.read_payload(chunk_type, length)))
            elif chunk_type == b"tRNS":
                if self.transparency is not None:
                    raise InvalidImage("chunk_order", "the image has more than one tRNS chunk")
                if length > 256:
                    raise InvalidImage("bad_transparency", f"tRNS length {length} exceeds 256")
                payload = bytes(reader.read_payload(chunk_type, length))
                self.transparency = validate_transparency(info, payload, self.palette)
            else:
                check_ancillary(chunk_type)
                yield chunk_type, length

    def image_data(self, meter: WorkMeter) -> Iterator[bytes | memoryview]:
        """The inflated image data of the consecutive IDAT chunks (spec 5.6), in bounded pieces, with
        b"" after each compressed piece (a place to pause). CRC checking and inflating are charged to
        `meter`; the caller charges and pauses for its own work."""
        chunk_type, length = self._next_chunk
        while chunk_type == b"IDAT":
            for piece in self.reader.iter_verified_payload(chunk_type, length):
                meter.spent += (CRC_US_PER_BYTE + INFLATE_US_PER_BYTE) * len(piece) if piece else CRC_PIECE_US
                for inflated in self._inflater.feed(piece):
                    meter.spent += INFLATE_US_PER_BYTE * len(inflated)
                    yield inflated
                yield b""
            chunk_type, length = self.reader.next_header()
        self._next_chunk = (chunk_type, length)

    def chunks_after_image_data(self) -> Iterator[tuple[bytes, int]]:
        """Read the chunks from the last IDAT to IEND; yields every (ancillary) chunk's type and length.
        Ends after checking IEND and that the image data was complete."""
        chunk_type, length = self._next_chunk
        while chunk_type != b"IEND":
            check_ancillary(chunk_type)
            yield chunk_type, length
            chunk_type, length = self.reader.next_header()
        if length != 0:
            raise InvalidImage("bad_chunk", f"IEND must be empty, found {length} bytes")
        self.reader.read_payload(chunk_type, 0)
        self._inflater.finish()

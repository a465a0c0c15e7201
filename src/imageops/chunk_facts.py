"""What the ancillary chunks say (spec 11.3), as JSON-ready facts: a decoding.ChunkVisitor that reads
each known chunk (at most MAX_CHUNK_READ bytes of it; the CRC still covers all of it), checks its
length, values and place, and records either its facts or why it is invalid. Invalid or misplaced
chunks are ignored and reported, never fatal; everything reported is capped. Imports only stdlib,
grayscale and sibling modules."""

import calendar
import functools
import struct
from collections.abc import Callable, Iterator

from grayscale import PngInfo
from grayscale.budget import CRC_US_PER_BYTE, INFLATE_US_PER_BYTE, WorkMeter
from grayscale.chunks import ChunkReader

from .text_chunks import ChunkProblem, TextEntry, parse_text, split_keyword

MAX_CHUNK_READ = 1 << 20  # bytes of one chunk's payload looked at; the rest is only CRC-checked
READ_PIECE_BYTES = 1 << 18
MAX_TEXT_CHUNKS = 64  # text chunks reported; more are counted, not reported
MAX_TEXT_TOTAL = 256 * 1024  # characters of text (keywords, texts, tags) reported over all text chunks
MAX_PROBLEMS = 32  # invalid chunks and warnings reported (each list)
MAX_CHUNK_TYPES = 64  # distinct ancillary chunk types counted
MAX_SUGGESTED_PALETTES = 16

COLOR_TYPE_NAMES = {
    0: "greyscale",
    2: "truecolour",
    3: "indexed-colour",
    4: "greyscale with alpha",
    6: "truecolour with alpha",
}
INTERLACE_NAMES = {0: "none", 1: "adam7"}
SRGB_INTENTS = {0: "perceptual", 1: "relative colorimetric", 2: "saturation", 3: "absolute colorimetric"}
PHYS_UNITS = {0: "unknown", 1: "metre"}

# Chunks that must come before PLTE (and IDAT), before IDAT only, or after PLTE (spec 5.6, table 5.3).
BEFORE_PALETTE = frozenset({b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT"})
BEFORE_IMAGE_DATA = BEFORE_PALETTE | {b"pHYs", b"sPLT", b"bKGD", b"hIST", b"acTL", b"eXIf"}
AFTER_PALETTE = frozenset({b"bKGD", b"hIST"})
ONCE_ONLY = frozenset(
    {b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST", b"tIME", b"eXIf", b"acTL"}
)
SIGNIFICANT_BITS_LENGTH = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}


class FactCollector:
    """Collects the facts of the ancillary chunks of one image (decoding.ChunkVisitor)."""

    def __init__(self, meter: WorkMeter) -> None:
        self.meter = meter
        self.facts: dict[str, object] = {
            "gamma": None,
            "chromaticities": None,
            "srgb_intent": None,
            "icc_profile_name": None,
            "significant_bits": None,
            "background": None,
            "physical_pixel_size": None,
            "modification_time": None,
            "palette_histogram": None,
            "suggested_palettes": [],
            "exif_bytes": None,
            "animation": None,
        }
        self.text: list[dict[str, object]] = []
        self.invalid_chunks: list[dict[str, str]] = []
        self.warnings: list[str] = []
        self.chunk_counts: dict[str, int] = {}
        self._text_total = 0
        self._seen: set[bytes] = set()
        self._handlers: dict[bytes, Callable[[bytes, bool], None]] = {
            b"gAMA": self._gamma,
            b"cHRM": self._chromaticities,
            b"sRGB": self._srgb,
            b"iCCP": self._icc_profile,
            b"sBIT": self._significant_bits,
            b"pHYs": self._physical_size,
            b"tIME": self._time,
            b"bKGD": self._background,
            b"hIST": self._histogram,
            b"sPLT": self._suggested_palette,
            b"eXIf": self._exif,
            b"acTL": self._animation,
            b"tEXt": functools.partial(self._text, b"tEXt"),
            b"zTXt": functools.partial(self._text, b"zTXt"),
            b"iTXt": functools.partial(self._text, b"iTXt"),
        }

    def begin(self, info: PngInfo) -> None:
        self.info = info
        self._palette: bytes | None = None

    def visit(
        self, chunk_type: bytes, length: int, reader: ChunkReader, palette: bytes | None, after_image_data: bool
    ) -> Iterator[None]:
        self._palette = palette
        name = chunk_type.decode("ascii")
        if name in self.chunk_counts or len(self.chunk_counts) < MAX_CHUNK_TYPES:
            self.chunk_counts[name] = self.chunk_counts.get(name, 0) + 1
        elif len(self.chunk_counts) == MAX_CHUNK_TYPES:
            self.warn(f"more than {MAX_CHUNK_TYPES} kinds of ancillary chunk: the others are not counted")
        handler = self._handlers.get(chunk_type)
        kept = bytearray()
        for piece in reader.iter_payload(chunk_type, length, READ_PIECE_BYTES):
            if handler is not None and len(kept) < MAX_CHUNK_READ:
                kept += piece[: MAX_CHUNK_READ - len(kept)]
            self.meter.spent += CRC_US_PER_BYTE * len(piece)
            if self.meter.due:
                yield None
        if handler is None:
            return
        complete = len(kept) == length
        if not complete:
            self.warn(f"{name} chunk of {length} bytes: only its first {MAX_CHUNK_READ} bytes were read")
        problem = self._place_problem(chunk_type, palette is not None, after_image_data)
        if problem is None:
            try:
                handler(bytes(kept), complete)
            except ChunkProblem as exc:
                problem = str(exc)
        if problem is not None:
            self.invalid(name, problem)
        elif chunk_type in ONCE_ONLY:
            self._seen.add(chunk_type)

    def _place_problem(self, chunk_type: bytes, after_palette: bool, after_image_data: bool) -> str | None:
        """Why this chunk is out of place (spec 5.6) or a second copy of a one-only chunk, if it is."""
        if chunk_type in self._seen:
            return "a second copy of a chunk that may appear only once (ignored)"
        if after_image_data and chunk_type in BEFORE_IMAGE_DATA:
            return "must come before the image data (ignored)"
        if after_palette and chunk_type in BEFORE_PALETTE:
            return "must come before PLTE (ignored)"
        if chunk_type in AFTER_PALETTE and self.info.color_type == 3 and not after_palette:
            return "must come after PLTE (ignored)"
        return None

    def invalid(self, chunk_name: str, reason: str) -> None:
        if len(self.invalid_chunks) < MAX_PROBLEMS:
            self.invalid_chunks.append({"type": chunk_name, "reason": reason})
        elif len(self.invalid_chunks) == MAX_PROBLEMS:
            self.warn(f"more than {MAX_PROBLEMS} invalid chunks: the others are not listed")

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_PROBLEMS and message not in self.warnings:
            self.warnings.append(message)

    @staticmethod
    def _expect_length(payload: bytes, length: int) -> None:
        if len(payload) != length:
            raise ChunkProblem(f"length {len(payload)} is not {length}")

    def _gamma(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 4)
        (value,) = struct.unpack(">I", payload)
        if value == 0:
            raise ChunkProblem("gamma 0 is invalid")
        self.facts["gamma"] = value / 100000

    def _chromaticities(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 32)
        values = [v / 100000 for v in struct.unpack(">8I", payload)]
        names = ("white_point", "red", "green", "blue")
        self.facts["chromaticities"] = {
            name: {"x": values[2 * k], "y": values[2 * k + 1]} for k, name in enumerate(names)
        }

    def _srgb(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 1)
        if payload[0] not in SRGB_INTENTS:
            raise ChunkProblem(f"rendering intent {payload[0]} is not 0-3")
        self.facts["srgb_intent"] = {"value": payload[0], "name": SRGB_INTENTS[payload[0]]}
        if b"iCCP" in self._seen:
            self.warn("both sRGB and iCCP are present (the spec allows only one)")

    def _icc_profile(self, payload: bytes, complete: bool) -> None:
        name, rest = split_keyword(payload, "profile name")
        if not rest or rest[0] != 0:
            raise ChunkProblem("the compression method is missing or not 0")
        self.facts["icc_profile_name"] = name
        if b"sRGB" in self._seen:
            self.warn("both sRGB and iCCP are present (the spec allows only one)")

    def _significant_bits(self, payload: bytes, complete: bool) -> None:
        info = self.info
        self._expect_length(payload, SIGNIFICANT_BITS_LENGTH[info.color_type])
        limit = 8 if info.color_type == 3 else info.bit_depth
        if not all(1 <= v <= limit for v in payload):
            raise ChunkProblem(f"significant bits must be 1..{limit}")
        self.facts["significant_bits"] = list(payload)

    def _physical_size(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 9)
        x, y, unit = struct.unpack(">IIB", payload)
        if unit not in PHYS_UNITS:
            raise ChunkProblem(f"unit {unit} is not 0 (unknown) or 1 (metre)")
        size: dict[str, object] = {"x": x, "y": y, "unit": PHYS_UNITS[unit]}
        if unit == 1:
            size["dpi"] = {"x": round(x * 0.0254, 3), "y": round(y * 0.0254, 3)}
        self.facts["physical_pixel_size"] = size

    def _time(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 7)
        year, month, day, hour, minute, second = struct.unpack(">HBBBBB", payload)
        if not (1 <= month <= 12 and 1 <= year <= 9999):
            raise ChunkProblem(f"the date {year}-{month} is not a valid month")
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise ChunkProblem(f"day {day} does not exist in {year}-{month:02d}")
        if not (hour <= 23 and minute <= 59 and second <= 60):  # 60: a leap second (spec 11.3.6.1)
            raise ChunkProblem(f"the time {hour}:{minute}:{second} is invalid")
        self.facts["modification_time"] = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"

    def _background(self, payload: bytes, complete: bool) -> None:
        info = self.info
        if info.color_type == 3:
            self._expect_length(payload, 1)
            entries = len(self._palette or b"") // 3
            if payload[0] >= entries:
                raise ChunkProblem(f"palette index {payload[0]} is past the palette's {entries} entries")
            self.facts["background"] = {"palette_index": payload[0]}
            return
        values = [v for (v,) in struct.iter_unpack(">H", payload)] if len(payload) % 2 == 0 else []
        self._expect_length(payload, 2 if info.color_type in (0, 4) else 6)
        if any(v >= 1 << info.bit_depth for v in values):
            raise ChunkProblem(f"a value does not fit the bit depth {info.bit_depth}")
        if info.color_type in (0, 4):
            self.facts["background"] = {"gray": values[0]}
        else:
            self.facts["background"] = {"red": values[0], "green": values[1], "blue": values[2]}

    def _histogram(self, payload: bytes, complete: bool) -> None:
        if self._palette is None:
            raise ChunkProblem("hIST needs a PLTE chunk")
        self._expect_length(payload, 2 * (len(self._palette) // 3))
        self.facts["palette_histogram"] = [v for (v,) in struct.iter_unpack(">H", payload)]

    def _suggested_palette(self, payload: bytes, complete: bool) -> None:
        name, rest = split_keyword(payload, "palette name")
        if not rest or rest[0] not in (8, 16):
            raise ChunkProblem("the sample depth is missing or not 8 or 16")
        entry_size = 6 if rest[0] == 8 else 10
        if complete and (len(rest) - 1) % entry_size:
            raise ChunkProblem(f"the entries are not a whole number of {entry_size}-byte entries")
        palettes = self.facts["suggested_palettes"]
        assert isinstance(palettes, list)
        if any(p["name"] == name for p in palettes):
            raise ChunkProblem(f"a second suggested palette named {name!r}")
        if len(palettes) >= MAX_SUGGESTED_PALETTES:
            self.warn(f"more than {MAX_SUGGESTED_PALETTES} suggested palettes: the others are not listed")
            return
        entries = (len(rest) - 1) // entry_size if complete else None
        palettes.append({"name": name, "sample_depth": rest[0], "entries": entries})

    def _exif(self, payload: bytes, complete: bool) -> None:
        if payload[:4] not in (b"MM\0*", b"II*\0"):
            raise ChunkProblem("the data does not start with a TIFF byte-order mark")
        self.facts["exif_bytes"] = len(payload) if complete else None

    def _animation(self, payload: bytes, complete: bool) -> None:
        self._expect_length(payload, 8)
        frames, plays = struct.unpack(">II", payload)
        self.facts["animation"] = {"frames": frames, "plays": plays}

    def _text(self, chunk_type: bytes, payload: bytes, complete: bool) -> None:
        entry, work = parse_text(chunk_type, payload, complete)
        self.meter.spent += INFLATE_US_PER_BYTE * work
        self._add_text(entry)

    def _add_text(self, entry: TextEntry) -> None:
        if len(self.text) >= MAX_TEXT_CHUNKS:
            self.warn(f"more than {MAX_TEXT_CHUNKS} text chunks: the others are not reported")
            return
        if self._text_total + entry.size > MAX_TEXT_TOTAL:
            self.warn(f"text chunks over {MAX_TEXT_TOTAL} characters in all: the others are not reported")
            return
        self._text_total += entry.size
        self.text.append(entry.as_json())

    def report(self) -> dict[str, object]:
        """The facts, the text entries, the counts and the problems, JSON-ready."""
        return {
            **self.facts,
            "text": self.text,
            "ancillary_chunks": dict(self.chunk_counts),
            "invalid_chunks": self.invalid_chunks,
            "warnings": self.warnings,
        }

"""Turning decoded scanlines of any colour type / bit depth into 8-bit gray (+ 8-bit alpha) planes.
Sample scaling per spec 13.12: low depths replicate bits (v * 255 / (2^d - 1)), 16-bit keeps the
high byte. Imports only .luma, .errors and .header."""

from collections.abc import Callable

from .errors import InvalidImage
from .header import PngInfo
from .luma import Luma

Planes = tuple[bytes, bytes | None]  # (gray, alpha or None)


def _unpack_tables(bit_depth: int, value_of: Callable[[int], int]) -> list[bytes]:
    """One bytes.translate table per sample position k of a packed byte: byte value ->
    value_of(its k-th sample), left to right (spec 7.2: the leftmost pixel is in the high-order bits)."""
    mask = (1 << bit_depth) - 1
    return [
        bytes(value_of((byte >> (8 - bit_depth * (k + 1))) & mask) for byte in range(256))
        for k in range(8 // bit_depth)
    ]


def _unpack(rows: list[bytes], width: int, tables: list[bytes]) -> bytes:
    """Samples of packed rows (1, 2 or 4 bits) as one byte each through value_of (see _unpack_tables),
    dropping the padding samples at the end of each row. Sample k of every byte comes from one C-speed
    translate of the whole strip, interleaved by a strided copy. Reference twin:
    grayscale_reference.unpack_samples (test_unpack_matches_reference); justified by the palette images
    optimisers reduce to 1-4 bits (benchmark rows optipng-palette-chart-*, 16 colours in 4 bits)."""
    strip = b"".join(rows)
    per_byte = len(tables)
    samples = bytearray(len(strip) * per_byte)
    for k, table in enumerate(tables):
        samples[k::per_byte] = strip.translate(table)
    row_samples = len(rows[0]) * per_byte
    if row_samples == width:
        return bytes(samples)
    return b"".join([samples[start : start + width] for start in range(0, len(samples), row_samples)])


def _alpha_where_key(samples: bytes, sample_bytes: int, key: bytes) -> bytes:
    """0 where a pixel's `sample_bytes` bytes equal `key`, else 255 (tRNS for colour types 0/2, spec 11.3.2.1).
    Each byte position contributes a 0/1 flag per pixel lane; the flag sum (<= 6) stays inside
    its byte lane, and equals sample_bytes exactly when every byte matched. Reference twin:
    grayscale_reference.alpha_where_key (test_alpha_where_key_matches_reference); justified by the
    tRNS images (benchmark rows *-chart-trns-*: RGB with white transparent; a per-pixel comparison
    was the slowest step of such images)."""
    pixel_count = len(samples) // sample_bytes
    matches = 0
    for k in range(sample_bytes):
        flag_table = bytes(1 if value == key[k] else 0 for value in range(256))
        matches += int.from_bytes(samples[k::sample_bytes].translate(flag_table), "little")
    alpha_table = bytes(0 if count == sample_bytes else 255 for count in range(256))
    return matches.to_bytes(pixel_count, "little").translate(alpha_table)


class SampleConverter:
    """Converts a strip of decoded rows (all of one width) into gray and alpha planes."""

    def __init__(self, info: PngInfo, palette: bytes | None, transparency: bytes | None) -> None:
        self.info = info
        self.has_alpha = info.has_alpha or transparency is not None
        self._transparency = transparency
        self._key = (
            transparency_key(info, transparency) if transparency is not None and info.color_type in (0, 2) else None
        )
        # 16-bit samples that reach here are whole (only kept when tRNS needs them): high bytes at 0, 2, 4.
        self._luma = Luma(3) if info.bit_depth == 8 else Luma(6, green_at=2, blue_at=4)
        self._luma_alpha = Luma(4) if info.bit_depth == 8 else Luma(8, green_at=2, blue_at=4)
        planes_by_color_type = {
            0: self._gray,
            2: self._truecolour,
            3: self._indexed,
            4: self._gray_alpha,
            6: self._truecolour_alpha,
        }
        self.convert: Callable[[list[bytes], int], Planes] = planes_by_color_type[info.color_type]
        if info.color_type == 3:
            if palette is None:  # the pipeline refuses colour type 3 without PLTE before this
                raise InvalidImage("missing_palette", "a palette image (colour type 3) needs a PLTE chunk")
            self._build_palette_tables(palette)
        elif info.color_type == 0 and info.bit_depth < 8:
            scale = 255 // ((1 << info.bit_depth) - 1)
            self._gray_table = _unpack_tables(info.bit_depth, lambda v: v * scale)
            self._raw_table = _unpack_tables(info.bit_depth, lambda v: v)

    def _alpha_for_key(self, raw_samples: bytes, sample_bytes: int) -> bytes:
        if self._key is None:
            return b"\xff" * (len(raw_samples) // sample_bytes)
        return _alpha_where_key(raw_samples, sample_bytes, self._key)

    def _gray(self, rows: list[bytes], width: int) -> Planes:
        depth = self.info.bit_depth
        if depth < 8:
            gray = _unpack(rows, width, self._gray_table)
            alpha = None
            if self._transparency is not None:
                alpha = self._alpha_for_key(_unpack(rows, width, self._raw_table), 1)
            return gray, alpha
        strip = b"".join(rows)
        if depth == 8:
            return strip, (self._alpha_for_key(strip, 1) if self._transparency is not None else None)
        return strip[0::2], (self._alpha_for_key(strip, 2) if self._transparency is not None else None)

    def _truecolour(self, rows: list[bytes], width: int) -> Planes:
        strip = b"".join(rows)
        sample_bytes = 3 if self.info.bit_depth == 8 else 6
        gray = self._luma(strip)
        return gray, (self._alpha_for_key(strip, sample_bytes) if self._transparency is not None else None)

    def _gray_alpha(self, rows: list[bytes], width: int) -> Planes:
        strip = b"".join(rows)
        if self.info.bit_depth == 8:
            return strip[0::2], strip[1::2]
        return strip[0::4], strip[2::4]

    def _truecolour_alpha(self, rows: list[bytes], width: int) -> Planes:
        strip = b"".join(rows)
        return self._luma_alpha(strip), (strip[3::4] if self.info.bit_depth == 8 else strip[6::8])

    def _build_palette_tables(self, palette: bytes) -> None:
        """Per-index gray and alpha as 256-byte translate tables. Indices past the palette decode as
        black (as Pillow and libpng do) rather than failing the whole image."""
        entries = len(palette) // 3
        gray = Luma(3)(palette) + bytes(256 - entries)
        alpha = (self._transparency or b"") + b"\xff" * (256 - len(self._transparency or b""))
        self._index_gray = gray
        self._index_alpha = alpha
        if self.info.bit_depth < 8:
            self._raw_table = _unpack_tables(self.info.bit_depth, lambda v: v)

    def _indexed(self, rows: list[bytes], width: int) -> Planes:
        indices = _unpack(rows, width, self._raw_table) if self.info.bit_depth < 8 else b"".join(rows)
        alpha = indices.translate(self._index_alpha) if self._transparency is not None else None
        return indices.translate(self._index_gray), alpha


def transparency_key(info: PngInfo, transparency: bytes) -> bytes | None:
    """The tRNS colour as it appears in decoded samples (spec 11.3.2.1: 2-byte values per channel,
    compared at the image's own bit depth); None if no pixel can ever match it. Shared with imageops."""
    values = [int.from_bytes(transparency[i : i + 2], "big") for i in range(0, len(transparency), 2)]
    if any(v >= 1 << info.bit_depth for v in values):
        return None
    if info.bit_depth == 16:
        return b"".join(v.to_bytes(2, "big") for v in values)
    return bytes(values)


def validate_palette(info: PngInfo, payload: bytes) -> bytes:
    """Check a PLTE payload (spec 11.2.3) and return it."""
    if info.color_type in (0, 4):
        raise InvalidImage("bad_palette", "a grayscale image must not have a PLTE chunk")
    if len(payload) % 3 or not 3 <= len(payload) <= 768:
        raise InvalidImage("bad_palette", f"PLTE length {len(payload)} is not 3..768 and a multiple of 3")
    if info.color_type == 3 and len(payload) // 3 > 1 << info.bit_depth:
        raise InvalidImage(
            "bad_palette", f"PLTE has {len(payload) // 3} entries, more than bit depth {info.bit_depth} can index"
        )
    return bytes(payload)


def validate_transparency(info: PngInfo, payload: bytes, palette: bytes | None) -> bytes:
    """Check a tRNS payload against the colour type (spec 11.3.2.1) and return it."""
    expected = {0: 2, 2: 6}
    if info.color_type in (4, 6):
        raise InvalidImage("bad_transparency", "tRNS is not allowed when the image already has an alpha channel")
    if info.color_type == 3:
        if palette is None:
            raise InvalidImage("chunk_order", "tRNS must come after PLTE in a palette image")
        if not 1 <= len(payload) <= len(palette) // 3:
            raise InvalidImage(
                "bad_transparency", f"tRNS has {len(payload)} entries but the palette has {len(palette) // 3}"
            )
    elif len(payload) != expected[info.color_type]:
        raise InvalidImage(
            "bad_transparency",
            f"tRNS for colour type {info.color_type} must be {expected[info.color_type]} bytes, found {len(payload)}",
        )
    return bytes(payload)

"""The one exception type for bad input, with stable machine-readable codes.
Imports nothing; every other module raises InvalidImage from here."""

# code -> what it means. The HTTP layer maps "not_png" to 415 and every other code to 422.
ERROR_CODES = {
    "not_png": "the bytes do not start with the PNG signature",
    "truncated": "the file ends before its IEND chunk (mid-chunk, or IEND missing)",
    "bad_chunk": "a chunk length exceeds 2^31-1 or its type is not four ASCII letters",
    "crc_mismatch": "a chunk's CRC does not match its type and data",
    "bad_header": "IHDR is malformed: wrong length, zero size, invalid bit depth/colour type, or bad method fields",
    "chunk_order": "critical chunks are out of order (IHDR not first, PLTE/tRNS after IDAT, split IDATs, duplicates)",
    "unknown_critical_chunk": "a critical chunk type this decoder does not know",
    "bad_palette": "PLTE has a bad length, too many entries for the bit depth, or appears in a grayscale image",
    "missing_palette": "colour type 3 (palette) without a PLTE chunk before IDAT",
    "bad_transparency": "tRNS has the wrong length for the colour type, or appears with an alpha colour type",
    "missing_image_data": "IEND reached without any IDAT chunk",
    "bad_image_data": "the zlib stream in IDAT is corrupt or does not end properly",
    "image_data_short": "the image data ends before all scanlines are complete",
    "image_data_long": "there is more image data than IHDR's size implies",
    "bad_filter": "a scanline has a filter type byte other than 0-4",
    "too_large": (
        "the image exceeds the max_pixels, max_dimension or max_decompressed_bytes limit, or this host's memory"
    ),
}


class InvalidImage(ValueError):
    """Raised for every corrupt, unsupported or over-limit input; `.code` is one of ERROR_CODES."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:  # a typo here is our bug, not the caller's input
            raise AssertionError(f"unregistered error code {code!r}")
        super().__init__(message)
        self.code = code

    def __repr__(self) -> str:
        return f"InvalidImage({self.code!r}, {str(self)!r})"

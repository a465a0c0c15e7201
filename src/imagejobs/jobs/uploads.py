"""Upload validation (spec: API.md, "Upload validation"): size, PNG signature, IHDR, pixels —
all checked before anything is stored. Imports the grayscale core, nothing platform.
"""

import unicodedata
from dataclasses import dataclass

import grayscale

from ..errors import InvalidImageUpload, PayloadTooLarge, UnsupportedMediaType

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_NAME_CHARS = 255


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ValidImage:
    name: str
    data: bytes
    width: int
    height: int


def clean_file_name(name: str | None) -> str:
    """The client's file name without any path, control characters or excess length."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:MAX_NAME_CHARS] or "image.png"


def validate_upload(upload: Upload, *, max_bytes: int, max_pixels: int) -> ValidImage:
    """Check an uploaded file; raises 413 / 415 / 422 errors, returns its dimensions."""
    size = len(upload.data)
    if size > max_bytes:
        raise PayloadTooLarge(f"upload is {size} bytes; the limit is {max_bytes}")
    if not upload.data.startswith(PNG_SIGNATURE):
        raise UnsupportedMediaType("the file is not a PNG image (its first bytes are not the PNG signature)")
    try:
        info = grayscale.probe(upload.data)
    except grayscale.InvalidImage as error:
        raise InvalidImageUpload(f"invalid PNG header: {error}") from None
    if max(info.width, info.height) > grayscale.DEFAULT_MAX_DIMENSION:
        raise InvalidImageUpload(
            f"image is {info.width}×{info.height}; no side may exceed {grayscale.DEFAULT_MAX_DIMENSION} pixels"
        )
    pixels = info.width * info.height
    if pixels > max_pixels:
        raise InvalidImageUpload(f"image is {info.width}×{info.height} = {pixels} pixels; the limit is {max_pixels}")
    return ValidImage(clean_file_name(upload.name), upload.data, info.width, info.height)

"""Strict, bounded base64url without padding (RFC 7515 §2, RFC 4648 §5), as JWTs and JWKs use it.

Python's decoder skips characters outside the alphabet; here any of them, padding, an
impossible length or a text longer than its bound is refused before decoding.
Imports nothing platform.
"""

import base64
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class Base64urlRejected(ValueError):
    """The text is not unpadded base64url within its bound."""


def decode_base64url(text: str, *, max_chars: int) -> bytes:
    if len(text) > max_chars:
        raise Base64urlRejected(f"longer than {max_chars} characters")
    if not _ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise Base64urlRejected("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def base64url_chars(byte_count: int) -> int:
    """The length of the unpadded base64url text of `byte_count` bytes."""
    return (byte_count * 4 + 2) // 3

"""RS256 signature verification: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3, RFC 8017 §8.2.2).

The signature raised to the public exponent mod n must equal the EMSA-PKCS1-v1_5 encoding of
the message's digest. Python's big integers do the modular exponentiation; no compiled crypto
is needed. Key sizes are bounded both ways, so a key cannot make verification slow.
Imports nothing platform.
"""

import hashlib
import hmac
from dataclasses import dataclass

MIN_MODULUS_BITS = 2048  # RFC 7518 §3.3
MAX_MODULUS_BITS = 8192
MAX_EXPONENT_BITS = 32  # real keys use 65537; the exponent's length is the cost of pow()
MAX_SIGNATURE_BYTES = MAX_MODULUS_BITS // 8
# DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True, slots=True)
class RsaPublicKey:
    modulus: int
    exponent: int

    @property
    def usable(self) -> bool:
        """Within the bounds above, with an odd exponent of at least 3."""
        return (
            MIN_MODULUS_BITS <= self.modulus.bit_length() <= MAX_MODULUS_BITS
            and self.exponent >= 3
            and self.exponent.bit_length() <= MAX_EXPONENT_BITS
            and self.exponent % 2 == 1
        )


def rs256_signature_valid(message: bytes, signature: bytes, key: RsaPublicKey) -> bool:
    """True if `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`."""
    if not key.usable:
        return False
    size = (key.modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= key.modulus:
        return False
    encoded = pow(value, key.exponent, key.modulus).to_bytes(size, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)

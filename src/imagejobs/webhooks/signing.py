"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme"): the
signed content is `<webhook-id>.<webhook-timestamp>.<body>`, the signature HMAC-SHA256 under the
secret's bytes, sent as `v1,<base64>`. A secret is written `whsec_<base64 of its bytes>`.
Imports nothing.
"""

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"
# The spec asks for secrets of 24 to 64 bytes.
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


class InvalidSecret(ValueError):
    """The secret is not `whsec_` followed by the base64 of 24 to 64 bytes."""


def secret_bytes(secret: str) -> bytes:
    """The key of a `whsec_…` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret(f"a webhook secret starts with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecret("a webhook secret is whsec_ followed by base64") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecret(f"a webhook secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(key)}")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")

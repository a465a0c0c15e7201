"""Cloudflare Access JWT verification (docs/API.md, "Identity"): RS256 against the team's keys,
with `alg`, `kid`, `aud`, `iss`, `exp`, `nbf` and `iat` checked and a small clock skew.

A token arrives before anyone has signed in, so it is bounded before anything parses it: its
length, each segment's alphabet and length, and the JSON depth of the header. The claims are
parsed only after the signature over them has been verified. Imports nothing platform.
"""

import time
from collections.abc import Callable

from ..errors import Unauthenticated
from .base64url import Base64urlRejected, base64url_chars, decode_base64url
from .bounded_json import JsonRejected, parse_json
from .jwks import KeySource, team_domain_name
from .rs256 import MAX_SIGNATURE_BYTES, RsaPublicKey, rs256_signature_valid

CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_CHARS = 8192  # an Access token is about 1 KB
MAX_HEADER_SEGMENT_CHARS = 1024  # a JOSE header is about 100 bytes
MAX_SIGNATURE_SEGMENT_CHARS = base64url_chars(MAX_SIGNATURE_BYTES)
MAX_JSON_DEPTH = 8  # Access's header is flat and its claims 2 deep

Claims = dict[str, object]


def _segment(text: str, max_chars: int, name: str) -> bytes:
    try:
        return decode_base64url(text, max_chars=max_chars)
    except Base64urlRejected as error:
        raise Unauthenticated(f"the Access token's {name} is {error}") from None


def _json_segment(text: str, max_chars: int, name: str) -> Claims:
    data = _segment(text, max_chars, name)
    try:
        value = parse_json(data, max_bytes=max_chars, max_depth=MAX_JSON_DEPTH)
    except JsonRejected as error:
        raise Unauthenticated(f"the Access token's {name} is {error}") from None
    if not isinstance(value, dict):
        raise Unauthenticated(f"the Access token's {name} is not a JSON object")
    return value


def _time_claim(claims: Claims, name: str) -> int | None:
    """A NumericDate claim as whole seconds (None if absent): an int, never a bool, a float,
    a string, NaN or Infinity."""
    value = claims.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise Unauthenticated(f"the Access token's {name} must be a whole number of seconds")
    return value


class AccessTokenVerifier:
    """Verifies Access tokens for one team and application (audience tag)."""

    def __init__(
        self, team_domain: str, audience: str, keys: KeySource, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.issuer = f"https://{team_domain_name(team_domain)}"
        self.audience = audience
        self.keys = keys
        self.clock = clock

    async def verify(self, token: str) -> Claims:
        """The token's claims; raises Unauthenticated with the reason if anything is off."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated(f"the Access token is longer than {MAX_TOKEN_CHARS} characters")
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthenticated("the Access token is not a JWT (three dot-separated parts)")
        header_text, claims_text, signature_text = parts
        header = _json_segment(header_text, MAX_HEADER_SEGMENT_CHARS, "header")
        if header.get("alg") != "RS256":
            raise Unauthenticated(f"Access tokens must be signed with RS256, not {str(header.get('alg'))[:20]!r}")
        if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
            raise Unauthenticated("the Access token names critical extensions this API does not support")
        key = await self._key(header.get("kid"))
        signature = _segment(signature_text, MAX_SIGNATURE_SEGMENT_CHARS, "signature")
        if not rs256_signature_valid(f"{header_text}.{claims_text}".encode(), signature, key):
            raise Unauthenticated("the Access token's signature is not valid")
        claims = _json_segment(claims_text, MAX_TOKEN_CHARS, "claims")
        self._check_claims(claims)
        return claims

    async def _key(self, kid: object) -> RsaPublicKey:
        if not isinstance(kid, str):
            raise Unauthenticated("the Access token names no signing key (kid)")
        key = (await self.keys.current()).get(kid)
        if key is None:
            key = (await self.keys.refresh()).get(kid)  # Access may have rotated its keys
        if key is None:
            raise Unauthenticated("the Access token was signed by an unknown key")
        return key

    def _check_claims(self, claims: Claims) -> None:
        now = self.clock()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise Unauthenticated("the Access token is for another application (aud)")
        if claims.get("iss") != self.issuer:
            raise Unauthenticated("the Access token was issued by another team (iss)")
        expires, not_before, issued = (_time_claim(claims, name) for name in ("exp", "nbf", "iat"))
        if expires is None:
            raise Unauthenticated("the Access token has no expiry (exp)")
        if now > expires + CLOCK_SKEW_SECONDS:
            raise Unauthenticated("the Access token has expired; sign in again")
        if not_before is not None and now + CLOCK_SKEW_SECONDS < not_before:
            raise Unauthenticated("the Access token is not valid yet")
        if issued is not None and now + CLOCK_SKEW_SECONDS < issued:
            raise Unauthenticated("the Access token was issued in the future")

"""Cloudflare Access JWT verification (spec: API.md, "Identity"): RS256 against the team's
JWKS, with `alg`, `kid`, `aud`, `iss`, `exp` and `nbf` checked and a small clock skew.

RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3, RFC 8017 §8.2.2): the signature,
raised to the public exponent mod n, must equal the EMSA-PKCS1-v1_5 encoding of the payload's
digest. Python's big integers do the modular exponentiation; no compiled crypto is needed.
Imports nothing platform.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable

from ..errors import Unauthenticated

CLOCK_SKEW_SECONDS = 60
JWKS_CACHE_SECONDS = 3600
JWKS_REFRESH_MIN_SECONDS = 60  # an unknown kid (keys rotated) forces a re-fetch at most this often
JWKS_FAILURE_SECONDS = 10  # a failed fetch is not retried by every request during an outage
MIN_MODULUS_BITS = 2048
# DER prefix of DigestInfo for SHA-256 (RFC 8017 §9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

JwksSource = Callable[[], Awaitable[dict]]


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise Unauthenticated("the Access token is not valid base64url") from None


def rs256_signature_valid(message: bytes, signature: bytes, modulus: int, exponent: int) -> bool:
    """True if `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`."""
    if modulus.bit_length() < MIN_MODULUS_BITS or exponent < 3 or exponent % 2 == 0:
        return False
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    encoded = pow(value, exponent, modulus).to_bytes(size, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def _rsa_key(jwk: dict) -> tuple[int, int] | None:
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
        return None
    try:
        return int.from_bytes(_b64url(jwk["n"]), "big"), int.from_bytes(_b64url(jwk["e"]), "big")
    except (KeyError, TypeError, Unauthenticated):
        return None


def _find_key(jwks: object, kid: str) -> tuple[int, int] | None:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    for jwk in keys if isinstance(keys, list) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            key = _rsa_key(jwk)
            if key is not None:
                return key
    return None


class AccessTokenVerifier:
    """Verifies Access tokens for one team and application (audience tag)."""

    def __init__(self, team_domain: str, audience: str, jwks: JwksSource, *, clock: Callable[[], float] = time.time):
        domain = team_domain.removeprefix("https://").rstrip("/")
        self.issuer = f"https://{domain}"
        self.audience = audience
        self.jwks = jwks
        self.clock = clock

    async def verify(self, token: str) -> dict:
        """The token's claims; raises Unauthenticated with the reason if anything is off."""
        parts = token.split(".")
        if len(parts) != 3:
            raise Unauthenticated("the Access token is not a JWT")
        try:
            header = json.loads(_b64url(parts[0]))
            claims = json.loads(_b64url(parts[1]))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise Unauthenticated("the Access token is not valid JSON") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise Unauthenticated("the Access token is malformed")
        if header.get("alg") != "RS256":
            raise Unauthenticated(f"Access tokens must be signed with RS256, not {header.get('alg')!r}")
        key = await self._key(header.get("kid"))
        signed = f"{parts[0]}.{parts[1]}".encode()
        if not rs256_signature_valid(signed, _b64url(parts[2]), *key):
            raise Unauthenticated("the Access token's signature is not valid")
        self._check_claims(claims)
        return claims

    async def _key(self, kid: object) -> tuple[int, int]:
        if not isinstance(kid, str):
            raise Unauthenticated("the Access token names no signing key (kid)")
        key = _find_key(await self.jwks(), kid)
        refresh = getattr(self.jwks, "refresh", None)
        if key is None and refresh is not None:
            key = _find_key(await refresh(), kid)  # Access may have rotated its keys
        if key is None:
            raise Unauthenticated("the Access token was signed by an unknown key")
        return key

    def _check_claims(self, claims: dict) -> None:
        now = self.clock()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise Unauthenticated("the Access token is for another application (aud)")
        if claims.get("iss") != self.issuer:
            raise Unauthenticated("the Access token was issued by another team (iss)")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, (int, float)) or now > exp + CLOCK_SKEW_SECONDS:
            raise Unauthenticated("the Access token has expired; sign in again")
        if nbf is not None and (not isinstance(nbf, (int, float)) or now + CLOCK_SKEW_SECONDS < nbf):
            raise Unauthenticated("the Access token is not valid yet")


class CachedJwks:
    """A JWKS kept for an hour per isolate (Access rotates keys every six weeks), re-fetched
    early when a token names an unknown key, and not hammered while fetching fails."""

    def __init__(self, fetch: JwksSource, *, clock: Callable[[], float] = time.monotonic):
        self._fetch = fetch
        self._clock = clock
        self._keys: dict | None = None
        self._fetched_at = 0.0
        self._failure: tuple[float, Exception] | None = None

    async def __call__(self) -> dict:
        if self._keys is None or self._clock() - self._fetched_at > JWKS_CACHE_SECONDS:
            return await self._load()
        return self._keys

    async def refresh(self) -> dict:
        """Fetch again unless the keys are younger than a minute (then return them as they are)."""
        if self._keys is not None and self._clock() - self._fetched_at < JWKS_REFRESH_MIN_SECONDS:
            return self._keys
        return await self._load()

    async def _load(self) -> dict:
        if self._failure is not None and self._clock() - self._failure[0] < JWKS_FAILURE_SECONDS:
            raise self._failure[1]
        try:
            keys = await self._fetch()
        except Exception as error:
            self._failure = (self._clock(), error)
            raise
        self._keys, self._fetched_at, self._failure = keys, self._clock(), None
        return keys


def static_jwks(text: str) -> JwksSource:
    """A JWKS given as JSON text (the ACCESS_JWKS variable: tests and air-gapped use)."""
    try:
        keys = json.loads(text)
    except ValueError:
        raise ValueError("ACCESS_JWKS is not valid JSON") from None

    async def source() -> dict:
        return keys

    return source

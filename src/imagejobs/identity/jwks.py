"""The Access team's signing keys (a JWKS, RFC 7517), parsed within bounds, and the per-isolate
cache that fetches them.

The cache is an object the platform layer creates once per isolate and passes in, with the
one platform capability identity needs: a `fetch` of a URL's body, bounded in size. Keys are
kept for an hour (Access rotates them every six weeks), fetched again early when a token names
an unknown key (at most once a minute), and not fetched by every request while fetching fails.
Imports nothing platform.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ..config import ConfigError
from ..errors import ServiceUnavailable
from .base64url import Base64urlRejected, base64url_chars, decode_base64url
from .bounded_json import JsonRejected, parse_json
from .rs256 import MAX_EXPONENT_BITS, MAX_MODULUS_BITS, RsaPublicKey

MAX_JWKS_BYTES = 64 * 1024  # Cloudflare's certs document is about 3 KB
MAX_JWKS_DEPTH = 8  # {"keys": [{…}], "public_certs": [{…}]} is 3 deep
MAX_KID_CHARS = 256
JWKS_CACHE_SECONDS = 3600
JWKS_REFRESH_MIN_SECONDS = 60  # an unknown kid (keys rotated) forces a re-fetch at most this often
JWKS_FAILURE_SECONDS = 10  # a failed fetch is not retried by every request during an outage

Keyring = Mapping[str, RsaPublicKey]  # kid → key


class Fetch(Protocol):
    async def __call__(self, url: str, *, max_bytes: int) -> bytes:
        """The body of a successful GET of `url`; raises if the answer is not a success or its
        body is longer than `max_bytes`."""
        ...


class KeySource(Protocol):
    async def current(self) -> Keyring:
        """The keys as they are known now."""
        ...

    async def refresh(self) -> Keyring:
        """The keys again, fetched anew if the source can (a token named an unknown kid)."""
        ...


class JwksRejected(ValueError):
    """The document is not a JWKS within the bounds."""


def _rsa_key(jwk: Mapping[str, object]) -> RsaPublicKey | None:
    if jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
        return None
    n, e = jwk.get("n"), jwk.get("e")
    if not isinstance(n, str) or not isinstance(e, str):
        return None
    try:
        modulus = decode_base64url(n, max_chars=base64url_chars(MAX_MODULUS_BITS // 8))
        exponent = decode_base64url(e, max_chars=base64url_chars(MAX_EXPONENT_BITS // 8))
    except Base64urlRejected:
        return None
    key = RsaPublicKey(int.from_bytes(modulus, "big"), int.from_bytes(exponent, "big"))
    return key if key.usable else None


def parse_jwks(data: bytes) -> Keyring:
    """The usable RS256 keys of a JWKS document, by kid (the first of a repeated kid wins);
    keys of other kinds or outside the size bounds are left out."""
    try:
        document = parse_json(data, max_bytes=MAX_JWKS_BYTES, max_depth=MAX_JWKS_DEPTH)
    except JsonRejected as error:
        raise JwksRejected(f"the JWKS is {error}") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise JwksRejected('the JWKS has no "keys" list')
    found: dict[str, RsaPublicKey] = {}
    for jwk in keys:
        kid = jwk.get("kid") if isinstance(jwk, dict) else None
        if isinstance(jwk, dict) and isinstance(kid, str) and len(kid) <= MAX_KID_CHARS and kid not in found:
            key = _rsa_key(jwk)
            if key is not None:
                found[kid] = key
    return found


@dataclass(frozen=True, slots=True)
class StaticKeys:
    """Keys given with the configuration (ACCESS_JWKS: tests and air-gapped use)."""

    keys: Keyring

    async def current(self) -> Keyring:
        return self.keys

    async def refresh(self) -> Keyring:
        return self.keys


class TeamKeys:
    """One team's fetched keys, with the cache policy of the module docstring."""

    def __init__(self, url: str, fetch: Fetch, clock: Callable[[], float]) -> None:
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: Keyring | None = None
        self._fetched_at = 0.0
        self._failure: tuple[float, ServiceUnavailable] | None = None

    async def current(self) -> Keyring:
        if self._keys is None or self._clock() - self._fetched_at > JWKS_CACHE_SECONDS:
            return await self._load()
        return self._keys

    async def refresh(self) -> Keyring:
        """Fetch again unless the keys are younger than a minute (then return them as they are)."""
        if self._keys is not None and self._clock() - self._fetched_at < JWKS_REFRESH_MIN_SECONDS:
            return self._keys
        return await self._load()

    async def _load(self) -> Keyring:
        if self._failure is not None and self._clock() - self._failure[0] < JWKS_FAILURE_SECONDS:
            raise self._failure[1]
        try:
            keys = parse_jwks(await self._fetch(self.url, max_bytes=MAX_JWKS_BYTES))
        except Exception as error:  # noqa: BLE001 — network errors surface as JsException/OSError
            failure = ServiceUnavailable(f"cannot fetch the Access signing keys from {self.url} ({error}); try again")
            self._failure = (self._clock(), failure)
            raise failure from None
        self._keys, self._fetched_at, self._failure = keys, self._clock(), None
        return keys


class AccessKeyCache:
    """The signing keys of the isolate's lifetime: the platform layer creates one per isolate
    and hands it to every request. It holds one `TeamKeys` per team and the parsed ACCESS_JWKS."""

    def __init__(self, fetch: Fetch, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._teams: dict[str, TeamKeys] = {}
        self._static: dict[str, StaticKeys] = {}

    def team_keys(self, team_domain: str) -> TeamKeys:
        """The keys Access publishes for the team (https://<team>/cdn-cgi/access/certs)."""
        url = f"https://{team_domain_name(team_domain)}/cdn-cgi/access/certs"
        if url not in self._teams:
            self._teams[url] = TeamKeys(url, self._fetch, self._clock)
        return self._teams[url]

    def static_keys(self, jwks_text: str) -> StaticKeys:
        """The keys of a JWKS given as configuration text; raises ConfigError if it is not one."""
        if jwks_text not in self._static:
            try:
                self._static[jwks_text] = StaticKeys(parse_jwks(jwks_text.encode()))
            except JwksRejected as error:
                raise ConfigError(f"ACCESS_JWKS: {error}") from None
        return self._static[jwks_text]


def team_domain_name(team_domain: str) -> str:
    """`https://team.cloudflareaccess.com/` → `team.cloudflareaccess.com`."""
    return team_domain.removeprefix("https://").rstrip("/")

"""Who is asking (docs/API.md, "Identity"): Cloudflare Access in production, X-Dev-User in local
dev mode, and fail-closed when neither is configured. Imports nothing platform.

Header values reach the Worker as text that the platform decoded from UTF-8, with U+FFFD in
place of every invalid sequence (observed on workerd 1.20260426; the offline runtime does the
same): a U+FFFD in a name means the client sent bytes that are not UTF-8.
"""

import re
import unicodedata
from collections.abc import Callable

from ..config import Settings
from ..errors import IdentityNotConfigured, Unauthenticated
from .access_tokens import AccessTokenVerifier
from .jwks import AccessKeyCache, KeySource

HeaderLookup = Callable[[str], str | None]  # lower-case header name → value, None if absent

ACCESS_HEADER = "cf-access-jwt-assertion"
ACCESS_COOKIE = "CF_Authorization"
MAX_EMAIL_CHARS = 64 + 1 + 255
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")


def access_token(header: HeaderLookup) -> str | None:
    """The Access JWT: the Cf-Access-Jwt-Assertion header, else the CF_Authorization cookie."""
    token = header(ACCESS_HEADER)
    if token:
        return token.strip()
    for part in (header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == ACCESS_COOKIE and value:
            return value
    return None


def email_address(value: object, source: str) -> str:
    """`value` as a lower-case e-mail address; raises Unauthenticated naming `source` if it is
    not one (too long, no single @, whitespace, control characters, or invalid UTF-8)."""
    if not isinstance(value, str) or not value:
        raise Unauthenticated(f"{source} names no user e-mail")
    if len(value) > MAX_EMAIL_CHARS:
        raise Unauthenticated(f"{source} is longer than an e-mail address may be ({MAX_EMAIL_CHARS} characters)")
    if "\ufffd" in value:
        raise Unauthenticated(f"{source} is not valid UTF-8")
    if not _EMAIL.fullmatch(value) or any(unicodedata.category(c)[0] == "C" for c in value):
        raise Unauthenticated(f"{source} must be an e-mail address")
    return value.lower()


class Authenticator:
    """Establishes the user of a request for one deployment's identity settings."""

    def __init__(self, mode: str | None, verifier: AccessTokenVerifier | None = None) -> None:
        self.mode = mode
        self.verifier = verifier

    @classmethod
    def for_settings(cls, settings: Settings, keys: AccessKeyCache) -> "Authenticator":
        """The authenticator these settings ask for, its keys from `keys` (the isolate's cache).
        Raises ConfigError if ACCESS_JWKS is given but is not a usable JWKS."""
        if settings.auth_mode != "access" or not (settings.access_team_domain and settings.access_aud):
            return cls(settings.auth_mode if settings.auth_mode == "dev" else None)
        source: KeySource = (
            keys.static_keys(settings.access_jwks)
            if settings.access_jwks
            else keys.team_keys(settings.access_team_domain)
        )
        return cls("access", AccessTokenVerifier(settings.access_team_domain, settings.access_aud, source))

    async def user(self, header: HeaderLookup) -> str:
        """The e-mail of the request's user; raises 401, or 503 if no identity is configured."""
        if self.mode == "dev":
            raw = (header("x-dev-user") or "").strip()
            if not raw:
                raise Unauthenticated("dev mode: name the user in the X-Dev-User header (an e-mail address)")
            return email_address(raw, "X-Dev-User")
        if self.mode == "access" and self.verifier is not None:
            token = access_token(header)
            if not token:
                raise Unauthenticated("no Cloudflare Access token (Cf-Access-Jwt-Assertion) on the request")
            claims = await self.verifier.verify(token)
            return email_address(claims.get("email"), "the Access token")
        raise IdentityNotConfigured()

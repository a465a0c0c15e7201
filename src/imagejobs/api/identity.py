"""Who is asking (spec: API.md, "Identity"): Cloudflare Access in production, X-Dev-User in
local dev mode, and fail-closed when neither is configured. Imports nothing platform.
"""

import re
from typing import Protocol

from ..config import Settings
from ..errors import IdentityNotConfigured, Unauthenticated
from .http import HttpRequest

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class AccessVerifier(Protocol):
    async def verify(self, token: str) -> dict:
        """The verified claims of a Cloudflare Access JWT; raises Unauthenticated."""


def access_token(request: HttpRequest) -> str | None:
    """The Access JWT: the Cf-Access-Jwt-Assertion header, else the CF_Authorization cookie."""
    token = request.header("cf-access-jwt-assertion")
    if token:
        return token.strip()
    for part in (request.header("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "CF_Authorization" and value:
            return value
    return None


async def authenticate(request: HttpRequest, settings: Settings, verifier: AccessVerifier | None) -> str:
    """The e-mail of the request's user; raises 401, or 503 if no identity is configured."""
    if settings.auth_mode == "dev":
        user = (request.header("x-dev-user") or "").strip()
        if not user:
            raise Unauthenticated("dev mode: name the user in the X-Dev-User header (an e-mail address)")
        if not _EMAIL.match(user):
            raise Unauthenticated("X-Dev-User must be an e-mail address")
        return user.lower()
    if settings.auth_mode == "access" and verifier is not None:
        token = access_token(request)
        if not token:
            raise Unauthenticated("no Cloudflare Access token (Cf-Access-Jwt-Assertion) on the request")
        claims = await verifier.verify(token)
        email = claims.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email):
            raise Unauthenticated("the Access token names no user e-mail")
        return email.lower()
    raise IdentityNotConfigured()

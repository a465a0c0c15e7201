"""Cloudflare Access for the Worker: a verifier per (team, audience, JWKS) kept for the
isolate's life, so the team's signing keys are fetched at most once an hour."""

from workers import fetch

from ..api.access_tokens import AccessTokenVerifier, CachedJwks, static_jwks
from ..config import ConfigError, Settings
from ..errors import ServiceUnavailable

_verifiers: dict[tuple[str, str, str], AccessTokenVerifier] = {}


def access_verifier(settings: Settings) -> AccessTokenVerifier | None:
    """The verifier for these settings, or None when Access is not the configured mode."""
    if settings.auth_mode != "access" or not (settings.access_team_domain and settings.access_aud):
        return None
    key = (settings.access_team_domain, settings.access_aud, settings.access_jwks)
    if key not in _verifiers:
        if settings.access_jwks:
            try:
                source = static_jwks(settings.access_jwks)
            except ValueError as error:
                raise ConfigError(str(error)) from None
        else:
            source = CachedJwks(lambda: _fetch_jwks(settings.access_team_domain))
        _verifiers[key] = AccessTokenVerifier(settings.access_team_domain, settings.access_aud, source)
    return _verifiers[key]


async def _fetch_jwks(team_domain: str) -> dict:
    url = f"https://{team_domain.removeprefix('https://').rstrip('/')}/cdn-cgi/access/certs"
    try:
        response = await fetch(url)
        if response.ok:
            return await response.json()
        reason = f"HTTP {response.status}"
    except Exception as error:  # noqa: BLE001 — network errors surface as JsException/OSError
        reason = str(error)
    raise ServiceUnavailable(f"cannot fetch the Access signing keys from {url} ({reason}); try again")

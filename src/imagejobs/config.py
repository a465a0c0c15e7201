"""The Worker's settings, parsed once per event from its variables (wrangler.jsonc `vars`,
`.dev.vars` locally). Imports nothing from the platform.
"""

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


class ConfigError(ValueError):
    """A variable has a value the Worker cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    processing_delay_seconds: float = 0.0
    # A conversion hands the event loop back after about this much work (0: never).
    conversion_slice_ms: int = 30
    # "dev" trusts X-Dev-User (local only); "access" verifies Cloudflare Access tokens;
    # None means nothing is configured and the API refuses every identified route.
    auth_mode: str | None = None
    access_team_domain: str = ""
    access_aud: str = ""
    access_jwks: str = ""

    @classmethod
    def from_vars(cls, get: Callable[[str], object]) -> "Settings":
        """Build settings from a variable getter (`None` or "" for an unset variable)."""

        def text(name: str) -> str:
            value = get(name)
            return "" if value is None else str(value).strip()

        def number(name: str, default: float, kind: type[int] | type[float], minimum: float) -> float:
            raw = text(name)
            if not raw:
                return default
            try:
                value: float = kind(raw)
            except ValueError:
                raise ConfigError(f"{name} must be a number, got {raw!r}") from None
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
            return value

        mode = text("AUTH_MODE").lower() or None
        if mode is None and text("ACCESS_TEAM_DOMAIN") and text("ACCESS_AUD"):
            mode = "access"
        if mode not in (None, "dev", "access"):
            raise ConfigError(f"AUTH_MODE must be 'dev' or 'access', got {mode!r}")
        return cls(
            max_upload_bytes=int(number("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, int, 1)),
            max_pixels=int(number("MAX_PIXELS", DEFAULT_MAX_PIXELS, int, 1)),
            processing_delay_seconds=number("PROCESSING_DELAY_SECONDS", 0.0, float, 0),
            conversion_slice_ms=int(number("CONVERSION_SLICE_MS", 30, int, 0)),
            auth_mode=mode,
            access_team_domain=text("ACCESS_TEAM_DOMAIN"),
            access_aud=text("ACCESS_AUD"),
            access_jwks=text("ACCESS_JWKS"),
        )

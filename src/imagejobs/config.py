"""The Worker's settings, parsed once per event from its variables (wrangler.jsonc `vars`,
`.dev.vars` locally). Imports nothing from the platform.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from .webhooks.signing import InvalidSecret, secret_bytes

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
# The thumbnail operation's longest side; at most 4096 (the core's bound: an output of 4096 x 4096).
DEFAULT_THUMBNAIL_MAX_SIDE = 256
MAX_THUMBNAIL_MAX_SIDE = 4096
DEFAULT_MAX_ACTIVE_JOBS_PER_USER = 50
# The period of the JOB_CREATION_LIMITER binding (wrangler.jsonc `ratelimits`): the platform
# accepts 10 or 60 seconds only. The Worker cannot read a binding's configuration, so the period
# is also a variable; it is the Retry-After of a `rate_limited` refusal.
DEFAULT_JOB_CREATION_PERIOD_SECONDS = 60
RATE_LIMIT_PERIODS = (10, 60)
DEFAULT_WEBHOOK_FIRST_RETRY_SECONDS = 30
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10.0

# Numbers are ASCII digits only: Python's int() and float() also take "١٢", "１２" and "1_2".
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
_DECIMAL_NUMBER = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,9})?")


class ConfigError(ValueError):
    """A variable has a value the Worker cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    processing_delay_seconds: float = 0.0
    # A conversion hands the event loop back after about this much work (0: never).
    conversion_slice_ms: int = 30
    thumbnail_max_side: int = DEFAULT_THUMBNAIL_MAX_SIDE
    # "dev" trusts X-Dev-User (local only); "access" verifies Cloudflare Access tokens;
    # None means nothing is configured and the API refuses every identified route.
    auth_mode: str | None = None
    access_team_domain: str = ""
    access_aud: str = ""
    access_jwks: str = ""
    # Throttling of job creation (README, "Throttling"): unfinished jobs per user, and the
    # period of the per-user rate limiter.
    max_active_jobs_per_user: int = DEFAULT_MAX_ACTIVE_JOBS_PER_USER
    job_creation_period_seconds: int = DEFAULT_JOB_CREATION_PERIOD_SECONDS
    # Webhooks (README, "Webhooks"): the signing secret (`whsec_…`; "" refuses callback_url),
    # whether callbacks may be http and local (.dev.vars only), the first retry's delay and
    # each attempt's timeout.
    webhook_secret: str = ""
    webhook_allow_private_urls: bool = False
    webhook_first_retry_seconds: int = DEFAULT_WEBHOOK_FIRST_RETRY_SECONDS
    webhook_timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT_SECONDS

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
            pattern = WHOLE_NUMBER if kind is int else _DECIMAL_NUMBER
            if not pattern.fullmatch(raw):
                raise ConfigError(f"{name} must be a number in ASCII digits, got {raw!r}")
            value: float = kind(raw)
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
            return value

        thumbnail_max_side = int(number("THUMBNAIL_MAX_SIDE", DEFAULT_THUMBNAIL_MAX_SIDE, int, 1))
        if thumbnail_max_side > MAX_THUMBNAIL_MAX_SIDE:
            raise ConfigError(f"THUMBNAIL_MAX_SIDE must be at most {MAX_THUMBNAIL_MAX_SIDE}, got {thumbnail_max_side}")

        mode = text("AUTH_MODE").lower() or None
        if mode is None and text("ACCESS_TEAM_DOMAIN") and text("ACCESS_AUD"):
            mode = "access"
        if mode not in (None, "dev", "access"):
            raise ConfigError(f"AUTH_MODE must be 'dev' or 'access', got {mode!r}")
        period = int(number("JOB_CREATION_PERIOD_SECONDS", DEFAULT_JOB_CREATION_PERIOD_SECONDS, int, 1))
        if period not in RATE_LIMIT_PERIODS:
            raise ConfigError(f"JOB_CREATION_PERIOD_SECONDS must be 10 or 60 (the limiter's periods), got {period}")
        secret = text("WEBHOOK_SECRET")
        if secret:
            try:
                secret_bytes(secret)
            except InvalidSecret as error:
                raise ConfigError(f"WEBHOOK_SECRET: {error}") from None
        allow_private = text("WEBHOOK_ALLOW_PRIVATE_URLS").lower()
        if allow_private not in ("", "true", "false"):
            raise ConfigError(f"WEBHOOK_ALLOW_PRIVATE_URLS must be true or false, got {allow_private!r}")
        return cls(
            max_upload_bytes=int(number("MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES, int, 1)),
            max_pixels=int(number("MAX_PIXELS", DEFAULT_MAX_PIXELS, int, 1)),
            processing_delay_seconds=number("PROCESSING_DELAY_SECONDS", 0.0, float, 0),
            conversion_slice_ms=int(number("CONVERSION_SLICE_MS", 30, int, 0)),
            thumbnail_max_side=thumbnail_max_side,
            auth_mode=mode,
            access_team_domain=text("ACCESS_TEAM_DOMAIN"),
            access_aud=text("ACCESS_AUD"),
            access_jwks=text("ACCESS_JWKS"),
            max_active_jobs_per_user=int(number("MAX_ACTIVE_JOBS_PER_USER", DEFAULT_MAX_ACTIVE_JOBS_PER_USER, int, 1)),
            job_creation_period_seconds=period,
            webhook_secret=secret,
            webhook_allow_private_urls=allow_private == "true",
            webhook_first_retry_seconds=int(
                number("WEBHOOK_FIRST_RETRY_SECONDS", DEFAULT_WEBHOOK_FIRST_RETRY_SECONDS, int, 1)
            ),
            webhook_timeout_seconds=number("WEBHOOK_TIMEOUT_SECONDS", DEFAULT_WEBHOOK_TIMEOUT_SECONDS, float, 0.1),
        )

"""Errors the service reports, each with a stable `code` and an HTTP `status`.

Pure code raises these; exactly one place (api/error_mapping.py) turns them into responses.
The docstring of each class is its default message. Imports nothing.
"""

from typing import Any


class ApiError(Exception):
    """Something went wrong."""

    status = 500
    code = "internal_error"
    abstract = False  # True on a grouping class that is never raised itself

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None) -> None:
        self.message = message or (type(self).__doc__ or "").strip()
        self.details = details or {}
        super().__init__(self.message)


class BadRequest(ApiError):
    """The request is malformed."""

    status = 400
    code = "bad_request"


class Unauthenticated(ApiError):
    """Sign in first: this request carries no valid identity."""

    status = 401
    code = "unauthenticated"


class CrossSiteRequest(ApiError):
    """Another site sent this request; changes are accepted only from this site's pages and non-browser clients."""

    status = 403
    code = "cross_site_request"


class NotFound(ApiError):
    """No such resource."""

    status = 404
    code = "not_found"


class MethodNotAllowed(ApiError):
    """This method is not allowed on this resource."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"allowed methods: {', '.join(allowed)}")
        self.allowed = allowed


class Conflict(ApiError):
    """The request conflicts with the resource's current state."""

    status = 409
    code = "conflict"
    abstract = True  # only its subclasses are raised


class NotReady(Conflict):
    """The job has no result yet."""

    code = "not_ready"


class InvalidState(Conflict):
    """The job is in a state that does not allow this."""

    code = "invalid_state"


class IdempotencyKeyReused(Conflict):
    """This Idempotency-Key was already used with a different file."""

    code = "idempotency_key_reused"


class PayloadTooLarge(ApiError):
    """The upload is too large."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    """Only PNG images are accepted."""

    status = 415
    code = "unsupported_media_type"


class InvalidImageUpload(ApiError):
    """The PNG image is invalid."""

    status = 422
    code = "invalid_image"


class InvalidCallbackUrl(ApiError):
    """The callback_url cannot be used."""

    status = 422
    code = "invalid_callback_url"


class WebhooksNotConfigured(ApiError):
    """This deployment sends no webhooks (no WEBHOOK_SECRET is set); submit without callback_url."""

    status = 422
    code = "webhooks_not_configured"


class TooManyRequests(ApiError):
    """Too many requests; try again later."""

    status = 429
    code = "too_many_requests"
    abstract = True  # only its subclasses are raised

    def __init__(self, message: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds  # sent as Retry-After


class RateLimited(TooManyRequests):
    """Too many jobs were created in a short time; try again after Retry-After seconds."""

    code = "rate_limited"


class TooManyActiveJobs(TooManyRequests):
    """Too many of your jobs are still unfinished; try again once some have finished."""

    code = "too_many_active_jobs"


class ServiceUnavailable(ApiError):
    """The service is not available right now."""

    status = 503
    code = "service_unavailable"


class IdentityNotConfigured(ServiceUnavailable):
    """No identity provider is configured: set ACCESS_TEAM_DOMAIN and ACCESS_AUD (or AUTH_MODE=dev locally)."""

    code = "identity_not_configured"


def error_catalog() -> dict[str, int]:
    """Every code the API can answer with, and its HTTP status (docs/API.md, "Error codes")."""
    catalog: dict[str, int] = {}
    pending: list[type[ApiError]] = [ApiError]
    while pending:
        cls = pending.pop()
        if not cls.__dict__.get("abstract", False):
            catalog[cls.code] = cls.status
        pending.extend(cls.__subclasses__())
    return dict(sorted(catalog.items(), key=lambda item: (item[1], item[0])))

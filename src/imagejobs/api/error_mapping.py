"""The one place where exceptions become HTTP responses (spec: API.md error body)."""

import traceback

from ..errors import ApiError, MethodNotAllowed, TooManyRequests
from ..logs import log_event
from .http import HttpResponse, json_response
from .resources import job_resource


def error_response(error: Exception) -> HttpResponse:
    """`{"error": {"code", "message"}}` with the error's status; unknown errors are 500s."""
    if not isinstance(error, ApiError):
        log_event(
            "api.internal_error",
            error=f"{type(error).__name__}: {error}",
            traceback="".join(traceback.format_exception(error)),
        )
        error = ApiError("an internal error occurred; it has been logged")
    body: dict[str, object] = {"error": {"code": error.code, "message": error.message}}
    headers: list[tuple[str, str]] = []
    if "job" in error.details:
        body["job"] = job_resource(error.details["job"])
    if isinstance(error, MethodNotAllowed):
        headers.append(("allow", ", ".join(error.allowed)))
    if isinstance(error, TooManyRequests):
        headers.append(("retry-after", str(error.retry_after_seconds)))
    if error.status == 401:
        headers.append(("www-authenticate", 'Bearer realm="cloudflare-access"'))
    return json_response(error.status, body, headers)

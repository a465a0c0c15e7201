"""The API as one callable: match the route, refuse cross-site changes, establish the user, run
the handler, map any exception to its response in exactly one place, and give every response
the API's security headers."""

import dataclasses
import time

from ..config import Settings
from ..identity import Authenticator
from ..jobs.service import JobService
from ..logs import log_event, user_hash
from . import handlers
from .cross_site import refuse_cross_site
from .error_mapping import error_response
from .http import HttpRequest, HttpResponse
from .routing import Route, Router

ROUTER = Router(
    [
        Route("GET", "/api/health", handlers.health, public=True),
        Route("GET", "/api/openapi.json", handlers.openapi, public=True),
        Route("GET", "/api/me", handlers.me),
        Route("POST", "/api/jobs", handlers.create_job),
        Route("POST", "/api/upload", handlers.create_job),
        Route("GET", "/api/jobs", handlers.list_jobs),
        Route("GET", "/api/jobs/{id}", handlers.get_job),
        Route("DELETE", "/api/jobs/{id}", handlers.delete_job),
        Route("GET", "/api/jobs/{id}/result", handlers.get_result),
        Route("GET", "/api/jobs/{id}/results/{operation}", handlers.get_task_result),
        Route("GET", "/api/jobs/{id}/original", handlers.get_original),
        Route("POST", "/api/jobs/{id}/cancel", handlers.cancel_job),
    ]
)

# On every API response: no MIME sniffing, and nothing stored by browsers or shared caches
# unless a handler says otherwise (downloads revalidate a private copy by their ETag).
SECURITY_HEADERS = (("x-content-type-options", "nosniff"), ("cache-control", "no-store"))


def with_security_headers(response: HttpResponse) -> HttpResponse:
    present = {name for name, _ in response.headers}
    missing = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
    return dataclasses.replace(response, headers=[*response.headers, *missing]) if missing else response


def failure_response(error: Exception) -> HttpResponse:
    """The response to an error raised before a request could be handled (a misconfiguration)."""
    return with_security_headers(error_response(error))


async def handle_request(
    request: HttpRequest, settings: Settings, service: JobService, authenticator: Authenticator
) -> HttpResponse:
    started = time.perf_counter()
    route, user, job_id = None, None, None
    try:
        match = ROUTER.match(request.method, request.path)
        route, job_id = match.route.template, match.params.get("id")
        refuse_cross_site(request)
        user = None if match.route.public else await authenticator.user(request.header)
        response = await match.route.handler(handlers.Context(settings, service, user), request, **match.params)
    except Exception as error:  # noqa: BLE001 — the one place errors become responses
        response = error_response(error)
    log_event(
        "http.request",
        method=request.method[:16],
        route=route or request.path[:200],
        status=response.status,
        job_id=job_id[:40] if job_id else None,
        user=user_hash(user) if user else None,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return with_security_headers(response)

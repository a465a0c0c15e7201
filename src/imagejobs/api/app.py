"""The API as one callable: match the route, establish the user, run the handler, and map
any exception to its response in exactly one place."""

import time

from ..config import Settings
from ..jobs.service import JobService
from ..logs import log_event, user_hash
from . import handlers
from .error_mapping import error_response
from .http import HttpRequest, HttpResponse
from .identity import AccessVerifier, authenticate
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
        Route("GET", "/api/jobs/{id}/original", handlers.get_original),
        Route("POST", "/api/jobs/{id}/cancel", handlers.cancel_job),
    ]
)


async def handle_request(
    request: HttpRequest, settings: Settings, service: JobService, verifier: AccessVerifier | None = None
) -> HttpResponse:
    started = time.perf_counter()
    route, user, job_id = None, None, None
    try:
        match = ROUTER.match(request.method, request.path)
        route, job_id = match.route.template, match.params.get("id")
        user = None if match.route.public else await authenticate(request, settings, verifier)
        response = await match.route.handler(handlers.Context(settings, service, user), request, **match.params)
    except Exception as error:  # noqa: BLE001 — the one place errors become responses
        response = error_response(error)
    log_event(
        "http.request",
        method=request.method,
        route=route or request.path,
        status=response.status,
        job_id=job_id,
        user=user_hash(user) if user else None,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response

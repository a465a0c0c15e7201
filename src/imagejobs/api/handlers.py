"""One handler per route: parse the request, make one service call, serialize the answer."""

from dataclasses import dataclass

from .. import VERSION
from ..config import Settings
from ..errors import BadRequest, InvalidCallbackUrl, NotFound, PayloadTooLarge, WebhooksNotConfigured
from ..jobs.model import Job
from ..jobs.operations import MAX_OPERATIONS_CHARS, OPERATIONS, Operation, operation_named, parse_operations
from ..jobs.service import JobService
from ..jobs.states import JobStatus
from ..jobs.uploads import validate_upload
from ..logs import log_event
from ..webhooks.callback_urls import MAX_CALLBACK_URL_CHARS, check_callback_url
from ..webhooks.callback_urls import InvalidCallbackUrl as InvalidCallbackUrlValue
from .downloads import download_response
from .http import HttpRequest, HttpResponse, etag_matches, json_response
from .long_polling import MAX_WAIT_SECONDS, hold_until_changed
from .openapi import openapi_document
from .parameters import content_length, is_job_id, list_cursor, prefer_wait, query_params, whole_number
from .resources import job_resource, resource_etag

# Multipart framing around the file (boundaries, part headers) on top of MAX_UPLOAD_BYTES:
# a Content-Length beyond both is refused before the body is read.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
MAX_IDEMPOTENCY_KEY_CHARS = 255
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    service: JobService
    user: str | None


async def health(ctx: Context, request: HttpRequest) -> HttpResponse:
    return json_response(200, {"status": "ok", "version": VERSION})


async def openapi(ctx: Context, request: HttpRequest) -> HttpResponse:
    return json_response(200, openapi_document())


async def me(ctx: Context, request: HttpRequest) -> HttpResponse:
    # The limits let clients (the page) check a file before sending it; the server stays
    # authoritative. An addition to API.md's `{"user": …}`, which clients may ignore.
    limits = {"max_upload_bytes": ctx.settings.max_upload_bytes, "max_pixels": ctx.settings.max_pixels}
    return json_response(200, {"user": {"email": ctx.user}, "limits": limits})


async def create_job(ctx: Context, request: HttpRequest) -> HttpResponse:
    limit = ctx.settings.max_upload_bytes
    length = content_length(request)
    if length is not None and length > limit + MULTIPART_OVERHEAD_BYTES:
        raise PayloadTooLarge(f"upload is {length} bytes; the limit is {limit}")
    content_type = (request.header("content-type") or "").lower()
    if not content_type.startswith("multipart/form-data") or request.body is None:
        raise BadRequest("send the image as multipart/form-data with a file field named 'file'")
    key = request.header("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_IDEMPOTENCY_KEY_CHARS and key.isprintable()):
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable characters")
    upload = await request.body.read_file_field("file", limit)
    if upload is None:
        raise BadRequest("the form has no file field named 'file'")
    # Optional, possibly repeated (checkboxes): comma-separated operation names.
    named = await request.body.read_text_values("operations", MAX_OPERATIONS_CHARS)
    operations = parse_operations(",".join(named) if named else None)
    callback_url = await _callback_url(ctx, request)
    image = validate_upload(upload, max_bytes=limit, max_pixels=ctx.settings.max_pixels)
    job, created = await ctx.service.submit(_user(ctx), image, key, operations, callback_url)
    location = f"/api/jobs/{job.id}"
    return json_response(
        202 if created else 200,
        {"job": job_resource(job)},
        [("location", location), ("retry-after", "1")],
    )


async def _callback_url(ctx: Context, request: HttpRequest) -> str | None:
    """The optional `callback_url` form field, checked (spec: API.md, "Webhooks")."""
    if request.body is None:
        return None
    # Read up to twice the bound, so that a URL just over it gets the precise 422.
    values = await request.body.read_text_values("callback_url", 2 * MAX_CALLBACK_URL_CHARS)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest("the form field 'callback_url' may be given once")
    if not ctx.settings.webhook_secret:
        raise WebhooksNotConfigured()
    try:
        return check_callback_url(values[0], allow_private=ctx.settings.webhook_allow_private_urls)
    except InvalidCallbackUrlValue as error:
        raise InvalidCallbackUrl(str(error)) from None


async def get_job(ctx: Context, request: HttpRequest, id: str) -> HttpResponse:
    job_id, user = _job_id(id), _user(ctx)
    requested_wait = prefer_wait(request)
    if_none_match = request.header("if-none-match")
    shown = _JobRepresentation.of(await ctx.service.get(user, job_id))
    # Long-polling: a job that can still change, a client that names the tags it has. (`*`
    # matches every version, so no change could ever end the wait.)
    wait = min(requested_wait or 0, MAX_WAIT_SECONDS)
    applied = wait > 0 and not shown.job.status.is_terminal and (if_none_match or "").strip() != "*"
    if applied and etag_matches(if_none_match, shown.etag):
        shown = await _held(ctx, request, shown, wait)
    headers = [("etag", shown.etag)]
    if not shown.job.status.is_terminal:
        headers.append(("retry-after", "1"))
    if applied:
        headers.append(("preference-applied", f"wait={wait}"))
    if etag_matches(if_none_match, shown.etag):
        return HttpResponse(304, headers)
    return json_response(200, shown.body, headers)


@dataclass(frozen=True, slots=True)
class _JobRepresentation:
    job: Job
    body: dict[str, object]
    etag: str

    @classmethod
    def of(cls, job: Job) -> "_JobRepresentation":
        body: dict[str, object] = {"job": job_resource(job)}
        return cls(job, body, resource_etag(body))


async def _held(ctx: Context, request: HttpRequest, shown: _JobRepresentation, wait: int) -> _JobRepresentation:
    """The job once its representation differs from `shown`, or `shown` after `wait` seconds (or
    once the client has gone)."""
    user, job_id = _user(ctx), shown.job.id

    async def read() -> _JobRepresentation:
        return _JobRepresentation.of(await ctx.service.get(user, job_id))

    held = await hold_until_changed(
        shown, read, lambda latest: latest.etag != shown.etag, seconds=wait, disconnected=request.disconnected
    )
    log_event("job.long_poll", job_id=job_id, wait=wait, outcome=held.outcome.value, reads=held.reads)
    return held.value


async def list_jobs(ctx: Context, request: HttpRequest) -> HttpResponse:
    query = query_params(request)
    limit = _page_size(query.get("limit"))
    status = _status_filter(query.get("status"))
    after = list_cursor(query.get("cursor"))
    page = await ctx.service.list(_user(ctx), limit=limit, status=status, after=after)
    # The next cursor is the last job's id (parameters.list_cursor says why that is safe).
    return json_response(200, {"jobs": [job_resource(j) for j in page.jobs], "next_cursor": page.next_after})


async def get_result(ctx: Context, request: HttpRequest, id: str) -> HttpResponse:
    return await _task_result(ctx, request, _job_id(id), Operation.GRAYSCALE)


async def get_task_result(ctx: Context, request: HttpRequest, id: str, operation: str) -> HttpResponse:
    job_id = _job_id(id)
    found = operation_named(operation)
    if found is None:
        raise NotFound(f"no operation {operation[:40]!r}; the operations are: {', '.join(OPERATIONS)}")
    return await _task_result(ctx, request, job_id, found)


async def _task_result(ctx: Context, request: HttpRequest, job_id: str, operation: Operation) -> HttpResponse:
    job, task, blob = await ctx.service.result(_user(ctx), job_id, operation)
    spec = OPERATIONS[operation]
    content_type = task.result.content_type if task.result else spec.content_type
    return download_response(request, blob, spec.file_name(job.original_name), content_type)


async def get_original(ctx: Context, request: HttpRequest, id: str) -> HttpResponse:
    job, blob = await ctx.service.original(_user(ctx), _job_id(id))
    return download_response(request, blob, job.original_name)


async def cancel_job(ctx: Context, request: HttpRequest, id: str) -> HttpResponse:
    job = await ctx.service.cancel(_user(ctx), _job_id(id))
    return json_response(200, {"job": job_resource(job)})


async def delete_job(ctx: Context, request: HttpRequest, id: str) -> HttpResponse:
    await ctx.service.delete(_user(ctx), _job_id(id))
    return HttpResponse(204)


def _user(ctx: Context) -> str:
    if ctx.user is None:  # only public routes run without a user, and they do not call this
        raise RuntimeError("a route that needs a user ran without one")
    return ctx.user


def _job_id(raw: str) -> str:
    """A path's job id; anything that is not one is answered as a job that does not exist."""
    if not is_job_id(raw):
        raise NotFound(f"no job {raw[:40]}")
    return raw


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    return whole_number(raw, "limit", 1, MAX_PAGE_SIZE)


def _status_filter(raw: str | None) -> JobStatus | None:
    if raw is None:
        return None
    try:
        return JobStatus(raw)
    except ValueError:
        raise BadRequest(f"status must be one of: {', '.join(s.value for s in JobStatus)}") from None

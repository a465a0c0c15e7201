"""HTTP adapter: the runtime's `workers.Request` → `HttpRequest`, `HttpResponse` →
`workers.Response`, and the bounded outbound fetch that identity is given for the Access keys."""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from workers import Response, fetch

from ..api.http import HttpRequest, HttpResponse
from ..errors import BadRequest, PayloadTooLarge
from ..jobs.uploads import Upload

# Statuses whose responses must not carry a body (the Fetch standard rejects one).
_NULL_BODY_STATUSES = {101, 204, 205, 304}
_CONTENT_LENGTH = re.compile(r"[0-9]{1,18}")


class _FormBody:
    """Reads a multipart body with the runtime's own parser (request.formData()), which is
    bounded by the body's size: the API refuses a Content-Length beyond the upload limit first."""

    def __init__(self, request: Any) -> None:
        self._request = request
        self._form: Any = None

    async def _form_data(self) -> Any:
        """The parsed form (a body can be read once: parsed on first use, then kept)."""
        if self._form is None:
            try:
                self._form = await self._request.form_data()
            except Exception as error:  # noqa: BLE001 — the runtime raises TypeError (a JsException) for malformed multipart
                raise BadRequest(f"malformed multipart/form-data body: {str(error)[:200]}") from None
        return self._form

    async def read_text_values(self, name: str, max_chars: int) -> list[str]:
        form = await self._form_data()
        if name not in form:
            return []
        values = []
        total = 0
        for value in form.get_all(name):
            if not isinstance(value, str):
                raise BadRequest(f"the form field '{name}' must be text, not a file")
            total += len(value)
            if total > max_chars:
                raise BadRequest(f"the form field '{name}' is longer than {max_chars} characters")
            values.append(value)
        return values

    async def read_file_field(self, name: str, max_bytes: int) -> Upload | None:
        form = await self._form_data()
        if name not in form:
            return None
        value = form[name]
        if isinstance(value, str) or not hasattr(value, "bytes"):
            raise BadRequest(f"the form field '{name}' must be a file, not text")
        if value.size > max_bytes:  # the runtime's File knows its size: refuse without copying
            raise PayloadTooLarge(f"upload is {value.size} bytes; the limit is {max_bytes}")
        return Upload(name=str(getattr(value, "name", "") or ""), data=bytes(await value.bytes()))


def to_http_request(request: Any) -> HttpRequest:
    """The platform-neutral request. The path is the URL's path exactly as the runtime parsed it
    (workerd keeps `//evil/api/health` as a path; it is not `/api/health`)."""
    url = urlsplit(str(request.url))
    headers = {str(name).lower(): str(value) for name, value in request.headers.items()}
    return HttpRequest(
        # The JS string: the SDK's `request.method` is HTTPMethod[...], a KeyError for methods
        # it does not list (PROPFIND…), which must reach the router and get a JSON 405.
        method=str(request.js_object.method).upper(),
        path=url.path,
        query_string=url.query,
        headers=headers,
        body=_FormBody(request),
        origin=f"{url.scheme}://{url.netloc}",
        disconnected=_signal_aborted(request),
    )


def _signal_aborted(request: Any) -> Callable[[], bool]:
    """Whether the client has gone: workerd aborts an incoming request's signal when the client
    disconnects (compatibility flag enable_request_signal, wrangler.jsonc)."""
    signal = request.js_object.signal
    return lambda: bool(signal.aborted)


def to_workers_response(response: HttpResponse) -> Response:
    body = response.body
    if response.status in _NULL_BODY_STATUSES or (isinstance(body, (bytes, memoryview)) and not body):
        body = None
    elif isinstance(body, memoryview):
        body = bytes(body)
    # anything else is a JS ReadableStream from R2, which the Response streams as it is
    return Response(body, status=response.status, headers=response.headers)


async def fetch_bytes(url: str, *, max_bytes: int) -> bytes:
    """The body of a GET of `url` (identity's `Fetch`): raises OSError unless the answer is a
    2xx whose body is at most `max_bytes` long (refused from Content-Length before reading)."""
    response = await fetch(url)
    if not response.ok:
        raise OSError(f"HTTP {response.status}")
    declared = response.headers.get("content-length")
    if declared is not None and (not _CONTENT_LENGTH.fullmatch(declared) or int(declared) > max_bytes):
        raise OSError(f"the response is larger than {max_bytes} bytes")
    body = bytes(await response.bytes())
    if len(body) > max_bytes:
        raise OSError(f"the response is larger than {max_bytes} bytes")
    return body

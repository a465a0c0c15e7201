"""HTTP adapter: the runtime's `workers.Request` → `HttpRequest`, `HttpResponse` → `workers.Response`."""

from urllib.parse import parse_qsl, urlsplit

from workers import Response

from ..api.http import HttpRequest, HttpResponse
from ..errors import BadRequest, PayloadTooLarge
from ..jobs.uploads import Upload

# Statuses whose responses must not carry a body (the Fetch standard rejects one).
_NULL_BODY_STATUSES = {101, 204, 205, 304}


class _FormBody:
    """Reads a multipart body with the runtime's own parser (request.formData())."""

    def __init__(self, request):
        self._request = request

    async def read_file_field(self, name: str, max_bytes: int) -> Upload | None:
        try:
            form = await self._request.form_data()
        except Exception as error:  # noqa: BLE001 — the runtime raises TypeError (a JsException) for malformed multipart
            raise BadRequest(f"malformed multipart/form-data body: {error}") from None
        if name not in form:
            return None
        value = form[name]
        if isinstance(value, str) or not hasattr(value, "bytes"):
            raise BadRequest(f"the form field '{name}' must be a file, not text")
        if value.size > max_bytes:  # the runtime's File knows its size: refuse without copying
            raise PayloadTooLarge(f"upload is {value.size} bytes; the limit is {max_bytes}")
        return Upload(name=str(getattr(value, "name", "") or ""), data=bytes(await value.bytes()))


def to_http_request(request) -> HttpRequest:
    url = urlsplit(request.url)
    headers = {name.lower(): value for name, value in request.headers.items()}
    return HttpRequest(
        # The JS string: the SDK's `request.method` is HTTPMethod[...], a KeyError for methods
        # it does not list (PROPFIND…), which must reach the router and get a JSON 405.
        method=str(request.js_object.method).upper(),
        path=url.path,
        query=dict(parse_qsl(url.query, keep_blank_values=True)),
        headers=headers,
        body=_FormBody(request),
    )


def to_workers_response(response: HttpResponse) -> Response:
    body = response.body
    if response.status in _NULL_BODY_STATUSES or (isinstance(body, (bytes, memoryview)) and not body):
        body = None
    elif isinstance(body, memoryview):
        body = bytes(body)
    # anything else is a JS ReadableStream from R2, which the Response streams as it is
    return Response(body, status=response.status, headers=response.headers)

"""Platform-neutral HTTP request and response values; platform/http.py converts to and from
the Workers runtime's. Every header value the API reads is bounded here. Imports nothing platform.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import BadRequest
from ..jobs.uploads import Upload

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
# The platform allows 16 KB per header and 32 KB in all (Cloudflare's Workers limits); no
# header this API reads needs more than this.
MAX_HEADER_CHARS = 8192
MAX_ETAGS = 64  # entity tags in one If-None-Match


def _never() -> bool:
    return False


class RequestBody(Protocol):
    async def read_file_field(self, name: str, max_bytes: int) -> Upload | None:
        """The multipart file field `name` (None if absent). Raises BadRequest if the body is
        malformed, PayloadTooLarge if the file exceeds `max_bytes` (before copying it)."""
        ...

    async def read_text_values(self, name: str, max_chars: int) -> list[str]:
        """Every value of the multipart text field `name`, in order ([] if absent). Raises
        BadRequest if the body is malformed, a value is a file, or the values have more than
        `max_chars` characters in all."""
        ...


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query_string: str = ""  # as sent, without the "?"; parameters.query_params() parses it
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: RequestBody | None = None
    origin: str = ""  # this Worker's own origin as the request reached it: "https://host[:port]"
    # True once the client has gone away (the platform aborted the request's signal); a handler
    # that holds its response (long-polling) stops early.
    disconnected: Callable[[], bool] = _never

    def header(self, name: str) -> str | None:
        """The value of header `name` (None if absent); raises BadRequest if it is longer than
        MAX_HEADER_CHARS."""
        value = self.headers.get(name.lower())
        if value is not None and len(value) > MAX_HEADER_CHARS:
            raise BadRequest(f"the {name} header is longer than {MAX_HEADER_CHARS} characters")
        return value


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    # bytes, or a platform stream (a download's R2 body) that the platform layer sends as is
    body: bytes | memoryview | object = b""

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 weak comparison for If-None-Match: a list of tags, `W/` ignored, `*`.
    (Cloudflare weakens strong ETags when it compresses a response.) Raises BadRequest for a
    list of more than MAX_ETAGS tags."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = if_none_match.split(",", MAX_ETAGS)
    if len(tags) > MAX_ETAGS:
        raise BadRequest(f"If-None-Match lists more than {MAX_ETAGS} entity tags")
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in tags)


def json_response(status: int, value: object, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", JSON_CONTENT_TYPE), *(headers or [])], body)

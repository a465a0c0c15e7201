"""Platform-neutral HTTP request and response values; platform/http.py converts to and from
the Workers runtime's. Imports nothing platform.
"""

import json
from dataclasses import dataclass, field
from typing import Protocol

from ..jobs.uploads import Upload

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class RequestBody(Protocol):
    async def read_file_field(self, name: str, max_bytes: int) -> Upload | None:
        """The multipart file field `name` (None if absent). Raises BadRequest if the body is
        malformed, PayloadTooLarge if the file exceeds `max_bytes` (before copying it)."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: RequestBody | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    # bytes, or a platform stream (a download's R2 body) that the platform layer sends as is
    body: bytes | memoryview | object = b""


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2 weak comparison for If-None-Match: a list of tags, `W/` ignored, `*`.
    (Cloudflare weakens strong ETags when it compresses a response.)"""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


def json_response(status: int, value: object, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", JSON_CONTENT_TYPE), *(headers or [])], body)

"""Platform-neutral HTTP request and response values; platform/http.py converts to and from
the Workers runtime's. Imports nothing platform.
"""

import json
from dataclasses import dataclass, field
from typing import Protocol

from ..jobs.uploads import Upload

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class RequestBody(Protocol):
    async def read_file_field(self, name: str) -> Upload | None:
        """The multipart file field `name` (None if absent); raises BadRequest if malformed."""


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
    body: bytes = b""


def json_response(status: int, value: object, headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(status, [("content-type", JSON_CONTENT_TYPE), *(headers or [])], body)

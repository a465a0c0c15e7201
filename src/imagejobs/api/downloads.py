"""Download responses (originals and task results): ETag, conditional GET, and a
Content-Disposition that is safe for any uploaded file name (RFC 6266 `filename` fallback plus
RFC 5987 `filename*`)."""

from urllib.parse import quote

from ..jobs.ports import BlobDownload
from .http import HttpRequest, HttpResponse, etag_matches


def attachment_disposition(file_name: str) -> str:
    ascii_name = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\;' else "_" for c in file_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download_response(
    request: HttpRequest, blob: BlobDownload, file_name: str, content_type: str = "image/png"
) -> HttpResponse:
    headers = [
        ("etag", blob.etag),
        ("cache-control", "private, no-cache"),
        ("x-content-type-options", "nosniff"),
    ]
    if etag_matches(request.header("if-none-match"), blob.etag):
        return HttpResponse(304, headers)  # (the unread body is simply dropped)
    return HttpResponse(
        200,
        [
            ("content-type", content_type),
            ("content-length", str(blob.size)),
            ("content-disposition", attachment_disposition(file_name)),
            *headers,
        ],
        blob.body,
    )

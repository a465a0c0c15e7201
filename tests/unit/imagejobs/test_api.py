"""The API in CPython: routing, identity, upload validation — with the real store on SQLite.

A rejected upload must leave nothing behind: no object, no row, no message.
"""

import json

import pytest

from imagejobs.api.app import handle_request
from imagejobs.api.http import HttpRequest
from imagejobs.config import Settings
from imagejobs.jobs.uploads import Upload

from .images import header_only_png, png

DEV = Settings(auth_mode="dev", max_upload_bytes=2000, max_pixels=10_000)
WIDE = Settings(auth_mode="dev", max_upload_bytes=2000, max_pixels=10**9)
USER = {"x-dev-user": "a@example.com"}


class FileBody:
    def __init__(self, upload):
        self.upload = upload

    async def read_file_field(self, name, max_bytes):
        return self.upload if name == "file" else None


def upload_request(data: bytes | None, headers=None, path="/api/jobs") -> HttpRequest:
    body = FileBody(None if data is None else Upload("cat.png", data))
    headers = {"content-type": "multipart/form-data; boundary=x", **USER, **(headers or {})}
    return HttpRequest("POST", path, headers=headers, body=body)


def call(run, service, request, settings=DEV):
    response = run(handle_request(request, settings, service))
    body = json.loads(response.body) if response.body else None
    return response, body


def test_a_known_path_with_the_wrong_method_is_405_and_an_unknown_path_404(run, service):
    response, body = call(run, service, HttpRequest("PUT", "/api/jobs", headers=USER))
    assert response.status == 405 and body["error"]["code"] == "method_not_allowed"
    assert ("allow", "GET, POST") in response.headers
    response, body = call(run, service, HttpRequest("GET", "/api/nothing", headers=USER))
    assert response.status == 404 and body["error"]["code"] == "not_found"


def test_routes_match_whole_segments_not_substrings(run, service):
    response, _ = call(run, service, HttpRequest("GET", "/api/jobs/abc/result/extra", headers=USER))
    assert response.status == 404
    response, _ = call(run, service, HttpRequest("GET", "/api/healthz", headers=USER))
    assert response.status == 404


@pytest.mark.parametrize("settings", [Settings(), Settings(auth_mode="access")])
def test_with_no_identity_configured_the_api_fails_closed(run, service, settings):
    response, body = call(run, service, HttpRequest("GET", "/api/me", headers=USER), settings)
    assert response.status == 503 and body["error"]["code"] == "identity_not_configured"
    response, _ = call(run, service, HttpRequest("GET", "/api/health"), settings)
    assert response.status == 200


@pytest.mark.parametrize("user", [None, "", "not-an-email"])
def test_dev_mode_needs_an_email_in_x_dev_user(run, service, user):
    headers = {} if user is None else {"x-dev-user": user}
    response, body = call(run, service, HttpRequest("GET", "/api/me", headers=headers))
    assert response.status == 401 and body["error"]["code"] == "unauthenticated"


def test_me_names_the_user(run, service):
    _, body = call(run, service, HttpRequest("GET", "/api/me", headers=USER))
    assert body == {"user": {"email": "a@example.com"}, "limits": {"max_upload_bytes": 2000, "max_pixels": 10_000}}


@pytest.mark.parametrize(
    ("data", "headers", "status", "code"),
    [
        (None, {}, 400, "bad_request"),
        (png(), {"content-type": "text/plain"}, 400, "bad_request"),
        (png(), {"content-length": "999999"}, 413, "payload_too_large"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 3000, {}, 413, "payload_too_large"),
        (b"GIF89a" + b"\0" * 40, {}, 415, "unsupported_media_type"),
        (b"", {}, 415, "unsupported_media_type"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, {}, 422, "invalid_image"),
        (header_only_png(0, 5), {}, 422, "invalid_image"),
        (header_only_png(101, 100), {}, 422, "invalid_image"),
        (header_only_png(1_000_001, 1), {}, 422, "invalid_image"),
        (header_only_png(4, 4, bit_depth=3), {}, 422, "invalid_image"),
        (png(), {"idempotency-key": "k" * 256}, 400, "bad_request"),
    ],
)
def test_a_rejected_upload_is_answered_and_leaves_nothing_behind(
    run, service, db, blobs, queue, data, headers, status, code
):
    response, body = call(run, service, upload_request(data, headers))
    assert (response.status, body["error"]["code"]) == (status, code), body
    assert body["error"]["message"]
    assert blobs.objects == {} and queue.sent == []
    assert run(db.all("SELECT id FROM jobs")) == []


def test_a_valid_upload_stores_the_original_records_and_enqueues(run, service, db, blobs, queue):
    response, body = call(run, service, upload_request(png(10, 10)))
    job = body["job"]
    assert response.status == 202 and ("location", f"/api/jobs/{job['id']}") in response.headers
    assert queue.sent == [job["id"]]
    assert blobs.objects[f"originals/{job['id']}.png"][0] == png(10, 10)


def test_a_failed_enqueue_keeps_the_job_for_the_recovery_cron(run, service, db, blobs, queue):
    queue.fail = True
    response, body = call(run, service, upload_request(png()))
    assert response.status == 202  # accepted: the row is the outbox (tests in test_recovery.py)
    job_id = body["job"]["id"]
    assert run(db.all("SELECT id, enqueued_at FROM jobs")) == [{"id": job_id, "enqueued_at": None}]
    assert f"originals/{job_id}.png" in blobs.objects and queue.sent == []


def test_the_same_idempotency_key_and_file_give_the_same_job(run, service, queue):
    first, a = call(run, service, upload_request(png(), {"idempotency-key": "k1"}))
    second, b = call(run, service, upload_request(png(), {"idempotency-key": "k1"}))
    assert (first.status, second.status) == (202, 200)
    assert a["job"]["id"] == b["job"]["id"] and len(queue.sent) == 1
    third, c = call(run, service, upload_request(png(3, 3), {"idempotency-key": "k1"}))
    assert third.status == 409 and c["error"]["code"] == "idempotency_key_reused"


def test_get_job_supports_etags(run, service):
    _, body = call(run, service, upload_request(png()))
    path = f"/api/jobs/{body['job']['id']}"
    first, _ = call(run, service, HttpRequest("GET", path, headers=USER))
    etag = dict(first.headers)["etag"]
    assert dict(first.headers)["retry-after"] == "1"
    again, _ = call(run, service, HttpRequest("GET", path, headers={**USER, "if-none-match": etag}))
    assert again.status == 304 and again.body == b""


def _cursor(value) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
        {"status": "done"},
        {"cursor": "???"},
        {"cursor": _cursor({"before": 2**53 + 1})},
        {"cursor": _cursor({"before": 0})},
        {"cursor": _cursor({"before": "5"})},
        {"cursor": _cursor([1])},
        {"cursor": _cursor({"before": True})},
    ],
)
def test_bad_listing_parameters_are_400(run, service, query):
    response, body = call(run, service, HttpRequest("GET", "/api/jobs", query=query, headers=USER))
    assert response.status == 400 and body["error"]["code"] == "bad_request"


def test_listing_pages_through_a_users_jobs(run, service):
    ids = [call(run, service, upload_request(png()))[1]["job"]["id"] for _ in range(3)]
    _, page = call(run, service, HttpRequest("GET", "/api/jobs", query={"limit": "2"}, headers=USER))
    _, rest = call(
        run, service, HttpRequest("GET", "/api/jobs", query={"limit": "2", "cursor": page["next_cursor"]}, headers=USER)
    )
    assert [j["id"] for j in page["jobs"] + rest["jobs"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_an_unexpected_error_is_a_500_with_a_generic_message_and_a_logged_traceback(run, service, capsys):
    async def broken(*args, **kwargs):
        raise RuntimeError("database fell over")

    service.store.get_owned = broken
    response, body = call(run, service, HttpRequest("GET", "/api/jobs/abc", headers=USER))
    assert response.status == 500
    assert body["error"]["code"] == "internal_error"
    assert "fell over" not in body["error"]["message"]  # internals stay in the logs
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    internal = next(e for e in logged if e["event"] == "api.internal_error")
    assert "database fell over" in internal["traceback"]
    request = next(e for e in logged if e["event"] == "http.request")
    assert request["status"] == 500 and request["route"] == "/api/jobs/{id}" and "@" not in request["user"]

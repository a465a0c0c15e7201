"""The API in CPython: routing, identity, upload validation, listing, cross-site refusal and the
security headers — with the real store on SQLite.

A rejected upload must leave nothing behind: no object, no row, no message.
"""

import json
import uuid

import pytest

from imagejobs.api.app import handle_request
from imagejobs.api.http import HttpRequest
from imagejobs.config import Settings
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.uploads import Upload

from .images import header_only_png, png

DEV = Settings(auth_mode="dev", max_upload_bytes=2000, max_pixels=10_000)
WIDE = Settings(auth_mode="dev", max_upload_bytes=2000, max_pixels=10**9)
USER = {"x-dev-user": "a@example.com"}
OTHER = {"x-dev-user": "b@example.com"}
ORIGIN = "https://images.example.com"


async def _no_fetch(url, *, max_bytes):
    raise OSError("unit tests fetch nothing")


class FileBody:
    """A multipart body as the platform layer reads it: the file, and any `operations` values."""

    def __init__(self, upload, operations=()):
        self.upload = upload
        self.operations = list(operations)

    async def read_file_field(self, name, max_bytes):
        return self.upload if name == "file" else None

    async def read_text_values(self, name, max_chars):
        return self.operations if name == "operations" else []


def upload_request(data: bytes | None, headers=None, path="/api/jobs", operations=()) -> HttpRequest:
    body = FileBody(None if data is None else Upload("cat.png", data), operations)
    headers = {"content-type": "multipart/form-data; boundary=x", **USER, **(headers or {})}
    return HttpRequest("POST", path, headers=headers, body=body, origin=ORIGIN)


def call(run, service, request, settings=DEV):
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(_no_fetch))
    response = run(handle_request(request, settings, service, authenticator))
    is_json = (response.header("content-type") or "").startswith("application/json")
    body = json.loads(response.body) if response.body and is_json else None
    return response, body


def get(path: str, query: str = "", headers=USER) -> HttpRequest:
    return HttpRequest("GET", path, query_string=query, headers=dict(headers), origin=ORIGIN)


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


@pytest.mark.parametrize(
    "user",
    [
        None,
        "",
        "not-an-email",
        "a@b@example.com",
        "tab\there@example.com",
        "nul\x00@example.com",
        "zero\u200bwidth@example.com",
        "bad\ufffd@example.com",  # the platform's mark of bytes that are not UTF-8
        "x" * 65 + "@example.com",
    ],
)
def test_dev_mode_needs_an_email_in_x_dev_user(run, service, user):
    headers = {} if user is None else {"x-dev-user": user}
    response, body = call(run, service, HttpRequest("GET", "/api/me", headers=headers))
    assert response.status == 401 and body["error"]["code"] == "unauthenticated"


def test_me_names_the_user(run, service):
    _, body = call(run, service, HttpRequest("GET", "/api/me", headers=USER))
    assert body == {"user": {"email": "a@example.com"}, "limits": {"max_upload_bytes": 2000, "max_pixels": 10_000}}


def test_a_utf8_dev_user_keeps_its_name(run, service):
    # The platform decodes header bytes as UTF-8: "José" arrives as the text "José".
    _, body = call(run, service, HttpRequest("GET", "/api/me", headers={"x-dev-user": "José@Example.com"}))
    assert body["user"] == {"email": "josé@example.com"}


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
        (png(), {"content-length": "²"}, 400, "bad_request"),
        (png(), {"content-length": "１０"}, 400, "bad_request"),
        (png(), {"content-length": "-1"}, 400, "bad_request"),
        (png(), {"sec-fetch-site": "cross-site"}, 403, "cross_site_request"),
        (png(), {"origin": "https://evil.example"}, 403, "cross_site_request"),
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
    assert run(db.all("SELECT job_id, enqueued_at FROM tasks")) == [{"job_id": job_id, "enqueued_at": None}]
    assert f"originals/{job_id}.png" in blobs.objects and queue.sent == []


def test_the_same_idempotency_key_and_file_give_the_same_job(run, service, queue):
    first, a = call(run, service, upload_request(png(), {"idempotency-key": "k1"}))
    second, b = call(run, service, upload_request(png(), {"idempotency-key": "k1"}))
    assert (first.status, second.status) == (202, 200)
    assert a["job"]["id"] == b["job"]["id"] and len(queue.sent) == 1
    third, c = call(run, service, upload_request(png(3, 3), {"idempotency-key": "k1"}))
    assert third.status == 409 and c["error"]["code"] == "idempotency_key_reused"


def test_operations_choose_the_tasks_in_order_without_duplicates(run, service, queue):
    response, body = call(run, service, upload_request(png(), operations=["metadata, grayscale", "metadata"]))
    assert response.status == 202
    job = body["job"]
    assert [t["operation"] for t in job["tasks"]] == ["grayscale", "metadata"]
    assert all(t["status"] == "pending" and t["result"] is None and t["attempts"] == 0 for t in job["tasks"])
    assert queue.bodies == [
        {"jobId": job["id"], "operation": "grayscale"},
        {"jobId": job["id"], "operation": "metadata"},
    ]


def test_without_operations_a_job_has_its_one_grayscale_task(run, service):
    _, body = call(run, service, upload_request(png()))
    assert [t["operation"] for t in body["job"]["tasks"]] == ["grayscale"]


@pytest.mark.parametrize(
    "operations",
    [["sepia"], ["grayscale,sepia"], [""], [" , "], ["Grayscale"], ["grayscale;thumbnail"], ["g" * 257]],
)
def test_unknown_operations_are_400_naming_the_allowed_ones_and_leave_nothing(
    run, service, db, blobs, queue, operations
):
    response, body = call(run, service, upload_request(png(), operations=operations))
    assert response.status == 400 and body["error"]["code"] == "bad_request"
    assert "grayscale, thumbnail, metadata" in body["error"]["message"]
    assert blobs.objects == {} and queue.sent == [] and run(db.all("SELECT id FROM jobs")) == []


def test_an_idempotency_key_replayed_with_other_operations_is_409(run, service, queue):
    first, a = call(run, service, upload_request(png(), {"idempotency-key": "k"}, operations=["grayscale,metadata"]))
    same, b = call(run, service, upload_request(png(), {"idempotency-key": "k"}, operations=["metadata", "grayscale"]))
    assert (first.status, same.status) == (202, 200) and a["job"]["id"] == b["job"]["id"]
    other, c = call(run, service, upload_request(png(), {"idempotency-key": "k"}, operations=["grayscale"]))
    assert other.status == 409 and c["error"]["code"] == "idempotency_key_reused"
    assert "grayscale,metadata" in c["error"]["message"] and len(queue.bodies) == 2


def _process(run, service, body, operation):
    from imagejobs.jobs.processing import JobProcessor

    processor = JobProcessor(service.store, service.blobs, DEV)
    return run(processor.process({"jobId": body["job"]["id"], "operation": operation}, 1))


def test_each_tasks_result_is_downloadable_as_soon_as_it_completed(run, service):
    _, body = call(run, service, upload_request(png(6, 4), operations=["grayscale,metadata"]))
    job_id = body["job"]["id"]
    response, error = call(run, service, get(f"/api/jobs/{job_id}/results/grayscale"))
    assert response.status == 409 and error["error"]["code"] == "not_ready" and error["job"]["id"] == job_id
    _process(run, service, body, "grayscale")
    _, current = call(run, service, get(f"/api/jobs/{job_id}"))
    job = current["job"]
    assert job["status"] == "in_progress"  # metadata is still pending
    assert job["result"] == {
        "size": job["tasks"][0]["result"]["bytes"],
        "width": 6,
        "height": 4,
        "content_type": "image/png",
    }
    assert job["tasks"][0]["result"]["url"] == f"/api/jobs/{job_id}/results/grayscale"
    download, _ = call(run, service, get(f"/api/jobs/{job_id}/results/grayscale"))
    legacy, _ = call(run, service, get(f"/api/jobs/{job_id}/result"))
    assert download.status == legacy.status == 200 and download.body == legacy.body
    assert download.header("content-type") == "image/png"
    assert 'filename="cat-grayscale.png"' in download.header("content-disposition")
    response, _ = call(run, service, get(f"/api/jobs/{job_id}/results/metadata"))
    assert response.status == 409


@pytest.mark.parametrize("operation", ["thumbnail", "sepia", "GRAYSCALE", "x" * 500])
def test_a_task_the_job_does_not_have_is_404(run, service, operation):
    _, body = call(run, service, upload_request(png()))
    response, error = call(run, service, get(f"/api/jobs/{body['job']['id']}/results/{operation}"))
    assert response.status == 404 and error["error"]["code"] == "not_found"
    assert len(error["error"]["message"]) < 200


def test_the_grayscale_result_of_a_job_without_grayscale_is_404(run, service):
    _, body = call(run, service, upload_request(png(), operations=["metadata"]))
    response, error = call(run, service, get(f"/api/jobs/{body['job']['id']}/result"))
    assert response.status == 404 and "no grayscale task" in error["error"]["message"]
    assert body["job"]["result"] is None


def test_another_users_task_result_is_404(run, service):
    _, body = call(run, service, upload_request(png()))
    _process(run, service, body, "grayscale")
    response, _ = call(run, service, get(f"/api/jobs/{body['job']['id']}/results/grayscale", headers=OTHER))
    assert response.status == 404


def test_cancel_stops_the_unfinished_tasks_and_keeps_a_finished_result(run, service):
    _, body = call(run, service, upload_request(png(), operations=["grayscale,metadata"]))
    job_id = body["job"]["id"]
    _process(run, service, body, "grayscale")
    request = HttpRequest("POST", f"/api/jobs/{job_id}/cancel", headers=USER, origin=ORIGIN)
    response, cancelled = call(run, service, request)
    assert response.status == 200 and cancelled["job"]["status"] == "cancelled"
    assert [t["status"] for t in cancelled["job"]["tasks"]] == ["completed", "cancelled"]
    download, _ = call(run, service, get(f"/api/jobs/{job_id}/results/grayscale"))
    assert download.status == 200
    assert _process(run, service, body, "metadata").ack  # its message comes later: no work
    _, after = call(run, service, get(f"/api/jobs/{job_id}"))
    assert after["job"]["tasks"][1]["status"] == "cancelled"


def test_a_failed_job_names_its_failed_tasks_and_keeps_the_others_results(run, service):
    from imagejobs.jobs.messages import TaskRef

    _, body = call(run, service, upload_request(png(), operations=["grayscale,thumbnail,metadata"]))
    job_id = body["job"]["id"]
    _process(run, service, body, "grayscale")
    for operation, message in (("thumbnail", "R2 was down"), ("metadata", "too odd")):
        ref = TaskRef(job_id, Operation(operation))
        run(service.store.start_task(ref))
        run(service.store.fail_task(ref, "processing_failed", message))
    _, current = call(run, service, get(f"/api/jobs/{job_id}"))
    job = current["job"]
    assert job["status"] == "failed"
    assert job["error"] == {
        "code": "processing_failed",
        "message": "R2 was down (thumbnail and metadata failed; grayscale completed and kept)",
        "tasks": ["thumbnail", "metadata"],
    }
    assert [t["error"] for t in job["tasks"]] == [
        None,
        {"code": "processing_failed", "message": "R2 was down"},
        {"code": "processing_failed", "message": "too odd"},
    ]
    assert job["result"] is not None
    download, _ = call(run, service, get(f"/api/jobs/{job_id}/result"))
    assert download.status == 200


def test_delete_removes_every_tasks_object(run, service, blobs, db):
    _, body = call(run, service, upload_request(png(), operations=["grayscale,metadata"]))
    job_id = body["job"]["id"]
    _process(run, service, body, "grayscale")
    blobs.objects[f"metadata/{job_id}.json"] = (b"{}", "application/json", {})  # as if stored unrecorded
    response, _ = call(run, service, HttpRequest("DELETE", f"/api/jobs/{job_id}", headers=USER, origin=ORIGIN))
    assert response.status == 204
    assert blobs.objects == {} and run(db.all("SELECT job_id FROM tasks")) == []


def test_get_job_supports_etags(run, service):
    _, body = call(run, service, upload_request(png()))
    path = f"/api/jobs/{body['job']['id']}"
    first, _ = call(run, service, get(path))
    etag = first.header("etag")
    assert first.header("retry-after") == "1"
    again, _ = call(run, service, get(path, headers={**USER, "if-none-match": etag}))
    assert again.status == 304 and again.body == b""
    listed, _ = call(run, service, get(path, headers={**USER, "if-none-match": ", ".join(['"x"'] * 63 + [etag])}))
    assert listed.status == 304
    too_many, _ = call(run, service, get(path, headers={**USER, "if-none-match": ", ".join(['"x"'] * 64 + [etag])}))
    assert too_many.status == 400


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=x",
        "limit=",
        "limit=%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "limit=%EF%BC%91%EF%BC%90",  # fullwidth "１０"
        "limit=%D9%A1%D9%A0",  # Arabic-Indic "١٠"
        "limit=1_0",
        "limit=+5",
        "limit=%2010",
        "limit=1e2",
        "limit=" + "9" * 5000,
        "limit=5&limit=6",
        "status=done",
        "cursor=???",
        "cursor=" + "a" * 37,
        "cursor=eyJiZWZvcmUiOiAxMTkzfQ",  # the old readable cursor, {"before": 1193}
        "cursor=" + "W" * 5000,
        "cursor=%ff",
        "&".join(f"p{i}=1" for i in range(17)),
        "x=" + "y" * 2047,
    ],
)
def test_bad_listing_parameters_are_400(run, service, query):
    response, body = call(run, service, get("/api/jobs", query))
    assert response.status == 400 and body["error"]["code"] == "bad_request"


def test_listing_pages_through_a_users_jobs(run, service):
    ids = [call(run, service, upload_request(png()))[1]["job"]["id"] for _ in range(3)]
    _, page = call(run, service, get("/api/jobs", "limit=2"))
    assert page["next_cursor"] == ids[1]  # the last job of the page: nothing the user did not know
    _, rest = call(run, service, get("/api/jobs", f"limit=2&cursor={page['next_cursor']}"))
    assert [j["id"] for j in page["jobs"] + rest["jobs"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_a_cursor_of_another_user_or_of_no_job_is_400(run, service):
    ids = [call(run, service, upload_request(png()))[1]["job"]["id"] for _ in range(2)]
    for cursor, headers in ((ids[1], OTHER), (str(uuid.uuid4()), USER)):
        response, body = call(run, service, get("/api/jobs", f"cursor={cursor}", headers))
        assert response.status == 400 and body["error"]["code"] == "bad_request"
    # the oldest job as a cursor is valid and simply ends the listing
    response, body = call(run, service, get("/api/jobs", f"cursor={ids[0]}"))
    assert response.status == 200 and body == {"jobs": [], "next_cursor": None}


@pytest.mark.parametrize(
    "path", ["/api/jobs/abc", "/api/jobs/" + "a" * 5000, "/api/jobs/ABCDEF00-0000-4000-8000-000000000000"]
)
def test_a_path_id_that_is_no_job_id_is_404_without_a_lookup(run, service, path):
    async def unreachable(*args, **kwargs):
        raise AssertionError("looked up an id that cannot exist")

    service.store.get_owned = unreachable
    response, body = call(run, service, get(path))
    assert response.status == 404 and body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/jobs"), ("POST", "/api/upload"), ("POST", "/api/jobs/{id}/cancel"), ("DELETE", "/api/jobs/{id}")],
)
@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another origin too
        {"sec-fetch-site": "cross-site", "origin": ORIGIN},  # Fetch Metadata wins
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": ORIGIN + ".evil.example"},
        {"origin": "http://images.example.com"},  # another scheme is another origin
    ],
)
def test_cross_site_changes_are_refused_and_change_nothing(run, service, queue, method, path, headers):
    job_id = call(run, service, upload_request(png()))[1]["job"]["id"]
    request = HttpRequest(
        method,
        path.format(id=job_id),
        headers={"content-type": "multipart/form-data; boundary=x", **USER, **headers},
        body=FileBody(Upload("cat.png", png())),
        origin=ORIGIN,
    )
    response, body = call(run, service, request)
    assert response.status == 403 and body["error"]["code"] == "cross_site_request"
    assert len(queue.sent) == 1
    _, listed = call(run, service, get("/api/jobs"))
    assert [(j["id"], j["status"]) for j in listed["jobs"]] == [(job_id, "pending")]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, server-to-server clients
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},  # the user typed the address
        {"origin": ORIGIN},
        {"origin": "HTTPS://Images.Example.com"},
        {"sec-fetch-site": "same-origin", "origin": "https://evil.example"},  # Fetch Metadata wins
    ],
)
def test_same_origin_and_non_browser_changes_pass(run, service, headers):
    response, _ = call(run, service, upload_request(png(), headers))
    assert response.status == 202
    job_id = _["job"]["id"]
    request = HttpRequest("POST", f"/api/jobs/{job_id}/cancel", headers={**USER, **headers}, origin=ORIGIN)
    assert call(run, service, request)[0].status == 200


def test_every_response_carries_the_security_headers(run, service):
    created, body = call(run, service, upload_request(png()))
    job_path = f"/api/jobs/{body['job']['id']}"
    responses = [
        created,
        call(run, service, get("/api/me"))[0],
        call(run, service, get("/api/jobs"))[0],
        call(run, service, get(job_path))[0],
        call(run, service, get("/api/jobs", "limit=x"))[0],
        call(run, service, get("/api/me", headers={}))[0],
        call(run, service, get("/api/health"))[0],
        call(run, service, HttpRequest("TRACE", "/api/health"))[0],
        call(run, service, get(f"{job_path}/result"))[0],  # 409 with the job in its body
    ]
    for response in responses:
        assert response.header("x-content-type-options") == "nosniff", response
        assert response.header("cache-control") == "no-store", response
    download, _ = call(run, service, get(f"{job_path}/original"))
    assert download.status == 200
    assert download.header("cache-control") == "private, no-cache" and download.header("etag")
    assert download.header("x-content-type-options") == "nosniff"


def test_an_unexpected_error_is_a_500_with_a_generic_message_and_a_logged_traceback(run, service, capsys):
    async def broken(*args, **kwargs):
        raise RuntimeError("database fell over")

    service.store.get_owned = broken
    job_id = str(uuid.uuid4())
    response, body = call(run, service, get(f"/api/jobs/{job_id}"))
    assert response.status == 500
    assert body["error"]["code"] == "internal_error"
    assert "fell over" not in body["error"]["message"]  # internals stay in the logs
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    internal = next(e for e in logged if e["event"] == "api.internal_error")
    assert "database fell over" in internal["traceback"]
    request = next(e for e in logged if e["event"] == "http.request")
    assert request["status"] == 500 and request["route"] == "/api/jobs/{id}" and "@" not in request["user"]

"""Hostile requests, end to end (issue 9): every case answers a clear 4xx (or the platform's own
refusal) and, after EACH case, the Worker still serves: `/api/health` is 200 and a real job
completes. A runtime that dies fails every case after it.

Runs against its own offline runtime (no processing delay, so the job after each case is quick),
or against WORKER_URL (e.g. `wrangler dev` in dev mode). Cases the platform answers before the
Worker runs (a malformed Host, oversized headers) expect the offline runtime's answer locally
and only survival elsewhere: workerd answers some of them with its own 500s.
"""

import base64
import os
import socket
import ssl
import uuid
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests.conftest import UserClient, launch_runtime

from .images import photo_like

REMOTE = bool(os.environ.get("WORKER_URL"))
DEEP = 11_000  # nesting that killed the isolate (9,000 was enough on Pyodide 0.28.2 in Node)


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    if REMOTE:
        yield os.environ["WORKER_URL"].rstrip("/")
        return
    with launch_runtime(tmp_path_factory.mktemp("hostile"), {"PROCESSING_DELAY_SECONDS": "0"}) as (url, _log):
        yield url


def still_serving(url: str, headers: dict[str, str] | None = None, timeout: float = 60) -> None:
    """The Worker answers its health check and runs a real job from upload to completion."""
    health = httpx.get(f"{url}/api/health", timeout=10)
    assert health.status_code == 200, f"health is {health.status_code} after the hostile case"
    client = UserClient(url, f"alive-{uuid.uuid4().hex[:12]}@example.com")
    if headers is not None:  # another identity (Access mode)
        client.http.headers.pop("X-Dev-User")
        client.http.headers.update(headers)
    created = client.upload(photo_like(4, 4))
    assert created.status_code == 202, created.text
    job, _ = client.wait_until_terminal(created.json()["job"]["id"], timeout=timeout)
    assert job["status"] == "completed", job


@pytest.fixture(autouse=True)
def serving_after_each_case(hostile_url):
    yield
    still_serving(hostile_url)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(url: str, data: bytes, timeout: float = 30) -> Answer | None:
    """Send bytes as they are (what no HTTP client would send); None if the connection closed
    without an answer."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = socket.create_connection((parts.hostname, port), timeout=timeout)
    if parts.scheme == "https":
        sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
    with sock:
        sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    if not received.startswith(b"HTTP/"):
        return None
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Answer(int(lines[0].split()[1]), headers, body)


def raw(url: str, line: str, headers: str | None = None, body: bytes = b"") -> Answer | None:
    host = urlsplit(url).netloc
    head = f"{line}\r\n{headers if headers is not None else f'Host: {host}'}\r\nConnection: close\r\n"
    return raw_request(url, head.encode("latin-1") + b"\r\n" + body)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def error_code(response: httpx.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


# --- deep nesting, oversized and malformed values in the list query -----------------------

LIST_QUERIES = {
    "cursor-base64-of-deep-nesting": "cursor=" + b64(b"[" * DEEP),
    "cursor-base64-of-closed-nesting": "cursor=" + b64(b"[" * 5000 + b"]" * 5000),
    "cursor-raw-nesting": "cursor=" + quote("[" * 3000),
    "cursor-old-readable-form": "cursor=" + b64(b'{"before": 1193}'),
    "cursor-not-base64": "cursor=!!!",
    "cursor-padding-only": "cursor=====",
    "cursor-invalid-utf8": "cursor=%ff%fe",
    "cursor-nul": "cursor=%00",
    "cursor-random-job-id": f"cursor={uuid.uuid4()}",
    "cursor-upper-case-job-id": f"cursor={str(uuid.uuid4()).upper()}",
    "cursor-sql": "cursor=" + quote("' OR 1=1 --"),
    "query-oversized": "x=" + "y" * 10_000,
    "query-many-fields": "&".join(f"f{i}=1" for i in range(500)),
    "query-repeated": "limit=1&limit=2",
    "limit-superscript-two": "limit=" + quote("²"),
    "limit-fullwidth": "limit=" + quote("１０"),
    "limit-arabic-indic": "limit=" + quote("١٠"),
    "limit-devanagari": "limit=" + quote("१०"),
    "limit-math-bold": "limit=" + quote("𝟏𝟎"),
    "limit-underscore": "limit=1_0",
    "limit-plus": "limit=%2B5",
    "limit-space": "limit=%2010",
    "limit-exponent": "limit=1e2",
    "limit-negative": "limit=-1",
    "limit-huge": "limit=" + "9" * 5000,
    "limit-empty": "limit=",
    "status-unknown": "status=done",
    "status-oversized": "status=" + "p" * 5000,
}


@pytest.mark.parametrize("query", LIST_QUERIES.values(), ids=LIST_QUERIES.keys())
def test_hostile_list_queries_are_400(hostile_url, query):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    response = user.http.get(f"/api/jobs?{query}")
    assert response.status_code == 400, response.text
    assert error_code(response) == "bad_request"


def test_a_cursor_is_the_users_own_last_job_and_opens_no_other_listing(hostile_url):
    alice = UserClient(hostile_url, f"a-{uuid.uuid4().hex[:12]}@example.com")
    bob = UserClient(hostile_url, f"b-{uuid.uuid4().hex[:12]}@example.com")
    ids = [alice.upload(photo_like(4, 4, seed=i)).json()["job"]["id"] for i in range(3)]
    page = alice.http.get("/api/jobs", params={"limit": 2}).json()
    assert page["next_cursor"] == ids[1]  # a job Alice has: it tells her nothing new
    assert [j["id"] for j in alice.http.get("/api/jobs", params={"cursor": page["next_cursor"]}).json()["jobs"]] == [
        ids[0]
    ]
    foreign = bob.http.get("/api/jobs", params={"cursor": page["next_cursor"]})
    assert foreign.status_code == 400 and error_code(foreign) == "bad_request"


# --- identity headers ---------------------------------------------------------------------

DEV_USERS = {
    "invalid-utf8": b"\xff\xfe@example.com",
    "latin1-byte": b"jos\xe9@example.com",
    "overlong-utf8": b"\xc0\xaf@example.com",
    "surrogate-utf8": b"\xed\xa0\x80@example.com",
    "oversized": b"u" * 9000 + b"@example.com",
    "just-over-an-email": b"u" * 65 + b"@example.com",
    "control-character": b"a\x01b@example.com",
    "two-ats": b"a@b@example.com",
}


@pytest.mark.parametrize("value", DEV_USERS.values(), ids=DEV_USERS.keys())
def test_hostile_dev_users_are_refused(hostile_url, value):
    response = httpx.get(f"{hostile_url}/api/me", headers={"X-Dev-User": value})
    assert response.status_code in (400, 401), response.text
    # (a control character is refused by the platform's HTTP parser already: a plain 400)
    assert error_code(response) in ("bad_request", "unauthenticated", None)


def test_a_utf8_dev_user_is_read_as_utf8(hostile_url):
    name = f"josé-{uuid.uuid4().hex[:6]}@exämple.com"
    response = httpx.get(f"{hostile_url}/api/me", headers={"X-Dev-User": name.encode()})
    assert response.status_code == 200 and response.json()["user"]["email"] == name


# header → (status of GET /api/jobs/{id}, status of an upload of a non-PNG) when it is sent
OVERSIZED_HEADERS = {
    "if-none-match": ({"If-None-Match": '"' + "x" * 9000 + '"'}, 400, 415),
    "if-none-match-many-tags": ({"If-None-Match": ", ".join(f'"t{i}"' for i in range(500))}, 400, 415),
    "idempotency-key": ({"Idempotency-Key": "k" * 9000}, 200, 400),
    "cookie": ({"Cookie": "a=" + "b" * 9000}, 200, 415),  # read only in Access mode
    "access-token-in-dev-mode": ({"Cf-Access-Jwt-Assertion": b64(b"[" * 6000) + ".e30.x"}, 200, 415),
}


@pytest.mark.parametrize(("headers", "on_get", "on_upload"), OVERSIZED_HEADERS.values(), ids=OVERSIZED_HEADERS.keys())
def test_oversized_headers_are_4xx(hostile_url, headers, on_get, on_upload):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    job_id = user.upload(photo_like(4, 4)).json()["job"]["id"]
    assert user.http.get(f"/api/jobs/{job_id}", headers=headers).status_code == on_get
    assert user.upload(b"not a png", headers=headers).status_code == on_upload


def test_headers_over_the_platform_limits(hostile_url):
    host = f"Host: {urlsplit(hostile_url).netloc}"
    one_big = raw(hostile_url, "GET /api/health HTTP/1.1", f"{host}\r\nX-Big: {'a' * 17000}")
    many = "\r\n".join(f"X-{i}: {'a' * 8000}" for i in range(5))
    all_big = raw(hostile_url, "GET /api/health HTTP/1.1", f"{host}\r\n{many}")
    if not REMOTE:  # Cloudflare: 16 KB per header, 32 KB in all
        assert one_big is not None and one_big.status == 431
        assert all_big is not None and all_big.status == 431


# --- request targets, Host and methods ----------------------------------------------------

# (request line, Host header or None for the right one, another header, the offline runtime's status)
MALFORMED = {
    "host-port-out-of-range": ("GET /api/health HTTP/1.1", "x:99999", None, 400),
    "host-unclosed-ipv6": ("GET /api/health HTTP/1.1", "[::1", None, 400),
    "host-with-path": ("GET /api/health HTTP/1.1", "evil.example/api", None, 400),
    "host-with-userinfo": ("GET /api/health HTTP/1.1", "user@evil.example", None, 400),
    "absolute-form-target": ("GET http://evil.example/api/health HTTP/1.1", None, None, 400),
    "asterisk-target": ("GET * HTTP/1.1", None, None, 400),
    "unclosed-bracket-path": ("GET //[ HTTP/1.1", None, None, 404),  # a path to workerd too: no route
    "not-http": ("HELLO", None, None, 400),
    "track": ("TRACK /api/health HTTP/1.1", None, None, 400),
    "connect": ("CONNECT evil.example:443 HTTP/1.1", None, None, None),  # closed without an answer
    "url-over-the-platform-limit": (f"GET /api/health?{'a' * 17000} HTTP/1.1", None, None, 414),
    "content-length-superscript": ("POST /api/jobs HTTP/1.1", None, "Content-Length: ²", 400),
    "content-length-twice": ("POST /api/jobs HTTP/1.1", None, "Content-Length: 1\r\nContent-Length: 2", 400),
}


@pytest.mark.parametrize(("line", "host", "extra", "status"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_requests_never_stop_the_runtime(hostile_url, line, host, extra, status):
    headers = f"Host: {host or urlsplit(hostile_url).netloc}"
    if extra is not None:
        headers += "\r\n" + extra.encode().decode("latin-1")  # the header's UTF-8 bytes, as sent
    answer = raw(hostile_url, line, headers)
    if not REMOTE:  # workerd answers some of these itself, with its own statuses (500, 501)
        assert (answer.status if answer else None) == status


def test_a_double_slash_path_is_not_the_route_it_ends_with(hostile_url):
    answer = raw(hostile_url, "GET //evil/api/health HTTP/1.1")
    assert answer is not None and answer.status == 404
    assert b'"not_found"' in answer.body


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "PATCH", "PUT", "OPTIONS", "DELETE", "POST"])
def test_odd_methods_get_the_apis_json_405(hostile_url, method):
    answer = raw(hostile_url, f"{method} /api/health HTTP/1.1")
    assert answer is not None and answer.status == 405
    assert answer.headers.get("allow") == "GET"
    assert b'"method_not_allowed"' in answer.body
    assert answer.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/api/jobs/" + "a" * 8000,
        "/api/jobs/%ff%fe",
        "/api/jobs/%00",
        "/api/jobs/" + quote("'; DROP TABLE jobs; --"),
        "/api/jobs/%2e%2e/%2e%2e/admin",
        "/api/jobs/" + str(uuid.uuid4()).upper(),
    ],
)
def test_odd_paths_are_404(hostile_url, path):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    response = user.http.get(path)
    assert response.status_code in (404, 405) and error_code(response) in ("not_found", "method_not_allowed")


# --- uploads --------------------------------------------------------------------------------


def multipart(parts: list[bytes], boundary: bytes = b"b0undary") -> tuple[bytes, str]:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def file_part(name: bytes, data: bytes, field: bytes = b"file") -> bytes:
    return b'Content-Disposition: form-data; name="' + field + b'"; filename="' + name + b'"\r\n\r\n' + data


TRUNCATED_TYPE = "multipart/form-data; boundary=b0undary"
HOSTILE_UPLOADS = {
    "no-boundary": (b"--x\r\n\r\n", "multipart/form-data", 400),
    "truncated": (b'--b0undary\r\nContent-Disposition: form-data; name="file"', TRUNCATED_TYPE, 400),
    "file-as-text": (*multipart([b'Content-Disposition: form-data; name="file"\r\n\r\nhello']), 400),
    "json-body": (b'{"file": ' + b"[" * DEEP + b"}", "application/json", 400),
    "nested-multipart": (*multipart([b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x--"]), 400),
}


@pytest.mark.parametrize(("body", "content_type", "status"), HOSTILE_UPLOADS.values(), ids=HOSTILE_UPLOADS.keys())
def test_hostile_upload_bodies_are_400(hostile_url, body, content_type, status):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    response = user.http.post("/api/jobs", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert user.http.get("/api/jobs").json()["jobs"] == []


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        (b"n" * 10_000 + b".png", "n" * 255),
        (b"\xff\xfe.png", None),  # decoded by the platform's multipart parser
        (b"../../etc/passwd", "passwd"),
        (b"a\x01b.png", "ab.png"),
    ],
    ids=["oversized", "invalid-utf8", "path", "control"],
)
def test_hostile_file_names_are_cleaned_and_the_job_completes(hostile_url, name, stored):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    body, content_type = multipart([file_part(name, photo_like(4, 4))])
    response = user.http.post("/api/jobs", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 202, response.text
    job, _ = user.wait_until_terminal(response.json()["job"]["id"])
    assert job["status"] == "completed"
    if stored is not None:
        assert job["original"]["name"] == stored


def test_many_form_fields_around_the_file(hostile_url):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    fields = [b'Content-Disposition: form-data; name="f' + str(i).encode() + b'"\r\n\r\nv' for i in range(2000)]
    body, content_type = multipart([*fields, file_part(b"a.png", photo_like(4, 4))])
    response = user.http.post("/api/jobs", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 202, response.text


# --- cross-site requests and response headers ---------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
    ids=["fetch-metadata", "sibling-site", "origin"],
)
def test_cross_site_changes_are_403_and_change_nothing(hostile_url, headers):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    refused = user.upload(photo_like(4, 4), headers=headers)
    assert refused.status_code == 403 and error_code(refused) == "cross_site_request"
    job_id = user.upload(photo_like(4, 4)).json()["job"]["id"]
    for response in (
        user.http.post(f"/api/jobs/{job_id}/cancel", headers=headers),
        user.http.delete(f"/api/jobs/{job_id}", headers=headers),
    ):
        assert response.status_code == 403 and error_code(response) == "cross_site_request"
    assert [j["id"] for j in user.http.get("/api/jobs").json()["jobs"]] == [job_id]
    assert user.http.get(f"/api/jobs/{job_id}").json()["job"]["status"] != "cancelled"


def test_same_origin_pages_and_clients_without_browser_headers_pass(hostile_url):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    for headers in ({}, {"Sec-Fetch-Site": "same-origin", "Origin": hostile_url}, {"Origin": hostile_url}):
        assert user.upload(photo_like(4, 4), headers=headers).status_code == 202


def test_responses_with_user_data_are_not_stored_and_never_sniffed(hostile_url):
    user = UserClient(hostile_url, f"h-{uuid.uuid4().hex[:12]}@example.com")
    created = user.upload(photo_like(4, 4))
    job_id = created.json()["job"]["id"]
    user.wait_until_terminal(job_id)
    for response in (
        created,
        user.http.get("/api/me"),
        user.http.get("/api/jobs"),
        user.http.get(f"/api/jobs/{job_id}"),
        user.http.post(f"/api/jobs/{job_id}/cancel"),  # 409 with the job in its body
        user.http.get("/api/jobs?limit=x"),
    ):
        assert response.headers["cache-control"] == "no-store", response.url
        assert response.headers["x-content-type-options"] == "nosniff", response.url
    for kind in ("result", "original"):
        download = user.http.get(f"/api/jobs/{job_id}/{kind}")
        assert download.status_code == 200 and download.headers["etag"]
        assert download.headers["cache-control"].startswith("private")
        assert download.headers["x-content-type-options"] == "nosniff"

"""Upload validation end to end (API.md, "Upload validation"): each rejection has its status
and code, and leaves nothing behind — no R2 object, no D1 row, no queue message."""

import socket
import time
from urllib.parse import urlsplit

import pytest

from imagejobs.logs import user_hash

from .images import chunk, photo_like
from .local_state import LocalState

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LIMIT = 20 * 1024 * 1024


def ihdr_only(width: int, height: int, bit_depth: int = 8, color_type: int = 2) -> bytes:
    import struct

    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.fixture
def nothing_stored(runtime, user):
    """Asserts, after the test, that its user got no row, that no object belongs to no job,
    and that no job event (submitted, enqueued, started) names its user. Other tests' jobs
    may still be finishing in the background, so only what is attributable is compared."""
    _url, log, state = runtime
    if state is None:
        yield
        return
    local = LocalState(state)
    orphans_before = local.orphan_keys()
    yield
    time.sleep(0.3)  # a message, had one been sent, is delivered within the batch timeout
    assert local.job_ids(owner=user.email) == set()
    assert local.orphan_keys() <= orphans_before
    marker = f'"user":"{user_hash(user.email)}"'
    assert [line for line in log.read_text().splitlines() if marker in line and '"event":"job.' in line] == []


@pytest.mark.parametrize(
    ("files", "data", "status", "code"),
    [
        ({"other": ("a.png", photo_like(4, 4), "image/png")}, None, 400, "bad_request"),
        ({"file": (None, "just text")}, None, 400, "bad_request"),
        ({"file": ("cat.png", b"GIF89a" + bytes(64), "image/png")}, None, 415, "unsupported_media_type"),
        ({"file": ("cat.png", b"", "image/png")}, None, 415, "unsupported_media_type"),
        ({"file": ("cat.png", PNG_SIGNATURE + b"\0" * 40, "image/png")}, None, 422, "invalid_image"),
        ({"file": ("cat.png", ihdr_only(0, 10), "image/png")}, None, 422, "invalid_image"),
        ({"file": ("cat.png", ihdr_only(10, 10, bit_depth=7), "image/png")}, None, 422, "invalid_image"),
        ({"file": ("big.png", ihdr_only(10_000, 5_000), "image/png")}, None, 422, "invalid_image"),
    ],
    ids=[
        "no-file-field",
        "text-field",
        "gif-claiming-png",
        "empty",
        "no-ihdr",
        "zero-width",
        "bad-bit-depth",
        "50-megapixels",
    ],
)
def test_rejected_uploads(user, nothing_stored, files, data, status, code):
    response = user.http.post("/api/jobs", files=files)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    assert response.headers["content-type"] == "application/json; charset=utf-8"


def test_a_malformed_multipart_body_is_400(user, nothing_stored):
    response = user.http.post(
        "/api/jobs",
        content=b"--nope\r\nContent-Disposition: form-data\r\n\r\nxx",
        headers={"content-type": "multipart/form-data; boundary=expected"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_file_over_the_limit_is_413_with_its_size(user, nothing_stored):
    big = photo_like(4, 4) + bytes(LIMIT)  # a PNG followed by junk, over 20 MiB in all
    response = user.http.post("/api/jobs", files={"file": ("big.png", big, "image/png")})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(LIMIT) in error["message"]


def test_an_oversized_content_length_is_refused_before_the_body_is_sent(base_url, user, nothing_stored):
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    announced = 30 * 1024 * 1024
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            f"POST /api/jobs HTTP/1.1\r\nHost: {host}\r\nX-Dev-User: {user.email}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {announced}\r\n\r\n".encode()
            + b"--b\r\n"  # and nothing more: the answer must not wait for the other 30 MB
        )
        reply = connection.recv(65536).decode(errors="replace")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert "payload_too_large" in reply


def test_the_client_content_type_is_not_trusted(user):
    response = user.http.post("/api/jobs", files={"file": ("photo.jpg", photo_like(6, 6), "image/jpeg")})
    assert response.status_code == 202  # PNG bytes are a PNG whatever the client says


def test_a_valid_upload_stores_one_object_one_row_and_one_message(runtime, user):
    _url, log, state = runtime
    if state is None:
        pytest.skip("needs the offline runtime's state")
    job = user.upload(photo_like(10, 10)).json()["job"]
    done, _ = user.wait_until_terminal(job["id"])
    local = LocalState(state)
    assert job["id"] in local.job_ids()
    assert {f"originals/{job['id']}.png", f"results/{job['id']}.png"} <= local.r2_keys()
    assert log.read_text().count(f'"job.started","job_id":"{job["id"]}"') == 1

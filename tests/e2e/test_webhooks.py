"""Webhooks end to end through the offline runtime: a local receiver on 127.0.0.1 checks every
delivery's Standard Webhooks signature with an HMAC written here from the spec (independent of
src/imagejobs/webhooks/signing.py), answers 500 once then 200 and sees the same webhook-id twice;
a cancelled job and a failed job deliver their events; a 4xx receiver fails the event at once.
The runtime is its own (WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_URLS=true, a 1 s first retry), so
everything here is skipped under WORKER_URL."""

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import UserClient, launch_runtime

from .images import photo_like, png_with_corrupt_data

SECRET_BYTES = b"e2e-webhook-secret-of-32-bytes!!"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker")


def verify(headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, from the spec: HMAC-SHA256 over "<id>.<timestamp>.<body>"
    under the secret's base64-decoded bytes, compared with any `v1,` signature of the header."""
    signed = headers["webhook-id"].encode() + b"." + headers["webhook-timestamp"].encode() + b"." + body
    expected = base64.b64encode(hmac.new(SECRET_BYTES, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers["webhook-signature"].split(" ") if part.startswith("v1,")]
    ours = any(hmac.compare_digest(expected, sig) for sig in offered)
    try:  # and the standardwebhooks package's verification (which also checks the timestamp)
        Webhook(SECRET).verify(body, headers)
        theirs = True
    except Exception:  # noqa: BLE001 — any refusal
        theirs = False
    return ours and theirs


class Receiver:
    """An HTTP server on 127.0.0.1: /flaky answers 500 to its first request then 200, /gone 410,
    /empty 204 without a body, anything else 200. Records (path, headers, body, verified) of every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes, bool]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    seen = sum(1 for path, *_ in receiver.requests if path == self.path)
                    receiver.requests.append((self.path, headers, body, verify(headers, body)))
                status = 200
                if self.path.startswith("/flaky") and seen == 0:
                    status = 500
                elif self.path.startswith("/gone"):
                    status = 410
                elif self.path.startswith("/empty"):
                    self.send_response(204)  # no body at all
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path: str) -> list[tuple[str, dict[str, str], bytes, bool]]:
        with self.lock:
            return [r for r in self.requests if r[0] == path]


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("webhooks")
    variables = {
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "WEBHOOK_FIRST_RETRY_SECONDS": "1",
        "PROCESSING_DELAY_SECONDS": "1",
    }
    with launch_runtime(folder, variables) as (url, _log):
        yield UserClient(url, "webhooks@example.com")


def submit(client: UserClient, callback_url: str, data: bytes | None = None) -> dict:
    response = client.http.post(
        "/api/jobs",
        files={"file": ("a.png", data or photo_like(24, 16), "image/png")},
        data={"callback_url": callback_url, "operations": "grayscale"},
    )
    assert response.status_code == 202, response.text
    return response.json()["job"]


def wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def webhook_settled(client: UserClient, job_id: str) -> dict:
    return wait_for(lambda: (hook := client.job(job_id)["webhook"])["status"] != "pending" and hook)


def test_a_completed_job_is_delivered_after_one_500_with_the_same_id_and_valid_signatures(client, receiver):
    path = f"/flaky/{uuid.uuid4()}"
    job = submit(client, receiver.url + path)
    assert job["webhook"] == {
        "url": receiver.url + path,
        "status": "pending",
        "attempts": 0,
        "last_status_code": None,
        "last_attempt_at": None,
    }
    hook = webhook_settled(client, job["id"])
    assert hook["status"] == "delivered" and hook["attempts"] == 2 and hook["last_status_code"] == 200
    requests = receiver.received(path)
    assert len(requests) == 2
    assert all(verified for *_, verified in requests)
    assert requests[0][1]["webhook-id"] == requests[1][1]["webhook-id"]
    event = json.loads(requests[1][2])
    assert event["type"] == "job.completed"
    assert event["data"]["job"]["id"] == job["id"] and event["data"]["job"]["status"] == "completed"
    assert event["timestamp"] == event["data"]["job"]["completed_at"]
    assert abs(int(requests[1][1]["webhook-timestamp"]) - time.time()) < 120


def test_a_tampered_body_fails_the_test_side_check(receiver, client):
    path = f"/ok/{uuid.uuid4()}"
    job = submit(client, receiver.url + path)
    webhook_settled(client, job["id"])
    (_, headers, body, verified) = receiver.received(path)[0]
    assert verified and not verify(headers, body + b" ")


def test_a_204_without_a_body_delivers(client, receiver):
    path = f"/empty/{uuid.uuid4()}"
    job = submit(client, receiver.url + path)
    hook = webhook_settled(client, job["id"])
    assert (hook["status"], hook["attempts"], hook["last_status_code"]) == ("delivered", 1, 204)


def test_a_failed_job_delivers_job_failed(client, receiver):
    path = f"/ok/{uuid.uuid4()}"
    job = submit(client, receiver.url + path, png_with_corrupt_data())
    assert webhook_settled(client, job["id"])["status"] == "delivered"
    (_, _, body, verified) = receiver.received(path)[0]
    assert verified and json.loads(body)["type"] == "job.failed"


def test_a_cancelled_job_delivers_job_cancelled(client, receiver):
    path = f"/ok/{uuid.uuid4()}"
    job = submit(client, receiver.url + path)
    cancelled = client.http.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert webhook_settled(client, job["id"])["status"] == "delivered"
    (_, _, body, verified) = receiver.received(path)[0]
    assert verified and json.loads(body)["type"] == "job.cancelled"


def test_a_4xx_receiver_fails_the_event_at_once(client, receiver):
    path = f"/gone/{uuid.uuid4()}"
    job = submit(client, receiver.url + path)
    hook = webhook_settled(client, job["id"])
    assert hook["status"] == "failed" and hook["attempts"] == 1 and hook["last_status_code"] == 410
    time.sleep(3)  # no retry follows
    assert len(receiver.received(path)) == 1


def test_callback_url_length_just_under_and_over_its_bound(client, receiver):
    prefix = receiver.url + "/ok/"
    exact = prefix + "a" * (2048 - len(prefix))
    accepted = client.http.post(
        "/api/jobs", files={"file": ("a.png", photo_like(8, 8), "image/png")}, data={"callback_url": exact}
    )
    assert accepted.status_code == 202 and accepted.json()["job"]["webhook"]["url"] == exact
    refused = client.http.post(
        "/api/jobs", files={"file": ("a.png", photo_like(8, 8), "image/png")}, data={"callback_url": exact + "a"}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid_callback_url")
    assert webhook_settled(client, accepted.json()["job"]["id"])["status"] == "delivered"


def test_without_a_secret_callback_url_is_refused(tmp_path_factory):
    with launch_runtime(tmp_path_factory.mktemp("no-secret"), {"WEBHOOK_SECRET": ""}) as (url, _log):
        plain = UserClient(url, "webhooks@example.com")
        refused = plain.http.post(
            "/api/jobs",
            files={"file": ("a.png", photo_like(8, 8), "image/png")},
            data={"callback_url": "https://hooks.example.com/x"},
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "webhooks_not_configured")
        assert plain.http.get("/api/jobs").json()["jobs"] == []
        assert plain.upload(photo_like(8, 8)).json()["job"]["webhook"] is None


def test_callback_url_refusals(client):
    def post(url: str):
        return client.http.post(
            "/api/jobs", files={"file": ("a.png", photo_like(8, 8), "image/png")}, data={"callback_url": url}
        )

    assert post("ftp://example.com/hook").json()["error"]["code"] == "invalid_callback_url"
    assert post("https://user:pw@example.com/hook").status_code == 422
    assert post("https://example.com/" + "a" * 2100).json()["error"]["code"] == "invalid_callback_url"

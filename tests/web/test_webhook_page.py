"""The page shows a job's webhook on its card: a job submitted with a callback_url (through the
API: the page's form has no such field) to a receiver on 127.0.0.1 shows its delivery, and a job
without one shows nothing of the kind. Needs the shared local runtime's .dev.vars (a dev
WEBHOOK_SECRET, WEBHOOK_ALLOW_PRIVATE_URLS=true): skipped under WORKER_URL."""

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.conftest import UserClient

from .helpers import card, open_as, write_png

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="needs the local runtime's .dev.vars")


class Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_card_shows_the_webhooks_delivery(page, base_url, email, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accepting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = UserClient(base_url, email)
        hooked = write_png(tmp_path / "hooked.png", 40, 30).read_bytes()
        response = client.http.post(
            "/api/jobs",
            files={"file": ("hooked.png", hooked, "image/png")},
            data={"callback_url": f"http://127.0.0.1:{server.server_port}/hook"},
        )
        assert response.status_code == 202, response.text
        assert (
            client.upload(write_png(tmp_path / "plain.png", 40, 30).read_bytes(), name="plain.png").status_code == 202
        )

        job_id = response.json()["job"]["id"]
        deadline = time.monotonic() + 60
        while client.job(job_id)["webhook"]["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.3)

        # The page polls a job until it is terminal, not its webhook: it shows the delivery as the
        # job was when last read, here after it was delivered.
        open_as(page, base_url, email)
        line = card(page, "hooked.png").locator(".job-webhook")
        expect(line).to_have_text(f"Webhook to 127.0.0.1:{server.server_port}: delivered (HTTP 204, 1 attempt)")
        expect(line).to_have_attribute("data-status", "delivered")
        expect(line).to_have_attribute("title", f"http://127.0.0.1:{server.server_port}/hook")
        plain = card(page, "plain.png")
        expect(plain).to_have_attribute("data-status", "completed", timeout=60_000)
        expect(plain.locator(".job-webhook")).to_be_hidden()
    finally:
        server.shutdown()

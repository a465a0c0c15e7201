"""The page when the server throttles uploads (429): it says why and when it goes on, shows the
countdown in the upload's row, and resumes the queue by itself after Retry-After with the same
Idempotency-Key; Stop still stops. Against a runtime whose limiter allows 2 jobs per 10 s, and
with scripted answers for the cap on unfinished jobs."""

import json
import os
import re
import time

import pytest
from playwright.sync_api import Request, Route, expect

from tests.conftest import UserClient, launch_runtime

from .helpers import card, open_as, write_png

RATE_LIMIT, RATE_PERIOD = 2, 10


@pytest.fixture(scope="module")
def limited_url(tmp_path_factory):
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    variables = {"JOB_CREATION_PERIOD_SECONDS": str(RATE_PERIOD)}
    extra = ("--ratelimit", f"JOB_CREATION_LIMITER={RATE_LIMIT}/{RATE_PERIOD}", "--no-cron-clock")
    with launch_runtime(tmp_path_factory.mktemp("limited-page"), variables, extra) as (url, _log):
        yield url


def uploads_of(page) -> list[Request]:
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and r.url.endswith("/api/jobs") else None)
    return sent


def test_over_the_rate_the_queue_pauses_says_so_and_resumes_by_itself(page, console, limited_url, email, tmp_path):
    console.allow(r"status of 429")  # Chromium logs every 4xx; this one is expected
    open_as(page, limited_url, email)
    sent = uploads_of(page)
    files = [write_png(tmp_path / f"burst-{i}.png", 10, 10, seed=i) for i in range(3)]
    left = RATE_PERIOD - time.time() % RATE_PERIOD  # Miniflare counts in windows from the epoch
    if left < RATE_PERIOD / 2:
        time.sleep(left + 0.1)
    page.set_input_files("#file-input", [str(f) for f in files])

    expect(page.locator("li.job")).to_have_count(RATE_LIMIT)
    alert = page.locator("#alerts .alert-info")
    expect(alert).to_contain_text("Uploads paused:")
    expect(alert).to_contain_text("You have uploaded many images in a short time.")
    expect(alert).to_contain_text(re.compile(r"continue by themselves in \d+ s"))
    row = page.locator(".upload-row", has_text="burst-2.png")
    expect(row.locator(".upload-text")).to_have_text(re.compile(r"Paused, resumes in \d+ s"))

    expect(card(page, "burst-2.png")).to_have_count(1, timeout=(RATE_PERIOD + 5) * 1000)
    expect(page.locator("#announcer")).to_contain_text("Uploads resumed.")
    expect(page.locator("#alerts .alert-info")).to_have_count(1)  # one message per pause
    keys = [r.headers["idempotency-key"] for r in sent]
    # Two accepted, the third refused once and sent again, with its key, after Retry-After.
    assert len(keys) == 4 and keys[2] == keys[3] and len(set(keys)) == 3, keys
    assert len(UserClient(limited_url, email).http.get("/api/jobs").json()["jobs"]) == 3


def _refuse_first(code: str, retry_after: str):
    """A route that answers the first upload with a 429 of `code`, and lets the rest through."""
    refused: list[str] = []

    def handle(route: Route):
        if not refused:
            refused.append(route.request.headers["idempotency-key"])
            body = {"error": {"code": code, "message": "throttled"}}
            route.fulfill(status=429, content_type="application/json", headers={"Retry-After": retry_after},
                          body=json.dumps(body))  # fmt: skip
            return
        route.continue_()

    return handle


def test_at_the_cap_of_unfinished_jobs_the_page_says_why_and_goes_on(page, console, base_url, email, tmp_path):
    console.allow(r"status of 429")
    open_as(page, base_url, email)
    page.route("**/api/jobs", _refuse_first("too_many_active_jobs", "2"))
    started = time.monotonic()
    page.set_input_files("#file-input", str(write_png(tmp_path / "capped.png", 10, 10)))
    expect(page.locator("#alerts .alert-info")).to_contain_text("Many of your jobs are still being processed.")
    expect(card(page, "capped.png")).to_have_count(1, timeout=10_000)
    assert time.monotonic() - started >= 2  # not before Retry-After


def test_stop_during_a_pause_sends_nothing_more(page, console, base_url, email, tmp_path):
    console.allow(r"status of 429")
    open_as(page, base_url, email)
    sent = uploads_of(page)
    page.route("**/api/jobs", _refuse_first("rate_limited", "30"))
    page.set_input_files("#file-input", str(write_png(tmp_path / "stopped.png", 10, 10)))
    row = page.locator(".upload-row")
    expect(row.locator(".upload-text")).to_have_text(re.compile(r"Paused, resumes in (30|29|28) s"))
    row.get_by_role("button", name="Stop uploading stopped.png").click()
    expect(row).to_have_count(0)
    expect(page.locator("#announcer")).to_contain_text("Upload of stopped.png stopped")
    page.wait_for_timeout(1500)
    assert len(sent) == 1
    assert UserClient(base_url, email).http.get("/api/jobs").json()["jobs"] == []

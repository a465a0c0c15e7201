"""How the page talks to the API while a job runs (Retry-After, If-None-Match/304, back-off,
stopping at a terminal state), checked against a scripted job; and drag-and-drop upload."""

import base64
import json
import time
from itertools import pairwise

from playwright.sync_api import Route, expect

from .helpers import card, luma, open_as, write_png

FAKE_ID = "0b6a3c1e-2f44-4d8e-9a1b-7c5d3e2f1a00"


def fake_job(status: str) -> dict:
    path = f"/api/jobs/{FAKE_ID}"
    return {
        "id": FAKE_ID,
        "status": status,
        "created_at": "2026-11-29T10:00:00Z",
        "updated_at": "2026-11-29T10:00:01Z",
        "started_at": None if status == "pending" else "2026-11-29T10:00:01Z",
        "completed_at": "2026-11-29T10:00:02Z" if status == "completed" else None,
        "attempts": 0 if status == "pending" else 1,
        "original": {"name": "scripted.png", "size": 100, "content_type": "image/png", "width": 4, "height": 4},
        "result": {"size": 80, "width": 4, "height": 4, "content_type": "image/png"} if status == "completed" else None,
        "error": None,
        "links": {"self": path, "original": f"{path}/original", "result": f"{path}/result"},
    }


def test_polling_honours_retry_after_sends_if_none_match_backs_off_and_stops(page, base_url, email, tmp_path):
    png = write_png(tmp_path / "tiny.png", 4, 4).read_bytes()
    # The scripted answers, one per poll: (status code, job status, ETag, Retry-After).
    script = [
        (200, "pending", '"a"', "1"),  # unchanged from the list: back off to 1.5 s
        (304, None, '"a"', "1"),  # 304: back off to 2.25 s
        (200, "in_progress", '"b"', "2"),  # changed: back-off resets to 1 s, but Retry-After says 2 s
        (200, "completed", '"c"', None),  # terminal: no more polls
    ]
    polls: list[tuple[float, str | None]] = []

    def job_route(route: Route):
        request = route.request
        if request.url.endswith(("/original", "/result")):
            route.fulfill(
                status=200,
                content_type="image/png",
                body=png,
                headers={"Content-Disposition": 'attachment; filename="scripted-grayscale.png"'},
            )
            return
        polls.append((time.monotonic(), request.headers.get("if-none-match")))
        code, status, etag, retry_after = script[min(len(polls), len(script)) - 1]
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if retry_after:
            headers["Retry-After"] = retry_after
        if code == 304:
            route.fulfill(status=304, headers=headers)
        else:
            route.fulfill(
                status=200, content_type="application/json", headers=headers, body=json.dumps({"job": fake_job(status)})
            )

    page.route(
        "**/api/jobs?*",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"jobs": [fake_job("pending")], "next_cursor": None}),
        ),
    )
    page.route(f"**/api/jobs/{FAKE_ID}**", job_route)

    open_as(page, base_url, email)
    start = time.monotonic()
    job = card(page, "scripted.png")
    expect(job).to_have_attribute("data-status", "in_progress", timeout=15_000)
    expect(job).to_have_attribute("data-status", "completed", timeout=15_000)
    expect(job.get_by_role("link", name="Download scripted-grayscale.png")).to_be_visible()
    page.wait_for_timeout(2500)  # longer than any poll interval left: nothing more may come

    assert len(polls) == 4, polls
    gaps = [b[0] - a[0] for a, b in pairwise(polls)]
    first = polls[0][0] - start
    assert 0.5 <= first <= 1.6, first  # resumed after ~1 s
    assert 1.3 <= gaps[0] <= 2.0, gaps  # ×1.5 back-off while unchanged
    assert 2.0 <= gaps[1] <= 2.8, gaps  # ×1.5 again after a 304
    assert 1.8 <= gaps[2] <= 2.6, gaps  # Retry-After (2 s) beats the reset back-off (1 s)
    assert [p[1] for p in polls] == [None, '"a"', '"a"', '"b"']  # If-None-Match: the last ETag seen


def test_drag_and_drop_uploads_the_dropped_png(page, base_url, email, tmp_path):
    open_as(page, base_url, email)
    original = write_png(tmp_path / "dropped.png", 20, 14, seed=5)
    encoded = base64.b64encode(original.read_bytes()).decode()

    transfer = page.evaluate_handle(
        """(b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
      return dt;
    }""",
        encoded,
    )
    zone = page.locator("#drop-zone")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(page.locator("body")).to_have_class("dragging")
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(page.locator("body")).not_to_have_class("dragging")

    job = card(page, "dropped.png")
    expect(job).to_have_attribute("data-status", "completed", timeout=30_000)
    with page.expect_download() as info:
        job.get_by_role("link", name="Download dropped-grayscale.png").click()
    saved = tmp_path / "out.png"
    info.value.save_as(saved)
    assert luma(saved).tobytes() == luma(original).tobytes()


def test_a_dropped_connection_is_retried_with_the_same_idempotency_key(page, base_url, email, tmp_path, console):
    console.allow(r"net::ERR_FAILED|ERR_CONNECTION")
    open_as(page, base_url, email)
    attempts: list[str | None] = []

    def flaky(route: Route):
        attempts.append(route.request.headers.get("idempotency-key"))
        if len(attempts) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/jobs", lambda route: flaky(route) if route.request.method == "POST" else route.continue_())
    page.set_input_files("#file-input", str(write_png(tmp_path / "retry.png", 10, 10)))

    expect(card(page, "retry.png")).to_have_count(1, timeout=15_000)
    assert len(attempts) == 2 and attempts[0] and attempts[0] == attempts[1], attempts
    expect(page.locator("#alerts")).to_be_empty()
    card(page, "retry.png").get_by_role("button", name="Cancel retry.png").click()
    expect(card(page, "retry.png")).to_have_attribute("data-status", "cancelled")


def test_a_sign_in_that_expires_is_explained_once(page, base_url, console):
    console.allow(r"status of 401")
    page.route(
        "**/api/me",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"user": {"email": "ada@example.org"}}'
        ),
    )
    page.route(
        "**/api/jobs?*",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"jobs": [fake_job("pending")], "next_cursor": None}),
        ),
    )
    expired = json.dumps({"error": {"code": "unauthenticated", "message": "the Access token has expired"}})
    page.route(
        f"**/api/jobs/{FAKE_ID}**",
        lambda route: route.fulfill(status=401, content_type="application/json", body=expired),
    )

    page.goto(base_url + "/")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You are signed out: The Access token has expired. Please reload the page")
    expect(page.locator("#drop-zone")).to_be_disabled()
    page.wait_for_timeout(1500)  # the original and the poll both got 401: still one message
    expect(page.locator("#alerts .alert")).to_have_count(1)

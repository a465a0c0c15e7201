"""The page long-polls each job (`Prefer: wait=20` with If-None-Match) and falls back to
Retry-After polling where the server does not hold; the requests it makes for one job from
upload to completion, both ways, in one run (the README's numbers). Against a runtime of its own
whose jobs take seconds, so that there is something to wait for."""

import os
import re
import time

import pytest
from playwright.sync_api import Request, Route, expect

from tests.conftest import launch_runtime

from .helpers import card, open_as, write_png

PROCESSING_DELAY_SECONDS = 3  # before and after each conversion: ~6 s in progress
STATUS_PATH = re.compile(r"/api/jobs/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def slow_url(tmp_path_factory):
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    variables = {"PROCESSING_DELAY_SECONDS": str(PROCESSING_DELAY_SECONDS)}
    with launch_runtime(tmp_path_factory.mktemp("slow-page"), variables, ("--no-cron-clock",)) as (url, _log):
        yield url


class StatusChecks:
    """Every status check (GET /api/jobs/{id}) the page sends: when, with which headers, and how
    many are under way at once."""

    def __init__(self, page):
        self.page = page
        self.sent: list[tuple[float, dict]] = []
        self.open = 0
        self.most_held_at_once = 0
        self.aborted = 0  # held checks the page gave up
        page.on("request", self._sent)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._failed)

    def close(self) -> None:
        """Stops counting."""
        self.page.remove_listener("request", self._sent)
        self.page.remove_listener("requestfinished", self._ended)
        self.page.remove_listener("requestfailed", self._failed)

    @staticmethod
    def _is_check(request: Request) -> bool:
        return request.method == "GET" and STATUS_PATH.search(request.url) is not None

    def _sent(self, request: Request) -> None:
        if self._is_check(request):
            self.sent.append((time.monotonic(), request.headers))
            if "prefer" in request.headers:
                self.open += 1
                self.most_held_at_once = max(self.most_held_at_once, self.open)

    def _ended(self, request: Request) -> None:
        if self._is_check(request) and "prefer" in request.headers:
            self.open -= 1

    def _failed(self, request: Request) -> None:
        if self._is_check(request) and "prefer" in request.headers:
            self.aborted += 1
        self._ended(request)


def follow_one_job(page, url, email, tmp_path, name) -> tuple[StatusChecks, float]:
    open_as(page, url, email)
    checks = StatusChecks(page)
    started = time.monotonic()
    page.set_input_files("#file-input", str(write_png(tmp_path / name, 40, 30, seed=3)))
    job = card(page, name)
    expect(job).to_have_attribute("data-status", "completed", timeout=60_000)
    checks.close()
    return checks, time.monotonic() - started


def test_the_page_long_polls_and_falls_back_to_retry_after_polling(page, slow_url, tmp_path, capsys):
    held, held_seconds = follow_one_job(page, slow_url, "held@example.com", tmp_path, "held.png")
    assert len(held.sent) <= 3, held.sent  # the first check, then one held check per change
    for _, headers in held.sent:
        assert headers["prefer"] == "wait=20"
    assert all("if-none-match" in headers for _, headers in held.sent[1:])

    # A server (or proxy) that ignores Prefer: strip it, and the page polls as Retry-After says.
    def without_prefer(route: Route):
        headers = {k: v for k, v in route.request.headers.items() if k != "prefer"}
        route.continue_(headers=headers)

    page.route(STATUS_PATH, without_prefer)
    polled, polled_seconds = follow_one_job(page, slow_url, "polled@example.com", tmp_path, "polled.png")
    gaps = [b[0] - a[0] for a, b in zip(polled.sent, polled.sent[1:], strict=False)]
    assert len(polled.sent) >= 4 and min(gaps) >= 0.9, gaps  # never more than one check a second
    with capsys.disabled():
        print(
            f"\nstatus checks for one job, upload to completion ({PROCESSING_DELAY_SECONDS * 2} s in progress): "
            f"long-polling {len(held.sent)} in {held_seconds:.1f} s, "
            f"Retry-After polling {len(polled.sent)} in {polled_seconds:.1f} s"
        )
    assert len(held.sent) < len(polled.sent)


def test_at_most_three_checks_are_held_at_once_and_the_others_poll(page, slow_url, tmp_path):
    open_as(page, slow_url, "many@example.com")
    checks = StatusChecks(page)
    files = [write_png(tmp_path / f"many-{i}.png", 12, 12, seed=i) for i in range(5)]
    page.set_input_files("#file-input", [str(f) for f in files])
    expect(page.locator("li.job")).to_have_count(5)
    page.wait_for_timeout(4000)  # every card checks at least twice meanwhile
    assert checks.most_held_at_once == 3, checks.most_held_at_once
    assert any("prefer" not in headers for _, headers in checks.sent)  # the others polled plainly
    for item in page.locator("li.job").all():  # let the queue go
        item.locator(".cancel").click()
    expect(page.locator('li.job[data-status="cancelled"]')).to_have_count(5, timeout=20_000)


def test_deleting_a_job_while_its_check_is_held_cancels_the_check(page, slow_url, tmp_path, console):
    open_as(page, slow_url, "deleter@example.com")
    checks = StatusChecks(page)
    page.set_input_files("#file-input", str(write_png(tmp_path / "gone.png", 12, 12)))
    job = card(page, "gone.png")
    expect(job).to_have_attribute("data-status", "in_progress", timeout=20_000)
    deadline = time.monotonic() + 10
    while checks.open == 0 and time.monotonic() < deadline:  # a held check is under way
        page.wait_for_timeout(100)
    assert checks.open == 1
    job.get_by_role("button", name="Delete gone.png").click()
    job.locator(".confirm-yes").click()
    expect(page.locator("li.job")).to_have_count(0)
    # The held check was given up when the card went, not left to come back with a 404.
    assert (checks.open, checks.aborted) == (0, 1)
    expect(page.locator("#alerts")).not_to_contain_text("no longer exists")

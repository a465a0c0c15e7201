"""Long-polling end to end: `GET /api/jobs/{id}` with `Prefer: wait=N` and `If-None-Match` is held
until the job changes (answered within about a second) or the wait is over (304), says so with
`Preference-Applied`, stops when the client leaves, and costs the D1 reads the README states.

The shared runtime's jobs change by themselves within a second or two; tests that need a job
that does not change run a runtime of their own whose jobs wait a minute before converting."""

import json
import os
import threading
import time
import uuid

import httpx
import pytest

from tests.conftest import UserClient, launch_runtime

from .images import photo_like
from .test_hostile import still_serving

own_runtime = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker")


@pytest.fixture(scope="module")
def slow_jobs(tmp_path_factory):
    """(url, log) of a runtime whose jobs stay in progress for a minute before converting."""
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    variables = {"PROCESSING_DELAY_SECONDS": "60"}
    with launch_runtime(tmp_path_factory.mktemp("slow-jobs"), variables, ("--no-cron-clock",)) as (url, log):
        yield url, log


def current(user: UserClient, job_id: str) -> tuple[dict, str]:
    response = user.http.get(f"/api/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return response.json()["job"], response.headers["etag"]


def long_poll(user: UserClient, job_id: str, etag: str, wait: str, timeout: float = 40) -> httpx.Response:
    headers = {"If-None-Match": etag, "Prefer": f"wait={wait}"}
    return user.http.get(f"/api/jobs/{job_id}", headers=headers, timeout=timeout)


def long_poll_events(log, job_id: str) -> list[dict]:
    return [
        json.loads(line)
        for line in log.read_text().splitlines()
        if line.startswith('{"event":"job.long_poll"') and job_id in line
    ]


def test_a_held_request_answers_each_change_about_as_soon_as_tight_polling_sees_it(user):
    """Two clients follow one job to its end: one polls every 50 ms, one long-polls. Each change
    reaches the long-poller within about a second of the tight poller (also under WORKER_URL)."""
    job_id = user.upload(photo_like(40, 30, seed=5)).json()["job"]["id"]
    tight: dict[str, float] = {}
    done = threading.Event()

    def poll_tightly():
        with httpx.Client(base_url=str(user.http.base_url), headers={"X-Dev-User": user.email}) as http:
            while not done.is_set():
                status = http.get(f"/api/jobs/{job_id}").json()["job"]["status"]
                tight.setdefault(status, time.monotonic())
                if status in ("completed", "failed", "cancelled"):
                    return
                time.sleep(0.05)

    poller = threading.Thread(target=poll_tightly)
    poller.start()
    job, etag = current(user, job_id)
    held: dict[str, float] = {job["status"]: time.monotonic()}
    requests = 1
    try:
        while job["status"] not in ("completed", "failed", "cancelled"):
            response = long_poll(user, job_id, etag, "20")
            requests += 1
            assert response.headers.get("preference-applied") == "wait=20"
            assert response.status_code == 200, "the job changes long before 20 s"
            job, etag = response.json()["job"], response.headers["etag"]
            held.setdefault(job["status"], time.monotonic())
    finally:
        done.set()
        poller.join(timeout=30)
    assert job["status"] == "completed"
    for status, seen_at in held.items():
        if status in tight:
            assert seen_at - tight[status] < 1.3, (status, seen_at - tight[status])
    assert requests <= 4  # one GET, then one held request per change at most


def test_preference_applied_and_what_is_answered_at_once(user):
    job_id = user.upload(photo_like(8, 8, seed=6)).json()["job"]["id"]
    response = user.http.get(f"/api/jobs/{job_id}", headers={"Prefer": "wait=100"})  # nothing to compare
    assert response.status_code == 200 and response.headers["preference-applied"] == "wait=25"
    user.wait_until_terminal(job_id)
    job, etag = current(user, job_id)
    assert job["status"] == "completed"
    started = time.monotonic()
    response = long_poll(user, job_id, etag, "20")  # a final job cannot change: at once
    assert response.status_code == 304 and time.monotonic() - started < 2
    assert "preference-applied" not in response.headers


def test_an_unusable_prefer_is_ignored_and_the_worker_keeps_serving(user, base_url):
    job_id = user.upload(photo_like(8, 8, seed=7)).json()["job"]["id"]
    values = ["wait=１０", "wait=1.5", 'wait="5"', "wait=" + "9" * 19, ", ".join(["a"] * 17) + ", wait=5", "wait=5 x"]
    for value in values:
        _, etag = current(user, job_id)
        response = user.http.get(f"/api/jobs/{job_id}", headers={"Prefer": value.encode(), "If-None-Match": etag})
        assert response.status_code in (200, 304) and "preference-applied" not in response.headers, value
    too_long = user.http.get(f"/api/jobs/{job_id}", headers={"Prefer": "wait=5, " + "a" * 8192})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "bad_request"
    still_serving(base_url)


@own_runtime
def test_an_unchanged_job_is_304_after_the_wait_and_a_cancel_ends_a_hold_at_once(slow_jobs):
    url, log = slow_jobs
    user = UserClient(url, f"long-{uuid.uuid4().hex[:10]}@example.com")
    job_id = user.upload(photo_like(8, 8, seed=8)).json()["job"]["id"]
    time.sleep(0.5)  # started: in progress for a minute
    job, etag = current(user, job_id)
    started = time.monotonic()
    response = long_poll(user, job_id, etag, "2")
    assert response.status_code == 304 and 2 <= time.monotonic() - started < 3.5
    assert response.headers["preference-applied"] == "wait=2" and response.headers["etag"] == etag

    canceller = threading.Timer(1.5, lambda: user.http.post(f"/api/jobs/{job_id}/cancel"))
    canceller.start()
    started = time.monotonic()
    response = long_poll(user, job_id, etag, "20")
    elapsed = time.monotonic() - started
    canceller.join()
    assert response.status_code == 200 and response.json()["job"]["status"] == "cancelled"
    assert 1.5 <= elapsed < 2.8, elapsed  # within about a second of the cancel
    assert [e["outcome"] for e in long_poll_events(log, job_id)] == ["timed_out", "changed"]


@own_runtime
def test_a_client_that_leaves_stops_the_re_reads(slow_jobs):
    url, log = slow_jobs
    user = UserClient(url, f"leaver-{uuid.uuid4().hex[:10]}@example.com")
    job_id = user.upload(photo_like(8, 8, seed=9)).json()["job"]["id"]
    time.sleep(0.5)
    _, etag = current(user, job_id)
    with pytest.raises(httpx.ReadTimeout):
        long_poll(user, job_id, etag, "25", timeout=1.5)  # the client gives up after 1.5 s
    deadline = time.monotonic() + 3
    while not long_poll_events(log, job_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    events = long_poll_events(log, job_id)
    assert [e["outcome"] for e in events] == ["disconnected"], "the hold went on after the client left"
    assert events[0]["reads"] <= 5  # 0.1 + 0.2 + 0.4 + 0.8 + 1 s: at most one read after it left


@own_runtime
def test_the_d1_reads_of_a_full_hold(slow_jobs, capsys):
    """The README's numbers: one held request of 25 s against 25 plain polls (Retry-After: 1),
    each of which reads the job once."""
    url, log = slow_jobs
    user = UserClient(url, f"reads-{uuid.uuid4().hex[:10]}@example.com")
    job_id = user.upload(photo_like(8, 8, seed=10)).json()["job"]["id"]
    time.sleep(0.5)
    _, etag = current(user, job_id)
    response = long_poll(user, job_id, etag, "25")
    assert response.status_code == 304
    [event] = long_poll_events(log, job_id)
    reads = 1 + event["reads"]  # the request's own read, then the re-reads of the hold
    with capsys.disabled():
        print(f"\nlong-poll of 25 s, job unchanged: 1 request, {reads} D1 reads; plain polling: 25 requests, 25 reads")
    assert event["outcome"] == "timed_out" and 25 <= reads <= 30

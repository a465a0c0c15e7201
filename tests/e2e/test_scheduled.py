"""The hourly cron end to end: a scheduled event runs the Worker's sweep, which fails jobs
that stayed non-terminal for a day and leaves every other job alone. The stuck job is made by
an R2 outage that keeps it retrying; the event's time is set a day and more ahead."""

import time

import httpx

from .images import photo_like


def test_the_cron_fails_a_job_that_never_finished(outage):
    url, log = outage
    headers = {"X-Dev-User": "cron@example.com"}
    job = httpx.post(f"{url}/api/jobs", headers=headers, files={"file": ("a.png", photo_like(8, 8))}).json()["job"]
    deadline = time.monotonic() + 10
    while httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()["job"]["attempts"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    other = httpx.post(f"{url}/api/jobs", headers=headers, files={"file": ("b.png", photo_like(8, 8))}).json()["job"]
    httpx.post(f"{url}/api/jobs/{other['id']}/cancel", headers=headers)

    # A run now leaves the fresh job alone.
    now_ms = int(time.time() * 1000)
    assert (
        httpx.get(f"{url}/cdn-cgi/handler/scheduled", params={"cron": "17 * * * *", "time": now_ms}).status_code == 200
    )
    assert httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()["job"]["status"] in (
        "pending",
        "in_progress",
    )

    # A run 25 hours later finds it untouched for more than a day and fails it; the cancelled
    # job, terminal, stays as it is.
    later_ms = now_ms + 25 * 3600 * 1000
    assert (
        httpx.get(f"{url}/cdn-cgi/handler/scheduled", params={"cron": "17 * * * *", "time": later_ms}).status_code
        == 200
    )
    swept = httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()["job"]
    assert swept["status"] == "failed"
    assert swept["error"]["code"] == "processing_failed" and "24 hours" in swept["error"]["message"]
    assert httpx.get(f"{url}/api/jobs/{other['id']}", headers=headers).json()["job"]["status"] == "cancelled"
    text = log.read_text()
    assert '"event":"sweep.done","failed":0' in text and '"event":"sweep.done","failed":1' in text

"""Transient failures end to end: with R2 reads of originals failing (a simulated outage in
the offline runtime), a job is retried with growing delays through the real queue broker,
then dead-lettered, and the dead letter consumer marks it failed with the last error."""

import time

import httpx

from .images import photo_like

MAX_RETRIES = 3  # wrangler.jsonc, image-jobs consumer


def test_a_job_that_keeps_failing_is_retried_then_dead_lettered(outage):
    url, log = outage
    headers = {"X-Dev-User": "retry@example.com"}
    job = httpx.post(f"{url}/api/jobs", headers=headers, files={"file": ("a.png", photo_like(8, 8))}).json()["job"]

    seen_attempts, deadline = set(), time.monotonic() + 60
    while time.monotonic() < deadline:
        current = httpx.get(f"{url}/api/jobs/{job['id']}", headers=headers).json()["job"]
        if current["status"] != "failed":
            assert current["status"] in ("pending", "in_progress")  # non-terminal while retrying
            assert current["error"] is None
            seen_attempts.add(current["attempts"])
        else:
            break
        time.sleep(0.2)

    assert current["status"] == "failed", current
    assert current["attempts"] == MAX_RETRIES + 1
    assert current["error"]["code"] == "processing_failed"
    assert "injected fault" in current["error"]["message"]
    assert {1, 2, 3} <= seen_attempts  # the states were visible between deliveries

    # The runtime logs a batch once its handler has returned: the job may read failed first.
    deadline = time.monotonic() + 10
    while "queue image-dlq batch of 1" not in (text := log.read_text()):
        assert time.monotonic() < deadline, "the dead letter batch was never logged"
        time.sleep(0.1)
    delays = [
        int(line.split('"delay_s":')[1].split(",")[0])
        for line in text.splitlines()
        if '"job.retry"' in line and job["id"] in line
    ]
    assert len(delays) == MAX_RETRIES + 1
    assert delays[0] < delays[1] < delays[2]  # exponential backoff

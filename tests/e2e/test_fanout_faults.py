"""One task's faults never touch another task of the same job: through the real broker, a fault
injected into one operation (`--inject-fault`, offline-runtime/faults.mjs) retries,
dead-letters or re-drives that task alone, while the job's other tasks complete at their first
attempt, exactly; the job's status and error follow. Each test runs a runtime of its own."""

import io
import os
import time

import httpx
import pytest
from PIL import Image

from tests.conftest import launch_runtime

from .images import luma_of, photo_like
from .local_state import LocalState

HEADERS = {"X-Dev-User": "fanout-faults@example.com"}
ALL = "grayscale,thumbnail,metadata"
MAX_ATTEMPTS = 4  # wrangler.jsonc: image-jobs max_retries 3, then the dead letter queue
RECOVERY_CRON = "* * * * *"

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker with faults")


def submit(client: httpx.Client, data: bytes, operations: str = ALL) -> str:
    files = [("file", ("a.png", data, "image/png")), ("operations", (None, operations))]
    response = client.post("/api/jobs", headers=HEADERS, files=files)
    assert response.status_code == 202, response.text
    return response.json()["job"]["id"]


def terminal(client: httpx.Client, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/jobs/{job_id}", headers=HEADERS)
        if response.status_code == 200 and response.json()["job"]["status"] in ("completed", "failed", "cancelled"):
            return response.json()["job"]
        assert time.monotonic() < deadline, f"job {job_id} not terminal after {timeout} s: {response.text}"
        time.sleep(0.2)


def tasks(job: dict) -> dict[str, dict]:
    return {task["operation"]: task for task in job["tasks"]}


def assert_exact_grayscale(client: httpx.Client, job: dict, original: bytes) -> None:
    response = client.get(tasks(job)["grayscale"]["result"]["url"], headers=HEADERS)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).convert("L").tobytes() == luma_of(original)


def test_a_thumbnail_that_can_never_be_stored_fails_alone_and_the_others_complete(tmp_path):
    images = [photo_like(40 + i, 30, seed=i) for i in range(2)]
    args = ("--no-cron-clock", "--inject-fault", "IMAGES_BUCKET.put=thumbnails/")
    with launch_runtime(tmp_path, {}, args) as (url, log), httpx.Client(base_url=url, timeout=60) as client:
        ids = [submit(client, data) for data in images]
        jobs = [terminal(client, job_id) for job_id in ids]
        for job, original in zip(jobs, images, strict=True):
            by = tasks(job)
            assert job["status"] == "failed", job
            assert job["error"]["tasks"] == ["thumbnail"] and job["error"]["code"] == "processing_failed"
            assert "injected fault: R2 put" in job["error"]["message"]
            assert "grayscale and metadata completed and kept" in job["error"]["message"]
            # The failing task was retried and dead-lettered on its own ...
            assert (by["thumbnail"]["status"], by["thumbnail"]["attempts"]) == ("failed", MAX_ATTEMPTS)
            assert by["thumbnail"]["result"] is None
            # ... and the others ran once, did not wait for it, and keep their results.
            for operation in ("grayscale", "metadata"):
                assert (by[operation]["status"], by[operation]["attempts"]) == ("completed", 1), by[operation]
                assert by[operation]["completed_at"] < by["thumbnail"]["completed_at"]
            assert_exact_grayscale(client, job, original)
            metadata = client.get(by["metadata"]["result"]["url"], headers=HEADERS).json()
            assert (metadata["width"], metadata["height"]) == Image.open(io.BytesIO(original)).size
            assert job["result"] is not None  # the grayscale result stays on the job too
        text = log.read_text()
    assert "injected fault IMAGES_BUCKET.put=thumbnails/" in text
    state = LocalState(tmp_path / "state")
    expected = {
        f"{prefix}/{job_id}.{ext}"
        for job_id in ids
        for prefix, ext in (("originals", "png"), ("results", "png"), ("metadata", "json"))
    }
    assert state.r2_keys() == expected  # no thumbnail object, nothing else left behind


def test_a_metadata_task_retried_twice_delays_nothing_else(tmp_path):
    original = photo_like(33, 21, seed=4)
    args = ("--no-cron-clock", "--inject-fault", "IMAGES_BUCKET.put*2=metadata/")
    with launch_runtime(tmp_path, {}, args) as (url, _log), httpx.Client(base_url=url, timeout=60) as client:
        job = terminal(client, submit(client, original))
        by = tasks(job)
        assert job["status"] == "completed" and job["error"] is None
        assert [by[o]["attempts"] for o in ("grayscale", "thumbnail", "metadata")] == [1, 1, 3]
        assert job["attempts"] == 3  # the most any task took
        assert max(by["grayscale"]["completed_at"], by["thumbnail"]["completed_at"]) < by["metadata"]["completed_at"]
        assert_exact_grayscale(client, job, original)


def test_a_lost_completion_reply_of_one_task_is_harmless(tmp_path):
    original = photo_like(25, 25, seed=8)
    args = ("--no-cron-clock", "--inject-fault", "DB.reply*1=SET status = 'completed'")
    with launch_runtime(tmp_path, {}, args) as (url, log), httpx.Client(base_url=url, timeout=60) as client:
        job = terminal(client, submit(client, original))
        assert job["status"] == "completed"
        assert sorted(task["attempts"] for task in job["tasks"]) == [1, 1, 1]  # the retry found it done
        assert_exact_grayscale(client, job, original)
        # The retry of the task whose reply was lost (≈ 2 s later) finds it completed.
        deadline = time.monotonic() + 20
        while '"event":"job.skipped"' not in log.read_text():
            assert time.monotonic() < deadline, "the retried message was never delivered"
            time.sleep(0.2)
        assert client.get(f"/api/jobs/{job['id']}", headers=HEADERS).json()["job"] == job  # it changed nothing


def test_only_the_task_whose_message_was_lost_is_redriven(tmp_path):
    original = photo_like(30, 20, seed=6)
    args = ("--no-cron-clock", "--inject-fault", 'JOB_QUEUE.drop*1="operation":"thumbnail"')
    variables = {"REDRIVE_PENDING_AFTER_SECONDS": "2"}
    with launch_runtime(tmp_path, variables, args) as (url, log), httpx.Client(base_url=url, timeout=60) as client:
        job_id = submit(client, original)
        deadline = time.monotonic() + 30
        while (
            tasks(job := client.get(f"/api/jobs/{job_id}", headers=HEADERS).json()["job"])["metadata"]["status"]
            != "completed"
        ):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        time.sleep(2.5)  # the lost thumbnail message is now overdue
        job = client.get(f"/api/jobs/{job_id}", headers=HEADERS).json()["job"]
        assert job["status"] == "in_progress" and tasks(job)["thumbnail"]["status"] == "pending"
        fired = httpx.get(f"{url}/cdn-cgi/handler/scheduled", params={"cron": RECOVERY_CRON}, timeout=30)
        assert fired.status_code == 200
        done = terminal(client, job_id)
        assert done["status"] == "completed" and [t["attempts"] for t in done["tasks"]] == [1, 1, 1]
        assert log.read_text().count('"event":"job.redriven"') == 1
    rows = {row["operation"]: row for row in LocalState(tmp_path / "state").tasks()}
    assert {operation: row["redrives"] for operation, row in rows.items()} == {
        "grayscale": 0,
        "thumbnail": 1,
        "metadata": 0,
    }

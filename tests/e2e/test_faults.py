"""Faults at every step of the consumer, injected into a runtime of each test's own
(`--inject-fault`, offline-runtime/faults.mjs), through the real queue broker: D1 failing to
start or to complete a job, or losing the reply of a completion that did happen; R2 failing to
store a result; the isolate crashing after a conversion and in the middle of one. Every job
ends terminal with the right result (pixels equal to Pillow's) or the right error, and nothing
is left behind: one row per job, its original, and a result only if it completed."""

import io
import os
import time
from dataclasses import dataclass

import httpx
import pytest
from PIL import Image

from tests.conftest import launch_runtime

from .images import large_photo, luma_of, photo_like
from .local_state import LocalState

HEADERS = {"X-Dev-User": "faults@example.com"}
MAX_ATTEMPTS = 4  # wrangler.jsonc: image-jobs max_retries 3, then the dead letter queue

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker with faults")


@dataclass(frozen=True)
class Case:
    fault: str
    jobs: int
    outcome: str  # every job ends "completed", or "failed" with processing_failed and `error`
    extra_attempts: int  # attempts beyond one per job, over all jobs
    error: str = ""
    large: bool = False  # an image whose conversion takes a while
    # A crash fails every event of the isolate in flight, uploads included: a delay before
    # each conversion lets the uploads finish before the first job reaches the crash.
    processing_delay: str = "0"


CASES = {
    "D1 fails twice to complete a job": Case("DB.query*2=SET status = 'completed'", 3, "completed", 2),
    "D1 is down for every completion": Case(
        "DB.query=SET status = 'completed'", 2, "failed", 2 * (MAX_ATTEMPTS - 1), "D1_ERROR: injected fault"
    ),
    "D1 completes a job but its reply is lost": Case("DB.reply*1=SET status = 'completed'", 2, "completed", 0),
    # A failed start counts no attempt: the handler raised, and the broker redelivers.
    "D1 fails to start a job": Case("DB.query*1=SET status = 'in_progress'", 2, "completed", 0),
    "R2 fails twice to store a result": Case("IMAGES_BUCKET.put*2=results/", 3, "completed", 2),
    "R2 is down for every result": Case(
        "IMAGES_BUCKET.put=results/", 2, "failed", 2 * (MAX_ATTEMPTS - 1), "injected fault: R2 put"
    ),
    "the isolate crashes after a conversion, before its result is stored": Case(
        "crash:IMAGES_BUCKET.put*1=results/", 2, "completed", 1, processing_delay="1"
    ),
    "the isolate crashes 30 ms into a conversion (when it next yields)": Case(
        "crash@30:IMAGES_BUCKET.get*1=originals/", 2, "completed", 1, large=True, processing_delay="1"
    ),
}


def _terminal(client: httpx.Client, job_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/jobs/{job_id}", headers=HEADERS)
        # A poll in flight when the isolate crashes fails (500), as on workerd; clients poll again.
        if response.status_code == 200:
            job = response.json()["job"]
            if job["status"] in ("completed", "failed", "cancelled"):
                return job
        assert time.monotonic() < deadline, f"job {job_id} not terminal after {timeout} s: {response.text}"
        time.sleep(0.2)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_job_ends_terminal_and_nothing_is_left_behind(tmp_path, case):
    images = [
        large_photo(900, 700) if case.large else photo_like(16 + i, 12, mode="RGB", seed=i) for i in range(case.jobs)
    ]
    args = ("--no-cron-clock", "--inject-fault", case.fault)
    variables = {"PROCESSING_DELAY_SECONDS": case.processing_delay}
    with launch_runtime(tmp_path, variables, args) as (url, log), httpx.Client(base_url=url, timeout=60) as client:
        accepted = []
        for i, data in enumerate(images):
            response = client.post("/api/jobs", headers=HEADERS, files={"file": (f"{i}.png", data, "image/png")})
            assert response.status_code == 202, response.text
            accepted.append(response.json()["job"]["id"])
        jobs = [_terminal(client, job_id) for job_id in accepted]
        assert client.get("/api/health").status_code == 200  # the API is served throughout

        assert {job["status"] for job in jobs} == {case.outcome}, [(j["status"], j["error"]) for j in jobs]
        assert sum(job["attempts"] for job in jobs) - case.jobs == case.extra_attempts
        for job, data in zip(jobs, images, strict=True):
            if case.outcome == "completed":
                result = client.get(f"/api/jobs/{job['id']}/result", headers=HEADERS)
                assert Image.open(io.BytesIO(result.content)).convert("L").tobytes() == luma_of(data)
            else:
                assert job["attempts"] == MAX_ATTEMPTS
                assert job["error"]["code"] == "processing_failed" and case.error in job["error"]["message"]
        text = log.read_text()

    assert f"injected fault {case.fault}" in text
    if case.fault.startswith("crash"):
        assert "isolate crashed" in text and "isolate restarted" in text
    state = LocalState(tmp_path / "state")
    assert sorted(row["id"] for row in state.jobs()) == sorted(accepted)
    kinds = ("originals", "results") if case.outcome == "completed" else ("originals",)
    assert state.r2_keys() == {f"{kind}/{job_id}.png" for job_id in accepted for kind in kinds}

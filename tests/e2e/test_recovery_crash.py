"""Crash and restart: the runtime's whole process group (node and Miniflare's workerd) is killed
while at least 50 jobs are pending or in progress, then started again on the same state. The
queue broker keeps no messages across a restart, so only the Worker's own recovery cron —
fired by the runtime's cron clock, as in `make dev`, with nobody's help — can finish them.
Every job must be terminal within 5 minutes of the restart: completed, with pixels equal to
Pillow's; no job twice (clients retry with their Idempotency-Key); no object without a job."""

import io
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

from tests.conftest import launch_runtime

from .images import luma_of, photo_like
from .local_state import LocalState

JOBS = 60
MIN_LIVE_AT_KILL = 50
RECOVERY_DEADLINE_S = 300
HEADERS = {"X-Dev-User": "crash@example.com"}
# Short waits for the test (the deployed ones are minutes: wrangler.jsonc, README "Recovery").
RECOVERY_VARIABLES = {
    "REDRIVE_UNSENT_AFTER_SECONDS": "5",
    "REDRIVE_PENDING_AFTER_SECONDS": "10",
    "REDRIVE_RUNNING_AFTER_SECONDS": "10",
    # The burst of one user needs more than the deployed throttling allows (README, "Throttling").
    "MAX_ACTIVE_JOBS_PER_USER": str(JOBS),
}
BURST_RATE = ("--ratelimit", f"JOB_CREATION_LIMITER={JOBS}/60")

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts and kills its own Worker")


def _image(i: int) -> bytes:
    return photo_like(8 + i % 9 * 3, 6 + i % 7 * 4, mode="RGBA" if i % 4 == 0 else "RGB", seed=i)


def _submit(client: httpx.Client, i: int, data: bytes) -> httpx.Response:
    return client.post(
        "/api/jobs",
        headers={**HEADERS, "Idempotency-Key": f"crash-test-{i}"},
        files={"file": (f"image-{i}.png", data, "image/png")},
    )


def _pid(log) -> int:
    found = re.search(r"\(pid (\d+)\)", log.read_text())
    assert found, "the runtime did not log its pid"
    return int(found.group(1))


def test_every_job_is_terminal_within_five_minutes_of_a_crash_and_restart(tmp_path):
    images = [_image(i) for i in range(JOBS)]
    state = LocalState(tmp_path / "state")

    # 1. A busy runtime: a slow consumer (0.2 s of delay before and after each job), all uploads in.
    with launch_runtime(tmp_path, {**RECOVERY_VARIABLES, "PROCESSING_DELAY_SECONDS": "0.2"}, BURST_RATE) as (url, log):
        with httpx.Client(base_url=url, timeout=60) as client, ThreadPoolExecutor(4) as pool:
            responses = list(pool.map(lambda i: _submit(client, i, images[i]), range(JOBS)))
            assert [r.status_code for r in responses] == [202] * JOBS
            accepted = [r.json()["job"]["id"] for r in responses]
            statuses = [client.get(f"/api/jobs/{j}", headers=HEADERS).json()["job"]["status"] for j in accepted]
        live_at_kill = sum(s in ("pending", "in_progress") for s in statuses)
        assert live_at_kill >= MIN_LIVE_AT_KILL, f"only {live_at_kill} jobs were live; the consumer was too fast"
        # 2. The crash: SIGKILL to the whole process group, mid-job.
        os.killpg(_pid(log), signal.SIGKILL)
        time.sleep(0.5)

    # 3. The restart on the same state, with the cron clock on (the default) and no delay.
    with launch_runtime(tmp_path, RECOVERY_VARIABLES, BURST_RATE) as (url, log):
        restarted = time.monotonic()
        with httpx.Client(base_url=url, timeout=60) as client:
            # Clients that never saw an answer retry with the same key: the same job, nothing new.
            replays = [_submit(client, i, images[i]) for i in range(0, JOBS, 7)]
            assert all(r.status_code in (200, 202) for r in replays)
            assert [r.json()["job"]["id"] for r in replays] == accepted[0::7]

            remaining = set(accepted)
            jobs: dict[str, dict] = {}
            while remaining:
                assert time.monotonic() - restarted < RECOVERY_DEADLINE_S, (
                    f"{len(remaining)} jobs still not terminal {RECOVERY_DEADLINE_S} s after the restart"
                )
                for job_id in list(remaining):
                    job = client.get(f"/api/jobs/{job_id}", headers=HEADERS).json()["job"]
                    if job["status"] in ("completed", "failed", "cancelled"):
                        jobs[job_id] = job
                        remaining.discard(job_id)
                time.sleep(1)
            recovered_in = time.monotonic() - restarted

            # 4. Every job completed, its pixels exactly Pillow's.
            assert {job["status"] for job in jobs.values()} == {"completed"}, [
                (j["id"], j["status"], j["error"]) for j in jobs.values() if j["status"] != "completed"
            ]
            for i, job_id in enumerate(accepted):
                result = client.get(f"/api/jobs/{job_id}/result", headers=HEADERS)
                assert result.status_code == 200
                assert Image.open(io.BytesIO(result.content)).convert("L").tobytes() == luma_of(images[i]), job_id
        text = log.read_text()

    # 5. One row per upload, and every object belongs to a job: its original and its result.
    rows = state.jobs()
    assert sorted(row["id"] for row in rows) == sorted(accepted)
    assert state.r2_keys() == {f"{kind}/{job_id}.png" for job_id in accepted for kind in ("originals", "results")}
    assert state.orphan_keys() == set()
    # The cron clock did it: messages were re-sent after the restart.
    assert '"event":"job.redriven"' in text and 'cron "* * * * *"' in text
    redriven = sum(row["redrives"] > 0 for row in state.tasks())
    print(
        f"\n{live_at_kill} jobs live at the kill; {redriven} re-driven after the restart; "
        f"all {JOBS} terminal {recovered_in:.0f} s after it"
    )

"""Lost-message recovery end to end, through the real broker: a job whose send failed is still
accepted and the recovery cron sends it; a duplicate the re-drive makes is harmless; a job whose
messages are lost every time fails with `processing_stalled` after the last re-drive. Each test
runs its own runtime with the cron clock off and fires the recovery cron itself, with the event's
time set ahead, so that nothing waits on the wall clock."""

import io
import os
import time

import httpx
import pytest
from PIL import Image

from tests.conftest import launch_runtime

from .images import luma_of, photo_like
from .local_state import LocalState

RECOVERY_CRON = "* * * * *"
HEADERS = {"X-Dev-User": "recovery@example.com"}


@pytest.fixture
def own_runtime(tmp_path):
    """Starts a runtime of this test's own: own_runtime(variables, *faults) → (url, log, state)."""
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    with_runtime = []

    def start(variables: dict[str, str], *faults: str):
        args = ["--no-cron-clock"]
        for fault in faults:
            args += ["--inject-fault", fault]
        runtime = launch_runtime(tmp_path, variables, tuple(args))
        url, log = runtime.__enter__()
        with_runtime.append(runtime)
        return url, log, LocalState(tmp_path / "state")

    yield start
    for runtime in with_runtime:
        runtime.__exit__(None, None, None)


def fire_recovery(url: str, at_ms: int) -> None:
    response = httpx.get(f"{url}/cdn-cgi/handler/scheduled", params={"cron": RECOVERY_CRON, "time": at_ms}, timeout=30)
    assert response.status_code == 200, response.text


def upload(url: str, data: bytes) -> dict:
    response = httpx.post(f"{url}/api/jobs", headers=HEADERS, files={"file": ("a.png", data)}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["job"]


def job(url: str, job_id: str) -> dict:
    return httpx.get(f"{url}/api/jobs/{job_id}", headers=HEADERS, timeout=30).json()["job"]


def wait_terminal(url: str, job_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while (current := job(url, job_id))["status"] not in ("completed", "failed", "cancelled"):
        assert time.monotonic() < deadline, f"job still {current['status']} after {timeout} s"
        time.sleep(0.1)
    return current


def assert_exact_result(url: str, job_id: str, original: bytes) -> None:
    result = httpx.get(f"{url}/api/jobs/{job_id}/result", headers=HEADERS, timeout=30)
    assert result.status_code == 200
    assert Image.open(io.BytesIO(result.content)).convert("L").tobytes() == luma_of(original)


def test_a_job_whose_send_failed_is_accepted_and_the_cron_sends_it(own_runtime):
    url, log, state = own_runtime({"REDRIVE_UNSENT_AFTER_SECONDS": "2"}, "JOB_QUEUE.send*1=")
    original = photo_like(24, 16, seed=7)
    accepted = upload(url, original)  # 202 although the queue refused the message
    time.sleep(2.5)
    assert job(url, accepted["id"])["status"] == "pending"  # nothing was sent
    assert [row["enqueued_at"] for row in state.tasks()] == [None]
    assert '"event":"job.enqueue_failed"' in log.read_text()

    fire_recovery(url, int(time.time() * 1000))
    done = wait_terminal(url, accepted["id"])
    assert done["status"] == "completed" and done["attempts"] == 1
    assert_exact_result(url, accepted["id"], original)
    (row,) = state.tasks()
    assert row["redrives"] == 1 and row["enqueued_at"] is not None
    assert state.orphan_keys() == set()


def test_a_duplicate_message_from_the_redrive_is_harmless(own_runtime):
    # Waits of 0 s: the first run re-sends the message of a job that is merely being processed.
    variables = {
        "PROCESSING_DELAY_SECONDS": "0.5",
        "REDRIVE_PENDING_AFTER_SECONDS": "0",
        "REDRIVE_RUNNING_AFTER_SECONDS": "0",
    }
    url, log, state = own_runtime(variables)
    original = photo_like(20, 20, seed=3)
    accepted = upload(url, original)
    fire_recovery(url, int(time.time() * 1000) + 100)
    done = wait_terminal(url, accepted["id"])
    assert done["status"] == "completed"
    # The copy is delivered too, and finds the job finished (or, if it raced it, loses quietly).
    deadline = time.monotonic() + 15
    while (text := log.read_text()).count("queue image-jobs batch of 1") < 2:
        assert time.monotonic() < deadline, "the duplicate message was never delivered"
        time.sleep(0.1)
    assert '"event":"job.skipped"' in text or '"event":"job.superseded"' in text

    assert job(url, accepted["id"]) == done  # the copy changed nothing
    assert_exact_result(url, accepted["id"], original)
    (row,) = state.tasks()
    assert row["redrives"] == 1 and row["status"] == "completed"
    assert state.r2_keys() == {f"originals/{accepted['id']}.png", f"results/{accepted['id']}.png"}


def test_a_job_whose_messages_are_always_lost_fails_stalled_after_the_last_redrive(own_runtime):
    variables = {"REDRIVE_PENDING_AFTER_SECONDS": "10", "MAX_REDRIVES": "3"}
    url, log, state = own_runtime(variables, "JOB_QUEUE.drop=")  # every message vanishes
    t0 = int(time.time() * 1000)
    accepted = upload(url, photo_like(8, 8))

    def redrives() -> int:
        (row,) = state.tasks()
        return row["redrives"]

    # Sent at t0 (lost); each re-drive waits twice as long as the one before: 10, 20, 40 s.
    fire_recovery(url, t0 + 5_000)
    assert redrives() == 0
    sends = [t0 + 11_000, t0 + 11_000 + 21_000, t0 + 11_000 + 21_000 + 41_000]
    for count, at in enumerate(sends, start=1):
        fire_recovery(url, at - 2_000)
        assert redrives() == count - 1
        fire_recovery(url, at)
        assert redrives() == count
        assert job(url, accepted["id"])["status"] == "pending"
    fire_recovery(url, sends[-1] + 79_000)
    assert job(url, accepted["id"])["status"] == "pending"
    fire_recovery(url, sends[-1] + 81_000)

    failed = job(url, accepted["id"])
    assert failed["status"] == "failed" and failed["attempts"] == 0
    assert failed["error"]["code"] == "processing_stalled" and "sent 4 times" in failed["error"]["message"]
    assert state.r2_keys() == {f"originals/{accepted['id']}.png"}
    assert log.read_text().count('"event":"job.redriven"') == 3

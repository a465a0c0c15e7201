"""Lost-message recovery on the real SQL (stdlib sqlite3): which tasks are presumed lost and
when, the per-run and per-task bounds, the failure after the last re-drive (of that task only,
its job's status following), and that the duplicate a re-drive may create is harmless to the
consumer."""

import asyncio
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from imagejobs.config import ConfigError, Settings
from imagejobs.jobs import recovery, sweeping
from imagejobs.jobs.messages import TaskRef
from imagejobs.jobs.model import TaskResult, iso_utc
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.processing import ACK, JobProcessor
from imagejobs.jobs.recovery import REDRIVE_BATCH, lost_message_rule, redrive_lost_messages
from imagejobs.jobs.states import JobStatus, TaskStatus
from imagejobs.jobs.store import LostMessageRule
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import png
from .sqlite_database import REPO
from .test_store import new_job

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULE = LostMessageRule(unsent_seconds=60, pending_seconds=180, running_seconds=420, max_redrives=3)


GRAY, THUMB = Operation.GRAYSCALE, Operation.THUMBNAIL


def gray(job_id: str) -> TaskRef:
    return TaskRef(job_id, GRAY)


def task(store, run, job_id: str, operation=GRAY):
    return run(store.get(job_id)).task(operation)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return iso_utc(at(seconds))


@pytest.fixture
def recover(store, queue, blobs, run):
    """One recovery run at T0 + seconds; returns (re-driven, failed)."""
    return lambda seconds: run(redrive_lost_messages(store, queue, blobs, RULE, now=at(seconds)))


def sent_job(store, run, job_id: str, seconds: float = 0, operations=(GRAY,)):
    run(store.insert(new_job(job_id, operations=operations), now=iso(seconds)))
    run(store.mark_enqueued(job_id, now=iso(seconds)))


def test_iso_utc_is_the_format_sqlite_computes_cutoffs_in():
    computed = sqlite3.connect(":memory:").execute(
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || (60 << 2) || ' seconds')", (iso(1000.25),)
    )
    assert computed.fetchone()[0] == iso(1000.25 - 240) == "2026-03-01T12:12:40.250Z"


def test_a_job_with_no_send_on_record_is_sent_after_the_unsent_wait(store, queue, run, recover):
    run(store.insert(new_job("unsent"), now=iso(0)))
    assert recover(59) == (0, 0) and queue.sent == []  # its submit may still be sending
    assert recover(61) == (1, 0) and queue.sent == ["unsent"]
    unsent = task(store, run, "unsent")
    assert unsent.redrives == 1 and unsent.enqueued_at == iso(61) and unsent.status is TaskStatus.PENDING
    assert run(store.get("unsent")).status is JobStatus.PENDING


def test_a_sent_job_is_sent_again_only_after_the_wait_of_its_state(store, queue, run, recover):
    sent_job(store, run, "pending")
    sent_job(store, run, "running")
    run(store.start_task(gray("running"), now=iso(10)))
    sent_job(store, run, "done")
    run(store.start_task(gray("done"), now=iso(0)))
    run(store.complete_task(gray("done"), TaskResult("results/done.png", 1, "image/png", 1, 1), now=iso(1)))

    assert recover(179) == (0, 0)
    assert recover(181) == (1, 0) and queue.sent == ["pending"]
    assert recover(429) == (0, 0)  # in progress: silent since its start at 10 s
    assert recover(431) == (1, 0) and queue.sent == ["pending", "running"]
    assert task(store, run, "done").redrives == 0  # a terminal task is never re-driven


def test_an_error_or_a_new_attempt_is_a_sign_of_life(store, run, recover):
    sent_job(store, run, "j")
    run(store.start_task(gray("j"), now=iso(0)))
    run(store.record_task_error(gray("j"), "processing_failed", "R2 hiccup", now=iso(300)))
    assert recover(719) == (0, 0)
    assert recover(721) == (1, 0)


def test_each_redrive_doubles_the_next_wait_and_the_last_one_fails_the_job(store, queue, blobs, run, recover, capsys):
    sent_job(store, run, "lost")
    run(store.start_task(gray("lost"), now=iso(0)))
    run(store.record_task_error(gray("lost"), "processing_failed", "R2 hiccup", now=iso(0)))
    blobs.objects["results/lost.png"] = (b"partial", "image/png", {})
    # Waits of 420, 840, 1680 s after each send; then 3360 s after the third re-drive.
    sends = [421, 421 + 841, 421 + 841 + 1681]
    for when in sends:
        assert recover(when - 2) == (0, 0)
        assert recover(when) == (1, 0)
    assert task(store, run, "lost").redrives == 3
    last = sends[-1]
    assert recover(last + 3359) == (0, 0)
    assert recover(last + 3361) == (0, 1)

    assert run(store.get("lost")).status is JobStatus.FAILED  # in the same batch as its task
    failed = task(store, run, "lost")
    assert failed.status is TaskStatus.FAILED and failed.error_code == "processing_stalled"
    assert "sent 4 times" in failed.error_message and failed.error_message.endswith("Last error: R2 hiccup")
    assert queue.sent == ["lost"] * 3 and "results/lost.png" not in blobs.objects
    assert '"outcome":"stalled"' in capsys.readouterr().out


def test_a_run_sends_at_most_one_batch(store, queue, run, recover):
    for i in range(REDRIVE_BATCH + 5):
        run(store.insert(new_job(f"j{i:03}"), now=iso(i / 1000)))
    assert recover(100) == (REDRIVE_BATCH, 0)
    assert queue.sent == [f"j{i:03}" for i in range(REDRIVE_BATCH)]  # the oldest first
    assert recover(101) == (5, 0)


def test_a_send_that_fails_counts_nothing_and_the_next_run_tries_again(store, queue, run, recover, capsys):
    run(store.insert(new_job("j"), now=iso(0)))
    queue.fail = True
    assert recover(100) == (0, 0)
    assert task(store, run, "j").redrives == 0 and '"event":"redrive.send_failed"' in capsys.readouterr().out
    queue.fail = False
    assert recover(160) == (1, 0) and queue.sent == ["j"]


def test_the_submit_records_its_send_once(service, store, queue, run):
    image = validate_upload(Upload("x.png", png()), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit("a@example.com", image))
    stored = task(store, run, job.id)
    assert stored.enqueued_at is not None and queue.bodies == [{"jobId": job.id, "operation": "grayscale"}]
    run(store.mark_enqueued(job.id, now="2030-01-01T00:00:00.000Z"))
    assert task(store, run, job.id).enqueued_at == stored.enqueued_at


def test_the_submit_sends_one_message_per_task_and_records_each_send(service, store, queue, run):
    image = validate_upload(Upload("x.png", png()), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit("a@example.com", image, None, (GRAY, THUMB)))
    # The thumbnail first: it is quick, and the page previews from it.
    assert queue.bodies == [{"jobId": job.id, "operation": "thumbnail"}, {"jobId": job.id, "operation": "grayscale"}]
    assert all(t.enqueued_at is not None for t in run(store.get(job.id)).tasks)


async def _yield(seconds):
    await asyncio.sleep(0)


@pytest.mark.parametrize("overlap", [False, True])
def test_a_redriven_duplicate_is_harmless(service, store, blobs, queue, run, overlap):
    """The re-drive sent a copy while the first message was only late: both are delivered, in
    turn or at the same time. One result, one completion, nothing left behind."""
    image = validate_upload(Upload("x.png", png(9, 7)), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit("a@example.com", image))
    run(redrive_lost_messages(store, queue, blobs, RULE, now=datetime.now(UTC) + timedelta(minutes=4)))
    assert queue.sent == [job.id, job.id]

    # With a processing delay whose sleep yields, two deliveries interleave step by step.
    processor = JobProcessor(store, blobs, Settings(processing_delay_seconds=1), sleep=_yield)
    if overlap:

        async def both():
            return await asyncio.gather(*(processor.process(body, 1) for body in queue.bodies))

        assert run(both()) == [ACK, ACK]
    else:
        assert [run(processor.process(body, 1)) for body in queue.bodies] == [ACK, ACK]

    done = run(store.get(job.id))
    assert done.status is JobStatus.COMPLETED and done.task(GRAY).redrives == 1
    assert done.attempts == (2 if overlap else 1)  # a later copy finds the task terminal
    result = done.task(GRAY).result
    assert result.width == 9 and blobs.objects[f"results/{job.id}.png"][0][:8] == b"\x89PNG\r\n\x1a\n"
    assert set(blobs.objects) == {f"originals/{job.id}.png", f"results/{job.id}.png"}
    assert len(run(store.db.all("SELECT id FROM jobs"))) == 1
    # The re-drive never reaches a finished job again.
    assert run(redrive_lost_messages(store, queue, blobs, RULE, now=datetime.now(UTC) + timedelta(days=1))) == (0, 0)


def test_only_the_lost_task_is_redriven_and_stalls_and_its_sibling_keeps_its_result(store, queue, blobs, run, recover):
    sent_job(store, run, "j", operations=(GRAY, THUMB))
    # The thumbnail's message arrived and it completed; grayscale's was lost every time.
    run(store.start_task(TaskRef("j", THUMB), now=iso(1)))
    run(store.complete_task(TaskRef("j", THUMB), TaskResult("thumbnails/j.png", 3, "image/png", 1, 1), now=iso(2)))
    blobs.objects["thumbnails/j.png"] = (b"thumb", "image/png", {})
    sends = [181, 181 + 361, 181 + 361 + 721]
    for when in sends:
        assert recover(when) == (1, 0)
    assert queue.bodies == [{"jobId": "j", "operation": "grayscale"}] * 3
    assert run(store.get("j")).status is JobStatus.IN_PROGRESS
    assert recover(sends[-1] + 1441) == (0, 1)
    job = run(store.get("j"))
    assert job.status is JobStatus.FAILED
    assert (job.task(GRAY).error_code, job.task(THUMB).status) == ("processing_stalled", TaskStatus.COMPLETED)
    assert "thumbnails/j.png" in blobs.objects  # the completed sibling's result stays


def test_the_sweep_remains_the_last_resort_for_jobs_the_redrive_cannot_help(store, queue, blobs, run):
    run(store.insert(new_job("j"), now=iso(0)))
    queue.fail = True  # the queue refuses every send all day
    for hour in range(25):
        run(redrive_lost_messages(store, queue, blobs, RULE, now=at(hour * 3600 + 60)))
    assert run(store.get("j")).status is JobStatus.PENDING
    assert run(sweeping.sweep_stale_jobs(store, blobs, now=at(25 * 3600))) == 1
    assert run(store.get("j")).status is JobStatus.FAILED


def test_the_rule_comes_from_the_variables_with_the_deployed_defaults():
    assert lost_message_rule(lambda name: None) == recovery.DEFAULT_RULE
    values = {"REDRIVE_UNSENT_AFTER_SECONDS": "1", "REDRIVE_PENDING_AFTER_SECONDS": " 2 ", "MAX_REDRIVES": "0"}
    assert lost_message_rule(values.get) == LostMessageRule(1, 2, recovery.RUNNING_AFTER_SECONDS, 0)
    for bad in ("-1", "1.5", "soon"):
        with pytest.raises(ConfigError, match="MAX_REDRIVES"):
            lost_message_rule({"MAX_REDRIVES": bad}.get)


def _wrangler() -> dict:
    text = (REPO / "wrangler.jsonc").read_text()
    return json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))


def test_wrangler_jsonc_schedules_both_runs_and_states_the_defaults():
    config = _wrangler()
    assert set(config["triggers"]["crons"]) == {recovery.SCHEDULE, sweeping.SCHEDULE}
    assert lost_message_rule(config["vars"].get) == recovery.DEFAULT_RULE
    for name in ("REDRIVE_UNSENT_AFTER_SECONDS", "REDRIVE_PENDING_AFTER_SECONDS", "REDRIVE_RUNNING_AFTER_SECONDS"):
        assert name in config["vars"]

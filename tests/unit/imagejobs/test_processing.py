"""The consumer's decisions, per task, with the store on SQLite and the real grayscale core; a
stand-in operation (`echo`) where a test needs a second operation whose behaviour it controls."""

import pytest

from imagejobs.config import Settings
from imagejobs.jobs.operations import OPERATIONS, Operation, OperationSpec
from imagejobs.jobs.processing import ACK, JobProcessor, retry_delay
from imagejobs.jobs.states import JobStatus, TaskStatus
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import header_only_png, png

GRAY, THUMB, META = Operation.GRAYSCALE, Operation.THUMBNAIL, Operation.METADATA


async def _no_sleep(seconds):
    pass


class Steps:
    """A stand-in operation's work: `steps` bounded steps, then the input itself as the result
    (or `error`, raised by the first step)."""

    def __init__(self, data, steps=3, error=None):
        self.data, self.left, self.error = bytes(data), steps, error

    def step(self):
        if self.error is not None:
            raise self.error
        self.left -= 1
        return self.left <= 0

    def result(self):
        return self.data


def echo(operation: Operation, error: Exception | None = None, steps: int = 3) -> OperationSpec:
    return OperationSpec(operation, "image/png", f"{operation}-results", "png", lambda d, s: Steps(d, steps, error))


def registry(**specs: OperationSpec) -> dict:
    """The real registry plus stand-ins, by operation name."""
    return {**OPERATIONS, **{Operation(name): spec for name, spec in specs.items()}}


@pytest.fixture
def processor(store, blobs):
    return JobProcessor(store, blobs, Settings(), sleep=_no_sleep)


def submit(service, run, data, owner="a@example.com", operations=(GRAY,)):
    image = validate_upload(Upload("x.png", data), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit(owner, image, None, tuple(operations)))
    return job


def message(job, operation=GRAY):
    return {"jobId": job.id, "operation": operation.value}


def test_a_job_is_converted_and_completed(service, processor, blobs, run):
    job = submit(service, run, png(5, 4))
    assert run(processor.process(message(job), 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED and done.attempts == 1
    result = done.task(GRAY).result
    assert (result.width, result.height, result.content_type) == (5, 4, "image/png")
    assert result.key == f"results/{job.id}.png" and result.size == len(blobs.objects[result.key][0])


def test_all_three_operations_run_for_real(service, store, blobs, run):
    import io
    import json

    from PIL import Image

    original = png(300, 150, color=(10, 200, 30))
    job = submit(service, run, original, operations=(GRAY, THUMB, META))
    processor = JobProcessor(store, blobs, Settings(thumbnail_max_side=100), sleep=_no_sleep)
    for operation in (META, THUMB, GRAY):
        assert run(processor.process(message(job, operation), 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED
    thumb = done.task(THUMB).result
    assert (thumb.key, thumb.content_type, thumb.width, thumb.height) == (
        f"thumbnails/{job.id}.png",
        "image/png",
        100,
        50,
    )
    image = Image.open(io.BytesIO(blobs.objects[thumb.key][0]))
    assert image.size == (100, 50) and image.mode == "RGB" and image.getpixel((5, 5)) == (10, 200, 30)
    meta = done.task(META).result
    assert (meta.key, meta.content_type, meta.width, meta.height) == (
        f"metadata/{job.id}.json",
        "application/json",
        None,
        None,
    )
    report = json.loads(blobs.objects[meta.key][0])
    assert (report["width"], report["height"]) == (300, 150)
    assert report["luma_histogram"]["pixels"] == 300 * 150 and meta.size == len(blobs.objects[meta.key][0])
    luma = (19595 * 10 + 38470 * 200 + 7471 * 30 + 0x8000) >> 16
    assert report["luma_histogram"]["bins"][luma] == 300 * 150


def test_a_message_from_before_fan_out_means_the_grayscale_task(service, processor, run):
    job = submit(service, run, png(5, 4))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED


def test_a_job_recorded_before_fan_out_gets_its_grayscale_task_and_is_processed(service, processor, db, run):
    job = submit(service, run, png(5, 4))
    run(db.run("DELETE FROM tasks WHERE job_id = ?", job.id))  # as a Worker older than 0004 left it
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED and done.operations == (GRAY,)


def test_the_work_yields_between_its_steps(service, store, blobs, run):
    pauses = []

    async def pause():
        pauses.append(1)

    job = submit(service, run, png(5, 4), operations=(THUMB,))
    processor = JobProcessor(
        store,
        blobs,
        Settings(conversion_slice_ms=1),
        sleep=_no_sleep,
        pause=pause,
        registry=registry(thumbnail=echo(THUMB, steps=40)),
    )
    assert run(processor.process(message(job, THUMB), 1)) == ACK
    # Pauses come between slices of steps (jobs/conversion.py: 4 steps first, then as many as fit
    # in CONVERSION_SLICE_MS, at most doubling): several for forty steps, never one per step.
    assert 2 <= len(pauses) < 40
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED


@pytest.mark.parametrize("operation", [GRAY, THUMB, META])
def test_every_real_operation_hands_the_event_loop_back_between_slices(service, store, blobs, run, operation):
    import io
    import random

    from PIL import Image

    rng = random.Random(7)
    noisy = Image.frombytes("RGB", (480, 360), bytes(rng.randrange(256) for _ in range(480 * 360 * 3)))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    pauses = []

    async def pause():
        pauses.append(1)

    job = submit(service, run, out.getvalue(), operations=(operation,))
    processor = JobProcessor(store, blobs, Settings(conversion_slice_ms=1), sleep=_no_sleep, pause=pause)
    assert run(processor.process(message(job, operation), 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.COMPLETED
    assert len(pauses) >= 2, operation  # the real core's bounded steps, not one long run


def test_each_task_has_its_own_result_and_the_job_completes_with_the_last(service, store, blobs, run):
    job = submit(service, run, png(6, 3), operations=(GRAY, THUMB))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry=registry(thumbnail=echo(THUMB)))
    run(processor.process(message(job, THUMB), 1))
    halfway = run(service.get("a@example.com", job.id))
    assert halfway.status is JobStatus.IN_PROGRESS
    assert [t.status for t in halfway.tasks] == [TaskStatus.PENDING, TaskStatus.COMPLETED]
    run(processor.process(message(job, GRAY), 1))
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED
    assert {t.result.key for t in done.tasks} == {f"results/{job.id}.png", f"thumbnail-results/{job.id}.png"}
    assert set(blobs.objects) == {f"originals/{job.id}.png", *(t.result.key for t in done.tasks)}


def test_a_redelivered_completed_task_is_acked_without_work(service, processor, run):
    job = submit(service, run, png())
    run(processor.process(message(job), 1))
    before = run(service.get("a@example.com", job.id))
    assert run(processor.process(message(job), 2)) == ACK
    assert run(service.get("a@example.com", job.id)) == before


def test_a_task_that_crashed_mid_way_is_redone_into_the_same_result(service, processor, run, store):
    from imagejobs.jobs.messages import TaskRef

    job = submit(service, run, png(7, 3))
    run(store.start_task(TaskRef(job.id, GRAY)))  # an earlier delivery started and died
    run(processor.process(message(job), 2))
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED and done.attempts == 2


def test_a_corrupt_image_fails_at_once_without_retry(service, processor, run):
    job = submit(service, run, header_only_png(4, 4))
    assert run(processor.process(message(job), 1)) == ACK
    failed = run(service.get("a@example.com", job.id))
    task = failed.task(GRAY)
    assert failed.status is JobStatus.FAILED and task.error_code == "invalid_image"


def test_a_transient_error_is_recorded_and_retried_with_growing_delay(service, store, blobs, run):
    broken = echo(GRAY, error=RuntimeError("worker ran out of luck"))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry=registry(grayscale=broken))
    job = submit(service, run, png())
    decision = run(processor.process(message(job), 1))
    assert not decision.ack and decision.retry_delay >= 2
    pending = run(service.get("a@example.com", job.id))
    assert pending.status is JobStatus.IN_PROGRESS
    assert "worker ran out of luck" in pending.task(GRAY).error_message
    assert run(processor.process(message(job), 3)).retry_delay >= 8


def test_one_tasks_retries_never_retry_fail_or_delay_another(service, store, blobs, run):
    """The thumbnail keeps failing transiently, then is dead-lettered; grayscale completes at
    its first attempt, in between, and keeps its result."""
    broken = echo(THUMB, error=RuntimeError("R2 hiccup"))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry=registry(thumbnail=broken))
    job = submit(service, run, png(4, 4), operations=(GRAY, THUMB))
    assert not run(processor.process(message(job, THUMB), 1)).ack
    assert run(processor.process(message(job, GRAY), 1)) == ACK
    assert not run(processor.process(message(job, THUMB), 2)).ack
    midway = run(service.get("a@example.com", job.id))
    assert midway.status is JobStatus.IN_PROGRESS
    assert (midway.task(GRAY).status, midway.task(GRAY).attempts) == (TaskStatus.COMPLETED, 1)
    assert (midway.task(THUMB).status, midway.task(THUMB).attempts) == (TaskStatus.IN_PROGRESS, 2)

    assert run(processor.dead_letter(message(job, THUMB))) == ACK
    failed = run(service.get("a@example.com", job.id))
    assert failed.status is JobStatus.FAILED
    assert failed.task(GRAY).status is TaskStatus.COMPLETED and failed.task(GRAY).result is not None
    assert failed.task(THUMB).error_code == "processing_failed" and "R2 hiccup" in failed.task(THUMB).error_message
    assert f"results/{job.id}.png" in blobs.objects  # the grayscale result stays downloadable


def test_dead_letter_fails_the_task_with_the_last_error(service, store, blobs, run):
    broken = echo(GRAY, error=RuntimeError("still broken"))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry=registry(grayscale=broken))
    job = submit(service, run, png())
    run(processor.process(message(job), 1))
    assert run(processor.dead_letter(message(job))) == ACK
    failed = run(service.get("a@example.com", job.id))
    task = failed.task(GRAY)
    assert failed.status is JobStatus.FAILED and task.error_code == "processing_failed"
    assert "still broken" in task.error_message and "1 attempts" in task.error_message


def test_a_dead_lettered_message_from_before_fan_out_fails_the_grayscale_task(service, store, blobs, run):
    broken = echo(GRAY, error=RuntimeError("still broken"))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry=registry(grayscale=broken))
    job = submit(service, run, png())
    run(processor.process({"jobId": job.id}, 1))
    assert run(processor.dead_letter({"jobId": job.id})) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.FAILED


def test_a_cancelled_job_is_never_processed_and_never_overwritten(service, processor, run):
    job = submit(service, run, png())
    run(service.cancel("a@example.com", job.id))
    assert run(processor.process(message(job), 1)) == ACK
    assert run(processor.dead_letter(message(job))) == ACK
    after = run(service.get("a@example.com", job.id))
    assert after.status is JobStatus.CANCELLED and after.attempts == 0


def test_a_job_cancelled_during_conversion_keeps_its_state_and_loses_the_result(service, store, blobs, run):
    job = submit(service, run, png())

    async def cancel_then_sleep(seconds):
        if (await service.get("a@example.com", job.id)).status is not JobStatus.CANCELLED:
            await service.cancel("a@example.com", job.id)

    processor = JobProcessor(store, blobs, Settings(processing_delay_seconds=1), sleep=cancel_then_sleep)
    assert run(processor.process(message(job), 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.CANCELLED
    assert f"results/{job.id}.png" not in blobs.objects


def test_an_operation_this_worker_cannot_run_fails_its_task_only(service, store, blobs, run):
    job = submit(service, run, png(), operations=(GRAY, META))
    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, registry={GRAY: OPERATIONS[GRAY]})
    assert run(processor.process(message(job, META), 1)) == ACK
    assert run(processor.process(message(job, GRAY), 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.FAILED and done.task(GRAY).status is TaskStatus.COMPLETED
    assert "cannot run the metadata operation" in done.task(META).error_message


@pytest.mark.parametrize(
    "body",
    [
        None,
        "text",
        {},
        {"jobId": 5},
        {"jobId": ""},
        ["jobId"],
        {"jobId": "j", "operation": "sepia"},
        {"jobId": "j", "operation": 3},
    ],
)
def test_malformed_messages_are_acked(processor, run, body):
    assert run(processor.process(body, 1)) == ACK
    assert run(processor.dead_letter(body)) == ACK


def test_a_message_for_a_task_the_job_does_not_have_is_acked_without_work(service, processor, run):
    job = submit(service, run, png(), operations=(GRAY,))
    assert run(processor.process(message(job, THUMB), 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.PENDING


def test_retry_delay_grows_exponentially_and_is_capped():
    no_jitter = lambda: 0.0  # noqa: E731
    assert [retry_delay(a, jitter=no_jitter) for a in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(50, jitter=no_jitter) == 300


def test_a_duplicate_delivery_running_at_the_same_time_never_deletes_the_result(service, store, blobs, run):
    job = submit(service, run, png(6, 6))
    other = JobProcessor(store, blobs, Settings(), sleep=_no_sleep)
    calls = []

    async def second_delivery_meanwhile(seconds):
        calls.append(seconds)
        if len(calls) == 1:  # the duplicate runs to completion while the first one waits
            assert await other.process(message(job), 1) == ACK

    first = JobProcessor(store, blobs, Settings(processing_delay_seconds=1), sleep=second_delivery_meanwhile)
    assert run(first.process(message(job), 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED
    assert f"results/{job.id}.png" in blobs.objects  # the losing attempt left the result alone


def test_a_dead_lettered_task_keeps_no_result_object(service, store, blobs, run):
    """An attempt stored the result and then failed to record it, every time: the failed task
    must not keep the object."""
    job = submit(service, run, png(4, 4))

    async def complete_fails(*args, **kwargs):
        raise RuntimeError("D1 is unavailable")

    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep)
    store.complete_task = complete_fails
    assert not run(processor.process(message(job), 1)).ack
    assert f"results/{job.id}.png" in blobs.objects
    assert run(processor.dead_letter(message(job))) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.FAILED
    assert set(blobs.objects) == {f"originals/{job.id}.png"}

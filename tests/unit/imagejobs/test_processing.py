"""The consumer's decisions, with the store on SQLite and the real grayscale core."""

import pytest

from imagejobs.config import Settings
from imagejobs.jobs.processing import ACK, JobProcessor, retry_delay
from imagejobs.jobs.states import JobStatus
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import header_only_png, png


async def _no_sleep(seconds):
    pass


@pytest.fixture
def processor(store, blobs):
    return JobProcessor(store, blobs, Settings(), sleep=_no_sleep)


def submit(service, run, data, owner="a@example.com"):
    image = validate_upload(Upload("x.png", data), max_bytes=10**7, max_pixels=10**7)
    job, _ = run(service.submit(owner, image))
    return job


def test_a_job_is_converted_and_completed(service, processor, blobs, run):
    job = submit(service, run, png(5, 4))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED and done.attempts == 1
    assert done.result.width == 5 and done.result.size == len(blobs.objects[f"results/{job.id}.png"][0])


def test_a_redelivered_completed_job_is_acked_without_work(service, processor, run):
    job = submit(service, run, png())
    run(processor.process({"jobId": job.id}, 1))
    before = run(service.get("a@example.com", job.id))
    assert run(processor.process({"jobId": job.id}, 2)) == ACK
    assert run(service.get("a@example.com", job.id)) == before


def test_a_job_that_crashed_mid_way_is_redone_into_the_same_result(service, processor, blobs, run, store):
    job = submit(service, run, png(7, 3))
    run(store.start_attempt(job.id))  # an earlier delivery started and died
    run(processor.process({"jobId": job.id}, 2))
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED and done.attempts == 2


def test_a_corrupt_image_fails_at_once_without_retry(service, processor, run):
    job = submit(service, run, header_only_png(4, 4))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    failed = run(service.get("a@example.com", job.id))
    assert failed.status is JobStatus.FAILED and failed.error_code == "invalid_image"


def test_a_transient_error_is_recorded_and_retried_with_growing_delay(service, store, blobs, run):
    def broken(data, **limits):
        raise RuntimeError("worker ran out of luck")

    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, convert=broken)
    job = submit(service, run, png())
    decision = run(processor.process({"jobId": job.id}, 1))
    assert not decision.ack and decision.retry_delay >= 2
    pending = run(service.get("a@example.com", job.id))
    assert pending.status is JobStatus.IN_PROGRESS
    assert "worker ran out of luck" in pending.error_message
    assert run(processor.process({"jobId": job.id}, 3)).retry_delay >= 8


def test_dead_letter_fails_the_job_with_the_last_error(service, store, blobs, run):
    def broken(data, **limits):
        raise RuntimeError("still broken")

    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep, convert=broken)
    job = submit(service, run, png())
    run(processor.process({"jobId": job.id}, 1))
    assert run(processor.dead_letter({"jobId": job.id})) == ACK
    failed = run(service.get("a@example.com", job.id))
    assert failed.status is JobStatus.FAILED and failed.error_code == "processing_failed"
    assert "still broken" in failed.error_message and "1 attempts" in failed.error_message


def test_a_cancelled_job_is_never_processed_and_never_overwritten(service, processor, run):
    job = submit(service, run, png())
    run(service.cancel("a@example.com", job.id))
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(processor.dead_letter({"jobId": job.id})) == ACK
    after = run(service.get("a@example.com", job.id))
    assert after.status is JobStatus.CANCELLED and after.attempts == 0


def test_a_job_cancelled_during_conversion_keeps_its_state_and_loses_the_result(service, store, blobs, run):
    job = submit(service, run, png())

    async def cancel_then_sleep(seconds):
        if (await service.get("a@example.com", job.id)).status is not JobStatus.CANCELLED:
            await service.cancel("a@example.com", job.id)

    processor = JobProcessor(store, blobs, Settings(processing_delay_seconds=1), sleep=cancel_then_sleep)
    assert run(processor.process({"jobId": job.id}, 1)) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.CANCELLED
    assert f"results/{job.id}.png" not in blobs.objects


@pytest.mark.parametrize("body", [None, "text", {}, {"jobId": 5}, {"jobId": ""}, ["jobId"]])
def test_malformed_messages_are_acked(processor, run, body):
    assert run(processor.process(body, 1)) == ACK
    assert run(processor.dead_letter(body)) == ACK


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
            assert await other.process({"jobId": job.id}, 1) == ACK

    first = JobProcessor(store, blobs, Settings(processing_delay_seconds=1), sleep=second_delivery_meanwhile)
    assert run(first.process({"jobId": job.id}, 1)) == ACK
    done = run(service.get("a@example.com", job.id))
    assert done.status is JobStatus.COMPLETED
    assert f"results/{job.id}.png" in blobs.objects  # the losing attempt left the result alone


def test_a_dead_lettered_job_keeps_no_result_object(service, store, blobs, run):
    """An attempt stored the result and then failed to record it, every time: the failed job
    must not keep the object."""
    job = submit(service, run, png(4, 4))

    async def complete_fails(*args, **kwargs):
        raise RuntimeError("D1 is unavailable")

    processor = JobProcessor(store, blobs, Settings(), sleep=_no_sleep)
    store.complete = complete_fails
    assert not run(processor.process({"jobId": job.id}, 1)).ack
    assert f"results/{job.id}.png" in blobs.objects
    assert run(processor.dead_letter({"jobId": job.id})) == ACK
    assert run(service.get("a@example.com", job.id)).status is JobStatus.FAILED
    assert set(blobs.objects) == {f"originals/{job.id}.png"}

"""The queue consumer's work (spec: API.md, "Processing"): one message, one task — one operation
on one job's upload. A task's retries, failure and dead-lettering are its own: no other task of
the job is retried, failed or delayed by them.

Delivery is at least once, so every step is idempotent: a terminal task is acknowledged without
work, a redelivered task is redone into the same result key, and the guarded transitions keep a
cancelled or finished task from ever moving. Imports nothing platform.
"""

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import grayscale

from ..config import Settings
from ..logs import log_event, user_hash
from . import conversion
from .events import EventOutbox
from .failures import FailureCode
from .messages import TaskRef, task_of
from .model import Job, TaskResult, original_key
from .operations import OPERATIONS, Operation, OperationSpec
from .ports import BlobStore
from .states import TaskStatus
from .store import JobStore, TransitionRejected

# Backoff for transient failures: 2 s, 4 s, 8 s … capped, plus up to 1 s of jitter so that a
# burst of failures does not come back as a burst.
RETRY_BASE_SECONDS = 2
RETRY_MAX_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with the message: acknowledge it, or redeliver it after `retry_delay` s."""

    retry_delay: int | None = None

    @property
    def ack(self) -> bool:
        return self.retry_delay is None


ACK = Decision()


def retry_delay(attempt: int, *, jitter: Callable[[], float] = random.random) -> int:
    """Delay before redelivering a message whose `attempt`-th delivery failed (1-based)."""
    base = min(RETRY_BASE_SECONDS * 2 ** (max(attempt, 1) - 1), RETRY_MAX_SECONDS)
    return int(base + jitter())


class PermanentFailure(Exception):
    """Retrying cannot help: the task fails at once with this error code."""

    def __init__(self, code: FailureCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class JobProcessor:
    def __init__(
        self,
        store: JobStore,
        blobs: BlobStore,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pause: conversion.Pause = conversion.asyncio_turn,
        conversion_slot: contextlib.AbstractAsyncContextManager[object] | None = None,
        registry: Mapping[Operation, OperationSpec] = OPERATIONS,
        events: EventOutbox | None = None,
    ):
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.sleep = sleep
        # pause() hands the event loop back between bounded steps of an operation (on Workers:
        # conversion.YieldToRequests over platform.event_loop.yield_to_event_loop).
        self.pause = pause
        # Held while an operation runs: the Worker passes one lock per isolate, so that operations
        # interleaved by the pauses never hold two images' buffers in one 128 MB isolate at once.
        self.conversion_slot = conversion_slot or asyncio.Lock()
        self.registry = registry
        self.events = events  # None: webhook events wait for the recovery cron

    async def _send_event(self, job: Job) -> None:
        """After a task's terminal transition: send the delivery message of the job's webhook
        event if that transition recorded it (a job without a callback costs nothing). A failure
        here loses nothing: the event is recorded, and the recovery cron sends it."""
        if self.events is None or job.webhook is None:
            return
        try:
            await self.events.send_for(job.id)
        except Exception as error:  # noqa: BLE001 — recorded already; the cron re-drives it
            log_event("webhook.enqueue_failed", job_id=job.id, error=f"{type(error).__name__}: {error}")

    async def _job_of(self, ref: TaskRef, body: object) -> Job | None:
        """The task's job, giving a job recorded before fan-out its grayscale task first."""
        job = await self.store.get(ref.job_id)
        legacy = isinstance(body, dict) and "operation" not in body
        if legacy and job is not None and not job.tasks and await self.store.adopt_job_without_tasks(ref.job_id):
            job = await self.store.get(ref.job_id)
        return job

    async def process(self, body: object, attempt: int) -> Decision:
        """Handle one delivery from the job queue."""
        ref = task_of(body)
        if ref is None:
            log_event("job.bad_message", body=repr(body)[:200])
            return ACK
        fields = {"job_id": ref.job_id, "operation": ref.operation.value}
        job = await self._job_of(ref, body)
        task = job.task(ref.operation) if job else None
        if job is None or task is None or task.status.is_terminal:
            # Deleted, or already finished by an earlier delivery: nothing to do.
            log_event("job.skipped", **fields, status=task.status.value if task else "deleted")
            return ACK
        try:
            task = await self.store.start_task(ref)
        except TransitionRejected:
            return ACK  # became terminal (cancelled) in between
        started = time.perf_counter()
        user = user_hash(job.owner)
        log_event("job.started", **fields, user=user, attempt=task.attempts)
        try:
            await self._run(ref, job)
        except PermanentFailure as failure:
            with contextlib.suppress(TransitionRejected):  # cancelled meanwhile: a terminal state stays
                await self.store.fail_task(ref, failure.code, failure.message)
            log_event("job.failed", **fields, user=user, code=failure.code, duration_ms=_ms(started), outcome="failed")
            await self._send_event(job)
            return ACK
        except TransitionRejected:
            # Another delivery of the same message finished first (at-least-once delivery), or
            # the job was cancelled meanwhile. Both wrote the same result key: drop the object
            # only if no completed task points at it.
            current = await self.store.get_task(ref)
            if current is None or current.status is not TaskStatus.COMPLETED:
                await self.blobs.delete(self.registry[ref.operation].result_key(ref.job_id))
            status = current.status.value if current else "deleted"
            log_event("job.superseded", **fields, user=user, status=status, outcome="superseded")
            return ACK
        except Exception as error:  # noqa: BLE001 — transient: record it, let the broker redeliver
            message = f"{type(error).__name__}: {error}"
            await self.store.record_task_error(ref, FailureCode.PROCESSING_FAILED, message)
            delay = retry_delay(attempt)
            log_event(
                "job.retry",
                **fields,
                user=user,
                attempt=attempt,
                delay_s=delay,
                error=message,
                duration_ms=_ms(started),
                outcome="retry",
            )
            return Decision(retry_delay=delay)
        log_event("job.completed", **fields, user=user, duration_ms=_ms(started), outcome="completed")
        await self._send_event(job)
        return ACK

    async def _run(self, ref: TaskRef, job: Job) -> None:
        spec = self.registry.get(ref.operation)
        if spec is None:
            raise PermanentFailure(
                FailureCode.PROCESSING_FAILED, f"this deployment cannot run the {ref.operation.value} operation"
            )
        delay = self.settings.processing_delay_seconds
        if delay:
            await self.sleep(delay)
        key = spec.result_key(ref.job_id)
        # The slot covers every moment the image's bytes are held: input, output, the R2 calls.
        async with self.conversion_slot:
            original = await self.blobs.get(original_key(ref.job_id))
            if original is None:
                raise PermanentFailure(FailureCode.PROCESSING_FAILED, "the original image is no longer stored")
            try:
                ran = await conversion.run_steps(
                    conversion.work_steps(spec.start(original.data, self.settings)),
                    self.pause,
                    slice_seconds=self.settings.conversion_slice_ms / 1000,
                )
            except grayscale.InvalidImage as error:
                raise PermanentFailure(FailureCode.INVALID_IMAGE, f"the image cannot be decoded: {error}") from None
            del original
            log_event(
                "job.converted",
                job_id=ref.job_id,
                operation=ref.operation.value,
                pixels=job.original.width * job.original.height,
                work_ms=round(ran.work_seconds * 1000),
                elapsed_ms=round(ran.elapsed_seconds * 1000),
                steps=ran.steps,
                pauses=ran.pauses,
                waited_ms=round(ran.waited_seconds * 1000),
                longest_step_ms=round(ran.longest_step_seconds * 1000, 1),
            )
            output = ran.data
            del ran
            width = height = None
            if spec.is_image:
                info = grayscale.probe(output)
                width, height = info.width, info.height
            await self.blobs.put(
                key,
                output,
                content_type=spec.content_type,
                metadata={"job_id": ref.job_id, "operation": spec.operation},
            )
            size = len(output)
            del output
        if delay:
            await self.sleep(delay)
        await self.store.complete_task(ref, TaskResult(key, size, spec.content_type, width, height))

    async def dead_letter(self, body: object) -> Decision:
        """Handle a message that exhausted its retries: its task fails for good (the job's other
        tasks go on)."""
        ref = task_of(body)
        if ref is None:
            log_event("job.bad_message", queue="dead_letter", body=repr(body)[:200])
            return ACK
        job = await self.store.get(ref.job_id)
        task = job.task(ref.operation) if job else None
        if job is None or task is None or task.status.is_terminal:
            return ACK
        last = task.error_message or "no error was recorded"
        with contextlib.suppress(TransitionRejected):  # cancelled meanwhile: a terminal state stays
            await self.store.fail_task(
                ref,
                FailureCode.PROCESSING_FAILED,
                f"processing failed after {task.attempts} attempts; last error: {last}",
            )
        # An attempt may have stored the result and then failed to record it: a failed task
        # keeps no result object.
        spec = self.registry.get(ref.operation)
        if spec is not None:
            await self.blobs.delete(spec.result_key(ref.job_id))
        log_event(
            "job.failed",
            job_id=ref.job_id,
            operation=ref.operation.value,
            user=user_hash(job.owner),
            code=FailureCode.PROCESSING_FAILED,
            attempts=task.attempts,
            outcome="dead_lettered",
        )
        await self._send_event(job)
        return ACK


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)

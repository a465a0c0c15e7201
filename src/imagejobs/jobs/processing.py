"""The queue consumer's work (spec: API.md, "Processing"): one message, one job.

Delivery is at least once, so every step is idempotent: a terminal job is acknowledged
without work, a redelivered job is redone into the same result key, and the guarded
transitions keep a cancelled or finished job from ever moving. Imports nothing platform.
"""

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import grayscale

from ..config import Settings
from ..logs import log_event, user_hash
from . import conversion
from .failures import FailureCode
from .model import ImageInfo, original_key, result_key
from .ports import BlobStore
from .states import JobStatus
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
    """Retrying cannot help: the job fails at once with this error code."""

    def __init__(self, code: FailureCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def job_id_of(body: object) -> str | None:
    """The job id of a queue message body `{"jobId": …}`, or None for a malformed body."""
    job_id = body.get("jobId") if isinstance(body, dict) else None
    return job_id if isinstance(job_id, str) and job_id else None


class JobProcessor:
    def __init__(
        self,
        store: JobStore,
        blobs: BlobStore,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        convert: Callable[..., Iterable[bytes]] = conversion.grayscale_steps,
        pause: conversion.Pause = conversion.asyncio_turn,
        conversion_slot: contextlib.AbstractAsyncContextManager[object] | None = None,
    ):
        self.store = store
        self.blobs = blobs
        self.settings = settings
        self.sleep = sleep
        # convert(data, max_pixels=…) yields the gray PNG in bounded steps; pause() hands the
        # event loop back between them (on Workers: platform.event_loop.yield_to_event_loop).
        self.convert = convert
        self.pause = pause
        # Held while converting: the Worker passes one lock per isolate, so that conversions
        # interleaved by the pauses never hold two images' buffers in one 128 MB isolate at once.
        self.conversion_slot = conversion_slot or asyncio.Lock()

    async def process(self, body: object, attempt: int) -> Decision:
        """Handle one delivery from the job queue."""
        job_id = job_id_of(body)
        if job_id is None:
            log_event("job.bad_message", body=repr(body)[:200])
            return ACK
        job = await self.store.get(job_id)
        if job is None or job.status.is_terminal:
            # Deleted, or already finished by an earlier delivery: nothing to do.
            log_event("job.skipped", job_id=job_id, status=job.status.value if job else "deleted")
            return ACK
        try:
            job = await self.store.start_attempt(job_id)
        except TransitionRejected:
            return ACK  # became terminal (cancelled) in between
        started = time.perf_counter()
        user = user_hash(job.owner)
        log_event("job.started", job_id=job_id, user=user, attempt=job.attempts)
        try:
            await self._convert(job_id, job.original.width, job.original.height)
        except PermanentFailure as failure:
            await self._fail(job_id, failure.code, failure.message)
            log_event(
                "job.failed", job_id=job_id, user=user, code=failure.code, duration_ms=_ms(started), outcome="failed"
            )
            return ACK
        except TransitionRejected:
            # Another delivery of the same message finished first (at-least-once delivery), or
            # the job was cancelled meanwhile. Both wrote the same result key: drop the object
            # only if no completed job points at it.
            current = await self.store.get(job_id)
            if current is None or current.status is not JobStatus.COMPLETED:
                await self.blobs.delete(result_key(job_id))
            log_event(
                "job.superseded",
                job_id=job_id,
                user=user,
                status=current.status.value if current else "deleted",
                outcome="superseded",
            )
            return ACK
        except Exception as error:  # noqa: BLE001 — transient: record it, let the broker redeliver
            message = f"{type(error).__name__}: {error}"
            await self.store.record_error(job_id, FailureCode.PROCESSING_FAILED, message)
            delay = retry_delay(attempt)
            log_event(
                "job.retry",
                job_id=job_id,
                user=user,
                attempt=attempt,
                delay_s=delay,
                error=message,
                duration_ms=_ms(started),
                outcome="retry",
            )
            return Decision(retry_delay=delay)
        log_event("job.completed", job_id=job_id, user=user, duration_ms=_ms(started), outcome="completed")
        return ACK

    async def _convert(self, job_id: str, width: int, height: int) -> None:
        delay = self.settings.processing_delay_seconds
        if delay:
            await self.sleep(delay)
        key = result_key(job_id)
        # The slot covers every moment the image's bytes are held: input, output, the R2 calls.
        async with self.conversion_slot:
            original = await self.blobs.get(original_key(job_id))
            if original is None:
                raise PermanentFailure(FailureCode.PROCESSING_FAILED, "the original image is no longer stored")
            try:
                converted = await conversion.run_steps(
                    self.convert(original.data, max_pixels=self.settings.max_pixels),
                    self.pause,
                    slice_seconds=self.settings.conversion_slice_ms / 1000,
                )
            except grayscale.InvalidImage as error:
                raise PermanentFailure(FailureCode.INVALID_IMAGE, f"the image cannot be decoded: {error}") from None
            del original
            log_event(
                "job.converted",
                job_id=job_id,
                pixels=width * height,
                work_ms=round(converted.work_seconds * 1000),
                elapsed_ms=round(converted.elapsed_seconds * 1000),
                steps=converted.steps,
                pauses=converted.pauses,
                waited_ms=round(converted.waited_seconds * 1000),
                longest_step_ms=round(converted.longest_step_seconds * 1000, 1),
            )
            size = len(converted.data)
            await self.blobs.put(key, converted.data, content_type="image/png", metadata={"job_id": job_id})
            del converted
        if delay:
            await self.sleep(delay)
        await self.store.complete(job_id, key, ImageInfo(size, width, height))

    async def _fail(self, job_id: str, code: FailureCode, message: str) -> None:
        with contextlib.suppress(TransitionRejected):  # cancelled meanwhile: a terminal state stays
            await self.store.fail(job_id, code, message)

    async def dead_letter(self, body: object) -> Decision:
        """Handle a message that exhausted its retries: the job fails for good."""
        job_id = job_id_of(body)
        if job_id is None:
            log_event("job.bad_message", queue="dead_letter", body=repr(body)[:200])
            return ACK
        job = await self.store.get(job_id)
        if job is None or job.status.is_terminal:
            return ACK
        last = job.error_message or "no error was recorded"
        await self._fail(
            job_id,
            FailureCode.PROCESSING_FAILED,
            f"processing failed after {job.attempts} attempts; last error: {last}",
        )
        # An attempt may have stored the result and then failed to record it: a failed job
        # keeps no result object.
        await self.blobs.delete(result_key(job_id))
        log_event(
            "job.failed",
            job_id=job_id,
            user=user_hash(job.owner),
            code=FailureCode.PROCESSING_FAILED,
            attempts=job.attempts,
            outcome="dead_lettered",
        )
        return ACK


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)

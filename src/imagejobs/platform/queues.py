"""Queues: the producer adapter (`JobQueue`) and the consumer side, which hands each delivered
message's body and attempt count to the job processor and applies its decision."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..jobs.messages import TaskRef
from ..jobs.ports import MAX_SEND_BATCH
from ..jobs.processing import Decision
from ..logs import log_event


class QueueJobProducer:
    def __init__(self, binding: Any):  # the SDK's wrapper of a Queue producer
        self._queue = binding

    async def send_tasks(self, tasks: Sequence[TaskRef]) -> None:
        if len(tasks) > MAX_SEND_BATCH:
            raise ValueError(f"sendBatch takes at most {MAX_SEND_BATCH} messages, got {len(tasks)}")
        if len(tasks) == 1:
            await self._queue.send(tasks[0].body())
        elif tasks:
            await self._queue.sendBatch([{"body": task.body()} for task in tasks])


class QueueEventProducer:
    """The webhook-deliveries producer (`EventQueue`): `{"jobId": id}` per event."""

    def __init__(self, binding: Any):
        self._queue = binding

    async def send_events(self, job_ids: Sequence[str]) -> None:
        if len(job_ids) > MAX_SEND_BATCH:
            raise ValueError(f"sendBatch takes at most {MAX_SEND_BATCH} messages, got {len(job_ids)}")
        if len(job_ids) == 1:
            await self._queue.send({"jobId": job_ids[0]})
        elif job_ids:
            await self._queue.sendBatch([{"body": {"jobId": job_id}} for job_id in job_ids])


async def consume_batch(batch: Any, handle: Callable[[object, int], Awaitable[Decision]]) -> None:
    """Run `handle(body, attempt)` for each message and ack or retry it as decided.

    A message whose handling raises is retried by the broker's own delay; the others of the
    batch are unaffected.
    """
    for message in batch.messages:
        try:
            decision = await handle(_plain(message.body), int(message.attempts))
        except Exception as error:  # noqa: BLE001 — one bad message must not sink the batch
            log_event(
                "queue.handler_error",
                queue=str(batch.queue),
                message_id=str(message.id),
                error=f"{type(error).__name__}: {error}",
            )
            message.retry()
            continue
        if decision.ack:
            message.ack()
        else:
            message.retry(delaySeconds=decision.retry_delay)


def _plain(body: object) -> object:
    """The SDK gives JSON bodies as JsDict (a dict subclass): copy to plain Python values."""
    if isinstance(body, dict):
        return {str(k): _plain(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_plain(v) for v in body]
    return body

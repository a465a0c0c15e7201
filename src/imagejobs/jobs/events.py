"""The outbox of webhook events (README, "Webhooks"). A job's event is recorded by the store in
the same batch as its terminal transition; here its delivery message is sent to the
webhook-deliveries queue and the send recorded, and the recovery cron re-sends the messages of
events presumed lost (never sent, or sent before the whole retry schedule and still pending),
failing an event after MAX_EVENT_REDRIVES re-sends. A duplicate message is harmless: delivery
acts only on a pending event. Imports nothing platform.
"""

from datetime import UTC, datetime

from ..logs import log_event
from .model import Job, iso_utc, utc_now
from .ports import MAX_SEND_BATCH, EventQueue
from .store import JobStore

# An event with no send on record a minute after it was recorded: the sender died.
EVENT_UNSENT_AFTER_SECONDS = 60
# Sent but still pending after two hours: the delivery schedule (about an hour, webhooks/
# delivery.py) is long over, so the message was lost. Re-sent at most three times.
EVENT_SENT_AFTER_SECONDS = 7200
MAX_EVENT_REDRIVES = 3


class EventOutbox:
    def __init__(self, store: JobStore, queue: EventQueue):
        self.store = store
        self.queue = queue

    async def send(self, job: Job) -> None:
        """Send the delivery message of the job's event if it is recorded and not sent yet.
        Neither failure loses the event: the recovery cron sends it."""
        if job.webhook is None or not job.webhook.unsent:
            return
        try:
            await self.queue.send_events([job.id])
        except Exception as error:  # noqa: BLE001 — the event stays recorded; recovery sends it
            log_event("webhook.enqueue_failed", job_id=job.id, error=f"{type(error).__name__}: {error}")
            return
        try:
            await self.store.mark_webhooks_enqueued([job.id], now=utc_now())
        except Exception as error:  # noqa: BLE001 — sent but not recorded: at worst sent twice
            log_event("webhook.enqueue_unrecorded", job_id=job.id, error=f"{type(error).__name__}: {error}")

    async def send_for(self, job_id: str) -> None:
        """`send` for a job known by its id (after a task's terminal transition)."""
        job = await self.store.get(job_id)
        if job is not None:
            await self.send(job)


async def redrive_lost_events(store: JobStore, queue: EventQueue, *, now: datetime | None = None) -> tuple[int, int]:
    """One recovery run for webhook events: fail those lost after their last re-send, re-send
    up to MAX_SEND_BATCH others. Returns (re-sent, failed)."""
    at = iso_utc(now or datetime.now(UTC))
    failed = await store.fail_lost_webhooks(
        sent_seconds=EVENT_SENT_AFTER_SECONDS, max_redrives=MAX_EVENT_REDRIVES, now=at
    )
    for job_id in failed:
        log_event("webhook.failed", job_id=job_id, outcome="lost")
    lost = await store.lost_webhooks(
        unsent_seconds=EVENT_UNSENT_AFTER_SECONDS,
        sent_seconds=EVENT_SENT_AFTER_SECONDS,
        max_redrives=MAX_EVENT_REDRIVES,
        limit=MAX_SEND_BATCH,
        now=at,
    )
    if not lost:
        return 0, len(failed)
    try:
        await queue.send_events(lost)
    except Exception as error:  # noqa: BLE001 — the queue is down: the next run tries again
        log_event("webhook.redrive_failed", events=len(lost), error=f"{type(error).__name__}: {error}")
        return 0, len(failed)
    await store.mark_webhooks_enqueued(lost, now=at, redrive=True)
    for job_id in lost:
        log_event("webhook.redriven", job_id=job_id)
    return len(lost), len(failed)

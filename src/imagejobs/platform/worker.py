"""Builds the service from a Worker's `env` and runs one event: an HTTP request, a batch or a
cron run."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ..api.app import failure_response, handle_request
from ..config import ConfigError, Settings
from ..errors import BadRequest, ServiceUnavailable
from ..identity import AccessKeyCache, Authenticator
from ..jobs import recovery, sweeping
from ..jobs.conversion import YieldToRequests
from ..jobs.events import EventOutbox, redrive_lost_events
from ..jobs.processing import JobProcessor
from ..jobs.service import JobService
from ..jobs.store import JobStore
from ..jobs.throttling import SubmissionThrottle, ThrottlePolicy
from ..webhooks.delivery import WebhookDelivery
from .d1 import D1Database
from .event_loop import yield_to_event_loop
from .http import fetch_bytes, to_http_request, to_workers_response
from .outbound import FetchPoster
from .queues import QueueEventProducer, QueueJobProducer, consume_batch
from .r2 import R2BlobStore
from .rate_limits import RateLimitBinding

# Per isolate: requests come before conversions (a conversion pauses while any is in flight),
# and one conversion at a time (the pauses would let a second queue invocation start in the
# same isolate, and two large images at once would not fit in its 128 MB).
_REQUESTS_FIRST = YieldToRequests(yield_to_event_loop)
_CONVERSION_SLOT = asyncio.Lock()

# Queue names of wrangler.jsonc: the job queue and its dead letter queue, the webhook
# deliveries and theirs.
JOB_QUEUE_NAME = "image-jobs"
DEAD_LETTER_QUEUE_NAME = "image-dlq"
WEBHOOK_QUEUE_NAME = "webhook-deliveries"
WEBHOOK_DEAD_LETTER_QUEUE_NAME = "webhook-dlq"


def _settings(env: Any) -> Settings:
    return Settings.from_vars(lambda name: getattr(env, name, None))


# The Access signing keys outlive a request: one cache per isolate, created here and handed to
# identity with the platform's fetch (a module of the platform layer lives as long as the isolate).
ACCESS_KEYS = AccessKeyCache(fetch_bytes)


async def handle_fetch(request: Any, env: Any) -> Any:
    with _REQUESTS_FIRST.request():
        return await _fetch(request, env)


async def _fetch(request: Any, env: Any) -> Any:
    try:
        settings = _settings(env)
        authenticator = Authenticator.for_settings(settings, ACCESS_KEYS)
    except ConfigError as error:
        return to_workers_response(failure_response(ServiceUnavailable(f"the Worker is misconfigured: {error}")))
    try:
        http_request = to_http_request(request)
    except ValueError as error:  # a URL the runtime accepted but Python's parser does not
        return to_workers_response(failure_response(BadRequest(f"malformed request URL ({error})")))
    store = JobStore(D1Database(env.DB))
    policy = ThrottlePolicy(settings.max_active_jobs_per_user, settings.job_creation_period_seconds)
    throttle = SubmissionThrottle(RateLimitBinding(env.JOB_CREATION_LIMITER), store, policy)
    events = EventOutbox(store, QueueEventProducer(env.WEBHOOK_QUEUE))
    service = JobService(store, R2BlobStore(env.IMAGES_BUCKET), QueueJobProducer(env.JOB_QUEUE), throttle, events)
    response = await handle_request(http_request, settings, service, authenticator)
    return to_workers_response(response)


async def handle_queue(batch: Any, env: Any) -> None:
    store, settings = JobStore(D1Database(env.DB)), _settings(env)
    events = EventOutbox(store, QueueEventProducer(env.WEBHOOK_QUEUE))
    processor = JobProcessor(
        store,
        R2BlobStore(env.IMAGES_BUCKET),
        settings,
        pause=_REQUESTS_FIRST.pause,
        conversion_slot=_CONVERSION_SLOT,
        events=events,
    )
    # Deliveries run here, in their own queue's invocations, never in a request or the image consumer.
    delivery = WebhookDelivery(store, FetchPoster(), settings)
    handlers = {
        JOB_QUEUE_NAME: processor.process,
        DEAD_LETTER_QUEUE_NAME: lambda body, _attempt: processor.dead_letter(body),
        WEBHOOK_QUEUE_NAME: delivery.deliver,
        WEBHOOK_DEAD_LETTER_QUEUE_NAME: lambda body, _attempt: delivery.dead_letter(body),
    }
    handler = handlers.get(str(batch.queue))
    if handler is None:
        raise RuntimeError(f"no consumer for queue {batch.queue!r}; expected one of {sorted(handlers)}")
    await consume_batch(batch, handler)


async def _recover(env: Any, store: JobStore, blobs: R2BlobStore, now: datetime) -> None:
    """The minute's recovery: lost task messages, then lost webhook events (after the tasks, so
    that an event recorded by a task failed just now is among them a minute later)."""
    await recovery.redrive_lost_messages(
        store,
        QueueJobProducer(env.JOB_QUEUE),
        blobs,
        recovery.lost_message_rule(lambda name: getattr(env, name, None)),
        now=now,
    )
    await redrive_lost_events(store, QueueEventProducer(env.WEBHOOK_QUEUE), now=now)


async def handle_scheduled(controller: Any, env: Any) -> None:
    """Run the job named by the controller's cron (wrangler.jsonc `triggers.crons`)."""
    # "Now" is the event's scheduled time (ms since the epoch), not the clock of this isolate.
    now = datetime.fromtimestamp(float(controller.scheduledTime) / 1000, UTC)
    store = JobStore(D1Database(env.DB))
    blobs = R2BlobStore(env.IMAGES_BUCKET)
    runs: dict[str, Callable[[], Awaitable[object]]] = {
        recovery.SCHEDULE: lambda: _recover(env, store, blobs, now),
        sweeping.SCHEDULE: lambda: sweeping.sweep_stale_jobs(store, blobs, now=now),
    }
    run = runs.get(str(controller.cron))
    if run is None:
        raise RuntimeError(f"no scheduled job for cron {controller.cron!r}; expected one of {sorted(runs)}")
    await run()

"""Builds the service from a Worker's `env` and runs one event: an HTTP request or a batch."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from ..api.app import handle_request
from ..api.error_mapping import error_response
from ..config import ConfigError, Settings
from ..errors import ServiceUnavailable
from ..jobs.conversion import YieldToRequests
from ..jobs.processing import JobProcessor
from ..jobs.service import JobService
from ..jobs.store import JobStore
from ..jobs.sweeping import sweep_stale_jobs
from .access import access_verifier
from .d1 import D1Database
from .event_loop import yield_to_event_loop
from .http import to_http_request, to_workers_response
from .queues import QueueJobProducer, consume_batch
from .r2 import R2BlobStore

# Per isolate: requests come before conversions (a conversion pauses while any is in flight),
# and one conversion at a time (the pauses would let a second queue invocation start in the
# same isolate, and two large images at once would not fit in its 128 MB).
_REQUESTS_FIRST = YieldToRequests(yield_to_event_loop)
_CONVERSION_SLOT = asyncio.Lock()

# Queue names of wrangler.jsonc: the job queue and its dead letter queue.
JOB_QUEUE_NAME = "image-jobs"
DEAD_LETTER_QUEUE_NAME = "image-dlq"


def _settings(env) -> Settings:
    return Settings.from_vars(lambda name: getattr(env, name, None))


async def handle_fetch(request: Any, env: Any) -> Any:
    with _REQUESTS_FIRST.request():
        return await _fetch(request, env)


async def _fetch(request: Any, env: Any) -> Any:
    try:
        settings = _settings(env)
        verifier = access_verifier(settings)
    except ConfigError as error:
        return to_workers_response(error_response(ServiceUnavailable(f"the Worker is misconfigured: {error}")))
    store = JobStore(D1Database(env.DB))
    service = JobService(store, R2BlobStore(env.IMAGES_BUCKET), QueueJobProducer(env.JOB_QUEUE))
    response = await handle_request(to_http_request(request), settings, service, verifier)
    return to_workers_response(response)


async def handle_queue(batch, env) -> None:
    processor = JobProcessor(
        JobStore(D1Database(env.DB)),
        R2BlobStore(env.IMAGES_BUCKET),
        _settings(env),
        pause=_REQUESTS_FIRST.pause,
        conversion_slot=_CONVERSION_SLOT,
    )
    handlers = {
        JOB_QUEUE_NAME: processor.process,
        DEAD_LETTER_QUEUE_NAME: lambda body, _attempt: processor.dead_letter(body),
    }
    handler = handlers.get(str(batch.queue))
    if handler is None:
        raise RuntimeError(f"no consumer for queue {batch.queue!r}; expected one of {sorted(handlers)}")
    await consume_batch(batch, handler)


async def handle_scheduled(controller, env) -> None:
    # Staleness is measured from the event's scheduled time (ms since the epoch).
    now = datetime.fromtimestamp(float(controller.scheduledTime) / 1000, UTC)
    await sweep_stale_jobs(JobStore(D1Database(env.DB)), now=now)

"""The webhook-deliveries consumer (README, "Webhooks"): one message, one job's event, POSTed to
the job's callback_url and signed as Standard Webhooks says (webhooks/signing.py).

A 2xx delivers the event. A timeout, a network error, 408, 429 or a 5xx is retried with
backoff: 30 s, doubling, capped at 30 min, over MAX_ATTEMPTS attempts (30 + 60 + 120 + 240 +
480 + 960 + 1800 s ≈ 62 min; wrangler.jsonc `max_retries` is MAX_ATTEMPTS - 1, and a test keeps
them equal); the last one's failure fails the event. Any other status (3xx: redirects are not
followed; other 4xx) fails it at once. Every attempt is recorded on the job. The `webhook-id` is
the event's (the same on every retry); the body is the job as it is at the attempt. Imports
nothing platform.
"""

import json
import time
from collections.abc import Callable
from typing import Protocol

from ..api.resources import job_resource
from ..config import Settings
from ..jobs.model import Job
from ..jobs.processing import ACK, Decision
from ..jobs.store import JobStore
from ..logs import log_event
from .signing import secret_bytes, signature

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 1800
# Each attempt's whole exchange (connect, send, status and the read of the response) must end
# within this; a receiver should answer at once and do its work later.
ATTEMPT_TIMEOUT_SECONDS = 10
# The response body is not used: at most this much is read (then the rest is discarded).
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "async-image-worker-webhooks/1"


class DeliveryError(Exception):
    """The attempt got no HTTP status: a timeout, a refused connection, a network error."""


class Poster(Protocol):
    """The outbound POST (platform/outbound.py)."""

    async def post(
        self, url: str, body: str, headers: dict[str, str], *, timeout_seconds: float, max_response_bytes: int
    ) -> int:
        """POST `body` and return the response's status (redirects are not followed); raises
        DeliveryError when no status arrived within `timeout_seconds`."""


def retry_delay(attempt: int, first: int = FIRST_RETRY_SECONDS) -> int:
    """The delay after the `attempt`-th attempt failed (1-based)."""
    return int(min(first * 2 ** (max(attempt, 1) - 1), MAX_RETRY_SECONDS))


def is_retryable(status: int) -> bool:
    return status in (408, 429) or 500 <= status <= 599


def event_id(job_id: str) -> str:
    """The `webhook-id` of the job's one event."""
    return f"evt_{job_id}"


def event_body(job: Job) -> str:
    """The JSON body of the job's event (ASCII: the signed bytes are the sent ones)."""
    if job.webhook is None or job.webhook.event_type is None:
        raise ValueError(f"job {job.id} has no webhook event")
    document = {"type": job.webhook.event_type, "timestamp": job.webhook.event_at, "data": {"job": job_resource(job)}}
    return json.dumps(document, separators=(",", ":"))


def _job_id(body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("jobId"), str) and body["jobId"]:
        return str(body["jobId"])
    return None


class WebhookDelivery:
    def __init__(
        self, store: JobStore, poster: Poster, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.poster = poster
        self.settings = settings
        self.clock = clock

    async def deliver(self, body: object, attempt: int) -> Decision:
        """One delivery message (`{"jobId": id}`): one attempt of the job's event."""
        job_id = _job_id(body)
        if job_id is None:
            log_event("webhook.bad_message", body=repr(body)[:200])
            return ACK
        job = await self.store.get(job_id)
        hook = job.webhook if job else None
        if job is None or hook is None or hook.event_type is None or hook.status != "pending":
            return ACK  # deleted, no event, or already delivered or failed
        if not self.settings.webhook_secret:
            raise RuntimeError("WEBHOOK_SECRET is not set: the event waits for it (retried)")
        payload = event_body(job)
        timestamp = int(self.clock())
        message_id = event_id(job.id)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(
                secret_bytes(self.settings.webhook_secret), message_id, timestamp, payload.encode()
            ),
        }
        status: int | None
        try:
            status = await self.poster.post(
                hook.url,
                payload,
                headers,
                timeout_seconds=self.settings.webhook_timeout_seconds,
                max_response_bytes=MAX_RESPONSE_BYTES,
            )
            error = None
        except DeliveryError as failure:
            status, error = None, str(failure)[:200]
        final = attempt >= MAX_ATTEMPTS
        if status is not None and 200 <= status <= 299:
            outcome = "delivered"
        elif status is None or is_retryable(status):
            outcome = "failed" if final else "pending"
        else:
            outcome = "failed"
        await self.store.record_webhook_attempt(job.id, status=outcome, status_code=status)
        log_event(
            "webhook.attempt",
            job_id=job.id,
            attempt=attempt,
            status_code=status,
            error=error,
            outcome="retry" if outcome == "pending" else outcome,
        )
        if outcome == "pending":
            return Decision(retry_delay=retry_delay(attempt, self.settings.webhook_first_retry_seconds))
        return ACK

    async def dead_letter(self, body: object) -> Decision:
        """A delivery message that exhausted its retries without an outcome (its handler kept
        raising): the event fails."""
        job_id = _job_id(body)
        if job_id is not None and await self.store.fail_webhook(job_id):
            log_event("webhook.failed", job_id=job_id, outcome="dead_lettered")
        return ACK

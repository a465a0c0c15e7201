"""Throttling of job creation, per user: the platform's rate limiter (jobs created per period)
and a cap on unfinished jobs (README, "Throttling"). Imports nothing platform.
"""

import hashlib
from dataclasses import dataclass

from ..errors import RateLimited, TooManyActiveJobs
from ..logs import log_event, user_hash
from .ports import RateLimiter
from .store import JobStore

# A job is usually finished within seconds; a client at its cap asks again after this long
# (each ask sends its upload again, so not much sooner).
ACTIVE_JOBS_RETRY_AFTER_SECONDS = 10


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_active_jobs: int  # a user's unfinished jobs beyond which a new one is refused
    rate_period_seconds: int  # the limiter's period: after it, a refused user may create again


def rate_key(owner: str) -> str:
    """The limiter's key for a user: a hash, so that no address leaves the Worker."""
    return "user:" + hashlib.sha256(owner.encode()).hexdigest()


class SubmissionThrottle:
    """Decides whether a user may create one more job now."""

    def __init__(self, limiter: RateLimiter, store: JobStore, policy: ThrottlePolicy):
        self.limiter = limiter
        self.store = store
        self.policy = policy

    async def admit(self, owner: str) -> None:
        """Count one job creation for `owner`; raises RateLimited when the user created too many
        in the limiter's period, TooManyActiveJobs when too many of theirs are unfinished.

        The limiter comes first: it is the cheap gate (no D1 read) that a flood meets, so a
        refused creation never reaches the database; a creation refused by the cap has counted
        against the rate.
        """
        period = self.policy.rate_period_seconds
        if not await self._within_rate(owner):
            raise RateLimited(
                f"you have created too many jobs in the last {period} seconds; try again in {period} seconds",
                retry_after_seconds=period,
            )
        live = await self.store.count_live_owned(owner)
        if live >= self.policy.max_active_jobs:
            raise TooManyActiveJobs(
                f"{live} of your jobs are unfinished (at most {self.policy.max_active_jobs}); "
                "upload more once some have finished",
                retry_after_seconds=ACTIVE_JOBS_RETRY_AFTER_SECONDS,
            )

    async def _within_rate(self, owner: str) -> bool:
        try:
            return await self.limiter.allow(rate_key(owner))
        except Exception as error:  # noqa: BLE001 — a limiter outage must not stop every upload
            # Fail open: the cap on unfinished jobs still bounds what one user can queue.
            log_event("throttle.limiter_failed", user=user_hash(owner), error=f"{type(error).__name__}: {error}")
            return True

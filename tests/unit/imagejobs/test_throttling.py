"""Throttling of job creation in CPython, on the real store over SQLite: the per-user rate (a
window counter standing in for the platform's Rate Limiting binding, which the end-to-end
suite exercises through Miniflare), the cap on unfinished jobs, replays that are never throttled,
and the 429 answers with Retry-After."""

import asyncio
import json
import sqlite3

import pytest

from imagejobs.api.app import handle_request
from imagejobs.api.http import HttpRequest
from imagejobs.config import ConfigError, Settings
from imagejobs.errors import RateLimited, TooManyActiveJobs
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.jobs import queries
from imagejobs.jobs.messages import TaskRef
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.service import JobService
from imagejobs.jobs.throttling import (
    ACTIVE_JOBS_RETRY_AFTER_SECONDS,
    SubmissionThrottle,
    ThrottlePolicy,
    rate_key,
)
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import png
from .sqlite_database import MIGRATIONS

OWNER = "a@example.com"


class CountingLimiter:
    """What the Rate Limiting binding promises for one period: `limit` events per key."""

    def __init__(self, limit: int):
        self.limit = limit
        self.counts: dict[str, int] = {}
        self.broken = False

    async def allow(self, key: str) -> bool:
        if self.broken:
            raise OSError("the rate limiter is unavailable")
        if self.counts.get(key, 0) >= self.limit:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        return True


def image(seed: int):
    return validate_upload(Upload(f"{seed}.png", png(4, 4, color=(seed, 2, 3))), max_bytes=10**6, max_pixels=10**6)


@pytest.fixture
def limiter():
    return CountingLimiter(limit=3)


@pytest.fixture
def throttled(store, blobs, queue, limiter):
    policy = ThrottlePolicy(max_active_jobs=5, rate_period_seconds=60)
    return JobService(store, blobs, queue, SubmissionThrottle(limiter, store, policy))


def test_the_rate_is_counted_per_user_and_refused_over_it_with_the_period_to_wait(run, throttled, limiter):
    for seed in range(3):
        run(throttled.submit(OWNER, image(seed)))
    with pytest.raises(RateLimited) as refused:
        run(throttled.submit(OWNER, image(9)))
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert refused.value.retry_after_seconds == 60
    run(throttled.submit("b@example.com", image(9)))  # another user has a budget of their own
    assert limiter.counts == {rate_key(OWNER): 3, rate_key("b@example.com"): 1}


def test_a_refused_creation_leaves_nothing_behind(run, throttled, store, blobs, queue):
    for seed in range(3):
        run(throttled.submit(OWNER, image(seed)))
    before = (len(blobs.objects), list(queue.sent), len(run(store.list(OWNER, limit=100)).jobs))
    with pytest.raises(RateLimited):
        run(throttled.submit(OWNER, image(9), "key-9"))
    assert (len(blobs.objects), list(queue.sent), len(run(store.list(OWNER, limit=100)).jobs)) == before


def test_an_idempotency_key_replay_is_never_throttled(run, throttled, limiter):
    first, created = run(throttled.submit(OWNER, image(1), "key-1"))
    assert created
    limiter.limit = 0  # every new creation is refused from now on
    with pytest.raises(RateLimited):
        run(throttled.submit(OWNER, image(2), "key-2"))
    again, created = run(throttled.submit(OWNER, image(1), "key-1"))
    assert (again.id, created) == (first.id, False)
    assert limiter.counts[rate_key(OWNER)] == 1  # the replay was not even counted


def test_the_cap_counts_only_unfinished_jobs(run, store, blobs, queue):
    policy = ThrottlePolicy(max_active_jobs=2, rate_period_seconds=60)
    service = JobService(store, blobs, queue, SubmissionThrottle(CountingLimiter(100), store, policy))
    first, _ = run(service.submit(OWNER, image(1)))
    second, _ = run(service.submit(OWNER, image(2)))
    run(store.start_task(TaskRef(second.id, Operation.GRAYSCALE)))  # in progress still counts
    with pytest.raises(TooManyActiveJobs) as refused:
        run(service.submit(OWNER, image(3)))
    assert refused.value.status == 429 and refused.value.code == "too_many_active_jobs"
    assert refused.value.retry_after_seconds == ACTIVE_JOBS_RETRY_AFTER_SECONDS
    assert "2 of your jobs are unfinished" in refused.value.message
    run(service.submit("b@example.com", image(3)))  # the cap is per user
    run(store.cancel_owned(OWNER, first.id))  # a finished job frees its place
    run(service.submit(OWNER, image(3)))
    assert run(store.count_live_owned(OWNER)) == 2


def test_a_limiter_outage_fails_open_and_is_logged(run, throttled, limiter, capsys):
    limiter.broken = True
    _, created = run(throttled.submit(OWNER, image(1)))
    assert created
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [e["event"] for e in logged if e["event"].startswith("throttle.")] == ["throttle.limiter_failed"]


def test_the_rate_key_names_no_address():
    key = rate_key("José@Example.com")
    assert key.startswith("user:") and "example" not in key.lower() and len(key) == 5 + 64
    assert rate_key("a@example.com") != rate_key("A@example.com")  # owners are exact


def test_the_unfinished_count_reads_the_partial_index_only():
    connection = sqlite3.connect(":memory:")
    for migration in MIGRATIONS:
        connection.executescript(migration.read_text())
    plan = " ".join(row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + queries.COUNT_LIVE_OWNED, ("x",)))
    assert "USING COVERING INDEX jobs_owner_live" in plan, plan


async def _no_fetch(url, *, max_bytes):
    raise OSError("unit tests fetch nothing")


class _FileBody:
    def __init__(self, data: bytes):
        self.data = data

    async def read_file_field(self, name, max_bytes):
        return Upload("cat.png", self.data)

    async def read_text_values(self, name, max_chars):
        return []


def test_the_api_answers_429_with_retry_after_and_the_code(run, store, blobs, queue):
    settings = Settings(auth_mode="dev", max_active_jobs_per_user=1, job_creation_period_seconds=10)
    policy = ThrottlePolicy(settings.max_active_jobs_per_user, settings.job_creation_period_seconds)
    limiter = CountingLimiter(limit=2)
    service = JobService(store, blobs, queue, SubmissionThrottle(limiter, store, policy))
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(_no_fetch))

    def upload(seed: int):
        headers = {"content-type": "multipart/form-data; boundary=x", "x-dev-user": OWNER}
        request = HttpRequest("POST", "/api/jobs", headers=headers, body=_FileBody(png(4, 4, color=(seed, 1, 1))))
        response = asyncio.run(handle_request(request, settings, service, authenticator))
        return response, json.loads(response.body)

    accepted, _ = upload(1)
    assert accepted.status == 202
    capped, body = upload(2)
    assert capped.status == 429 and body["error"]["code"] == "too_many_active_jobs"
    assert capped.header("retry-after") == str(ACTIVE_JOBS_RETRY_AFTER_SECONDS)
    limited, body = upload(3)  # the third creation this period: over the limiter's 2
    assert limited.status == 429 and body["error"]["code"] == "rate_limited"
    assert limited.header("retry-after") == "10"
    assert limited.header("cache-control") == "no-store"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, (50, 60)),
        ({"MAX_ACTIVE_JOBS_PER_USER": "1", "JOB_CREATION_PERIOD_SECONDS": "10"}, (1, 10)),
        ({"MAX_ACTIVE_JOBS_PER_USER": "999999999999999999"}, (999999999999999999, 60)),
    ],
)
def test_throttling_settings(values, expected):
    settings = Settings.from_vars(values.get)
    assert (settings.max_active_jobs_per_user, settings.job_creation_period_seconds) == expected


@pytest.mark.parametrize(
    "values",
    [
        {"MAX_ACTIVE_JOBS_PER_USER": "0"},
        {"MAX_ACTIVE_JOBS_PER_USER": "１０"},
        {"MAX_ACTIVE_JOBS_PER_USER": "1000000000000000000"},  # 19 digits
        {"JOB_CREATION_PERIOD_SECONDS": "30"},  # the platform has 10 and 60 only
        {"JOB_CREATION_PERIOD_SECONDS": "١٠"},
    ],
)
def test_unusable_throttling_settings_are_config_errors(values):
    with pytest.raises(ConfigError):
        Settings.from_vars(values.get)

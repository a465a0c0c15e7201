"""Throttling of job creation end to end, through the platform's Rate Limiting binding (Miniflare's,
in the offline runtime): the per-user rate, the cap on unfinished jobs, their 429s with
Retry-After, replays that are never throttled, and a limiter outage that fails open.

Bursts need small limits, so most tests run a runtime of their own (`--ratelimit`, `--var`);
`make dev` and the shared runtime keep the deployed values, against which the replay test runs
(also under WORKER_URL)."""

import hashlib
import io
import os
import time
import uuid
from datetime import datetime

import httpx
import pytest

from tests.conftest import UserClient, launch_runtime

from .images import photo_like

RATE_LIMIT = 4  # jobs per RATE_PERIOD seconds per user, in the throttled runtime
RATE_PERIOD = 10  # the shorter of the platform's two periods
ACTIVE_CAP = 2
FAILING_LIMITER_USER = "limiter-outage@example.com"

own_runtime = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker")


def rate_key(owner: str) -> str:
    return "user:" + hashlib.sha256(owner.encode()).hexdigest()  # jobs/throttling.py rate_key


@pytest.fixture(scope="module")
def throttled(tmp_path_factory):
    """(url, log) of a runtime with a small rate, a small cap, slow jobs, and a limiter that fails
    for one user."""
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    variables = {
        "JOB_CREATION_PERIOD_SECONDS": str(RATE_PERIOD),
        "MAX_ACTIVE_JOBS_PER_USER": str(ACTIVE_CAP),
        "PROCESSING_DELAY_SECONDS": "2",
    }
    extra = (
        "--ratelimit",
        f"JOB_CREATION_LIMITER={RATE_LIMIT}/{RATE_PERIOD}",
        "--inject-fault",
        f"JOB_CREATION_LIMITER.limit={rate_key(FAILING_LIMITER_USER)}",
        "--no-cron-clock",
    )
    with launch_runtime(tmp_path_factory.mktemp("throttled"), variables, extra) as (url, log):
        yield url, log


def client(url: str, email: str | None = None) -> UserClient:
    return UserClient(url, email or f"throttle-{uuid.uuid4().hex[:10]}@example.com")


def start_of_a_window() -> None:
    """Miniflare's limiter counts in fixed windows of RATE_PERIOD seconds from the epoch: begin a
    burst early in one, so that it all falls into the same window."""
    left = RATE_PERIOD - time.time() % RATE_PERIOD
    if left < RATE_PERIOD / 2:
        time.sleep(left + 0.1)


def image(seed: int) -> bytes:
    return photo_like(6, 5, seed=seed)


def job_count(user: UserClient) -> int:
    return len(user.http.get("/api/jobs", params={"limit": 100}).json()["jobs"])


@own_runtime
def test_over_the_rate_a_creation_is_429_rate_limited_until_the_period_is_over(throttled):
    url, _log = throttled
    user, other = client(url), client(url)
    start_of_a_window()
    for seed in range(RATE_LIMIT):
        created = user.upload(image(seed))
        assert created.status_code == 202, created.text
        user.http.post(f"/api/jobs/{created.json()['job']['id']}/cancel")  # stays under the cap
    refused = user.upload(image(99), headers={"Idempotency-Key": "after-the-limit"})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["retry-after"] == str(RATE_PERIOD)
    assert refused.headers["cache-control"] == "no-store"
    assert job_count(user) == RATE_LIMIT  # the refused upload left nothing behind
    assert other.upload(image(1)).status_code == 202  # each user has a budget of their own
    # The page's way: the same upload, with its key, after Retry-After.
    time.sleep(int(refused.headers["retry-after"]))
    again = user.upload(image(99), headers={"Idempotency-Key": "after-the-limit"})
    assert again.status_code == 202, again.text
    assert job_count(user) == RATE_LIMIT + 1


@own_runtime
def test_a_replay_is_never_throttled(throttled):
    url, _log = throttled
    user = client(url)
    start_of_a_window()
    first = user.upload(image(1), headers={"Idempotency-Key": "k1"})
    assert first.status_code == 202
    for seed in range(2, RATE_LIMIT + 1):  # the rest of the window's budget
        job = user.upload(image(seed)).json()["job"]
        user.http.post(f"/api/jobs/{job['id']}/cancel")
    assert user.upload(image(50)).status_code == 429
    for _ in range(3):  # a replay is answered, not refused, and not counted either
        replay = user.upload(image(1), headers={"Idempotency-Key": "k1"})
        assert replay.status_code == 200 and replay.json()["job"]["id"] == first.json()["job"]["id"]
    reused = user.upload(image(2), headers={"Idempotency-Key": "k1"})  # nor is a reused key
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"


@own_runtime
def test_at_the_cap_of_unfinished_jobs_a_creation_is_429_too_many_active_jobs(throttled):
    url, _log = throttled
    user = client(url)
    start_of_a_window()
    jobs = [user.upload(image(seed)).json()["job"] for seed in range(ACTIVE_CAP)]
    refused = user.upload(image(7))
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_active_jobs"
    assert int(refused.headers["retry-after"]) > 0
    assert job_count(user) == ACTIVE_CAP
    assert user.http.post(f"/api/jobs/{jobs[0]['id']}/cancel").status_code == 200  # a place frees up
    assert user.upload(image(7)).status_code == 202


@own_runtime
def test_a_limiter_outage_fails_open_and_is_logged(throttled):
    url, log = throttled
    user = client(url, FAILING_LIMITER_USER)
    for seed in range(ACTIVE_CAP):  # the limiter fails for this user: only the cap still applies
        assert user.upload(image(seed)).status_code == 202
    assert user.upload(image(9)).json()["error"]["code"] == "too_many_active_jobs"
    assert log.read_text().count('"event":"throttle.limiter_failed"') >= ACTIVE_CAP + 1


@own_runtime
def test_the_offline_runtime_runs_one_conversion_at_a_time_whatever_max_concurrency_says(throttled):
    """wrangler.jsonc allows 10 concurrent image-jobs invocations; Miniflare's broker delivers
    one batch at a time per queue, so locally the jobs of three users run one after another."""
    url, log = throttled
    users = [client(url) for _ in range(3)]
    ids = [(u, u.upload(image(i)).json()["job"]["id"]) for i, u in enumerate(users)]
    spans = []
    for user, job_id in ids:
        job, _ = user.wait_until_terminal(job_id, timeout=90)
        assert job["status"] == "completed"
        spans.append((datetime.fromisoformat(job["started_at"]), datetime.fromisoformat(job["completed_at"])))
    spans.sort()
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False)), spans
    assert "max_concurrency 10 not applied" in log.read_text()


def test_replays_are_never_throttled_at_the_deployed_limits(user):
    """More replays than the deployed rate (60 per 60 s) allows creations: all are answered with
    the job they replay. (Runs against WORKER_URL too.)"""
    data = photo_like(5, 5, seed=123)
    key = f"replay-{uuid.uuid4().hex}"
    first = user.upload(data, headers={"Idempotency-Key": key})
    assert first.status_code == 202, first.text
    with httpx.Client(base_url=str(user.http.base_url), headers={"X-Dev-User": user.email}, timeout=60) as http:
        statuses = {
            http.post(
                "/api/jobs", files={"file": ("r.png", io.BytesIO(data), "image/png")}, headers={"Idempotency-Key": key}
            ).status_code
            for _ in range(61)
        }
    assert statuses == {200}
    assert job_count(user) == 1

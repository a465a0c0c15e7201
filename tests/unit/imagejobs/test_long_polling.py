"""Long-polling in CPython: the strict, bounded reading of `Prefer: wait=N` (RFC 7240: what it
cannot use is ignored, never guessed at), the hold's
re-reads with back-off on a simulated clock, and GET /api/jobs/{id} holding on the real store
until the job changes or the wait is over."""

import asyncio
import json
import time

import pytest

from imagejobs.api.app import handle_request
from imagejobs.api.http import HttpRequest
from imagejobs.api.long_polling import MAX_WAIT_SECONDS, HoldOutcome, hold_until_changed
from imagejobs.api.parameters import MAX_PREFERENCES, prefer_wait
from imagejobs.config import Settings
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.jobs.messages import TaskRef
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.uploads import Upload, validate_upload

from .images import png

USER = {"x-dev-user": "a@example.com"}
SETTINGS = Settings(auth_mode="dev")


def prefer(value: str) -> HttpRequest:
    return HttpRequest("GET", "/api/jobs/x", headers={"prefer": value})


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("wait=10", 10),
        ("WAIT = 7", 7),  # tokens are case-insensitive; BWS around "="
        ("respond-async, wait=5", 5),  # other preferences are ignored (RFC 7240 §2)
        ("wait=5, wait=9", 5),  # of a repeated preference the first counts (§2)
        ('return=minimal; x="a, wait=99", wait=3', 3),  # a quoted comma separates nothing
        ("wait=4;foo=bar", 4),  # parameters of a preference are allowed and ignored
        ("wait=5;", 5),  # even an empty one: *( OWS ";" [ OWS parameter ] )
        (",, wait=2 ,", 2),  # empty list elements (RFC 9110 §5.6.1)
        ("wait=0", 0),
        ("wait=" + "9" * 18, 10**18 - 1),  # 18 digits: the bound of every number
        ("handling=lenient", None),
        ("", None),
    ],
)
def test_prefer_wait_reads_rfc_7240(header, seconds):
    assert prefer_wait(prefer(header)) == seconds


@pytest.mark.parametrize(
    "header",
    [
        "wait=" + "9" * 19,  # 19 digits
        "wait=²",
        "wait=１０",
        "wait=١٠",
        "wait=-1",
        "wait=1.5",
        'wait="5"',  # delta-seconds is digits, not a quoted string
        "wait",
        "wait=",
        "wait=5 x",  # not a list
        '"wait"=5',
    ],
)
def test_a_wait_that_is_not_ascii_digits_is_ignored_never_guessed_at(header):
    # RFC 7240 §2: a preference the server cannot comply with is ignored, not an error.
    assert prefer_wait(prefer(header)) is None


def test_the_preference_count_is_bounded():
    just_under = ", ".join(["a=1"] * (MAX_PREFERENCES - 1) + ["wait=3"])
    assert prefer_wait(prefer(just_under)) == 3
    assert prefer_wait(prefer(", ".join(["a=1"] * MAX_PREFERENCES + ["wait=3"]))) is None


def test_of_several_waits_only_the_first_is_considered():
    assert prefer_wait(prefer("wait=x, wait=5")) is None


class SimulatedTime:
    """A clock that only sleeping moves, and a record of each sleep."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def hold(run, clock, reads, *, seconds=25.0, disconnected=lambda: False):
    values = iter(reads)

    async def read():
        return next(values)

    return run(
        hold_until_changed(
            "a",
            read,
            lambda value: value != "a",
            seconds=seconds,
            disconnected=disconnected,
            sleep=clock.sleep,
            clock=lambda: clock.now,
        )
    )


def test_a_hold_backs_off_to_one_second_and_ends_when_the_wait_is_over(run):
    clock = SimulatedTime()
    held = hold(run, clock, ["a"] * 100)
    assert held.outcome is HoldOutcome.TIMED_OUT and held.value == "a"
    assert clock.sleeps[:6] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert max(clock.sleeps) == 1.0 and sum(clock.sleeps) == pytest.approx(25.0)
    assert held.reads == len(clock.sleeps) == 28  # a 25 s hold: 28 re-reads, one at its very end


def test_a_hold_answers_a_change_at_the_next_read(run):
    clock = SimulatedTime()
    held = hold(run, clock, ["a", "a", "a", "a", "a", "b"])
    assert (held.outcome, held.value, held.reads) == (HoldOutcome.CHANGED, "b", 6)
    assert clock.sleeps == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]  # the change is seen at most 1 s late


def test_a_hold_stops_when_the_client_has_gone(run):
    clock = SimulatedTime()
    held = hold(run, clock, ["a"] * 100, disconnected=lambda: clock.now > 3)
    assert held.outcome is HoldOutcome.DISCONNECTED and clock.now <= 4.0
    assert held.reads == len(clock.sleeps) - 1  # no read after the client left


# --- GET /api/jobs/{id} on the real store --------------------------------------------------


async def _no_fetch(url, *, max_bytes):
    raise OSError("unit tests fetch nothing")


def get_job(service, job_id, headers, disconnected=None):
    gone = {"disconnected": disconnected} if disconnected else {}
    request = HttpRequest("GET", f"/api/jobs/{job_id}", headers={**USER, **headers}, **gone)
    return handle_request(request, SETTINGS, service, Authenticator.for_settings(SETTINGS, AccessKeyCache(_no_fetch)))


@pytest.fixture
def job(run, service):
    image = validate_upload(Upload("cat.png", png(4, 4)), max_bytes=10**6, max_pixels=10**6)
    created, _ = run(service.submit("a@example.com", image))
    return created


def first_etag(run, service, job):
    response = run(get_job(service, job.id, {}))
    assert response.status == 200
    return response.header("etag")


def test_the_response_is_held_until_the_job_changes(run, service, store, job):
    etag = first_etag(run, service, job)

    async def scenario():
        async def change_later():
            await asyncio.sleep(0.4)
            await store.start_task(TaskRef(job.id, Operation.GRAYSCALE))

        started = time.monotonic()
        response, _ = await asyncio.gather(
            get_job(service, job.id, {"if-none-match": etag, "prefer": "wait=5"}), change_later()
        )
        return response, time.monotonic() - started

    response, elapsed = run(scenario())
    assert response.status == 200 and json.loads(response.body)["job"]["status"] == "in_progress"
    assert response.header("etag") != etag
    assert response.header("preference-applied") == "wait=5"
    assert response.header("retry-after") == "1"
    assert 0.4 <= elapsed < 1.5, elapsed  # answered within about a second of the change


def test_an_unchanged_job_is_304_once_the_wait_is_over(run, service, job):
    etag = first_etag(run, service, job)
    started = time.monotonic()
    response = run(get_job(service, job.id, {"if-none-match": etag, "prefer": "wait=1"}))
    elapsed = time.monotonic() - started
    assert response.status == 304 and response.header("etag") == etag
    assert response.header("preference-applied") == "wait=1"
    assert 1.0 <= elapsed < 1.5, elapsed


def test_a_client_that_leaves_ends_the_hold(run, service, job):
    etag = first_etag(run, service, job)
    started = time.monotonic()
    gone_at = started + 0.3
    response = run(
        get_job(service, job.id, {"if-none-match": etag, "prefer": "wait=20"}, lambda: time.monotonic() > gone_at)
    )
    assert response.status == 304 and time.monotonic() - started < 1.5


def test_nothing_is_held_without_a_matching_tag_or_for_a_final_job(run, service, store, job):
    etag = first_etag(run, service, job)
    cases = [
        ({"prefer": "wait=100"}, 200, f"wait={MAX_WAIT_SECONDS}"),  # nothing to compare: at once, capped
        ({"prefer": "wait=20", "if-none-match": '"other"'}, 200, "wait=20"),  # already changed: at once
        ({"prefer": "wait=20", "if-none-match": "*"}, 304, None),  # `*` never changes: not applied
        ({"prefer": "wait=0", "if-none-match": etag}, 304, None),
        ({"if-none-match": etag}, 304, None),
    ]
    for headers, status, applied in cases:
        started = time.monotonic()
        response = run(get_job(service, job.id, headers))
        assert (response.status, response.header("preference-applied")) == (status, applied), headers
        assert time.monotonic() - started < 0.5, headers
    run(store.cancel_owned("a@example.com", job.id))
    final = run(get_job(service, job.id, {}))
    started = time.monotonic()
    response = run(get_job(service, job.id, {"prefer": "wait=20", "if-none-match": final.header("etag")}))
    assert response.status == 304 and response.header("preference-applied") is None  # a final job cannot change
    assert response.header("retry-after") is None and time.monotonic() - started < 0.5


def test_an_unusable_prefer_is_ignored_and_answered_at_once(run, service, job):
    etag = first_etag(run, service, job)
    for value in ("wait=１０", "wait=1.5", ", ".join(["a"] * (MAX_PREFERENCES + 1)) + ", wait=5"):
        started = time.monotonic()
        response = run(get_job(service, job.id, {"prefer": value, "if-none-match": etag}))
        assert (response.status, response.header("preference-applied")) == (304, None), value
        assert time.monotonic() - started < 0.5
    too_long = run(get_job(service, job.id, {"prefer": "wait=5, " + "a" * 8192}))
    assert too_long.status == 400  # beyond the bound of every header the API reads


def test_a_job_deleted_during_the_hold_is_404(run, service, job):
    etag = first_etag(run, service, job)

    async def scenario():
        async def delete_later():
            await asyncio.sleep(0.3)
            await service.delete("a@example.com", job.id)

        response, _ = await asyncio.gather(
            get_job(service, job.id, {"if-none-match": etag, "prefer": "wait=5"}), delete_later()
        )
        return response

    response = run(scenario())
    assert response.status == 404

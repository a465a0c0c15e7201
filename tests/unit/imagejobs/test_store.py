"""The job store's real SQL on SQLite: guarded transitions, listing, idempotency keys."""

import pytest

from imagejobs.jobs.model import ImageInfo
from imagejobs.jobs.ports import DuplicateKey
from imagejobs.jobs.states import JobStatus
from imagejobs.jobs.store import IdempotencyKeyTaken, NewJob, TransitionRejected


def new_job(job_id: str, owner="a@example.com", key=None, sha="s") -> NewJob:
    return NewJob(
        id=job_id,
        owner=owner,
        original_key=f"originals/{job_id}.png",
        original_name="x.png",
        original=ImageInfo(10, 2, 3),
        original_sha256=sha,
        idempotency_key=key,
    )


def test_a_new_job_is_pending_with_no_attempts(store, run):
    job = run(store.insert(new_job("j1")))
    assert job.status is JobStatus.PENDING and job.attempts == 0 and job.started_at is None


def test_attempts_count_each_start_and_started_at_is_the_first(store, run):
    run(store.insert(new_job("j1")))
    first = run(store.start_attempt("j1", now="2026-01-01T00:00:00.000Z"))
    second = run(store.start_attempt("j1", now="2026-01-01T00:00:05.000Z"))
    assert (first.attempts, second.attempts) == (1, 2)
    assert second.started_at == "2026-01-01T00:00:00.000Z"
    assert second.status is JobStatus.IN_PROGRESS


@pytest.mark.parametrize("finish", ["complete", "fail", "cancel"])
def test_nothing_moves_a_job_out_of_a_terminal_state(store, run, finish):
    run(store.insert(new_job("j1")))
    run(store.start_attempt("j1"))
    if finish == "complete":
        run(store.complete("j1", "results/j1.png", ImageInfo(5, 2, 3)))
    elif finish == "fail":
        run(store.fail("j1", "invalid_image", "bad"))
    else:
        run(store.cancel_owned("a@example.com", "j1"))
    before = run(store.get("j1"))
    for change in (
        lambda: store.start_attempt("j1"),
        lambda: store.complete("j1", "results/j1.png", ImageInfo(5, 2, 3)),
        lambda: store.fail("j1", "processing_failed", "late"),
        lambda: store.cancel_owned("a@example.com", "j1"),
    ):
        with pytest.raises(TransitionRejected):
            run(change())
    run(store.record_error("j1", "processing_failed", "late"))
    assert run(store.get("j1")) == before


def test_a_pending_job_cannot_complete_without_starting(store, run):
    run(store.insert(new_job("j1")))
    with pytest.raises(TransitionRejected):
        run(store.complete("j1", "results/j1.png", ImageInfo(5, 2, 3)))


def test_cancel_is_owner_scoped(store, run):
    run(store.insert(new_job("j1", owner="a@example.com")))
    with pytest.raises(TransitionRejected):
        run(store.cancel_owned("b@example.com", "j1"))
    assert run(store.get("j1")).status is JobStatus.PENDING


def test_listing_is_newest_first_and_pages_stay_stable_under_inserts(store, run, db):
    for i in range(5):
        run(store.insert(new_job(f"j{i}")))
    first = run(store.list("a@example.com", limit=2))
    assert [j.id for j in first.jobs] == ["j4", "j3"]
    run(store.insert(new_job("j9")))  # arrives between pages
    second = run(store.list("a@example.com", limit=2, after=first.next_after))
    third = run(store.list("a@example.com", limit=2, after=second.next_after))
    assert [j.id for j in second.jobs] == ["j2", "j1"]
    assert [j.id for j in third.jobs] == ["j0"] and third.next_after is None


def test_jobs_created_in_the_same_millisecond_list_in_insertion_order(store, run):
    for name in ("z", "a", "m"):
        run(store.insert(new_job(name), now="2026-01-01T00:00:00.000Z"))
    first = run(store.list("a@example.com", limit=2))
    rest = run(store.list("a@example.com", limit=2, after=first.next_after))
    assert [j.id for j in first.jobs + rest.jobs] == ["m", "a", "z"]


def test_listing_filters_by_status_and_owner(store, run):
    run(store.insert(new_job("a1")))
    run(store.insert(new_job("a2")))
    run(store.insert(new_job("b1", owner="b@example.com")))
    run(store.start_attempt("a2"))
    page = run(store.list("a@example.com", limit=10, status=JobStatus.IN_PROGRESS))
    assert [j.id for j in page.jobs] == ["a2"]
    assert {j.id for j in run(store.list("a@example.com", limit=10)).jobs} == {"a1", "a2"}


def test_an_idempotency_key_names_one_job_per_owner(store, run):
    run(store.insert(new_job("j1", key="k")))
    with pytest.raises(IdempotencyKeyTaken):
        run(store.insert(new_job("j2", key="k")))
    run(store.insert(new_job("j3", owner="b@example.com", key="k")))  # another owner may reuse it


def test_a_duplicate_id_is_not_mistaken_for_an_idempotency_key(store, run):
    run(store.insert(new_job("j1", key="k")))
    with pytest.raises(DuplicateKey):
        run(store.insert(new_job("j1", key="other")))


def test_an_expired_idempotency_key_is_released(store, run):
    run(store.insert(new_job("j1", key="k"), now="2026-01-01T00:00:00.000Z"))
    assert run(store.find_by_idempotency_key("a@example.com", "k", created_after="2025-12-31T00:00:00.000Z")).id == "j1"
    assert run(store.find_by_idempotency_key("a@example.com", "k", created_after="2026-01-02T00:00:00.000Z")) is None
    run(store.insert(new_job("j2", key="k")))  # the key is free again


def test_stale_jobs_are_failed_and_fresh_or_terminal_ones_are_not(store, run):
    run(store.insert(new_job("old-pending"), now="2026-01-01T00:00:00.000Z"))
    run(store.insert(new_job("old-running"), now="2026-01-01T00:00:00.000Z"))
    run(store.start_attempt("old-running", now="2026-01-01T01:00:00.000Z"))
    run(store.insert(new_job("old-done"), now="2026-01-01T00:00:00.000Z"))
    run(store.start_attempt("old-done", now="2026-01-01T00:00:00.000Z"))
    run(store.complete("old-done", "results/x.png", ImageInfo(1, 1, 1), now="2026-01-01T00:00:01.000Z"))
    run(store.insert(new_job("fresh"), now="2026-01-02T12:00:00.000Z"))

    failed = run(store.fail_stale(not_updated_since="2026-01-02T00:00:00.000Z", message="too old", limit=10))

    assert {j["id"] for j in failed} == {"old-pending", "old-running"}
    assert run(store.get("old-running")).status is JobStatus.FAILED
    assert run(store.get("old-running")).error_message == "too old"
    assert run(store.get("old-done")).status is JobStatus.COMPLETED
    assert run(store.get("fresh")).status is JobStatus.PENDING


def test_the_sweep_is_bounded_per_run(store, run):
    for i in range(5):
        run(store.insert(new_job(f"j{i}"), now="2026-01-01T00:00:00.000Z"))
    assert len(run(store.fail_stale(not_updated_since="2026-02-01T00:00:00.000Z", message="m", limit=3))) == 3
    assert len(run(store.fail_stale(not_updated_since="2026-02-01T00:00:00.000Z", message="m", limit=3))) == 2

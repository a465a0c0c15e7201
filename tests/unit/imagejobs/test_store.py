"""The job store's real SQL on SQLite: guarded task transitions, the job status derived from its
tasks in the same batch, listing, idempotency keys, cancel and delete."""

import itertools

import pytest

from imagejobs.jobs.messages import TaskRef
from imagejobs.jobs.model import ImageInfo, TaskResult
from imagejobs.jobs.operations import Operation
from imagejobs.jobs.ports import DuplicateKey
from imagejobs.jobs.states import JOB_TRANSITIONS, JobStatus, TaskStatus, derived_job_status
from imagejobs.jobs.store import IdempotencyKeyTaken, NewJob, TransitionRejected

GRAY, THUMB, META = Operation.GRAYSCALE, Operation.THUMBNAIL, Operation.METADATA
ALL = (GRAY, THUMB, META)


def new_job(job_id: str, owner="a@example.com", key=None, sha="s", operations=(GRAY,)) -> NewJob:
    return NewJob(
        id=job_id,
        owner=owner,
        original_key=f"originals/{job_id}.png",
        original_name="x.png",
        original=ImageInfo(10, 2, 3),
        original_sha256=sha,
        idempotency_key=key,
        operations=tuple(operations),
    )


def ref(job_id: str, operation=GRAY) -> TaskRef:
    return TaskRef(job_id, operation)


def png_result(job_id: str, operation=GRAY) -> TaskResult:
    return TaskResult(f"{operation}/{job_id}.png", 5, "image/png", 2, 3)


def test_a_new_job_is_pending_with_one_pending_task_per_operation(store, run):
    job = run(store.insert(new_job("j1", operations=(META, GRAY))))
    assert job.status is JobStatus.PENDING and job.attempts == 0 and job.started_at is None
    assert [(t.operation, t.status, t.attempts) for t in job.tasks] == [
        (GRAY, TaskStatus.PENDING, 0),
        (META, TaskStatus.PENDING, 0),
    ]
    assert run(store.get("j1")) == job


def test_attempts_count_each_start_and_started_at_is_the_first(store, run):
    run(store.insert(new_job("j1")))
    first = run(store.start_task(ref("j1"), now="2026-01-01T00:00:00.000Z"))
    second = run(store.start_task(ref("j1"), now="2026-01-01T00:00:05.000Z"))
    assert (first.attempts, second.attempts) == (1, 2)
    assert second.started_at == "2026-01-01T00:00:00.000Z"
    assert second.status is TaskStatus.IN_PROGRESS
    job = run(store.get("j1"))
    assert (job.status, job.attempts, job.started_at) == (JobStatus.IN_PROGRESS, 2, "2026-01-01T00:00:00.000Z")


@pytest.mark.parametrize("finish", ["complete", "fail", "cancel"])
def test_nothing_moves_a_task_out_of_a_terminal_state(store, run, finish):
    run(store.insert(new_job("j1")))
    run(store.start_task(ref("j1")))
    if finish == "complete":
        run(store.complete_task(ref("j1"), png_result("j1")))
    elif finish == "fail":
        run(store.fail_task(ref("j1"), "invalid_image", "bad"))
    else:
        run(store.cancel_owned("a@example.com", "j1"))
    before = run(store.get("j1"))
    for change in (
        lambda: store.start_task(ref("j1")),
        lambda: store.complete_task(ref("j1"), png_result("j1")),
        lambda: store.fail_task(ref("j1"), "processing_failed", "late"),
        lambda: store.cancel_owned("a@example.com", "j1"),
    ):
        with pytest.raises(TransitionRejected):
            run(change())
    run(store.record_task_error(ref("j1"), "processing_failed", "late"))
    assert run(store.get("j1")) == before


def test_a_pending_task_cannot_complete_without_starting(store, run):
    run(store.insert(new_job("j1")))
    with pytest.raises(TransitionRejected):
        run(store.complete_task(ref("j1"), png_result("j1")))
    assert run(store.get("j1")).status is JobStatus.PENDING


def test_a_task_the_job_does_not_have_cannot_move(store, run):
    run(store.insert(new_job("j1", operations=(GRAY,))))
    with pytest.raises(TransitionRejected):
        run(store.start_task(ref("j1", THUMB)))
    assert run(store.get("j1")).status is JobStatus.PENDING


def test_the_job_follows_its_tasks_one_by_one(store, run):
    run(store.insert(new_job("j1", operations=ALL), now="2026-01-01T00:00:00.000Z"))
    run(store.start_task(ref("j1", THUMB), now="2026-01-01T00:00:01.000Z"))
    assert run(store.get("j1")).status is JobStatus.IN_PROGRESS
    run(store.complete_task(ref("j1", THUMB), png_result("j1", THUMB), now="2026-01-01T00:00:02.000Z"))
    # One task done, two never started: the job is under way, not completed.
    assert run(store.get("j1")).status is JobStatus.IN_PROGRESS
    run(store.start_task(ref("j1", META), now="2026-01-01T00:00:03.000Z"))
    run(store.fail_task(ref("j1", META), "invalid_image", "bad", now="2026-01-01T00:00:04.000Z"))
    assert run(store.get("j1")).status is JobStatus.IN_PROGRESS  # grayscale is still pending
    run(store.start_task(ref("j1", GRAY), now="2026-01-01T00:00:05.000Z"))
    run(store.complete_task(ref("j1", GRAY), png_result("j1"), now="2026-01-01T00:00:06.000Z"))
    job = run(store.get("j1"))
    assert job.status is JobStatus.FAILED
    assert (job.started_at, job.completed_at, job.updated_at) == (
        "2026-01-01T00:00:01.000Z",
        "2026-01-01T00:00:06.000Z",
        "2026-01-01T00:00:06.000Z",
    )
    assert [t.status for t in job.tasks] == [TaskStatus.COMPLETED, TaskStatus.COMPLETED, TaskStatus.FAILED]
    assert job.task(GRAY).result == png_result("j1")


def _statuses_reachable_in_sql(store, db, run, job_id, statuses):
    """Put the job's tasks straight into `statuses` (as far as SQL allows) and derive."""
    for operation, status in zip(ALL, statuses, strict=False):
        run(db.run("UPDATE tasks SET status = ? WHERE job_id = ? AND operation = ?", status.value, job_id, operation))


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_sql_derivation_agrees_with_derived_job_status_on_every_combination(store, db, run, count):
    from imagejobs.jobs import queries

    for n, statuses in enumerate(itertools.product(TaskStatus, repeat=count)):
        job_id = f"j{count}-{n}"
        run(store.insert(new_job(job_id, operations=ALL[:count])))
        _statuses_reachable_in_sql(store, db, run, job_id, statuses)
        expected = derived_job_status(statuses)
        # From pending, the derivation is refused where JOB_TRANSITIONS forbids the move.
        run(db.run(queries.DERIVE_JOB, job_id))
        status = run(store.get(job_id)).status
        legal = expected is JobStatus.PENDING or expected in JOB_TRANSITIONS[JobStatus.PENDING]
        assert status is (expected if legal else JobStatus.PENDING), statuses
        # From in progress, every derived status but pending is a legal move.
        run(db.run("UPDATE jobs SET status = 'in_progress' WHERE id = ?", job_id))
        run(db.run(queries.DERIVE_JOB, job_id))
        status = run(store.get(job_id)).status
        assert status is (JobStatus.IN_PROGRESS if expected is JobStatus.PENDING else expected), statuses


def test_every_task_transition_moves_its_job_only_along_job_transitions():
    # Walk every sequence of legal task moves of a two-task job; the derived job status must
    # only ever move along JOB_TRANSITIONS (or stay).
    from imagejobs.jobs.states import TASK_TRANSITIONS

    seen = set()
    frontier = [(TaskStatus.PENDING, TaskStatus.PENDING)]
    while frontier:
        state = frontier.pop()
        if state in seen:
            continue
        seen.add(state)
        before = derived_job_status(state)
        for index in range(len(state)):
            for target in TASK_TRANSITIONS[state[index]]:
                after_state = state[:index] + (target,) + state[index + 1 :]
                after = derived_job_status(after_state)
                assert after is before or after in JOB_TRANSITIONS[before], (state, after_state)
                frontier.append(after_state)
    assert len(seen) == 25


def test_cancel_stops_the_unfinished_tasks_and_keeps_the_finished_ones(store, run):
    run(store.insert(new_job("j1", operations=ALL)))
    run(store.start_task(ref("j1", GRAY)))
    run(store.complete_task(ref("j1", GRAY), png_result("j1")))
    run(store.start_task(ref("j1", THUMB)))
    job = run(store.cancel_owned("a@example.com", "j1"))
    assert job.status is JobStatus.CANCELLED
    assert [t.status for t in job.tasks] == [TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.CANCELLED]
    assert job.task(GRAY).result == png_result("j1")
    assert run(store.get("j1")) == job
    # A late completion of the cancelled task is refused and leaves the job cancelled.
    with pytest.raises(TransitionRejected):
        run(store.complete_task(ref("j1", THUMB), png_result("j1", THUMB)))
    assert run(store.get("j1")).status is JobStatus.CANCELLED


def test_cancel_is_owner_scoped(store, run):
    run(store.insert(new_job("j1", owner="a@example.com", operations=ALL)))
    with pytest.raises(TransitionRejected):
        run(store.cancel_owned("b@example.com", "j1"))
    job = run(store.get("j1"))
    assert job.status is JobStatus.PENDING and {t.status for t in job.tasks} == {TaskStatus.PENDING}


def test_delete_removes_the_job_and_its_tasks_owner_scoped(store, run, db):
    run(store.insert(new_job("j1", operations=ALL)))
    run(store.insert(new_job("j2")))
    assert run(store.delete_owned("b@example.com", "j1")) is False
    assert run(store.delete_owned("a@example.com", "j1")) is True
    assert run(store.get("j1")) is None
    assert run(db.all("SELECT job_id FROM tasks")) == [{"job_id": "j2"}]


def test_a_task_cannot_exist_without_its_job(db, run):
    # D1 enforces foreign keys; the store deletes a job's tasks first.
    with pytest.raises(Exception, match="FOREIGN KEY"):
        run(
            db.run(
                "INSERT INTO tasks (job_id, operation, status, created_at, updated_at) "
                "VALUES ('x', 'grayscale', 'pending', 'a', 'a')"
            )
        )


def test_listing_is_newest_first_and_pages_stay_stable_under_inserts(store, run, db):
    for i in range(5):
        run(store.insert(new_job(f"j{i}", operations=ALL[: 1 + i % 3])))
    first = run(store.list("a@example.com", limit=2))
    assert [j.id for j in first.jobs] == ["j4", "j3"]
    assert [len(j.tasks) for j in first.jobs] == [2, 1]  # each job with its own tasks
    run(store.insert(new_job("j9")))  # arrives between pages
    second = run(store.list("a@example.com", limit=2, after=first.next_after))
    third = run(store.list("a@example.com", limit=2, after=second.next_after))
    assert [j.id for j in second.jobs] == ["j2", "j1"]
    assert [j.id for j in third.jobs] == ["j0"] and third.next_after is None
    assert [j.operations for j in second.jobs + third.jobs] == [ALL, (GRAY, THUMB), (GRAY,)]


def test_jobs_created_in_the_same_millisecond_list_in_insertion_order(store, run):
    for name in ("z", "a", "m"):
        run(store.insert(new_job(name), now="2026-01-01T00:00:00.000Z"))
    first = run(store.list("a@example.com", limit=2))
    rest = run(store.list("a@example.com", limit=2, after=first.next_after))
    assert [j.id for j in first.jobs + rest.jobs] == ["m", "a", "z"]


def test_listing_filters_by_the_derived_status_and_owner(store, run):
    run(store.insert(new_job("a1", operations=ALL)))
    run(store.insert(new_job("a2", operations=ALL)))
    run(store.insert(new_job("b1", owner="b@example.com")))
    run(store.start_task(ref("a2", META)))
    page = run(store.list("a@example.com", limit=10, status=JobStatus.IN_PROGRESS))
    assert [j.id for j in page.jobs] == ["a2"]
    assert {j.id for j in run(store.list("a@example.com", limit=10)).jobs} == {"a1", "a2"}


def test_an_idempotency_key_names_one_job_per_owner(store, run, db):
    run(store.insert(new_job("j1", key="k")))
    with pytest.raises(IdempotencyKeyTaken):
        run(store.insert(new_job("j2", key="k", operations=ALL)))
    assert run(db.all("SELECT job_id FROM tasks WHERE job_id = 'j2'")) == []  # the batch left nothing
    run(store.insert(new_job("j3", owner="b@example.com", key="k")))  # another owner may reuse it


def test_a_duplicate_id_is_not_mistaken_for_an_idempotency_key(store, run):
    run(store.insert(new_job("j1", key="k")))
    with pytest.raises(DuplicateKey):
        run(store.insert(new_job("j1", key="other")))


def test_an_expired_idempotency_key_is_released(store, run):
    run(store.insert(new_job("j1", key="k", operations=(GRAY, META)), now="2026-01-01T00:00:00.000Z"))
    found = run(store.find_by_idempotency_key("a@example.com", "k", created_after="2025-12-31T00:00:00.000Z"))
    assert found.id == "j1" and found.operations == (GRAY, META)
    assert run(store.find_by_idempotency_key("a@example.com", "k", created_after="2026-01-02T00:00:00.000Z")) is None
    run(store.insert(new_job("j2", key="k")))  # the key is free again


def test_stale_tasks_are_failed_and_fresh_or_terminal_ones_are_not(store, run):
    run(store.insert(new_job("old-pending"), now="2026-01-01T00:00:00.000Z"))
    run(store.insert(new_job("old-running"), now="2026-01-01T00:00:00.000Z"))
    run(store.start_task(ref("old-running"), now="2026-01-01T01:00:00.000Z"))
    run(store.insert(new_job("old-done"), now="2026-01-01T00:00:00.000Z"))
    run(store.start_task(ref("old-done"), now="2026-01-01T00:00:00.000Z"))
    run(store.complete_task(ref("old-done"), png_result("old-done"), now="2026-01-01T00:00:01.000Z"))
    run(store.insert(new_job("fresh"), now="2026-01-02T12:00:00.000Z"))

    failed = run(store.fail_stale(not_updated_since="2026-01-02T00:00:00.000Z", message="too old", limit=10))

    assert {(t["job_id"], t["operation"], t["owner"]) for t in failed} == {
        ("old-pending", "grayscale", "a@example.com"),
        ("old-running", "grayscale", "a@example.com"),
    }
    running = run(store.get("old-running"))
    assert running.status is JobStatus.FAILED and running.task(GRAY).error_message == "too old"
    assert run(store.get("old-pending")).status is JobStatus.FAILED
    assert run(store.get("old-done")).status is JobStatus.COMPLETED
    assert run(store.get("fresh")).status is JobStatus.PENDING


def test_the_sweep_fails_a_silent_task_and_leaves_its_busy_sibling_alone(store, run):
    run(store.insert(new_job("j", operations=(GRAY, THUMB)), now="2026-01-01T00:00:00.000Z"))
    run(store.start_task(ref("j", THUMB), now="2026-01-03T00:00:00.000Z"))
    failed = run(store.fail_stale(not_updated_since="2026-01-02T00:00:00.000Z", message="too old", limit=10))
    assert [(t["job_id"], t["operation"]) for t in failed] == [("j", "grayscale")]
    job = run(store.get("j"))
    assert job.status is JobStatus.IN_PROGRESS  # the thumbnail still runs
    run(store.complete_task(ref("j", THUMB), png_result("j", THUMB)))
    assert run(store.get("j")).status is JobStatus.FAILED


def test_the_sweep_is_bounded_per_run(store, run):
    for i in range(5):
        run(store.insert(new_job(f"j{i}"), now="2026-01-01T00:00:00.000Z"))
    assert len(run(store.fail_stale(not_updated_since="2026-02-01T00:00:00.000Z", message="m", limit=3))) == 3
    assert len(run(store.fail_stale(not_updated_since="2026-02-01T00:00:00.000Z", message="m", limit=3))) == 2


def test_a_job_recorded_before_fan_out_is_given_its_grayscale_task(store, run, db):
    run(store.insert(new_job("old")))
    run(db.run("DELETE FROM tasks WHERE job_id = 'old'"))  # as an older Worker would have left it
    assert run(store.get("old")).tasks == ()
    assert run(store.adopt_job_without_tasks("old")) is True
    assert run(store.get("old")).operations == (GRAY,)
    assert run(store.adopt_job_without_tasks("old")) is False  # only once

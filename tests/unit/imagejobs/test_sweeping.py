from datetime import UTC, datetime

from imagejobs.jobs.states import JobStatus
from imagejobs.jobs.sweeping import sweep_stale_jobs

from .test_store import new_job


def test_the_sweep_fails_tasks_older_than_a_day_and_their_jobs_follow(store, blobs, run, capsys):
    run(store.insert(new_job("stuck"), now="2026-03-01T00:00:00.000Z"))
    run(store.insert(new_job("recent"), now="2026-03-01T23:00:00.000Z"))
    count = run(sweep_stale_jobs(store, blobs, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC)))
    assert count == 1
    stuck = run(store.get("stuck"))
    task = stuck.tasks[0]
    assert stuck.status is JobStatus.FAILED and task.error_code == "processing_failed"
    assert "24 hours" in task.error_message
    assert run(store.get("recent")).status is JobStatus.PENDING
    assert '"outcome":"stale"' in capsys.readouterr().out

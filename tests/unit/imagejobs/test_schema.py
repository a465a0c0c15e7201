"""schema.sql is the migrations applied in order; the CHECKs list exactly the job and task states and
the operations; migration 0004 turns every existing job into a job with one grayscale task."""

import re
import sqlite3

from imagejobs.jobs.operations import Operation
from imagejobs.jobs.states import TRANSITIONS, JobStatus, TaskStatus

from .sqlite_database import MIGRATIONS, REPO


def _layout_free(sql: str | None) -> str | None:
    """SQL without comments and layout: an `ALTER TABLE … ADD COLUMN` stores the new column
    at the end of the table's text, where schema.sql writes it as one more line."""
    if sql is None:
        return None
    sql = re.sub(r"--[^\n]*", " ", sql)
    sql = re.sub(r"\s+", " ", sql)
    return re.sub(r" ?([,()]) ?", r"\1", sql).strip()


def _schema(script: str) -> list[tuple]:
    connection = sqlite3.connect(":memory:")
    connection.executescript(script)
    rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return sorted((kind, name, table, _layout_free(sql)) for kind, name, table, sql in rows)


def _sql_of(name: str) -> str:
    return {n: sql for _, n, _, sql in _schema((REPO / "schema.sql").read_text())}[name]


def _listed_states(text: str) -> set[str]:
    return {s.strip().strip("'") for s in text.split(",")}


def test_schema_sql_equals_the_migrations_applied_in_order():
    migrated = "\n".join(m.read_text() for m in MIGRATIONS)
    assert MIGRATIONS, "no migrations found"
    assert _schema((REPO / "schema.sql").read_text()) == _schema(migrated)


def test_the_layout_free_comparison_still_sees_every_column():
    assert _layout_free("CREATE TABLE t (a TEXT, b INT)") != _layout_free("CREATE TABLE t (a TEXT)")


def test_status_check_constraint_lists_exactly_the_job_states():
    listed = re.search(r"CHECK\(status IN\(([^)]*)\)\)", _sql_of("jobs")).group(1)
    assert _listed_states(listed) == {s.value for s in JobStatus}


def test_the_live_jobs_index_covers_exactly_the_non_terminal_states():
    listed = re.search(r"WHERE status IN\(([^)]*)\)", _sql_of("jobs_live_updated")).group(1)
    assert _listed_states(listed) == {s.value for s in JobStatus if not s.is_terminal}


def test_every_state_has_a_transition_entry_and_terminal_states_have_none():
    assert set(TRANSITIONS) == set(JobStatus)
    assert {s for s in JobStatus if s.is_terminal} == {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


def test_the_tasks_checks_list_exactly_the_operations_and_the_task_states():
    tasks = _sql_of("tasks")
    operations = re.search(r"CHECK\(operation IN\(([^)]*)\)\)", tasks).group(1)
    statuses = re.search(r"CHECK\(status IN\(([^)]*)\)\)", tasks).group(1)
    assert _listed_states(operations) == {o.value for o in Operation}
    assert _listed_states(statuses) == {s.value for s in TaskStatus}


def test_the_live_tasks_index_covers_exactly_the_non_terminal_task_states():
    listed = re.search(r"WHERE status IN\(([^)]*)\)", _sql_of("tasks_live_updated")).group(1)
    assert _listed_states(listed) == {s.value for s in TaskStatus if not s.is_terminal}


def test_migration_0004_gives_every_existing_job_its_grayscale_task():
    tasks = next(i for i, m in enumerate(MIGRATIONS) if m.name.endswith("_tasks.sql"))
    before, after = MIGRATIONS[:tasks], MIGRATIONS[tasks : tasks + 1]
    assert [m.name for m in after] == ["0004_tasks.sql"]
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.executescript("\n".join(m.read_text() for m in before))
    columns = (
        "id, owner, status, created_at, updated_at, started_at, completed_at, attempts, original_key, original_name, "
        "original_size, original_content_type, original_width, original_height, original_sha256, result_key, "
        "result_size, result_width, result_height, error_code, error_message, enqueued_at, redrives, seq"
    )
    rows = [
        ("p", "pending", None, None, 0, None, None, None, None, "t1", 0),
        ("r", "in_progress", "t1", None, 2, None, None, "processing_failed", "R2 hiccup", "t1", 1),
        ("c", "completed", "t1", "t2", 1, "results/c.png", 77, None, None, "t0", 0),
        ("f", "failed", "t1", "t2", 4, None, None, "invalid_image", "bad", "t0", 0),
        ("x", "cancelled", None, "t2", 0, None, None, None, None, "t0", 0),
    ]
    for seq, (job_id, status, started, completed, attempts, key, size, code, message, enqueued, redrives) in enumerate(
        rows, 1
    ):
        connection.execute(
            f"INSERT INTO jobs ({columns}) VALUES (?, 'a', ?, 't0', 't2', ?, ?, ?, 'o', 'n', 1, 'image/png', 3, 2, "
            "'s', ?, ?, 3, 2, ?, ?, ?, ?, ?)",
            (job_id, status, started, completed, attempts, key, size, code, message, enqueued, redrives, seq),
        )
    connection.executescript("\n".join(m.read_text() for m in after))
    tasks = {row["job_id"]: dict(row) for row in connection.execute("SELECT * FROM tasks")}
    assert {t["operation"] for t in tasks.values()} == {"grayscale"} and set(tasks) == {"p", "r", "c", "f", "x"}
    for job_id, status, started, completed, attempts, key, size, code, message, enqueued, redrives in rows:
        task = tasks[job_id]
        assert (task["status"], task["started_at"], task["completed_at"], task["attempts"]) == (
            status,
            started,
            completed,
            attempts,
        )
        assert (task["result_key"], task["result_size"], task["error_code"], task["error_message"]) == (
            key,
            size,
            code,
            message,
        )
        assert (task["enqueued_at"], task["redrives"]) == (enqueued, redrives)
        assert task["result_content_type"] == ("image/png" if key else None)
        assert (task["result_width"], task["result_height"]) == (3, 2)

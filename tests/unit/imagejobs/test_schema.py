"""schema.sql is the migrations applied in order, and the CHECK lists exactly the job states."""

import re
import sqlite3

from imagejobs.jobs.states import TRANSITIONS, JobStatus

from .sqlite_database import MIGRATIONS, REPO


def _schema(script: str) -> list[tuple]:
    connection = sqlite3.connect(":memory:")
    connection.executescript(script)
    return sorted(connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())


def test_schema_sql_equals_the_migrations_applied_in_order():
    migrated = "\n".join(m.read_text() for m in MIGRATIONS)
    assert MIGRATIONS, "no migrations found"
    assert _schema((REPO / "schema.sql").read_text()) == _schema(migrated)


def test_status_check_constraint_lists_exactly_the_job_states():
    table_sql = {name: sql for _, name, _, sql in _schema((REPO / "schema.sql").read_text())}["jobs"]
    listed = re.search(r"CHECK \(status IN \(([^)]*)\)\)", table_sql).group(1)
    assert {s.strip().strip("'") for s in listed.split(",")} == {s.value for s in JobStatus}


def test_every_state_has_a_transition_entry_and_terminal_states_have_none():
    assert set(TRANSITIONS) == set(JobStatus)
    assert {s for s in JobStatus if s.is_terminal} == {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}

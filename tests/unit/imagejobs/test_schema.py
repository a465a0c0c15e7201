"""schema.sql is the migrations applied in order, and the CHECK lists exactly the job states."""

import re
import sqlite3

from imagejobs.jobs.states import TRANSITIONS, JobStatus

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

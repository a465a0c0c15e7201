import asyncio

import pytest

from imagejobs.jobs.service import JobService
from imagejobs.jobs.store import JobStore

from .sqlite_database import MemoryBlobStore, MemoryQueue, SqliteDatabase


@pytest.fixture
def run():
    """Run a coroutine to completion (the code under test is async, as on the Workers runtime)."""
    return lambda coroutine: asyncio.run(coroutine)


@pytest.fixture
def db():
    return SqliteDatabase()


@pytest.fixture
def store(db):
    return JobStore(db)


@pytest.fixture
def blobs():
    return MemoryBlobStore()


@pytest.fixture
def queue():
    return MemoryQueue()


@pytest.fixture
def service(store, blobs, queue):
    return JobService(store, blobs, queue)

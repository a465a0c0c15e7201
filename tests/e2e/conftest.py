import os

import pytest

from tests.conftest import launch_runtime


@pytest.fixture(scope="session")
def outage(tmp_path_factory):
    """A second runtime whose R2 reads of originals fail (a simulated outage): every job keeps
    failing transiently. (url, log path)."""
    if os.environ.get("WORKER_URL"):
        pytest.skip("starts its own Worker")
    folder = tmp_path_factory.mktemp("outage")
    with launch_runtime(folder, {}, ("--inject-fault", "IMAGES_BUCKET.get=originals/")) as (url, log):
        yield url, log

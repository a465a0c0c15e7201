"""What the page downloads to show a history of 20 jobs, measured side by side in one run: jobs
uploaded as before fan-out (grayscale only: each card downloads the full original and the full
grayscale result, exactly the requests the page always made) against jobs uploaded as the page
uploads them now (grayscale and thumbnail: each card downloads only the thumbnail). Both on a
runtime of the test's own, with a viewport tall enough for every card to load its previews.

The byte counts are printed (run with `-s`); the test asserts the saving it is about."""

import io
import os
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.conftest import UserClient, launch_runtime

from .helpers import open_as

JOBS = 20
SIZE = (640, 480)
pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker")


def photo(seed: int) -> bytes:
    """A noisy photo-like RGB image (noise compresses badly, as photos do)."""
    red = Image.linear_gradient("L").resize(SIZE)
    green = Image.radial_gradient("L").resize(SIZE)
    noise = Image.effect_noise(SIZE, 40 + seed)
    blue = Image.blend(red.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.5)
    out = io.BytesIO()
    Image.merge("RGB", (Image.blend(red, noise, 0.3), green, blue)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """A runtime with two users of 20 finished jobs each: (url, {label: (email, upload bytes)})."""
    with launch_runtime(tmp_path_factory.mktemp("transfer"), {"PROCESSING_DELAY_SECONDS": "0"}) as (url, _log):
        users = {}
        for label, operations in (("before", "grayscale"), ("after", "grayscale,thumbnail")):
            email = f"transfer-{label}-{uuid.uuid4().hex[:8]}@example.com"
            client = UserClient(url, email)
            ids, uploaded = [], 0
            for i in range(JOBS):
                data = photo(i % 5)
                uploaded += len(data)
                response = client.http.post(
                    "/api/jobs",
                    files=[("file", (f"photo-{i:02d}.png", data, "image/png")), ("operations", (None, operations))],
                )
                assert response.status_code == 202, response.text
                ids.append(response.json()["job"]["id"])
            for job_id in ids:
                job, _ = client.wait_until_terminal(job_id, timeout=300)
                assert job["status"] == "completed", job
            users[label] = (email, uploaded)
        yield url, users


def bytes_to_show_history(browser, url: str, email: str) -> tuple[int, int]:
    """Opens the page as `email`, shows all 20 jobs with their previews; returns (bytes of every
    response body the page received, number of image downloads)."""
    context = browser.new_context(viewport={"width": 1100, "height": 40_000})
    page = context.new_page()
    received: list[tuple[str, int]] = []
    page.on("requestfinished", lambda request: received.append((request.url, request.sizes()["responseBodySize"])))
    open_as(page, url, email)
    page.get_by_role("button", name="Load more").click()
    cards = page.locator("li.job")
    expect(cards).to_have_count(JOBS)
    for kind in ("original", "result"):
        images = page.locator(f'li.job [data-kind="{kind}"] img:not([hidden])')
        expect(images).to_have_count(JOBS, timeout=60_000)
    page.wait_for_load_state("networkidle")
    context.close()
    downloads = sum(1 for address, _ in received if "/original" in address or "/result" in address)
    return sum(size for _, size in received), downloads


def test_a_20_job_history_downloads_thumbnails_not_full_images(browser, histories):
    url, users = histories
    before, before_downloads = bytes_to_show_history(browser, url, users["before"][0])
    after, after_downloads = bytes_to_show_history(browser, url, users["after"][0])
    uploaded = users["before"][1]
    print(
        f"\n20-job history of {SIZE[0]}×{SIZE[1]} photos ({uploaded / JOBS / 1024:.0f} KiB each): "
        f"before {before / 1024:.0f} KiB in {before_downloads} image downloads, "
        f"after {after / 1024:.0f} KiB in {after_downloads}; {before / after:.1f}× less"
    )
    assert before_downloads == 2 * JOBS  # the full original and the full result of every job
    assert after_downloads == JOBS  # one thumbnail per job, for both previews
    assert before > uploaded  # every original came down again, and its result with it
    assert after * 5 < before

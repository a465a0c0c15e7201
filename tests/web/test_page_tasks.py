"""The page and fan-out: operations chosen at upload, each task's status on its card as it lands,
previews from the thumbnail (no full image downloaded), per-task downloads, and a task that
fails while the others complete."""

import io
import json
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from tests.conftest import UserClient

from .helpers import card, luma, open_as, write_png


def test_all_three_operations_from_the_page_each_task_lands_and_previews_come_from_the_thumbnail(
    page, base_url, email, tmp_path, shot
):
    open_as(page, base_url, email)
    expect(page.get_by_label("Grayscale version", exact=True)).to_be_checked()
    expect(page.get_by_label("Thumbnail", exact=True)).to_be_checked()
    expect(page.get_by_label("Metadata (JSON)")).not_to_be_checked()
    page.get_by_label("Metadata (JSON)").check()
    downloads: list[str] = []
    page.on("request", lambda request: downloads.append(request.url) if "/api/jobs/" in request.url else None)

    original = write_png(tmp_path / "wide.png", 600, 300, seed=3)
    page.set_input_files("#file-input", str(original))

    job = card(page, "wide.png")
    tasks = job.locator(".tasks .task")
    expect(tasks).to_have_count(3)
    expect(tasks.locator(".task-name")).to_have_text(["Grayscale", "Thumbnail", "Metadata"])
    # The original shows at once, from the chosen file itself.
    expect(job.locator('[data-kind="original"] img')).to_be_visible()
    expect(job).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(tasks.locator(".task-status")).to_have_text(["Completed"] * 3)
    result = job.locator('[data-kind="result"] img')
    expect(result).to_be_visible()
    # The gray preview is the thumbnail's size, drawn from the thumbnail in the page.
    assert result.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [256, 128]
    shot(page, "10-three-tasks")

    paths = [re.sub(r"^https?://[^/]+", "", url) for url in downloads]
    job_id = job.get_attribute("data-job-id")
    images = [p for p in paths if p.startswith(f"/api/jobs/{job_id}/") and "cancel" not in p]
    assert images == [f"/api/jobs/{job_id}/results/thumbnail"], paths  # no original, no full result

    # Download fetches the full grayscale image only now, exactly Pillow's luma.
    with page.expect_download() as info:
        job.get_by_role("link", name="Download wide-grayscale.png").click()
    saved = tmp_path / "gray.png"
    info.value.save_as(saved)
    assert Image.open(saved).tobytes() == luma(original).tobytes()

    with page.expect_download() as info:
        job.get_by_role("button", name="Download wide-metadata.json").click()
    assert info.value.suggested_filename == "wide-metadata.json"
    report = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert (report["width"], report["height"]) == (600, 300)

    with page.expect_download() as info:
        job.get_by_role("button", name="Download wide-thumbnail.png").click()
    assert Image.open(io.BytesIO(Path(info.value.path()).read_bytes())).size == (256, 128)


def test_a_history_job_with_a_thumbnail_previews_both_images_from_it(page, base_url, email, tmp_path):
    user = UserClient(base_url, email)
    data = write_png(tmp_path / "old.png", 300, 200, seed=5).read_bytes()
    files = [("file", ("old.png", data, "image/png")), ("operations", (None, "grayscale,thumbnail"))]
    job = user.http.post("/api/jobs", files=files).json()["job"]
    user.wait_until_terminal(job["id"])
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    open_as(page, base_url, email)
    item = card(page, "old.png")
    for kind in ("original", "result"):
        expect(item.locator(f'[data-kind="{kind}"] img')).to_be_visible()
        size = item.locator(f'[data-kind="{kind}"] img').evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert size == [256, 171]
    fetched = [url for url in requests if f"/api/jobs/{job['id']}/" in url]
    assert len(fetched) == 1 and fetched[0].endswith("/results/thumbnail"), fetched


def test_nothing_ticked_uploads_nothing(page, base_url, email, tmp_path):
    open_as(page, base_url, email)
    page.get_by_label("Grayscale version", exact=True).uncheck()
    page.get_by_label("Thumbnail", exact=True).uncheck()
    page.set_input_files("#file-input", str(write_png(tmp_path / "none.png", 8, 8)))
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one")
    assert UserClient(base_url, email).http.get("/api/jobs").json()["jobs"] == []


def test_a_task_that_fails_shows_its_error_while_the_others_complete(page, base_url, email, tmp_path):
    """A thumbnail larger than the server allows is not possible to provoke from outside, so the
    failing task is a scripted answer: the card shows what the API says."""
    open_as(page, base_url, email)
    user = UserClient(base_url, email)
    data = write_png(tmp_path / "mixed.png", 40, 30).read_bytes()
    files = [("file", ("mixed.png", data, "image/png")), ("operations", (None, "grayscale,metadata"))]
    real = user.http.post("/api/jobs", files=files).json()["job"]
    done, _ = user.wait_until_terminal(real["id"])
    scripted = json.loads(json.dumps(done))
    scripted["status"] = "failed"
    metadata = scripted["tasks"][1]
    metadata.update(status="failed", result=None, error={"code": "processing_failed", "message": "R2 was down"})
    scripted["error"] = {
        "code": "processing_failed",
        "message": "R2 was down (metadata failed; grayscale completed and kept)",
        "tasks": ["metadata"],
    }
    page.route(
        "**/api/jobs?*",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps({"jobs": [scripted], "next_cursor": None})
        ),
    )
    page.reload()
    item = card(page, "mixed.png")
    expect(item).to_have_attribute("data-status", "failed")
    expect(item.locator('.task[data-operation="metadata"] .task-error')).to_have_text("R2 was down.")
    expect(item.locator('.task[data-operation="grayscale"] .task-status')).to_have_text("Completed")
    expect(item.locator(".job-error")).to_contain_text("metadata failed; grayscale completed and kept")
    # The completed grayscale result stays: previewed in full (no thumbnail) and downloadable.
    expect(item.locator('[data-kind="result"] img')).to_be_visible()
    expect(item.get_by_role("link", name="Download mixed-grayscale.png")).to_be_visible()

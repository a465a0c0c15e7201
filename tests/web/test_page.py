"""The web page (public/) in real Chromium against the running Worker: upload, live states,
before/after, download, cancel, delete, failures, history, client-side checks, identity modes,
keyboard use, phone width and security headers."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import UserClient

from .helpers import TERMINAL, card, luma, open_as, statuses, write_corrupt_png, write_huge_header_png, write_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_page_and_assets_carry_the_security_headers(base_url):
    for path in ("/", "/app.js", "/styles.css", "/favicon.svg"):
        response = httpx.get(base_url + path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "blob:" in directives["img-src"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "camera=()" in response.headers["permissions-policy"]
    page = httpx.get(base_url + "/")
    assert page.headers["content-type"].startswith("text/html")
    assert "style=" not in page.text and "<script>" not in page.text  # nothing inline for the CSP to refuse
    # /api/* still reaches Python, not the assets.
    api = httpx.get(base_url + "/api/health")
    assert api.json()["status"] == "ok" and "content-security-policy" not in api.headers


def test_upload_watch_the_states_and_download_pillows_grayscale(page, base_url, email, tmp_path, shot):
    open_as(page, base_url, email)
    expect(page.locator("#jobs-status")).to_have_text("No jobs yet. Upload a PNG image to start.")
    shot(page, "01-empty")
    original = write_png(tmp_path / "photo.png", 61, 37, seed=7)  # odd sizes: no alignment to lean on

    page.set_input_files("#file-input", str(original))

    job = card(page, "photo.png")
    expect(job).to_have_count(1)
    job_id = job.get_attribute("data-job-id")
    expect(job.locator(".badge")).to_have_text(re.compile("Pending|In progress"))
    expect(job.locator(".job-meta")).to_contain_text("61 × 37")
    expect(job.locator('[data-kind="original"] img')).to_be_visible()  # fetched with the header, via blob:
    shot(page, "02-in-progress")

    expect(job).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(job.locator(".badge")).to_have_text("Completed")
    seen = statuses(page, job_id)
    assert seen[0] == "pending" and seen[-1] == "completed", seen
    assert seen == [s for s in ("pending", "in_progress", "completed") if s in seen], seen
    assert len(seen) >= 2, seen  # the person saw it change, not just a finished job
    for step in ("pending", "in_progress", "end"):
        expect(job.locator(f'[data-step="{step}"]')).to_have_attribute("data-phase", "done")
    expect(page.locator("#announcer")).to_contain_text("photo.png is completed")
    expect(job.locator(".cancel")).to_be_hidden()

    result_img = job.locator('[data-kind="result"] img')
    expect(result_img).to_be_visible()
    assert result_img.get_attribute("src").startswith("blob:")
    natural = result_img.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural == [61, 37]
    shot(page, "03-completed-before-after")

    with page.expect_download() as info:
        job.get_by_role("link", name="Download photo-grayscale.png").click()
    download = info.value
    assert download.suggested_filename == "photo-grayscale.png"
    saved = tmp_path / "downloaded.png"
    download.save_as(saved)
    from PIL import Image

    result = Image.open(saved)
    assert result.mode == "L" and result.size == (61, 37)
    assert result.tobytes() == luma(original).tobytes()


def test_cancel_the_last_of_three_then_delete_one(page, base_url, email, tmp_path, shot, console):
    open_as(page, base_url, email)
    files = [write_png(tmp_path / f"batch-{i}.png", 48, 32, seed=i) for i in (1, 2, 3)]

    page.set_input_files("#file-input", [str(f) for f in files])

    # Uploads run one after another, so the cards come in order, newest first.
    expect(page.locator("li.job")).to_have_count(3)
    expect(page.locator("li.job .job-name")).to_have_text(["batch-3.png", "batch-2.png", "batch-1.png"])
    last = card(page, "batch-3.png")
    # The queue converts one image at a time with 0.5 s waits before and after each: the third
    # cannot be finished yet, so the cancel button is there and cancelling works.
    expect(last).to_have_attribute("data-status", re.compile("pending|in_progress"))
    last.get_by_role("button", name="Cancel batch-3.png").click()

    expect(last).to_have_attribute("data-status", "cancelled")
    expect(last.locator(".badge")).to_have_text("Cancelled")
    expect(last.locator(".cancel")).to_be_hidden()
    expect(last.locator('[data-step="end"] .step-label')).to_have_text("Cancelled")
    expect(last.locator('[data-kind="result"] .placeholder')).to_have_text("Cancelled")
    expect(page.locator("#announcer")).to_contain_text("batch-3.png is cancelled")
    user = UserClient(base_url, email)
    assert user.job(last.get_attribute("data-job-id"))["status"] == "cancelled"
    shot(page, "04-cancelled")

    # Delete asks first; "Keep" keeps it, "Delete" removes the job on the server and the card.
    first = card(page, "batch-1.png")
    first_id = first.get_attribute("data-job-id")
    first.get_by_role("button", name="Delete batch-1.png").click()
    expect(first.get_by_role("button", name="Keep")).to_be_focused()
    page.keyboard.press("Enter")
    expect(first.locator(".confirm")).to_be_hidden()
    expect(first).to_have_count(1)
    first.get_by_role("button", name="Delete batch-1.png").click()
    preview_url = first.locator('[data-kind="original"] img').get_attribute("src")
    assert page.evaluate(IMAGE_LOADS, preview_url) is True
    console.allow(re.escape(preview_url))  # the probe below loads it after revocation, on purpose
    first.locator(".confirm-yes").click()
    expect(page.locator("li.job")).to_have_count(2)
    assert user.http.get(f"/api/jobs/{first_id}").status_code == 404
    expect(page.locator("#announcer")).to_contain_text("batch-1.png deleted")
    assert page.evaluate(IMAGE_LOADS, preview_url) is False  # its object URL was revoked

    # The one left running finishes on its own.
    expect(card(page, "batch-2.png")).to_have_attribute("data-status", "completed", timeout=30_000)


def test_a_failed_job_shows_its_error_message(page, base_url, email, tmp_path, shot):
    open_as(page, base_url, email)
    page.set_input_files("#file-input", str(write_corrupt_png(tmp_path / "broken.png")))

    job = card(page, "broken.png")
    expect(job).to_have_attribute("data-status", "failed", timeout=30_000)
    expect(job.locator(".badge")).to_have_text("Failed")
    error = job.locator(".job-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("This job failed: The image cannot be decoded")
    expect(job.locator(".download")).to_be_hidden()
    expect(page.locator("#announcer")).to_contain_text("broken.png failed")
    shot(page, "05-failed")


def test_history_survives_a_reload_pages_with_load_more_and_resumes_polling(page, base_url, email, tmp_path, shot):
    user = UserClient(base_url, email)
    small = write_png(tmp_path / "old.png", 8, 8).read_bytes()
    for i in range(11):  # cancelled at once: the queue skips them, other tests are not slowed
        job = user.upload(small, name=f"old-{i:02d}.png").json()["job"]
        assert user.http.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
    running = user.upload(write_png(tmp_path / "newest.png", 30, 20).read_bytes(), name="newest.png").json()["job"]
    assert running["status"] == "pending"

    open_as(page, base_url, email)

    # Newest first, ten per page: the running job and nine cancelled ones, then "Load more".
    expect(page.locator("li.job")).to_have_count(10)
    expect(page.locator("li.job .job-name").first).to_have_text("newest.png")
    load_more = page.get_by_role("button", name="Load more")
    expect(load_more).to_be_visible()
    # The page was opened while the job was pending: it resumes polling and sees it finish.
    expect(card(page, "newest.png")).to_have_attribute("data-status", "completed", timeout=30_000)
    load_more.click()
    expect(page.locator("li.job")).to_have_count(12)
    expect(load_more).to_be_hidden()
    names = page.locator("li.job .job-name").all_text_contents()
    assert names == ["newest.png"] + [f"old-{i:02d}.png" for i in range(10, -1, -1)]

    # A reload keeps the dev user (localStorage) and the server gives the history back.
    page.reload()
    expect(page.get_by_label("Dev user")).to_have_value(email)
    expect(page.locator("#jobs-owner")).to_have_text(email)
    expect(page.locator("li.job")).to_have_count(10)
    expect(card(page, "newest.png")).to_have_attribute("data-status", "completed")
    expect(card(page, "newest.png").locator('[data-kind="result"] img')).to_be_visible()
    expect(card(page, "old-10.png")).to_have_attribute("data-status", "cancelled")


def test_the_page_shows_the_limits_the_server_publishes(page, base_url, email):
    open_as(page, base_url, email)
    limits = httpx.get(f"{base_url}/api/me", headers={"X-Dev-User": email}).json()["limits"]
    megapixels = limits["max_pixels"] // 1_000_000
    expect(page.locator("#drop-hint")).to_have_text(
        f"PNG only, up to {limits['max_upload_bytes'] // 2**20} MiB and {megapixels} megapixels each."
    )


def test_a_non_png_is_refused_in_the_page_and_nothing_is_sent(page, base_url, email, tmp_path):
    open_as(page, base_url, email)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    fake = tmp_path / "holiday.png"  # a PNG name, JPEG bytes: the first 8 bytes decide
    fake.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\0" * 100)
    text = tmp_path / "notes.txt"
    text.write_text("not an image")

    page.set_input_files("#file-input", [str(fake), str(text)])

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("holiday.png is not a PNG image")
    expect(alert).to_contain_text("notes.txt is not a PNG image")
    assert "[object" not in alert.inner_text()
    expect(page.locator("li.job")).to_have_count(0)
    expect(page.locator(".upload-row")).to_have_count(0)
    assert posts == []
    page.get_by_role("button", name="Dismiss messages").click()
    expect(page.locator("#alerts")).to_be_empty()


def test_a_file_over_20_mib_is_refused_in_the_page(page, base_url, email, tmp_path):
    open_as(page, base_url, email)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    big = tmp_path / "huge.png"
    big.write_bytes(PNG_SIGNATURE + b"\0" * (20 * 1024 * 1024 + 1 - len(PNG_SIGNATURE)))

    page.set_input_files("#file-input", str(big))

    expect(page.get_by_role("alert")).to_contain_text("huge.png is 20.0 MB; the limit is 20 MiB")
    assert posts == []


def test_the_servers_error_message_is_shown_when_it_refuses_an_upload(page, base_url, email, tmp_path, console):
    # The pixel limit cannot be checked cheaply in the page: the server is authoritative.
    console.allow(r"status of 422")
    open_as(page, base_url, email)
    page.set_input_files("#file-input", str(write_huge_header_png(tmp_path / "giant.png")))

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("giant.png was not uploaded:")
    expect(alert).to_contain_text("50000000")  # the server's own message names the pixel count
    expect(page.locator("li.job")).to_have_count(0)
    expect(page.locator(".upload-row")).to_have_count(0)


def test_upload_progress_is_shown_while_the_bytes_go_up(page, context, base_url, email, tmp_path, shot):
    open_as(page, base_url, email)
    image = write_png(tmp_path / "big.png", 420, 420, noise=120)  # noise: ~500 KB as PNG
    assert image.stat().st_size > 300_000
    page.evaluate("""() => {
      window.__progress = [];
      new MutationObserver(() => {
        for (const p of document.querySelectorAll('.upload-row progress')) window.__progress.push(p.value);
      }).observe(document.getElementById('uploads'), {subtree: true, childList: true, attributes: true, characterData: true});
    }""")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )

    page.set_input_files("#file-input", str(image))

    row = page.locator(".upload-row")
    expect(row).to_be_visible()
    expect(row.get_by_role("progressbar", name="Uploading big.png")).to_be_visible()
    page.wait_for_function("() => window.__progress.some(v => v > 25 && v < 100)")
    shot(page, "02b-uploading")
    job = card(page, "big.png")
    expect(job).to_have_count(1, timeout=30_000)
    expect(row).to_have_count(0)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    values = page.evaluate("window.__progress")
    assert any(0 < v < 100 for v in values), values
    # Don't leave a big conversion in the shared queue.
    job.get_by_role("button", name="Delete big.png").click()
    job.locator(".confirm-yes").click()
    expect(page.locator("li.job")).to_have_count(0)


def test_keyboard_only_the_drop_zone_opens_the_file_picker(page, base_url, email, tmp_path):
    # Intercept file choosers from the start: Playwright turns interception on asynchronously
    # when a listener is first added, and a chooser opened before that is silently cancelled.
    page.on("filechooser", lambda _chooser: None)
    open_as(page, base_url, email)
    page.locator("body").focus()
    drop_zone = page.get_by_role("button", name=re.compile("Choose PNG images"))
    for _ in range(15):
        page.keyboard.press("Tab")
        if drop_zone.evaluate("el => el === document.activeElement"):
            break
    expect(drop_zone).to_be_focused()
    outline = drop_zone.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # focus is visible

    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(write_png(tmp_path / "keys.png", 12, 12)))
    job = card(page, "keys.png")
    expect(job).to_have_count(1)
    job.get_by_role("button", name="Cancel keys.png").focus()
    page.keyboard.press("Enter")
    expect(job).to_have_attribute("data-status", re.compile("cancelled|completed"))
    assert job.get_attribute("data-status") in TERMINAL


@pytest.mark.parametrize("context", [{"width": 375, "height": 740}], indirect=True)
def test_phone_width_has_no_horizontal_scrolling(page, base_url, email, tmp_path, shot):
    open_as(page, base_url, email)
    page.set_input_files("#file-input", str(write_png(tmp_path / "a-rather-long-file-name-for-a-phone.png", 64, 48)))
    job = card(page, "a-rather-long-file-name-for-a-phone.png")
    expect(job).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(job.locator('[data-kind="result"] img')).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    box = job.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    shot(page, "06-phone")


def test_production_identity_hides_the_dev_field_and_shows_the_user(page, base_url):
    page.route(
        "**/api/me",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"user": {"email": "ada@example.org"}}'
        ),
    )
    page.route(
        "**/api/jobs?*",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"jobs": [], "next_cursor": null}'
        ),
    )
    page.goto(base_url + "/")
    expect(page.locator("#signed-in")).to_have_text("Signed in as ada@example.org")
    expect(page.get_by_label("Dev user")).to_be_hidden()
    expect(page.locator("#drop-zone")).to_be_enabled()
    expect(page.locator("#jobs-status")).to_have_text("No jobs yet. Upload a PNG image to start.")


def test_identity_not_configured_is_explained(page, unconfigured_url, console, shot):
    console.allow(r"status of 503")
    page.goto(unconfigured_url + "/")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This service is not ready: No identity provider is configured")
    expect(page.locator("#identity-status")).to_have_text("Sign-in is not set up")
    expect(page.get_by_label("Dev user")).to_be_hidden()
    expect(page.locator("#drop-zone")).to_be_disabled()
    shot(page, "07-identity-not-configured")


def test_an_invalid_dev_user_is_refused_politely(page, base_url, console):
    open_as(page, base_url, "someone@example.com")
    field = page.get_by_label("Dev user")
    field.fill("not an address")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Please enter an e-mail address")
    expect(field).to_have_attribute("aria-invalid", "true")


IMAGE_LOADS = """(url) => new Promise((resolve) => {
  const img = new Image();
  img.onload = () => resolve(true);
  img.onerror = () => resolve(false);
  img.src = url;
})"""


def test_switching_the_dev_user_shows_only_their_jobs_and_frees_the_previews(page, base_url, email, tmp_path, console):
    other = email.replace("web-", "other-")
    UserClient(base_url, other).upload(write_png(tmp_path / "x.png", 8, 8).read_bytes(), name="theirs.png")
    open_as(page, base_url, email)
    page.set_input_files("#file-input", str(write_png(tmp_path / "mine.png", 12, 9)))
    mine = card(page, "mine.png")
    preview = mine.locator('[data-kind="original"] img')
    expect(preview).to_be_visible()
    url = preview.get_attribute("src")
    assert page.evaluate(IMAGE_LOADS, url) is True
    console.allow(re.escape(url))  # the probe below loads it after revocation, on purpose

    field = page.get_by_label("Dev user")
    field.fill(other)
    page.get_by_role("button", name="Use", exact=True).click()

    expect(page.locator("#jobs-owner")).to_have_text(other)
    expect(page.locator("li.job .job-name")).to_have_text(["theirs.png"])
    assert page.evaluate(IMAGE_LOADS, url) is False  # the object URL was revoked with the card
    field.fill(email)
    field.press("Enter")
    expect(page.locator("li.job .job-name")).to_have_text(["mine.png"])
    card(page, "mine.png").get_by_role("button", name="Cancel mine.png").click()
    expect(card(page, "mine.png")).to_have_attribute("data-status", re.compile("cancelled|completed"))


def test_stopping_an_upload_sends_no_job(page, context, base_url, email, tmp_path):
    open_as(page, base_url, email)
    image = write_png(tmp_path / "slow.png", 420, 420, noise=120)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 64 * 1024},
    )
    page.set_input_files("#file-input", str(image))
    row = page.locator(".upload-row")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Stop uploading slow.png").click()
    expect(row).to_have_count(0)
    expect(page.locator("#announcer")).to_contain_text("Upload of slow.png stopped")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    assert UserClient(base_url, email).http.get("/api/jobs").json()["jobs"] == []
    expect(page.locator("li.job")).to_have_count(0)

"""The product's main path through the running Worker: upload, poll, download (API.md)."""

import io
import time

import pytest
from PIL import Image

from .images import large_photo, luma_of, photo_like, png_with_corrupt_data

TERMINAL = {"completed", "failed", "cancelled"}


def test_health_needs_no_identity(base_url):
    import httpx

    response = httpx.get(f"{base_url}/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("path", ["/api/jobs", "/api/upload"])
def test_upload_answers_202_with_location_and_a_pending_job(user, path):
    response = user.upload(photo_like(24, 16), name="cat.png", path=path)

    assert response.status_code == 202, response.text
    job = response.json()["job"]
    assert response.headers["location"] == f"/api/jobs/{job['id']}"
    assert response.headers["retry-after"] == "1"
    assert job["status"] == "pending"
    assert job["attempts"] == 0
    assert job["original"] == {
        "name": "cat.png",
        "size": len(photo_like(24, 16)),
        "content_type": "image/png",
        "width": 24,
        "height": 16,
    }
    assert job["result"] is None and job["error"] is None
    assert job["links"]["result"] == f"/api/jobs/{job['id']}/result"


@pytest.mark.parametrize("path", ["/api/jobs", "/api/upload"])
def test_polling_sees_the_states_in_order_and_the_result_is_pillows_luma(user, path):
    original = photo_like(61, 37, seed=7)  # odd sizes: no lane or row alignment to lean on
    job = user.upload(original, name="photo.png", path=path).json()["job"]

    done, seen = user.wait_until_terminal(job["id"])

    statuses = [job["status"]] + [s for i, s in enumerate(seen) if i > 0 or s != job["status"]]
    assert statuses == ["pending", "in_progress", "completed"]
    assert done["attempts"] == 1
    assert done["started_at"] is not None and done["completed_at"] >= done["started_at"]
    response = user.http.get(done["links"]["result"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert 'filename="photo-grayscale.png"' in response.headers["content-disposition"]
    result = Image.open(io.BytesIO(response.content))
    assert result.mode == "L" and result.size == (61, 37)
    assert result.tobytes() == luma_of(original)
    assert done["result"] == {"size": len(response.content), "width": 61, "height": 37, "content_type": "image/png"}


def test_alpha_is_kept_as_gray_plus_alpha(user):
    original = photo_like(20, 10, mode="RGBA", seed=3)
    job = user.upload(original).json()["job"]
    done, _ = user.wait_until_terminal(job["id"])
    assert done["status"] == "completed"
    result = Image.open(io.BytesIO(user.http.get(done["links"]["result"]).content))
    source = Image.open(io.BytesIO(original))
    assert result.mode == "LA"
    assert result.getchannel("L").tobytes() == source.convert("L").tobytes()
    assert result.getchannel("A").tobytes() == source.getchannel("A").tobytes()


def test_original_download_is_the_uploaded_bytes(user):
    original = photo_like(9, 9, seed=11)
    job = user.upload(original, name="tiny.png").json()["job"]
    response = user.http.get(job["links"]["original"])
    assert response.status_code == 200
    assert response.content == original


def test_another_users_job_is_answered_exactly_like_an_unknown_one(user, other_user):
    job = user.upload(photo_like(8, 8)).json()["job"]
    theirs = other_user.http.get(f"/api/jobs/{job['id']}")
    unknown_id = "00000000-0000-4000-8000-000000000000"
    unknown = other_user.http.get(f"/api/jobs/{unknown_id}")

    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert theirs.json()["error"]["message"] == f"no job {job['id']}"
    assert unknown.json()["error"]["message"] == f"no job {unknown_id}"
    for suffix in ("/result", "/original"):
        assert other_user.http.get(f"/api/jobs/{job['id']}{suffix}").status_code == 404


def test_a_corrupt_png_fails_with_invalid_image_and_is_not_retried(user, runtime_log):
    job = user.upload(png_with_corrupt_data(), name="broken.png").json()["job"]
    assert job["status"] == "pending"  # the header is valid: the upload is accepted

    done, _ = user.wait_until_terminal(job["id"])

    assert done["status"] == "failed"
    assert done["error"]["code"] == "invalid_image"
    assert done["attempts"] == 1
    time.sleep(1.5)  # a retry would have come back by now (the consumer never retries it)
    again = user.job(job["id"])
    assert again["attempts"] == 1 and again["status"] == "failed"
    assert user.http.get(done["links"]["result"]).status_code == 409
    if runtime_log is not None:
        log = runtime_log.read_text()
        assert log.count(f'"job.started","job_id":"{job["id"]}"') == 1


def test_result_before_completion_is_409_not_ready_with_the_job(user):
    job = user.upload(photo_like(16, 16)).json()["job"]
    response = user.http.get(job["links"]["result"])
    if response.status_code == 200:
        pytest.skip("the job finished before the result was asked for")
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "not_ready"
    assert body["job"]["id"] == job["id"] and body["job"]["status"] not in TERMINAL


def test_a_large_photo_converts_exactly_through_the_runtime(user):
    original = large_photo(2048, 1536)
    job = user.upload(original, name="large.png").json()["job"]
    done, _ = user.wait_until_terminal(job["id"], timeout=180, interval=0.5)
    assert done["status"] == "completed", done
    result = Image.open(io.BytesIO(user.http.get(done["links"]["result"]).content))
    assert result.mode == "L" and result.size == (2048, 1536)
    assert result.tobytes() == luma_of(original)

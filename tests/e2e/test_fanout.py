"""Fan-out through the running Worker (API.md, "Tasks"): one upload, one task per operation, each
with its own status and result, all three operations end to end and checked against Pillow;
the `operations` field and its bounds; idempotency with operations; per-task downloads; cancel
and delete with several tasks."""

import io
import time

import httpx
import pytest
from PIL import Image

from .images import luma_of, photo_like

ALL = "grayscale,thumbnail,metadata"


def upload(user, data: bytes, operations: str | list[str] | None, name="cat.png", headers=None) -> httpx.Response:
    """POST the file with each of `operations` as an `operations` text field (none: no field)."""
    values = [] if operations is None else [operations] if isinstance(operations, str) else operations
    fields = [("file", (name, data, "image/png")), *(("operations", (None, value)) for value in values)]
    return user.http.post("/api/jobs", files=fields, headers=headers or {})


def tasks_by_operation(job: dict) -> dict[str, dict]:
    return {task["operation"]: task for task in job["tasks"]}


def wait_terminal_watching_tasks(user, job_id: str, timeout: float = 90) -> tuple[dict, list[tuple[str, ...]]]:
    """Poll until the job is terminal; returns it and each distinct tuple of task statuses seen."""
    seen: list[tuple[str, ...]] = []
    deadline = time.monotonic() + timeout
    while True:
        job = user.job(job_id)
        statuses = tuple(task["status"] for task in job["tasks"])
        if not seen or seen[-1] != statuses:
            seen.append(statuses)
        if job["status"] in ("completed", "failed", "cancelled"):
            return job, seen
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']} after {timeout} s: {seen}"
        time.sleep(0.05)


def box_reference(data: bytes, size: tuple[int, int]) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    return image.resize(size, Image.Resampling.BOX)


def test_all_three_operations_end_to_end(user):
    original = photo_like(96, 64, seed=11)
    response = upload(user, original, ALL, name="photo.png")
    assert response.status_code == 202, response.text
    job = response.json()["job"]
    assert [t["operation"] for t in job["tasks"]] == ["grayscale", "thumbnail", "metadata"]
    assert {t["status"] for t in job["tasks"]} == {"pending"}

    done, seen = wait_terminal_watching_tasks(user, job["id"])
    assert done["status"] == "completed", done
    # The tasks landed one by one: some version showed some done and others not.
    assert any("completed" in statuses and set(statuses) != {"completed"} for statuses in seen), seen
    tasks = tasks_by_operation(done)
    assert all(t["attempts"] == 1 and t["error"] is None for t in tasks.values())
    assert done["attempts"] == 1 and done["completed_at"] == max(t["completed_at"] for t in tasks.values())

    gray = user.http.get(tasks["grayscale"]["result"]["url"])
    assert gray.status_code == 200 and gray.headers["content-type"] == "image/png"
    assert 'filename="photo-grayscale.png"' in gray.headers["content-disposition"]
    assert Image.open(io.BytesIO(gray.content)).convert("L").tobytes() == luma_of(original)
    assert user.http.get(f"/api/jobs/{job['id']}/result").content == gray.content
    assert done["result"]["size"] == len(gray.content) == tasks["grayscale"]["result"]["bytes"]

    thumb = user.http.get(tasks["thumbnail"]["result"]["url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    assert 'filename="photo-thumbnail.png"' in thumb.headers["content-disposition"]
    image = Image.open(io.BytesIO(thumb.content))
    # Small enough already (96 ≤ 256): re-encoded at its own size, colour kept, never enlarged.
    assert image.mode == "RGB" and image.size == (96, 64)
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert (tasks["thumbnail"]["result"]["width"], tasks["thumbnail"]["result"]["height"]) == (96, 64)

    meta = user.http.get(tasks["metadata"]["result"]["url"])
    assert meta.status_code == 200 and meta.headers["content-type"] == "application/json"
    assert 'filename="photo-metadata.json"' in meta.headers["content-disposition"]
    facts = meta.json()
    assert (facts["width"], facts["height"], facts["bit_depth"]) == (96, 64, 8)
    histogram = facts["luma_histogram"]
    assert sum(histogram["bins"]) == 96 * 64
    lumas = luma_of(original)
    assert (histogram["min"], histogram["max"]) == (min(lumas), max(lumas))
    assert "width" not in tasks["metadata"]["result"]


def test_a_thumbnail_is_box_downscaled_exactly_as_pillows_reduce_for_an_integer_factor(user):
    original = photo_like(512, 384, seed=4)  # factor 2 to 256 × 192
    job = upload(user, original, "thumbnail").json()["job"]
    done, _ = wait_terminal_watching_tasks(user, job["id"])
    assert done["status"] == "completed", done
    thumb = Image.open(io.BytesIO(user.http.get(done["tasks"][0]["result"]["url"]).content))
    assert thumb.size == (256, 192)
    assert thumb.tobytes() == Image.open(io.BytesIO(original)).reduce(2).tobytes()
    # A job without a grayscale task has no grayscale result.
    assert done["result"] is None
    assert user.http.get(f"/api/jobs/{job['id']}/result").status_code == 404


def test_a_thumbnail_keeps_the_aspect_and_is_within_2_of_pillows_box_resize_otherwise(user):
    original = photo_like(300, 170, mode="RGBA", seed=9)
    job = upload(user, original, "thumbnail").json()["job"]
    done, _ = wait_terminal_watching_tasks(user, job["id"])
    thumb = Image.open(io.BytesIO(user.http.get(done["tasks"][0]["result"]["url"]).content))
    assert thumb.mode == "RGBA" and thumb.size == (256, 145)
    reference = box_reference(original, (256, 145)).tobytes()
    assert max(abs(a - b) for a, b in zip(thumb.tobytes(), reference, strict=True)) <= 2


def test_without_operations_a_job_has_one_grayscale_task_as_before(user):
    job = upload(user, photo_like(20, 10), None).json()["job"]
    assert [t["operation"] for t in job["tasks"]] == ["grayscale"]
    done, _ = wait_terminal_watching_tasks(user, job["id"])
    assert done["status"] == "completed" and done["result"]["width"] == 20


def test_operations_may_repeat_and_come_in_any_order(user):
    response = upload(user, photo_like(8, 8), ["metadata", "grayscale, metadata"])
    assert response.status_code == 202, response.text
    assert [t["operation"] for t in response.json()["job"]["tasks"]] == ["grayscale", "metadata"]


@pytest.mark.parametrize("operations", ["sepia", "grayscale,blur", "", " , ", "thumbnail".ljust(257)])
def test_the_operations_field_is_bounded_and_checked(user, operations):
    before = user.http.get("/api/jobs").json()["jobs"]
    response = upload(user, photo_like(8, 8), operations)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["code"] == "bad_request"
    assert "grayscale, thumbnail, metadata" in body["error"]["message"] or "longer than 256" in body["error"]["message"]
    assert user.http.get("/api/jobs").json()["jobs"] == before
    assert user.http.get("/api/health").status_code == 200


def test_an_idempotency_key_replayed_with_other_operations_is_409(user):
    data = photo_like(12, 12, seed=2)
    first = upload(user, data, "grayscale,thumbnail", headers={"Idempotency-Key": "fan-1"})
    again = upload(user, data, "thumbnail,grayscale", headers={"Idempotency-Key": "fan-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["job"]["id"] == again.json()["job"]["id"]
    other = upload(user, data, "grayscale", headers={"Idempotency-Key": "fan-1"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert len(user.http.get("/api/jobs").json()["jobs"]) == 1


def test_a_tasks_result_is_409_until_that_task_completed_and_404_for_a_task_it_does_not_have(user):
    job = upload(user, photo_like(16, 16), "grayscale,metadata").json()["job"]
    early = user.http.get(f"/api/jobs/{job['id']}/results/metadata")
    if early.status_code != 200:  # (the queue may already have run it)
        assert early.status_code == 409 and early.json()["error"]["code"] == "not_ready"
        assert early.json()["job"]["id"] == job["id"]
    assert user.http.get(f"/api/jobs/{job['id']}/results/thumbnail").status_code == 404
    assert user.http.get(f"/api/jobs/{job['id']}/results/sepia").status_code == 404
    wait_terminal_watching_tasks(user, job["id"])
    assert user.http.get(f"/api/jobs/{job['id']}/results/metadata").status_code == 200


def test_another_users_task_result_is_404(user, other_user):
    job = upload(user, photo_like(16, 16), "metadata").json()["job"]
    wait_terminal_watching_tasks(user, job["id"])
    assert other_user.http.get(f"/api/jobs/{job['id']}/results/metadata").status_code == 404


def test_list_filters_on_the_derived_status(user):
    job = upload(user, photo_like(16, 16), ALL).json()["job"]
    wait_terminal_watching_tasks(user, job["id"])
    completed = user.http.get("/api/jobs", params={"status": "completed"}).json()["jobs"]
    assert [j["id"] for j in completed] == [job["id"]]
    assert [t["status"] for t in completed[0]["tasks"]] == ["completed"] * 3
    assert user.http.get("/api/jobs", params={"status": "in_progress"}).json()["jobs"] == []


def test_cancel_stops_the_unfinished_tasks_and_a_finished_result_stays(user):
    # A large grayscale task behind a quick thumbnail: the thumbnail lands first, then cancel.
    original = photo_like(700, 500, seed=5)
    job = upload(user, original, "grayscale,thumbnail").json()["job"]
    deadline = time.monotonic() + 60
    while tasks_by_operation(current := user.job(job["id"]))["thumbnail"]["status"] != "completed":
        assert current["status"] not in ("completed", "failed"), current
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancelled = user.http.post(f"/api/jobs/{job['id']}/cancel")
    if cancelled.status_code == 409:  # the grayscale task beat us to it: nothing left to stop
        pytest.skip("the grayscale task finished before the cancel")
    body = cancelled.json()["job"]
    assert body["status"] == "cancelled"
    tasks = tasks_by_operation(body)
    assert tasks["thumbnail"]["status"] == "completed" and tasks["grayscale"]["status"] == "cancelled"
    assert user.http.get(tasks["thumbnail"]["result"]["url"]).status_code == 200
    time.sleep(2)  # whatever the consumer was doing, it must not move the cancelled task
    assert tasks_by_operation(user.job(job["id"]))["grayscale"]["status"] == "cancelled"
    assert user.http.get(f"/api/jobs/{job['id']}/result").status_code == 409


def test_delete_removes_the_job_and_every_tasks_object(user, runtime):
    job = upload(user, photo_like(32, 20), ALL).json()["job"]
    wait_terminal_watching_tasks(user, job["id"])
    assert user.http.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert user.http.get(f"/api/jobs/{job['id']}").status_code == 404
    for operation in ("grayscale", "thumbnail", "metadata"):
        assert user.http.get(f"/api/jobs/{job['id']}/results/{operation}").status_code == 404
    state = runtime[2]
    if state is not None:  # the runtime's own storage: nothing of the job is left
        from .local_state import LocalState

        keys = LocalState(state).r2_keys()
        assert not [key for key in keys if job["id"] in key], keys
        assert not [row for row in LocalState(state).tasks() if row["job_id"] == job["id"]]


def test_the_openapi_document_lists_the_operations(base_url):
    document = httpx.get(f"{base_url}/api/openapi.json").json()
    assert document["components"]["schemas"]["Operation"]["enum"] == ["grayscale", "thumbnail", "metadata"]
    assert "/api/jobs/{id}/results/{operation}" in document["paths"]

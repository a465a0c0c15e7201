"""Reading and changing jobs end to end: ETags, listing, idempotency, cancel, delete."""

import concurrent.futures
import time
import uuid

import pytest

from .images import photo_like
from .local_state import LocalState


def test_get_job_has_an_etag_and_304s_while_unchanged(user):
    job = user.upload(photo_like(8, 8)).json()["job"]
    done, _ = user.wait_until_terminal(job["id"])
    first = user.http.get(f"/api/jobs/{job['id']}")
    assert "retry-after" not in first.headers  # terminal: nothing more to wait for
    etag = first.headers["etag"]
    again = user.http.get(f"/api/jobs/{job['id']}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert user.http.get(f"/api/jobs/{job['id']}", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_a_job_still_running_says_when_to_ask_again(user):
    job = user.upload(photo_like(8, 8)).json()["job"]
    response = user.http.get(f"/api/jobs/{job['id']}")
    if response.json()["job"]["status"] in ("pending", "in_progress"):
        assert response.headers["retry-after"] == "1"


def test_downloads_have_etags_and_lengths(user):
    job = user.upload(photo_like(12, 7), name="sunset.png").json()["job"]
    user.wait_until_terminal(job["id"])
    result = user.http.get(f"/api/jobs/{job['id']}/result")
    assert int(result.headers["content-length"]) == len(result.content)
    assert result.headers["content-disposition"].startswith('attachment; filename="sunset-grayscale.png"')
    assert (
        user.http.get(f"/api/jobs/{job['id']}/result", headers={"If-None-Match": result.headers["etag"]}).status_code
        == 304
    )


def test_listing_is_newest_first_with_a_cursor_and_a_status_filter(user, other_user):
    ids = [user.upload(photo_like(4, 4, seed=i)).json()["job"]["id"] for i in range(5)]
    other_user.upload(photo_like(4, 4))
    pages, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = user.http.get("/api/jobs", params=params).json()
        pages.append([j["id"] for j in body["jobs"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sum(pages, []) == ids[::-1]
    for job_id in ids:
        user.wait_until_terminal(job_id)
    completed = user.http.get("/api/jobs", params={"status": "completed"}).json()["jobs"]
    assert {j["id"] for j in completed} == set(ids)
    assert user.http.get("/api/jobs", params={"status": "failed"}).json()["jobs"] == []


def test_the_same_idempotency_key_and_file_return_the_same_job(user):
    key = str(uuid.uuid4())
    data = photo_like(6, 6, seed=5)
    first = user.upload(data, headers={"Idempotency-Key": key})
    second = user.upload(data, headers={"Idempotency-Key": key})
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["job"]["id"] == second.json()["job"]["id"]
    assert second.headers["location"] == first.headers["location"]
    reused = user.upload(photo_like(6, 6, seed=6), headers={"Idempotency-Key": key})
    assert reused.status_code == 409
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(user.http.get("/api/jobs").json()["jobs"]) == 1


def test_concurrent_duplicates_create_one_job(user, runtime):
    key = str(uuid.uuid4())
    data = photo_like(6, 6, seed=9)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: user.upload(data, headers={"Idempotency-Key": key}), range(6)))
    assert all(r.status_code in (200, 202) for r in responses), [r.text for r in responses]
    assert len({r.json()["job"]["id"] for r in responses}) == 1
    assert sum(r.status_code == 202 for r in responses) == 1
    assert len(user.http.get("/api/jobs").json()["jobs"]) == 1
    _url, _log, state = runtime
    if state is not None:
        job_id = responses[0].json()["job"]["id"]
        originals = {k for k in LocalState(state).r2_keys() if k.startswith("originals/")}
        assert f"originals/{job_id}.png" in originals
        # the losers' originals were removed: no object names a job that does not exist
        assert {k.split("/")[1].removesuffix(".png") for k in originals} <= LocalState(state).job_ids()


def test_cancelling_a_running_job_keeps_it_cancelled(user, runtime):
    job = user.upload(photo_like(8, 8)).json()["job"]
    cancelled = user.http.post(f"/api/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["job"]["status"] == "cancelled"
    time.sleep(2)  # longer than the processing of the job would take
    after = user.job(job["id"])
    assert after["status"] == "cancelled" and after["result"] is None
    assert user.http.get(f"/api/jobs/{job['id']}/result").status_code == 409
    _url, _log, state = runtime
    if state is not None:
        assert f"results/{job['id']}.png" not in LocalState(state).r2_keys()


def test_a_finished_job_cannot_be_cancelled(user):
    job = user.upload(photo_like(8, 8)).json()["job"]
    user.wait_until_terminal(job["id"])
    response = user.http.post(f"/api/jobs/{job['id']}/cancel")
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "invalid_state" and body["job"]["status"] == "completed"


def test_delete_removes_the_job_and_its_images(user, other_user, runtime):
    job = user.upload(photo_like(8, 8)).json()["job"]
    user.wait_until_terminal(job["id"])
    assert other_user.http.delete(f"/api/jobs/{job['id']}").status_code == 404
    response = user.http.delete(f"/api/jobs/{job['id']}")
    assert response.status_code == 204 and response.content == b""
    assert user.http.get(f"/api/jobs/{job['id']}").status_code == 404
    assert user.http.delete(f"/api/jobs/{job['id']}").status_code == 404
    _url, _log, state = runtime
    if state is not None:
        keys = LocalState(state).r2_keys()
        assert f"originals/{job['id']}.png" not in keys and f"results/{job['id']}.png" not in keys
        assert job["id"] not in LocalState(state).job_ids()


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/jobs"), ("GET", "/api/upload"), ("PATCH", "/api/jobs/x")])
def test_a_known_path_with_another_method_is_405(user, method, path):
    response = user.http.request(method, path)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"]


def test_an_unusual_method_is_a_json_405_not_a_crash(user):
    response = user.http.request("PROPFIND", "/api/jobs")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_a_weakened_etag_still_gives_304(user):
    job = user.upload(photo_like(8, 8)).json()["job"]
    user.wait_until_terminal(job["id"])
    etag = user.http.get(f"/api/jobs/{job['id']}").headers["etag"]
    # Cloudflare weakens strong ETags when it compresses a response; clients send them back so.
    again = user.http.get(f"/api/jobs/{job['id']}", headers={"If-None-Match": f'"other", W/{etag}'})
    assert again.status_code == 304

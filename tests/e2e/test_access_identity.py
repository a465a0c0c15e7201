"""Cloudflare Access mode end to end: a runtime configured like a deployment (no dev mode),
with the team's JWKS given in ACCESS_JWKS. Only a valid token is accepted."""

import os
import time

import httpx
import pytest

from tests.access_signing import AUDIENCE, TEAM_DOMAIN, SigningKey, jwks_json, tampered, unsigned_token
from tests.conftest import launch_runtime

from .images import photo_like

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker")

KEY = SigningKey("team-key")
STRANGER = SigningKey("team-key")  # same kid, different key: a forged signature


@pytest.fixture(scope="module")
def access_url(tmp_path_factory):
    variables = {
        "AUTH_MODE": "access",
        "ACCESS_TEAM_DOMAIN": TEAM_DOMAIN,
        "ACCESS_AUD": AUDIENCE,
        "ACCESS_JWKS": jwks_json(KEY),
    }
    with launch_runtime(tmp_path_factory.mktemp("access"), variables) as (url, _log):
        yield url


def me(url, token=None, **headers):
    if token is not None:
        headers["Cf-Access-Jwt-Assertion"] = token
    return httpx.get(f"{url}/api/me", headers=headers)


def test_a_valid_token_identifies_the_user(access_url):
    response = me(access_url, KEY.token("Grace@Example.com"))
    assert response.status_code == 200
    assert response.json()["user"] == {"email": "grace@example.com"}


def test_the_access_cookie_works_too(access_url):
    response = httpx.get(f"{access_url}/api/me", cookies={"CF_Authorization": KEY.token("c@example.com")})
    assert response.json()["user"]["email"] == "c@example.com"


@pytest.mark.parametrize(
    "make_token",
    [
        lambda: KEY.token(now=time.time() - 7200),
        lambda: KEY.token(nbf=int(time.time()) + 3600),
        lambda: KEY.token(aud=["someone-else"]),
        lambda: KEY.token(iss="https://other.cloudflareaccess.com"),
        lambda: STRANGER.token(),
        lambda: unsigned_token(),
        lambda: tampered(KEY.token("me@example.com"), "boss@example.com"),
    ],
    ids=["expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "wrong-key", "alg-none", "tampered"],
)
def test_every_other_token_is_401(access_url, make_token):
    response = me(access_url, make_token())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_no_token_is_401_and_dev_headers_are_ignored(access_url):
    assert me(access_url).status_code == 401
    assert me(access_url, **{"X-Dev-User": "a@example.com"}).status_code == 401


def test_jobs_belong_to_the_token_user(access_url):
    alice = {"Cf-Access-Jwt-Assertion": KEY.token("alice@example.com")}
    bob = {"Cf-Access-Jwt-Assertion": KEY.token("bob@example.com")}
    created = httpx.post(f"{access_url}/api/jobs", headers=alice, files={"file": ("a.png", photo_like(8, 8))})
    assert created.status_code == 202
    job_id = created.json()["job"]["id"]
    assert httpx.get(f"{access_url}/api/jobs/{job_id}", headers=alice).status_code == 200
    assert httpx.get(f"{access_url}/api/jobs/{job_id}", headers=bob).status_code == 404


def test_health_and_openapi_need_no_token(access_url):
    assert httpx.get(f"{access_url}/api/health").status_code == 200
    assert httpx.get(f"{access_url}/api/openapi.json").status_code == 200


@pytest.fixture(scope="module")
def unconfigured_url(tmp_path_factory):
    # A deployment's defaults: no AUTH_MODE (the --var overrides .dev.vars), no Access settings.
    with launch_runtime(tmp_path_factory.mktemp("unconfigured"), {"AUTH_MODE": ""}) as (url, _log):
        yield url


def test_with_no_identity_configured_the_api_fails_closed(unconfigured_url):
    response = me(unconfigured_url, **{"X-Dev-User": "a@example.com"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "identity_not_configured"
    upload = httpx.post(
        f"{unconfigured_url}/api/jobs",
        headers={"X-Dev-User": "a@example.com"},
        files={"file": ("a.png", photo_like(8, 8))},
    )
    assert upload.status_code == 503

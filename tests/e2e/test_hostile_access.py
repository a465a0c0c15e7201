"""Hostile Access tokens against a Worker configured like a deployment (Access mode, the team's
JWKS in ACCESS_JWKS): a token arrives before anyone has signed in, so each of these reaches the
token parser unauthenticated. Every one is a 401, and after each the Worker still serves: health
is 200 and a real job, submitted with a valid token, completes."""

import json
import os
import time

import httpx
import pytest

from tests.access_signing import AUDIENCE, TEAM_DOMAIN, SigningKey, b64, claims_for, jwks_json, nested
from tests.conftest import launch_runtime

from .test_hostile import DEEP, still_serving

pytestmark = pytest.mark.skipif(bool(os.environ.get("WORKER_URL")), reason="starts its own Worker in Access mode")

KEY = SigningKey("team-key")


@pytest.fixture(scope="module")
def access_url(tmp_path_factory):
    variables = {
        "AUTH_MODE": "access",
        "ACCESS_TEAM_DOMAIN": TEAM_DOMAIN,
        "ACCESS_AUD": AUDIENCE,
        "ACCESS_JWKS": jwks_json(KEY),
        "PROCESSING_DELAY_SECONDS": "0",
    }
    with launch_runtime(tmp_path_factory.mktemp("hostile-access"), variables) as (url, _log):
        yield url


@pytest.fixture(autouse=True)
def serving_after_each_case(access_url):
    yield
    still_serving(access_url, {"Cf-Access-Jwt-Assertion": KEY.token("alive@example.com")})


def signed_with_claims_text(claims_text: str) -> str:
    return KEY.sign(json.dumps(KEY.header()), claims_text)


def with_claim(name: str, raw_value: str) -> str:
    claims = claims_for()
    claims[name] = "__VALUE__"
    return signed_with_claims_text(json.dumps(claims).replace('"__VALUE__"', raw_value))


HEADER = b64(json.dumps(KEY.header()).encode())
DEEP_OBJECTS = '{"a":' * 800 + "1" + "}" * 800  # as deep as fits in a token
ALG_NONE = b64(b'{"alg":"none"}')
CLAIMS = b64(json.dumps(claims_for()).encode())
NESTED_CLAIMS = json.dumps(claims_for()).replace("}", f', "x": {nested(2000)}}}')
DUPLICATE_EMAIL = json.dumps(claims_for("a@example.com"))[:-1] + ', "email": "b@example.com"}'

TOKENS = {
    # the crash of the review: nesting in the header segment reached json.loads unauthenticated
    # (11,000 levels killed the old Worker on this runtime; now the token's length stops it)
    "header-segment-crash-depth": f"{b64(b'[' * DEEP)}.e30.c2ln",
    "header-segment-deep-nesting": f"{b64(b'[' * 6000)}.e30.c2ln",
    "header-segment-deep-closed-nesting": f"{b64(nested(3000).encode())}.e30.c2ln",
    "header-segment-deep-objects": f"{b64(DEEP_OBJECTS.encode())}.e30.c2ln",
    "claims-deep-nesting-unsigned": f"{HEADER}.{b64(b'[' * DEEP)[:7000]}.c2ln",
    "claims-deep-nesting-signed": signed_with_claims_text(NESTED_CLAIMS),
    "oversized-token": KEY.token(pad="p" * 9000),
    "exp-infinity": with_claim("exp", "Infinity"),
    "exp-nan": with_claim("exp", "NaN"),
    "exp-overflowing-float": with_claim("exp", "1e400"),
    "exp-float": with_claim("exp", str(float(int(time.time()) + 600))),
    "exp-true": with_claim("exp", "true"),
    "nbf-nan": with_claim("nbf", "NaN"),
    "iat-infinity": with_claim("iat", "-Infinity"),
    "duplicate-email": signed_with_claims_text(DUPLICATE_EMAIL),
    "alg-none": f"{ALG_NONE}.{CLAIMS}.",
    "padded-base64": KEY.token() + "==",
    "not-base64": "!!!.???.***",
    "four-segments": KEY.token() + ".x",
    "huge-number": with_claim("exp", "9" * 5000),
    "invalid-utf8-claims": f"{HEADER}.{b64(b'\xff\xfe')}.c2ln",
}


@pytest.mark.parametrize("token", TOKENS.values(), ids=TOKENS.keys())
@pytest.mark.parametrize("carrier", ["header", "cookie"])
def test_hostile_tokens_are_401(access_url, token, carrier):
    if carrier == "header":
        response = httpx.get(f"{access_url}/api/me", headers={"Cf-Access-Jwt-Assertion": token})
    else:
        response = httpx.get(f"{access_url}/api/me", headers={"Cookie": f"CF_Authorization={token}"})
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"]["code"] in ("unauthenticated", "bad_request")


def test_a_valid_token_still_works_after_all_of_them(access_url):
    response = httpx.get(f"{access_url}/api/me", headers={"Cf-Access-Jwt-Assertion": KEY.token("Grace@Example.com")})
    assert response.status_code == 200 and response.json()["user"]["email"] == "grace@example.com"


def test_a_cross_site_form_cannot_use_the_access_cookie(access_url):
    cookie = {"Cookie": f"CF_Authorization={KEY.token('victim@example.com')}"}
    png = httpx.get(f"{access_url}/api/health")  # (any bytes: the refusal comes before the body)
    response = httpx.post(
        f"{access_url}/api/jobs",
        headers={**cookie, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        files={"file": ("a.png", png.content, "image/png")},
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "cross_site_request"
    listed = httpx.get(f"{access_url}/api/jobs", headers=cookie).json()["jobs"]
    assert listed == []

"""Access JWT verification: only a valid token from the team's key passes."""

import asyncio
import time

import pytest

from imagejobs.api.access_tokens import AccessTokenVerifier, CachedJwks, rs256_signature_valid, static_jwks
from imagejobs.errors import Unauthenticated
from tests.access_signing import AUDIENCE, TEAM_DOMAIN, SigningKey, jwks_json, tampered, unsigned_token

KEY = SigningKey("key-1")
OTHER = SigningKey("key-2")  # a key the team's JWKS does not contain under its kid
VERIFIER = AccessTokenVerifier(TEAM_DOMAIN, AUDIENCE, static_jwks(jwks_json(KEY)))


def verify(token):
    return asyncio.run(VERIFIER.verify(token))


def test_a_valid_token_gives_its_claims():
    assert verify(KEY.token("Ada@Example.com"))["email"] == "Ada@Example.com"


def test_the_audience_may_be_a_plain_string():
    assert verify(KEY.token(aud=AUDIENCE))["email"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (KEY.token(now=time.time() - 3600, lifetime=600), "expired"),
        (KEY.token(nbf=int(time.time()) + 3600), "not valid yet"),
        (KEY.token(aud=["another-app"]), "another application"),
        (KEY.token(iss="https://evil.cloudflareaccess.com"), "another team"),
        (OTHER.token(), "unknown key"),
        (OTHER.token(header={"kid": "key-1"}), "signature"),
        (unsigned_token(), "RS256"),
        (KEY.token(header={"alg": "HS256"}), "RS256"),
        (tampered(KEY.token()), "signature"),
        (KEY.token(header={"kid": None}), "kid"),
        ("not.a.jwt.at.all", "not a JWT"),
        ("a.b.c", "not valid"),
        ("", "not a JWT"),
    ],
)
def test_anything_else_is_refused_with_its_reason(token, reason):
    with pytest.raises(Unauthenticated, match=reason):
        verify(token)


def test_a_small_clock_skew_is_tolerated():
    assert verify(KEY.token(now=time.time() - 630, lifetime=600))  # expired 30 s ago


def test_the_signature_check_rejects_short_and_out_of_range_values():
    n, e = 2**2047 + 1, 65537
    assert not rs256_signature_valid(b"x", b"\x01" * 255, n, e)
    assert not rs256_signature_valid(b"x", b"\xff" * 256, n, e)


def test_the_jwks_is_fetched_once_per_hour():
    calls = []
    now = [0.0]

    async def fetch():
        calls.append(now[0])
        return {"keys": []}

    cached = CachedJwks(fetch, clock=lambda: now[0])
    asyncio.run(cached())
    now[0] = 3000
    asyncio.run(cached())
    now[0] = 3700
    asyncio.run(cached())
    assert calls == [0.0, 3700]

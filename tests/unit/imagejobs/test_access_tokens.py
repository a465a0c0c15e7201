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
        ("W3s=" + "W" * 40 + ".e30.", "not valid"),
        (".".join(["WwWw" * 3000, "e30", ""]), "not valid JSON"),
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


def test_deeply_nested_json_is_a_401_not_a_crash():
    import base64

    nested = base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode().rstrip("=")
    with pytest.raises(Unauthenticated):
        verify(f"{nested}.{nested}.sig")


def test_small_keys_and_bad_exponents_are_refused():
    n = 2**2047 + 1
    assert not rs256_signature_valid(b"x", b"\x01" * 256, n, 1)
    assert not rs256_signature_valid(b"x", b"\x01" * 256, n, 65536)
    assert not rs256_signature_valid(b"x", b"\x01" * 255, 2**2039 + 1, 65537)


def test_an_unknown_kid_triggers_one_early_refetch_for_rotated_keys():
    rotated = SigningKey("rotated")
    served = [{"keys": [KEY.jwk()]}]
    now = [0.0]

    async def fetch():
        return served[-1]

    source = CachedJwks(fetch, clock=lambda: now[0])
    verifier = AccessTokenVerifier(TEAM_DOMAIN, AUDIENCE, source)
    asyncio.run(verifier.verify(KEY.token()))
    served.append({"keys": [KEY.jwk(), rotated.jwk()]})
    now[0] = 30  # within a minute of the last fetch: no early re-fetch yet
    with pytest.raises(Unauthenticated, match="unknown key"):
        asyncio.run(verifier.verify(rotated.token()))
    now[0] = 90
    assert asyncio.run(verifier.verify(rotated.token()))["email"]


def test_a_failing_jwks_fetch_is_not_repeated_by_every_request():
    calls = []
    now = [0.0]

    async def fetch():
        calls.append(now[0])
        raise OSError("team domain unreachable")

    source = CachedJwks(fetch, clock=lambda: now[0])
    for t in (0, 1, 5):
        now[0] = t
        with pytest.raises(OSError):
            asyncio.run(source())
    now[0] = 11
    with pytest.raises(OSError):
        asyncio.run(source())
    assert calls == [0, 11]


def test_a_jwks_that_is_not_an_object_is_an_unknown_key():
    verifier = AccessTokenVerifier(TEAM_DOMAIN, AUDIENCE, static_jwks("[1, 2]"))
    with pytest.raises(Unauthenticated, match="unknown key"):
        asyncio.run(verifier.verify(KEY.token()))

"""The Access signing keys: JWKS parsing within bounds, and the per-isolate cache the platform
layer creates and hands to every request (fetched hourly, early for a rotated key, not hammered
during an outage)."""

import asyncio
import json

import pytest

from imagejobs.config import ConfigError, Settings
from imagejobs.errors import IdentityNotConfigured, ServiceUnavailable, Unauthenticated
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.identity.jwks import MAX_JWKS_BYTES, JwksRejected, parse_jwks
from tests.access_signing import AUDIENCE, TEAM_DOMAIN, SigningKey, jwks_json

KEY = SigningKey("key-1")
ACCESS = Settings(auth_mode="access", access_team_domain=TEAM_DOMAIN, access_aud=AUDIENCE)


class FakeAccess:
    """Stands in for the team's certs endpoint: serves `documents[-1]`, records every call."""

    def __init__(self, *documents: bytes):
        self.documents = list(documents)
        self.calls: list[tuple[str, int]] = []
        self.fail = False

    async def __call__(self, url: str, *, max_bytes: int) -> bytes:
        self.calls.append((url, max_bytes))
        if self.fail:
            raise OSError("team domain unreachable")
        return self.documents[-1]


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def header_of(token: str):
    return {"cf-access-jwt-assertion": token}.get


def test_the_isolate_cache_fetches_once_for_every_request_of_the_hour():
    fetch, clock = FakeAccess(jwks_json(KEY).encode()), Clock()
    cache = AccessKeyCache(fetch, clock=clock)
    for moment in (0, 1000, 3000):
        clock.now = moment
        # a new Authenticator per request, as handle_fetch builds one: the keys live in the cache
        authenticator = Authenticator.for_settings(ACCESS, cache)
        assert asyncio.run(authenticator.user(header_of(KEY.token("A@example.com")))) == "a@example.com"
    clock.now = 3700
    asyncio.run(Authenticator.for_settings(ACCESS, cache).user(header_of(KEY.token())))
    assert fetch.calls == [(f"https://{TEAM_DOMAIN}/cdn-cgi/access/certs", MAX_JWKS_BYTES)] * 2


def test_an_unknown_kid_triggers_one_early_refetch_for_rotated_keys():
    rotated = SigningKey("rotated")
    fetch, clock = FakeAccess(jwks_json(KEY).encode()), Clock()
    authenticator = Authenticator.for_settings(ACCESS, AccessKeyCache(fetch, clock=clock))
    asyncio.run(authenticator.user(header_of(KEY.token())))
    fetch.documents.append(jwks_json(KEY, rotated).encode())
    clock.now = 30  # within a minute of the last fetch: no early re-fetch yet
    with pytest.raises(Unauthenticated, match="unknown key"):
        asyncio.run(authenticator.user(header_of(rotated.token())))
    clock.now = 90
    assert asyncio.run(authenticator.user(header_of(rotated.token())))
    assert len(fetch.calls) == 2


def test_a_failing_fetch_is_a_503_and_is_not_repeated_by_every_request():
    fetch, clock = FakeAccess(), Clock()
    fetch.fail = True
    authenticator = Authenticator.for_settings(ACCESS, AccessKeyCache(fetch, clock=clock))
    for moment in (0, 1, 5, 11):
        clock.now = moment
        with pytest.raises(ServiceUnavailable, match="cannot fetch the Access signing keys"):
            asyncio.run(authenticator.user(header_of(KEY.token())))
    assert len(fetch.calls) == 2  # at 0 s, and again at 11 s once the 10 s back-off is over


@pytest.mark.parametrize(
    "document",
    [
        b"[" * 100_000,
        b"[" * 9 + b"]" * 9,
        b'{"keys": {}}',
        b"[1, 2]",
        b'{"keys": []}  ' + b" " * MAX_JWKS_BYTES,
        b"\xff\xfe{}",
    ],
)
def test_a_fetched_document_that_is_no_bounded_jwks_is_a_503_not_a_crash(document):
    authenticator = Authenticator.for_settings(ACCESS, AccessKeyCache(FakeAccess(document)))
    with pytest.raises(ServiceUnavailable):
        asyncio.run(authenticator.user(header_of(KEY.token())))


def test_keys_that_are_not_usable_rs256_keys_are_left_out():
    good = KEY.jwk()
    document = {
        "keys": [
            {**good, "kid": "ec", "kty": "EC"},
            {**good, "kid": "hs", "alg": "HS256"},
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": "short", "n": good["n"][:200]},
            {**good, "kid": "padded", "n": good["n"] + "=="},
            {**good, "kid": 7},
            {**good, "kid": "k" * 257},
            "not a key",
            good,
            {**good, "n": "AQAB"},  # the same kid again: the first one wins
        ],
        "public_cert": {"kid": "key-1", "cert": "-----BEGIN CERTIFICATE-----"},
    }
    assert list(parse_jwks(json.dumps(document).encode())) == ["key-1"]


def test_access_jwks_that_is_not_a_jwks_is_a_config_error():
    settings = Settings(auth_mode="access", access_team_domain=TEAM_DOMAIN, access_aud=AUDIENCE, access_jwks="[[[")
    with pytest.raises(ConfigError, match="ACCESS_JWKS"):
        Authenticator.for_settings(settings, AccessKeyCache(FakeAccess()))
    with pytest.raises(JwksRejected):
        parse_jwks(b"[" * 50_000)


def test_access_jwks_is_parsed_once_per_isolate():
    settings = Settings(
        auth_mode="access", access_team_domain=TEAM_DOMAIN, access_aud=AUDIENCE, access_jwks=jwks_json(KEY)
    )
    cache = AccessKeyCache(FakeAccess())
    first = Authenticator.for_settings(settings, cache)
    second = Authenticator.for_settings(settings, cache)
    assert first.verifier is not None and second.verifier is not None
    assert first.verifier.keys is second.verifier.keys
    assert asyncio.run(second.user(header_of(KEY.token("b@example.com")))) == "b@example.com"


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(auth_mode="access"), Settings(auth_mode="access", access_team_domain=TEAM_DOMAIN)],
)
def test_without_a_complete_configuration_identity_fails_closed(settings):
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(FakeAccess()))
    with pytest.raises(IdentityNotConfigured):
        asyncio.run(authenticator.user(header_of(KEY.token())))


def test_the_access_cookie_is_read_when_the_header_is_absent():
    settings = Settings(
        auth_mode="access", access_team_domain=TEAM_DOMAIN, access_aud=AUDIENCE, access_jwks=jwks_json(KEY)
    )
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(FakeAccess()))
    cookie = f"theme=dark; CF_Authorization={KEY.token('c@example.com')}; other=1"
    assert asyncio.run(authenticator.user({"cookie": cookie}.get)) == "c@example.com"
    with pytest.raises(Unauthenticated, match="no Cloudflare Access token"):
        asyncio.run(authenticator.user({"cookie": "CF_Authorization=; x=1"}.get))

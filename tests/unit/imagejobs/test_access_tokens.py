"""Access JWT verification: only a valid token from the team's key passes, and nothing in a
hostile token is parsed before it has been bounded."""

import asyncio
import json
import time

import pytest

from imagejobs.errors import Unauthenticated
from imagejobs.identity.access_tokens import AccessTokenVerifier
from imagejobs.identity.jwks import StaticKeys, parse_jwks
from imagejobs.identity.rs256 import RsaPublicKey, rs256_signature_valid
from tests.access_signing import (
    AUDIENCE,
    TEAM_DOMAIN,
    SigningKey,
    b64,
    claims_for,
    jwks_json,
    nested,
    tampered,
    unsigned_token,
)

KEY = SigningKey("key-1")
OTHER = SigningKey("key-2")  # a key the team's JWKS does not contain under its kid
VERIFIER = AccessTokenVerifier(TEAM_DOMAIN, AUDIENCE, StaticKeys(parse_jwks(jwks_json(KEY).encode())))


def verify(token):
    return asyncio.run(VERIFIER.verify(token))


def signed(claims_json: str, header_json: str | None = None) -> str:
    return KEY.sign(header_json or json.dumps(KEY.header()), claims_json)


def test_a_valid_token_gives_its_claims():
    assert verify(KEY.token("Ada@Example.com"))["email"] == "Ada@Example.com"


def test_the_audience_may_be_a_plain_string():
    assert verify(KEY.token(aud=AUDIENCE))["email"]


def test_a_token_without_nbf_and_iat_is_accepted():
    claims = claims_for()
    del claims["nbf"], claims["iat"]
    assert verify(signed(json.dumps(claims)))["email"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (KEY.token(now=time.time() - 3600, lifetime=600), "expired"),
        (KEY.token(nbf=int(time.time()) + 3600), "not valid yet"),
        (KEY.token(iat=int(time.time()) + 3600), "issued in the future"),
        (KEY.token(aud=["another-app"]), "another application"),
        (KEY.token(iss="https://evil.cloudflareaccess.com"), "another team"),
        (OTHER.token(), "unknown key"),
        (OTHER.token(header={"kid": "key-1"}), "signature"),
        (unsigned_token(), "RS256"),
        (KEY.token(header={"alg": "HS256"}), "RS256"),
        (KEY.token(header={"crit": ["exp"]}), "critical"),
        (tampered(KEY.token()), "signature"),
        (KEY.token(header={"kid": None}), "kid"),
        ("not.a.jwt.at.all", "not a JWT"),
        ("a.b.c", "not unpadded base64url"),
        ("W3s=" + "W" * 40 + ".e30.", "not unpadded base64url"),
        (KEY.token() + "+", "signature is not unpadded base64url"),
        ("e30 .e30.c2ln", "not unpadded base64url"),
        (".".join(["WwWw" * 3000, "e30", ""]), "longer than 8192"),
        (".".join([b64(b"[" * 700), "e30", ""]), "nested deeper than 8"),
        (".".join([b64(b"[1]"), "e30", ""]), "not a JSON object"),
        (".".join([b64(b"\xff{}"), "e30", ""]), "not UTF-8"),
        (".".join([b64(b'{"alg": "RS256", "alg": "none"}'), "e30", ""]), "repeats a key"),
        ("", "not a JWT"),
    ],
)
def test_anything_else_is_refused_with_its_reason(token, reason):
    with pytest.raises(Unauthenticated, match=reason):
        verify(token)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("exp", "Infinity"),
        ("exp", "-Infinity"),
        ("exp", "NaN"),
        ("exp", "1e400"),  # a float that overflows to infinity
        ("exp", "4102444800.0"),
        ("exp", "true"),
        ("exp", '"4102444800"'),
        ("exp", "null"),
        ("nbf", "NaN"),
        ("nbf", "1.5"),
        ("nbf", "false"),
        ("iat", "Infinity"),
        ("iat", "[1]"),
    ],
)
def test_time_claims_must_be_whole_numbers_even_when_validly_signed(claim, value):
    """A signed `"exp": Infinity` used to be a token that never expires."""
    claims = claims_for()
    claims[claim] = "__VALUE__"
    token = signed(json.dumps(claims).replace('"__VALUE__"', value))
    with pytest.raises(Unauthenticated):
        verify(token)


def test_a_token_without_exp_is_refused():
    claims = claims_for()
    del claims["exp"]
    with pytest.raises(Unauthenticated, match="no expiry"):
        verify(signed(json.dumps(claims)))


def test_unsigned_claims_are_never_parsed():
    """A claims segment nested 2,000 deep under a wrong signature fails on the signature: the
    JSON parser never sees it."""
    header = b64(json.dumps(KEY.header()).encode())
    with pytest.raises(Unauthenticated, match="signature"):
        verify(f"{header}.{b64(nested(2000).encode())}.{b64(b'x' * 256)}")


def test_a_small_clock_skew_is_tolerated():
    assert verify(KEY.token(now=time.time() - 630, lifetime=600))  # expired 30 s ago


def test_the_signature_check_rejects_short_and_out_of_range_values():
    key = RsaPublicKey(2**2047 + 1, 65537)
    assert not rs256_signature_valid(b"x", b"\x01" * 255, key)
    assert not rs256_signature_valid(b"x", b"\xff" * 256, key)


def test_small_large_and_odd_keys_are_refused():
    n = 2**2047 + 1
    assert not rs256_signature_valid(b"x", b"\x01" * 256, RsaPublicKey(n, 1))
    assert not rs256_signature_valid(b"x", b"\x01" * 256, RsaPublicKey(n, 65536))
    assert not rs256_signature_valid(b"x", b"\x01" * 255, RsaPublicKey(2**2039 + 1, 65537))
    assert not RsaPublicKey(2**8192 + 1, 65537).usable
    assert not RsaPublicKey(n, 2**32 + 1).usable
    assert RsaPublicKey(2**8191 + 1, 2**31 + 1).usable

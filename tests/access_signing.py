"""Test-only Cloudflare Access tokens: an RSA test key (the `cryptography` package, a dev
dependency) signs JWTs the way Access does, and the JWKS that verifies them."""

import base64
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TEAM_DOMAIN = "imagejobs-test.cloudflareaccess.com"
AUDIENCE = "test-application-aud-tag"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    def __init__(self, kid: str):
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        numbers = self.private.public_key().public_numbers()
        return {
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "e": _b64(numbers.e.to_bytes(3, "big")),
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        }

    def token(self, email="signed@example.com", *, now=None, lifetime=600, header=None, **claims) -> str:
        now = time.time() if now is None else now
        payload = {
            "aud": [AUDIENCE],
            "iss": f"https://{TEAM_DOMAIN}",
            "email": email,
            "sub": "user-1",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime),
            **claims,
        }
        head = {"alg": "RS256", "kid": self.kid, "typ": "JWT", **(header or {})}
        signing_input = f"{_b64(json.dumps(head).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


def jwks_json(*keys: SigningKey) -> str:
    return json.dumps({"keys": [k.jwk() for k in keys]})


def unsigned_token(email="signed@example.com") -> str:
    """`alg: none`: a token anyone could write."""
    now = time.time()
    head = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = _b64(
        json.dumps(
            {"aud": [AUDIENCE], "iss": f"https://{TEAM_DOMAIN}", "email": email, "exp": int(now + 600), "nbf": int(now)}
        ).encode()
    )
    return f"{head}.{body}."


def tampered(token: str, email="admin@example.com") -> str:
    """The same signature over a payload whose e-mail was changed."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["email"] = email
    return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"

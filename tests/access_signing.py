"""Test-only Cloudflare Access tokens: an RSA test key (the `cryptography` package, a dev
dependency) signs JWTs the way Access does, and the JWKS that verifies them. Hostile tests also
sign raw JSON texts (values `json.dumps` cannot write, nesting, padding) with a real key."""

import base64
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TEAM_DOMAIN = "imagejobs-test.cloudflareaccess.com"
AUDIENCE = "test-application-aud-tag"


def b64(data: bytes) -> str:
    """Unpadded base64url, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(email: str = "signed@example.com", *, now: float | None = None, lifetime: int = 600, **claims) -> dict:
    """The claims Access puts in a token, with `claims` added or replaced."""
    now = time.time() if now is None else now
    return {
        "aud": [AUDIENCE],
        "iss": f"https://{TEAM_DOMAIN}",
        "email": email,
        "sub": "user-1",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now + lifetime),
        **claims,
    }


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
            "e": b64(numbers.e.to_bytes(3, "big")),
            "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        }

    def header(self, **fields) -> dict:
        return {"alg": "RS256", "kid": self.kid, "typ": "JWT", **fields}

    def sign(self, header_json: str, claims_json: str) -> str:
        """A token whose segments are exactly these JSON texts, validly signed."""
        signing_input = f"{b64(header_json.encode())}.{b64(claims_json.encode())}"
        signature = self.private.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64(signature)}"

    def token(self, email="signed@example.com", *, now=None, lifetime=600, header=None, **claims) -> str:
        head = self.header(**(header or {}))
        return self.sign(json.dumps(head), json.dumps(claims_for(email, now=now, lifetime=lifetime, **claims)))


def jwks_json(*keys: SigningKey) -> str:
    return json.dumps({"keys": [k.jwk() for k in keys]})


def unsigned_token(email="signed@example.com") -> str:
    """`alg: none`: a token anyone could write."""
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims_for(email)).encode())
    return f"{head}.{body}."


def tampered(token: str, email="admin@example.com") -> str:
    """The same signature over a payload whose e-mail was changed."""
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["email"] = email
    return f"{head}.{b64(json.dumps(claims).encode())}.{signature}"


def nested(depth: int, inner: str = "1") -> str:
    """JSON text of `depth` nested arrays around `inner`."""
    return "[" * depth + inner + "]" * depth

"""Every bound of docs/INPUTS.md, checked just under (accepted) and just over (refused), and the
guards that keep the class of bug out: no JSON parse of untrusted bytes except the bounded one,
no digit test that accepts non-ASCII digits."""

import ast
import asyncio
import json
import uuid
from pathlib import Path

import pytest

from imagejobs.api.app import handle_request
from imagejobs.api.http import MAX_HEADER_CHARS, HttpRequest
from imagejobs.api.parameters import MAX_QUERY_CHARS, MAX_QUERY_FIELDS
from imagejobs.config import ConfigError, Settings
from imagejobs.errors import Unauthenticated
from imagejobs.identity import AccessKeyCache, Authenticator
from imagejobs.identity.access_tokens import (
    MAX_HEADER_SEGMENT_CHARS,
    MAX_JSON_DEPTH,
    MAX_SIGNATURE_SEGMENT_CHARS,
    MAX_TOKEN_CHARS,
    AccessTokenVerifier,
)
from imagejobs.identity.authentication import MAX_EMAIL_CHARS, email_address
from imagejobs.identity.bounded_json import JsonRejected, nesting_depth, parse_json
from imagejobs.identity.jwks import MAX_JWKS_BYTES, MAX_JWKS_DEPTH, MAX_KID_CHARS, StaticKeys, parse_jwks
from imagejobs.jobs.operations import MAX_OPERATIONS_CHARS
from imagejobs.jobs.uploads import MAX_NAME_CHARS, Upload, clean_file_name
from tests.access_signing import AUDIENCE, TEAM_DOMAIN, SigningKey, b64, claims_for, jwks_json

from .images import header_only_png, png

SRC = Path(__file__).resolve().parents[3] / "src" / "imagejobs"
KEY = SigningKey("bounds")
VERIFIER = AccessTokenVerifier(TEAM_DOMAIN, AUDIENCE, StaticKeys(parse_jwks(jwks_json(KEY).encode())))
DEV = Settings(auth_mode="dev", max_upload_bytes=2000, max_pixels=10_000)
USER = {"x-dev-user": "a@example.com"}


async def _no_fetch(url, *, max_bytes):
    raise OSError("unit tests fetch nothing")


class FileBody:
    def __init__(self, upload, operations=None):
        self.upload = upload
        self.operations = operations

    async def read_file_field(self, name, max_bytes):
        return self.upload

    async def read_text_values(self, name, max_chars):
        return [] if name != "operations" or self.operations is None else [self.operations]


def status(run, service, request: HttpRequest, settings: Settings = DEV) -> int:
    authenticator = Authenticator.for_settings(settings, AccessKeyCache(_no_fetch))
    return run(handle_request(request, settings, service, authenticator)).status


def get(path, query="", headers=None) -> HttpRequest:
    return HttpRequest("GET", path, query_string=query, headers={**USER, **(headers or {})})


def upload(data: bytes, headers=None, operations=None) -> HttpRequest:
    headers = {"content-type": "multipart/form-data; boundary=x", **USER, **(headers or {})}
    return HttpRequest("POST", "/api/jobs", headers=headers, body=FileBody(Upload("a.png", data), operations))


def verify(token: str) -> dict:
    return asyncio.run(VERIFIER.verify(token))


def padded_token(target: int, *, over: bool) -> str:
    """A validly signed token as long as possible within `target` characters (over=False), or
    the shortest one longer than `target` (over=True): base64url cannot hit every length."""
    base = len(KEY.token(pad=""))
    for pad in range(max(0, (target - base) * 3 // 4 - 8), target):
        token = KEY.token(pad="x" * pad)
        if over and len(token) > target:
            return token
        if not over and len(KEY.token(pad="x" * (pad + 1))) > target >= len(token):
            return token
    raise AssertionError("no such token")


# --- the request: query string, numbers, cursor, path ids, headers ----------------------


def test_query_string_length(run, service):
    filler = "x=" + "y" * (MAX_QUERY_CHARS - 2)
    assert status(run, service, get("/api/jobs", filler)) == 200
    assert status(run, service, get("/api/jobs", filler + "y")) == 400


def test_query_field_count(run, service):
    fields = [f"p{i}=1" for i in range(MAX_QUERY_FIELDS)]
    assert status(run, service, get("/api/jobs", "&".join(fields))) == 200
    assert status(run, service, get("/api/jobs", "&".join([*fields, "one=more"]))) == 400


@pytest.mark.parametrize(("under", "over"), [("1", "0"), ("100", "101"), ("0" * 15 + "100", "0" * 16 + "100")])
def test_limit_range_and_digits(run, service, under, over):
    assert status(run, service, get("/api/jobs", f"limit={under}")) == 200
    assert status(run, service, get("/api/jobs", f"limit={over}")) == 400


def test_cursor_length(run, service):
    job_ids = []
    for _ in range(2):
        response = run(
            handle_request(upload(png()), DEV, service, Authenticator.for_settings(DEV, AccessKeyCache(_no_fetch)))
        )
        job_ids.append(json.loads(response.body)["job"]["id"])
    cursor = job_ids[-1]
    assert status(run, service, get("/api/jobs", f"cursor={cursor}")) == 200
    assert status(run, service, get("/api/jobs", f"cursor={cursor[:-1]}")) == 400
    assert status(run, service, get("/api/jobs", f"cursor={cursor}0")) == 400


def test_path_job_id_length(run, service):
    job_id = str(uuid.uuid4())
    assert status(run, service, get(f"/api/jobs/{job_id}")) == 404  # looked up: not found
    service.store.get_owned = None  # any lookup would now fail with a TypeError (a 500)
    assert status(run, service, get(f"/api/jobs/{job_id}0")) == 404
    assert status(run, service, get(f"/api/jobs/{job_id[:-1]}")) == 404


def test_header_value_length(run, service):
    # If-None-Match is read on a job: a value of exactly the bound is read, one more is refused.
    job = run(handle_request(upload(png()), DEV, service, Authenticator.for_settings(DEV, AccessKeyCache(_no_fetch))))
    path = f"/api/jobs/{json.loads(job.body)['job']['id']}"
    tag = '"' + "x" * (MAX_HEADER_CHARS - 2) + '"'
    assert status(run, service, get(path, headers={"if-none-match": tag})) == 200
    assert status(run, service, get(path, headers={"if-none-match": tag + " "})) == 400


def test_content_length_digits_and_size(run, service):
    limit = DEV.max_upload_bytes + 64 * 1024  # the upload limit plus multipart framing
    assert status(run, service, upload(png(), {"content-length": str(limit)})) == 202
    assert status(run, service, upload(png(), {"content-length": str(limit + 1)})) == 413
    assert status(run, service, upload(png(), {"content-length": "9" * 18})) == 413
    assert status(run, service, upload(png(), {"content-length": "9" * 19})) == 400


def test_idempotency_key_length(run, service):
    assert status(run, service, upload(png(), {"idempotency-key": "k" * 255})) == 202
    assert status(run, service, upload(png(), {"idempotency-key": "k" * 256})) == 400


def test_operations_length(run, service):
    # 256 characters: the name padded with spaces, which are ignored around a name.
    assert status(run, service, upload(png(), operations="grayscale".ljust(MAX_OPERATIONS_CHARS))) == 202
    assert status(run, service, upload(png(), operations="grayscale".ljust(MAX_OPERATIONS_CHARS + 1))) == 400
    assert status(run, service, upload(png(), operations=",".join(["grayscale"] * 25))) == 202  # 249 characters
    assert status(run, service, upload(png(), operations=",".join(["grayscale"] * 26))) == 400  # 259


def test_upload_size_and_pixels(run, service):
    fits = header_only_png(100, 100)  # exactly max_pixels
    assert status(run, service, upload(fits + b"\0" * (DEV.max_upload_bytes - len(fits)))) == 202
    assert status(run, service, upload(fits + b"\0" * (DEV.max_upload_bytes - len(fits) + 1))) == 413
    assert status(run, service, upload(header_only_png(10_001, 1))) == 422


def test_file_name_length():
    assert clean_file_name("n" * MAX_NAME_CHARS) == "n" * MAX_NAME_CHARS
    assert clean_file_name("n" * (MAX_NAME_CHARS + 1)) == "n" * MAX_NAME_CHARS


# --- identity: X-Dev-User, Access tokens and keys ------------------------------------------


def test_dev_user_length():
    longest = "l" * 64 + "@" + "d" * 255
    assert len(longest) == MAX_EMAIL_CHARS and email_address(longest, "X-Dev-User")
    for too_long in ("l" * 65 + "@example.com", "l@" + "d" * 256, longest + "d"):
        with pytest.raises(Unauthenticated):
            email_address(too_long, "X-Dev-User")


def test_token_length():
    assert verify(padded_token(MAX_TOKEN_CHARS, over=False))["email"]
    with pytest.raises(Unauthenticated, match=f"longer than {MAX_TOKEN_CHARS}"):
        verify(padded_token(MAX_TOKEN_CHARS, over=True))


def test_token_header_segment_length():
    claims = json.dumps(claims_for())

    def token_with_header_chars(chars: int) -> str:
        for pad in range(chars):
            header = json.dumps(KEY.header(pad="p" * pad))
            if len(b64(header.encode())) >= chars:
                return KEY.sign(header, claims)
        raise AssertionError

    fits = token_with_header_chars(MAX_HEADER_SEGMENT_CHARS - 2)
    assert len(fits.split(".")[0]) <= MAX_HEADER_SEGMENT_CHARS and verify(fits)
    over = token_with_header_chars(MAX_HEADER_SEGMENT_CHARS + 1)
    with pytest.raises(Unauthenticated, match="header is longer than"):
        verify(over)


def test_token_signature_segment_length():
    head, body, _ = KEY.token().split(".")
    with pytest.raises(Unauthenticated, match="signature is not valid"):  # read, then rejected
        verify(f"{head}.{body}.{'A' * (MAX_SIGNATURE_SEGMENT_CHARS - 2)}")
    with pytest.raises(Unauthenticated, match="signature is longer than"):
        verify(f"{head}.{body}.{'A' * (MAX_SIGNATURE_SEGMENT_CHARS + 1)}")


@pytest.mark.parametrize("segment", ["header", "claims"])
def test_token_json_depth(segment):
    def token(depth: int) -> str:
        inner = "[" * (depth - 1) + "1" + "]" * (depth - 1)  # the object itself is level 1
        if segment == "header":
            return KEY.sign(json.dumps(KEY.header()).replace("}", f', "x": {inner}}}'), json.dumps(claims_for()))
        return KEY.sign(json.dumps(KEY.header()), json.dumps(claims_for()).replace("}", f', "x": {inner}}}'))

    assert verify(token(MAX_JSON_DEPTH))
    with pytest.raises(Unauthenticated, match=f"nested deeper than {MAX_JSON_DEPTH}"):
        verify(token(MAX_JSON_DEPTH + 1))


def test_jwks_size():
    document = jwks_json(KEY).encode()
    fits = document + b" " * (MAX_JWKS_BYTES - len(document))
    assert list(parse_jwks(fits)) == ["bounds"]
    with pytest.raises(ValueError, match=f"larger than {MAX_JWKS_BYTES}"):
        parse_jwks(fits + b" ")


def test_jwks_depth():
    key = KEY.jwk()

    def document(depth: int) -> bytes:
        extra = "[" * (depth - 3) + "1" + "]" * (depth - 3)  # {"keys": [{ … }]} is 3 levels
        return json.dumps({"keys": [{**key, "x": "__X__"}]}).replace('"__X__"', extra).encode()

    assert list(parse_jwks(document(MAX_JWKS_DEPTH))) == ["bounds"]
    with pytest.raises(ValueError, match="nested deeper"):
        parse_jwks(document(MAX_JWKS_DEPTH + 1))


def test_jwks_kid_and_key_sizes():
    key = KEY.jwk()

    def kids(**fields) -> list[str]:
        return list(parse_jwks(json.dumps({"keys": [{**key, **fields}]}).encode()))

    assert kids(kid="k" * MAX_KID_CHARS) == ["k" * MAX_KID_CHARS]
    assert kids(kid="k" * (MAX_KID_CHARS + 1)) == []
    assert kids(n=b64((2**8191 + 1).to_bytes(1024, "big"))) == ["bounds"]  # 8192 bits
    assert kids(n=b64((2**8192 + 1).to_bytes(1025, "big"))) == []  # 8193 bits
    assert kids(e=b64((2**31 + 1).to_bytes(4, "big"))) == ["bounds"]  # 32 bits
    assert kids(e=b64((2**32 + 1).to_bytes(5, "big"))) == []  # 33 bits


# --- bounded JSON -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "{{{"]', 1),  # brackets inside strings do not count
        ('["\\"[[[", "\\\\", [[]]]', 3),  # escaped quotes and backslashes
        ("[" * 5 + "]" * 5, 5),
    ],
)
def test_nesting_depth_counts_structure_outside_strings(text, depth):
    assert nesting_depth(text, limit=100) == depth


def test_parse_json_bounds_size_then_depth():
    assert parse_json(b"[" * 8 + b"]" * 8, max_bytes=16, max_depth=8) == [[[[[[[[]]]]]]]]
    with pytest.raises(JsonRejected, match="larger than 15 bytes"):
        parse_json(b"[" * 8 + b"]" * 8, max_bytes=15, max_depth=8)
    with pytest.raises(JsonRejected, match="nested deeper than 7"):
        parse_json(b"[" * 8 + b"]" * 8, max_bytes=16, max_depth=7)
    # a million unclosed brackets: refused by the scan, which stops at the limit
    with pytest.raises(JsonRejected, match="nested deeper"):
        parse_json(b"[" * 1_000_000, max_bytes=2_000_000, max_depth=8)


@pytest.mark.parametrize("text", [b"NaN", b"[Infinity]", b"-Infinity", b"1e400", b'{"a": 1, "a": 2}', b"1" * 5000])
def test_parse_json_refuses_what_json_does_not_define(text):
    with pytest.raises(JsonRejected):
        parse_json(text, max_bytes=10_000, max_depth=8)


# --- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("9" * 18, True), ("9" * 19, False), ("١٢", False), ("１２", False), ("1_0", False), ("²", False)],
)
def test_configuration_numbers_are_ascii_digits(value, accepted):
    if accepted:
        assert Settings.from_vars({"MAX_PIXELS": value}.get).max_pixels == int(value)
    else:
        with pytest.raises(ConfigError):
            Settings.from_vars({"MAX_PIXELS": value}.get)


# --- the guards ---------------------------------------------------------------------------


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, ast.unparse(node.func)


def test_no_json_is_parsed_outside_the_bounded_parser():
    """Only identity/bounded_json.py may call json.loads / json.load / .json(): everything else
    goes through parse_json, which bounds size and depth first."""
    offenders = [
        f"{path.relative_to(SRC)}:{node.lineno} {name}"
        for path in SRC.rglob("*.py")
        if path.name != "bounded_json.py"
        for node, name in _calls(ast.parse(path.read_text()))
        if name in ("json.loads", "json.load", "loads", "load") or name.endswith(".json")
    ]
    assert offenders == []


def test_no_digit_test_that_takes_non_ascii_digits():
    """str.isdigit/isdecimal/isnumeric and the regex class \\d accept "²", "１" or "١"."""
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        offenders += [
            f"{path.relative_to(SRC)}:{node.lineno} {name}"
            for node, name in _calls(tree)
            if name.endswith((".isdigit", ".isdecimal", ".isnumeric"))
        ]
        offenders += [
            f"{path.relative_to(SRC)}:{node.lineno} {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "\\d" in node.value
        ]
    assert offenders == []

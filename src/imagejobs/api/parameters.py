"""Request parameters from untrusted text, each bounded before it is parsed (docs/INPUTS.md):
the query string, whole numbers (ASCII digits only), the list cursor, job ids and the `wait`
preference of a Prefer header.
Imports nothing platform.
"""

import re
from urllib.parse import parse_qsl

from ..errors import BadRequest
from .http import HttpRequest

MAX_QUERY_CHARS = 2048
MAX_QUERY_FIELDS = 16
MAX_NUMBER_DIGITS = 18  # below 2**63: the value still fits every integer type D1 and JS know

# [0-9], never \d or str.isdigit(): those also take "²", "１" (fullwidth) and "١" (Arabic-Indic).
_WHOLE_NUMBER = re.compile(rf"[0-9]{{1,{MAX_NUMBER_DIGITS}}}")
# A job id is a random UUIDv4 in its canonical lower-case form (jobs/model.py new_job_id).
_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
JOB_ID_CHARS = 36

# RFC 7240 §2: Prefer = 1#preference; preference = token [ BWS "=" BWS word ]
# *( OWS ";" [ OWS parameter ] ); word = token / quoted-string (RFC 9110 §5.6).
MAX_PREFERENCES = 16
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_WORD = rf'(?:{_TOKEN}|"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\U0010ffff]|\\[\t\x20-\x7e\x80-\U0010ffff])*")'
_PARAMETER = rf"{_TOKEN}(?:[ \t]*=[ \t]*{_WORD})?"
_PREFERENCE = re.compile(rf"({_TOKEN})(?:[ \t]*=[ \t]*({_WORD}))?(?:[ \t]*;(?:[ \t]*{_PARAMETER})?)*")
_LIST_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*)*")


def query_params(request: HttpRequest) -> dict[str, str]:
    """The query string's parameters, percent-decoded as UTF-8. Raises BadRequest if the query
    is longer than MAX_QUERY_CHARS, has more than MAX_QUERY_FIELDS fields, repeats a name or
    is not UTF-8 once decoded."""
    raw = request.query_string
    if len(raw) > MAX_QUERY_CHARS:
        raise BadRequest(f"the query string is longer than {MAX_QUERY_CHARS} characters")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, errors="strict", max_num_fields=MAX_QUERY_FIELDS)
    except UnicodeDecodeError:
        raise BadRequest("the query string is not UTF-8 once percent-decoded") from None
    except ValueError:
        raise BadRequest(f"the query string has more than {MAX_QUERY_FIELDS} parameters") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise BadRequest("a query parameter is given more than once")
    return params


def whole_number(raw: str, name: str, minimum: int, maximum: int) -> int:
    """`raw` as an int from `minimum` to `maximum`; raises BadRequest unless it is 1 to
    MAX_NUMBER_DIGITS ASCII digits in that range."""
    if not _WHOLE_NUMBER.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise BadRequest(f"{name} must be a whole number from {minimum} to {maximum} in ASCII digits")
    return int(raw)


def content_length(request: HttpRequest) -> int | None:
    """The Content-Length header as a number (None if absent); raises BadRequest if malformed."""
    raw = request.header("content-length")
    if raw is None:
        return None
    return whole_number(raw.strip(), "Content-Length", 0, 10**MAX_NUMBER_DIGITS - 1)


def is_job_id(raw: str) -> bool:
    """True for a job id as this API creates them (the only ids worth looking up)."""
    return len(raw) == JOB_ID_CHARS and _JOB_ID.fullmatch(raw) is not None


def list_cursor(raw: str | None) -> str | None:
    """The job id a list cursor continues after (None for the first page). A cursor is the id of
    the last job of the previous page, which the user already knows; whether it is one of the
    user's own jobs is checked by the listing itself. Raises BadRequest for any other text."""
    if raw is None or raw == "":
        return None
    if not is_job_id(raw):
        raise BadRequest("cursor is not one this API returned")
    return raw


def prefer_wait(request: HttpRequest) -> int | None:
    """The seconds of the Prefer header's `wait` preference (RFC 7240 §4.3), or None when there
    is no usable one.

    RFC 7240 §2 asks a server to ignore, not refuse, preferences it cannot comply with: other
    preferences are ignored; of several `wait`s the first counts; a `wait` that is not 1 to
    MAX_NUMBER_DIGITS ASCII digits (`wait=１０`, `wait=1.5`) is ignored, as is a header that is not
    a list of at most MAX_PREFERENCES preferences — never guessed at. (Beyond the header bound
    HttpRequest.header raises BadRequest, as for every header.)
    """
    raw = request.header("prefer")
    if raw is None:
        return None
    wait: str | None = None
    seen = 0
    position = _skip_separators(raw, 0)
    while position < len(raw):
        match = _PREFERENCE.match(raw, position)
        seen += 1
        if match is None or seen > MAX_PREFERENCES:
            return None
        if wait is None and match.group(1).lower() == "wait":
            wait = match.group(2) or ""
        position = match.end()
        after = _skip_separators(raw, position)
        if after < len(raw) and "," not in raw[position:after]:
            return None
        position = after
    if wait is None or not _WHOLE_NUMBER.fullmatch(wait):
        return None
    return int(wait)


def _skip_separators(text: str, position: int) -> int:
    match = _LIST_SEPARATOR.match(text, position)
    return position if match is None else match.end()

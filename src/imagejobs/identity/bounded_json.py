"""JSON from untrusted bytes, bounded before it is parsed: its size first, then its nesting depth,
found by a linear scan. Under Pyodide a deeply nested document overflows the JavaScript stack
inside `json.loads`, a fatal error for the whole isolate, before Python could raise a
RecursionError; so nothing deeper than the limit ever reaches the parser.

Also refuses what JSON does not define (NaN, Infinity, numbers that overflow to infinity) and
duplicate object keys, which parsers disagree on. Imports nothing platform.
"""

import json
import math
import re

# The characters that open or close a level, and those that start or end a string.
_STRUCTURE = re.compile(r'["\\\[\]{}]')


class JsonRejected(ValueError):
    """The bytes are not a JSON document within the bounds."""


def nesting_depth(text: str, limit: int) -> int:
    """The deepest nesting of arrays and objects in `text` (brackets inside strings do not
    count); the scan stops as soon as the depth exceeds `limit`. Linear, no recursion."""
    depth = deepest = 0
    in_string = False
    escaped = -1  # the index of the character after a backslash inside a string
    for match in _STRUCTURE.finditer(text):
        index, char = match.start(), match.group()
        if in_string:
            if index == escaped:
                continue
            if char == "\\":
                escaped = index + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> float:
    raise JsonRejected(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRejected(f"the number {text[:20]} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise JsonRejected("an object repeats a key")
    return value


def parse_json(data: bytes, *, max_bytes: int, max_depth: int) -> object:
    """The JSON value of UTF-8 `data`; raises JsonRejected if it is larger than `max_bytes`,
    nested deeper than `max_depth`, or not strict JSON."""
    if len(data) > max_bytes:
        raise JsonRejected(f"larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRejected("not UTF-8 text") from None
    if nesting_depth(text, max_depth) > max_depth:
        raise JsonRejected(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, object_pairs_hook=_unique_keys
        )
    except JsonRejected:
        raise
    except (ValueError, RecursionError) as error:
        raise JsonRejected(f"not JSON ({error})") from None

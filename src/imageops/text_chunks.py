"""Parsing the textual chunks tEXt, zTXt and iTXt (spec 11.3.3) and the keywords other chunks share
(iCCP, sPLT), with bounded decompression. Bad content raises ChunkProblem, which the metadata
reports and moves past. Imports only zlib and dataclasses."""

import zlib
from dataclasses import dataclass

MAX_KEYWORD_BYTES = 79  # spec 11.3.3.2
MAX_TEXT_BYTES = 64 * 1024  # a text longer than this (decompressed) is cut here and marked truncated
MAX_LANGUAGE_BYTES = 256  # iTXt language tags are short (RFC 3066); longer ones are refused
MAX_TRANSLATED_KEYWORD_BYTES = 1024
_LATIN1_PRINTABLE = frozenset(range(32, 127)) | frozenset(range(161, 256))
_LANGUAGE_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


class ChunkProblem(ValueError):
    """An ancillary chunk whose content is invalid: reported, never fatal."""


@dataclass(frozen=True, slots=True)
class TextEntry:
    """One textual chunk's content."""

    chunk: str  # "tEXt", "zTXt" or "iTXt"
    keyword: str
    text: str
    compressed: bool
    truncated: bool  # the text was longer than MAX_TEXT_BYTES (or the chunk's payload was cut short)
    language: str | None = None  # iTXt only
    translated_keyword: str | None = None  # iTXt only

    def as_json(self) -> dict[str, object]:
        entry: dict[str, object] = {
            "chunk": self.chunk,
            "keyword": self.keyword,
            "text": self.text,
            "compressed": self.compressed,
            "truncated": self.truncated,
        }
        if self.chunk == "iTXt":
            entry["language"] = self.language
            entry["translated_keyword"] = self.translated_keyword
        return entry

    @property
    def size(self) -> int:
        """Characters this entry adds to the report (for the report's total cap)."""
        return len(self.keyword) + len(self.text) + len(self.language or "") + len(self.translated_keyword or "")


def keyword(raw: bytes, what: str = "keyword") -> str:
    """A validated keyword (spec 11.3.3.2): 1-79 printable Latin-1 bytes, no leading, trailing or
    consecutive spaces."""
    if not 1 <= len(raw) <= MAX_KEYWORD_BYTES:
        raise ChunkProblem(f"the {what} is {len(raw)} bytes long (1-{MAX_KEYWORD_BYTES} allowed)")
    if not _LATIN1_PRINTABLE.issuperset(raw):
        raise ChunkProblem(f"the {what} has a byte that is not printable Latin-1")
    if raw[:1] == b" " or raw[-1:] == b" " or b"  " in raw:
        raise ChunkProblem(f"the {what} has leading, trailing or consecutive spaces")
    return raw.decode("latin-1")


def split_keyword(payload: bytes, what: str = "keyword") -> tuple[str, bytes]:
    """(keyword, the rest after its null separator)."""
    end = payload.find(b"\0", 0, MAX_KEYWORD_BYTES + 1)
    if end < 0:
        raise ChunkProblem(f"no null separator after the {what} (within {MAX_KEYWORD_BYTES + 1} bytes)")
    return keyword(payload[:end], what), payload[end + 1 :]


def inflate_text(compressed: bytes, complete: bool) -> tuple[bytes, bool, int]:
    """(the decompressed bytes, at most MAX_TEXT_BYTES; whether it was cut; bytes of work done).
    `complete` is False when the chunk's payload itself was cut short (then an unfinished stream is
    not an error)."""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_TEXT_BYTES + 1)
    except zlib.error as exc:
        raise ChunkProblem(f"the compressed text is corrupt ({exc})") from None
    work = len(compressed) + len(text)
    if len(text) > MAX_TEXT_BYTES:
        return text[:MAX_TEXT_BYTES], True, work
    if not inflater.eof:
        if complete:
            raise ChunkProblem("the compressed text ends before its zlib stream does")
        return text, True, work
    if inflater.unused_data:
        raise ChunkProblem("bytes follow the end of the compressed text")
    return text, False, work


def _latin1(data: bytes) -> str:
    if b"\0" in data:
        raise ChunkProblem("the text contains a null byte")
    return data.decode("latin-1")


def _utf8(data: bytes, cut: bool, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(data) - 3:  # a character split by the cap, not bad UTF-8
            return data[: exc.start].decode("utf-8")
        raise ChunkProblem(f"the {what} is not valid UTF-8") from None


def parse_text(chunk_type: bytes, payload: bytes, complete: bool) -> tuple[TextEntry, int]:
    """A tEXt, zTXt or iTXt payload as a TextEntry, and the bytes of decompression work it took.
    `complete` is False when only the start of a longer payload is given."""
    name = chunk_type.decode("ascii")
    key, rest = split_keyword(payload)
    work = 0
    if chunk_type == b"tEXt":
        cut = not complete or len(rest) > MAX_TEXT_BYTES
        return TextEntry(name, key, _latin1(rest[:MAX_TEXT_BYTES]), False, cut), work
    if chunk_type == b"zTXt":
        if not rest:
            raise ChunkProblem("the compression method byte is missing")
        if rest[0] != 0:
            raise ChunkProblem(f"compression method {rest[0]} is unknown (only 0 exists)")
        data, cut, work = inflate_text(rest[1:], complete)
        return TextEntry(name, key, _latin1(data), True, cut), work
    # iTXt: keyword, compression flag, method, language tag, translated keyword, text (spec 11.3.3.4).
    if len(rest) < 2:
        raise ChunkProblem("the compression flag and method are missing")
    flag, method, rest = rest[0], rest[1], rest[2:]
    if flag not in (0, 1):
        raise ChunkProblem(f"compression flag {flag} is not 0 or 1")
    if flag and method != 0:
        raise ChunkProblem(f"compression method {method} is unknown (only 0 exists)")
    language_end = rest.find(b"\0", 0, MAX_LANGUAGE_BYTES + 1)
    if language_end < 0:
        raise ChunkProblem("no null separator after the language tag")
    language = rest[:language_end]
    if not _LANGUAGE_BYTES.issuperset(language):
        raise ChunkProblem("the language tag has characters other than letters, digits and hyphens")
    rest = rest[language_end + 1 :]
    translated_end = rest.find(b"\0", 0, MAX_TRANSLATED_KEYWORD_BYTES + 1)
    if translated_end < 0:
        raise ChunkProblem("no null separator after the translated keyword")
    translated = _utf8(rest[:translated_end], False, "translated keyword")
    rest = rest[translated_end + 1 :]
    if flag:
        data, cut, work = inflate_text(rest, complete)
    else:
        data, cut = rest[:MAX_TEXT_BYTES], not complete or len(rest) > MAX_TEXT_BYTES
    text = _utf8(data, cut, "text")
    return TextEntry(name, key, text, bool(flag), cut, language.decode("ascii"), translated), work

"""A module's film and captions, served in byte ranges (RFC 9110 §14) as a browser's `<video>` asks
for them: the first bytes for the metadata, then the parts it plays or seeks to. A provider's real
film may be large, so a range is read from the file as it is sent, never held whole."""

import hashlib
import re
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path

import anyio
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from ptfc.problems import Problem, respond

CHUNK = 64 * 1024
# The same for every parent, yet only for parents: a browser may keep it (seeking back is then free),
# a shared cache may not.
CACHE = "private, max-age=3600"
RANGE = re.compile(r"(\d*)-(\d*)", re.ASCII)
HUGE = 10**18  # past any file: a number too long to read is this (int() refuses over 4,300 digits)

TYPES = {
    200: "The whole file.",
    206: "The range asked for (`Range: bytes=first-last`, `first-` or `-suffix`), with `Content-Range`.",
}
CONTENT = {t: {"schema": {"type": "string", "format": "binary"}} for t in ("video/webm", "video/mp4", "text/vtt")}
RESPONSES: dict[int | str, dict] = {status: {"description": why, "content": CONTENT} for status, why in TYPES.items()}


class Unsatisfiable(Exception):
    pass


def _number(digits: str) -> int:
    return int(digits) if len(digits.lstrip("0")) <= 18 else HUGE


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte a `Range` header asks for, or None for the whole file. Several ranges,
    another unit, or a header that is not well formed get the whole file (a server may ignore Range;
    a player asks for one range at a time). A range that starts past the end is `Unsatisfiable`."""
    unit, _, spec = (header or "").partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    asked = RANGE.fullmatch(spec.strip())
    if asked is None or asked[1] == asked[2] == "":
        return None
    if asked[1] == "":  # the last n bytes
        suffix = _number(asked[2])
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    first = _number(asked[1])
    last = min(_number(asked[2]), size - 1) if asked[2] else size - 1
    if asked[2] and _number(asked[2]) < first:
        return None  # not a valid range: ignored
    if first >= size:
        raise Unsatisfiable
    return first, last


async def _read(path: Path, first: int, last: int) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as f:
        await f.seek(first)
        left = last - first + 1
        while left > 0 and (chunk := await f.read(min(CHUNK, left))):
            left -= len(chunk)
            yield chunk


def serve(request: Request, path: Path, media_type: str, asked: str | None, if_range: str | None) -> Response:
    """200 with the whole file, 206 with the range asked for, or 416 (a problem, with
    `Content-Range: bytes */size`) for a range that starts past the end."""
    stat = path.stat()
    size = stat.st_size
    tag = '"' + hashlib.sha256(f"{stat.st_mtime_ns}-{size}".encode()).hexdigest()[:32] + '"'
    modified = formatdate(stat.st_mtime, usegmt=True)
    headers = {"Accept-Ranges": "bytes", "ETag": tag, "Last-Modified": modified, "Cache-Control": CACHE}
    if if_range is not None and if_range not in (tag, modified):
        asked = None  # the file changed since the browser's first part: the whole of the new one
    try:
        span = byte_range(asked, size)
    except Unsatisfiable:
        detail = f"The file has {size} bytes; ask for a range that starts before its end."
        problem = Problem(416, "range-not-satisfiable", "Range not satisfiable", detail, size=size)
        return respond(problem, request, {**headers, "Content-Range": f"bytes */{size}"})
    first, last = span or (0, size - 1)
    headers["Content-Length"] = str(last - first + 1 if size else 0)
    if span is None:
        return StreamingResponse(_read(path, 0, size - 1), 200, headers, media_type)
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return StreamingResponse(_read(path, first, last), 206, headers, media_type)

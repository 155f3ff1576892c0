"""The site's built assets under names that carry their content's hash, kept for a year.

`make web` writes each asset twice: under its own name and under one with a hash of its
content (`site.d77cb541e1da.css`), the latter with `.gz` and `.br` beside it, and a
`manifest.json` from one to the other. Pages name the hashed files (`asset("site.css")`), so
a browser or a CDN may keep them forever: a new build has new names. They are answered here,
in front of the framework, from memory, in the encoding the browser accepts best. A tree built
without a manifest (an older build) gets the plain names, which the static files route serves
with a short max-age as before.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from rasd.http.caching import matches
from rasd.http.guard import SECURITY_HEADERS
from rasd.web.encodings import chosen, tagged

BUILT = Path(__file__).parent / "static" / "vendor"
PREFIX = "/static/vendor/"
IMMUTABLE = b"public, max-age=31536000, immutable"
# what each encoding's file ends with, in the order the server prefers them
_ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json"}


@dataclass(frozen=True, slots=True)
class _Asset:
    content_type: bytes
    etag: str  # of the identity bytes; each encoding's tag adds its name
    bodies: dict[str, bytes]  # encoding ("identity", "gzip", "br") -> bytes


class Assets:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest: dict[str, str] = {}
        self._files: dict[str, _Asset] = {}
        manifest = root / "manifest.json"
        if manifest.is_file():
            self.manifest = orjson.loads(manifest.read_bytes())
            for renamed in self.manifest.values():
                self._files[PREFIX + renamed] = _load(root / renamed)

    def url(self, name: str) -> str:
        """The address pages give for the built asset `name` (its hashed one once built)."""
        return PREFIX + self.manifest.get(name, name)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Answers a GET or HEAD of a hashed asset (the caller checks the path is one)."""
        asset = self._files[scope["path"]]
        encoding = chosen(scope["headers"], asset.bodies)
        body = asset.bodies[encoding or "identity"]
        etag = tagged(asset.etag, encoding)
        headers = [
            (b"content-type", asset.content_type),
            (b"cache-control", IMMUTABLE),
            (b"vary", b"Accept-Encoding"),
            (b"etag", etag.encode()),
            *_SECURITY,
        ]
        if encoding is not None:
            headers.append((b"content-encoding", encoding.encode()))
        if _named(scope["headers"], etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        head = scope["method"] == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head else body})


@cache
def built() -> Assets:
    """The assets of this installation, read once."""
    return Assets(BUILT)


_SECURITY = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS]


def _load(path: Path) -> _Asset:
    bodies = {"identity": path.read_bytes()}
    for encoding, suffix in _ENCODINGS:
        packed = path.with_name(path.name + suffix)
        if packed.is_file():
            bodies[encoding] = packed.read_bytes()
    kind = (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    if kind.startswith("text/") or kind == "application/json":
        kind += "; charset=utf-8"
    # the name already carries a hash of the content
    digest = path.stem.rpartition(".")[2]
    return _Asset(kind.encode(), f'"{digest}"', bodies)


def _named(headers: Any, etag: str) -> bool:
    for name, value in headers:
        if name == b"if-none-match":
            return matches(value.decode("latin-1"), etag)
    return False

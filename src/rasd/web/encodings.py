"""Content codings: which one a request's Accept-Encoding takes, the ETag of an encoded body,
and the gzip copy of a drawn page.

A page of 160 KB written to a crowd's sockets kept the event loop busy writing; gzip makes it
a fifth of that on the wire, made once per drawing, never per request.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from functools import lru_cache

from rasd.web.weights import weighted

# the codings the server can send, in the order it prefers them
CODINGS = ("br", "gzip")
_GZIP_LEVEL = 6  # level 9 takes twice the time for a few per cent less on the pages


def accepted(headers: Iterable[tuple[bytes, bytes]]) -> set[str]:
    """The content codings a request's Accept-Encoding allows (q above 0)."""
    found: set[str] = set()
    for name, value in headers:
        if name == b"accept-encoding":
            found |= _accepted(value)
    return found


@lru_cache(maxsize=256)
def _accepted(value: bytes) -> frozenset[str]:
    # browsers send a handful of distinct values: parsed once each
    taken: set[str] = set()
    refused: set[str] = set()
    for coding, q in weighted(value.decode("latin-1")):
        (taken if q > 0 else refused).add(coding)
    if "*" in taken:
        taken.update(c for c in CODINGS if c not in refused)
    return frozenset(taken)


def chosen(headers: Iterable[tuple[bytes, bytes]], offered: Iterable[str]) -> str | None:
    """The coding among `offered` the request takes, the server's preferred first; None for
    the identity."""
    taken = accepted(headers)
    return next((c for c in CODINGS if c in taken and c in offered), None)


def tagged(etag: str, coding: str | None) -> str:
    """The ETag of the `coding` copy of the body tagged `etag`: each copy is its own entity,
    so a 304 is only given to a cache that holds the same bytes."""
    return etag if coding is None else f'{etag[:-1]}-{coding}"'


def gzipped(body: bytes) -> bytes:
    # mtime 0 in the header (zlib's gzip wrapper writes none): the same page, the same bytes
    packer = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()

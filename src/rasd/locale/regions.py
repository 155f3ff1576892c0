"""Where a reader is likely to be, from the languages their browser asks for."""

from __future__ import annotations


def region_of(accept_language: str | None) -> str | None:
    """The region of the browser's first language with one (`ar-EG` -> `EG`), for a default."""
    for part in (accept_language or "").split(","):
        tag = part.strip().split(";")[0]
        pieces = tag.replace("_", "-").split("-")
        for piece in pieces[1:]:
            if len(piece) == 2 and piece.isalpha():
                return piece.upper()
    return None

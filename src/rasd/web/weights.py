"""Header values that list choices with weights (Accept-Language, Accept-Encoding)."""

from __future__ import annotations

from collections.abc import Iterator


def weighted(header: str) -> Iterator[tuple[str, float]]:
    """Each choice of `header` (lower-cased) with its q weight, in the order given; a weight
    that is not a number counts as 0 (not acceptable)."""
    for part in header.split(","):
        choice, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        yield choice.strip().lower(), q

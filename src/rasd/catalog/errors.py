"""The error a bad catalog file gives: which file, which line, and why."""

from __future__ import annotations

from pathlib import Path

from rasd.errors import InvalidInput, field_error


class CatalogError(InvalidInput):
    """A catalog file that cannot be used; `str()` reads `path:line: reason`.

    `line` is 1-based, or None when the file as a whole is at fault (unreadable, not UTF-8).
    """

    def __init__(self, path: Path | str, line: int | None, reason: str, field: str = "") -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        self.field = field
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(
            f"{where}: {reason}",
            details=[field_error(field or "catalog", reason, path=str(self.path), line=line)],
        )

    def __str__(self) -> str:
        return self.message

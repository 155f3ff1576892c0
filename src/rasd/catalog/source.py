"""A parsed catalog file that can say on which line an entry or a key was written.

tomllib keeps no positions, so lines are found again in the text: the n-th `[[section]]`
header is the n-th entry, and a key is the first line inside that entry that assigns it.
Anything not found falls back to the entry's own line, then to None.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasd.catalog.errors import CatalogError

_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")
_AT_END = re.compile(r"\s*\(at end of document\)")
_ARRAY_HEADER = re.compile(r"""^\s*\[\[\s*["']?([A-Za-z0-9_-]+)["']?\s*\]\]""")
_TABLE_HEADER = re.compile(r"""^\s*\[\s*([^\[\]]+?)\s*\]""")


def _assigns(key: str) -> re.Pattern[str]:
    """A line that sets `key` (bare, quoted or as the head of a dotted key)."""
    quoted = re.escape(key)
    return re.compile(rf"""(?:^|[{{,.])\s*(?:{quoted}|"{quoted}"|'{quoted}')\s*(?:=|\.)""")


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    document: dict[str, Any]
    lines: tuple[str, ...]
    # section -> (first, last) line of each of its `[[section]]` entries, in order
    spans: dict[str, list[tuple[int, int]]]

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CatalogError(path, None, f"cannot read the file: {exc.strerror or exc}") from exc
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise CatalogError(path, line, "the file is not valid UTF-8") from exc
        return cls.parse(path, text)

    @classmethod
    def parse(cls, path: Path, text: str) -> SourceFile:
        lines = tuple(text.splitlines())
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            line: int | None = None
            found = _SYNTAX_POSITION.search(message)
            if found:
                line = int(found.group(1))
                message = _SYNTAX_POSITION.sub("", message)
            elif _AT_END.search(message):
                line = max(len(lines), 1)
                message = _AT_END.sub("", message)
            raise CatalogError(path, line, f"not valid TOML: {message}") from exc
        return cls(path=path, document=document, lines=lines, spans=_entry_spans(lines))

    def top_key_line(self, key: str) -> int | None:
        """Where a top-level key is first given: `[[key]]`, `[key]` or `key = ...`."""
        pattern = _assigns(key)
        in_root = True
        for number, text in enumerate(self.lines, start=1):
            header = _ARRAY_HEADER.match(text) or _TABLE_HEADER.match(text)
            if header:
                # After the first header, plain keys belong to that table, not to the root.
                in_root = False
                if header.group(1).split(".", 1)[0].strip("\"' ") == key:
                    return number
            elif in_root and pattern.search(text):
                return number
        return None

    def entry_line(self, section: str, index: int) -> int | None:
        """The `[[section]]` header of the entry at `index`, or where the section is given."""
        span = self._entry_span(section, index)
        if span is not None:
            return span[0]
        return self.top_key_line(section)

    def key_line(self, section: str, index: int, keys: tuple[str, ...]) -> int | None:
        """The line inside one entry where `keys` (a path: "aliases", "ar") is set."""
        span = self._entry_span(section, index)
        if span is None:
            return self.top_key_line(section)
        start, end = span
        best = start
        for key in keys:
            found = self._find_key(key, best, end, section)
            if found is None:
                break
            best = found
        return best

    def _find_key(self, key: str, start: int, end: int, section: str) -> int | None:
        pattern = _assigns(key)
        for number in range(start, end + 1):
            text = self.lines[number - 1]
            header = _TABLE_HEADER.match(text)
            if header and number > start:
                parts = [p.strip("\"' ") for p in header.group(1).split(".")]
                if parts[:1] == [section] and key in parts[1:]:
                    return number
                continue
            if number == start and _ARRAY_HEADER.match(text):
                continue
            if pattern.search(text):
                return number
        return None

    def _entry_span(self, section: str, index: int) -> tuple[int, int] | None:
        spans = self.spans.get(section, [])
        return spans[index] if index < len(spans) else None


def _entry_spans(lines: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Each entry runs from its header to the line before the next entry of any section.

    A `[section.key]` table header stays inside the current entry of `section`.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    current: tuple[str, int] | None = None
    for number, text in enumerate(lines, start=1):
        array = _ARRAY_HEADER.match(text)
        table = None if array else _TABLE_HEADER.match(text)
        ends = array is not None or (
            table is not None
            and current is not None
            and table.group(1).split(".", 1)[0].strip("\"' ") != current[0]
        )
        if ends and current is not None:
            spans.setdefault(current[0], []).append((current[1], number - 1))
            current = None
        if array:
            current = (array.group(1), number)
    if current is not None:
        spans.setdefault(current[0], []).append((current[1], len(lines)))
    return spans

"""The count of writes that pages show but neither counting nor detection makes.

A comment shown or hidden, an operator's statement: whoever writes one (an API route, a page's
form) calls `touch`, and every page drawn before it is drawn again (`rasd.web.page_cache`
reads the count into a page's version).
"""

from __future__ import annotations

from typing import Any


class PageEpoch:
    """Bumped by writes that pages show but neither counting nor detection makes (a comment,
    an official word): a count of its own, as it changes while the process is fixed."""

    def __init__(self) -> None:
        self.value = 0


def touch(runtime: Any) -> None:
    """Something pages show was written outside counting and detection: draw them again."""
    runtime.page_epoch.value += 1
